import type { RecordedEvent } from '../../store/port.js';
import { shareSnapshotGrantEvents, UndecodableEventError } from '../../domain/storedEvent.js';
import { ProjectionError } from './core.js';
import type { IsoDate } from '../../domain/dates.js';
import type { Clocks, GrantStreamEvent, ProjectedEvent } from '../../../projections/clocks.js';

/**
 * How much of a stream a view sees: everything (its current facts serve), nothing, or some of it
 * (only then is it folded again). Most streams lie wholly before or after a historical cut.
 */
export type Coverage = 'all' | 'none' | 'some';

/** What a view needs to know of a stream to tell whether it sees all, some or none of it, without its events. */
export interface StreamExtent {
  /** The latest business date of its events; reversals have none. */
  maxBusinessDate: IsoDate | null;
  /** When its first and last events were recorded (null before the first). */
  firstRecordedAt: string | null;
  lastRecordedAt: string | null;
}

export function coverageOf(entry: StreamExtent, clocks: Clocks): Coverage {
  if (entry.firstRecordedAt === null || entry.lastRecordedAt === null) return 'none';
  if (clocks.knownAt !== undefined && entry.firstRecordedAt > clocks.knownAt) return 'none';
  const allKnown = clocks.knownAt === undefined || entry.lastRecordedAt <= clocks.knownAt;
  const allDated = clocks.asOf === undefined || entry.maxBusinessDate === null || entry.maxBusinessDate <= clocks.asOf;
  return allKnown && allDated ? 'all' : 'some';
}

/** Keeps the stream's extent up to date with a new event (recorded after every earlier one). */
export function extendBy(entry: StreamExtent, event: ProjectedEvent, businessDate: IsoDate | null): void {
  entry.firstRecordedAt ??= event.metadata.recordedAt;
  entry.lastRecordedAt = event.metadata.recordedAt;
  if (businessDate !== null && (entry.maxBusinessDate === null || businessDate > entry.maxBusinessDate)) entry.maxBusinessDate = businessDate;
}

/**
 * A grant's events as a snapshot holds them (a JSON array), read back as compact as replayed ones:
 * the type's name, dates, amounts and the like shared across events (see shareSnapshotGrantEvents).
 */
export function grantEventsFromSnapshot(json: string): GrantStreamEvent[] {
  // Decoded before the snapshot was written, so of the current shape (a snapshot is trusted only
  // when its projection version and last event match the log).
  return shareSnapshotGrantEvents(JSON.parse(json) as GrantStreamEvent[]);
}

/** Stored events enter the read model through the domain's one decoding; one that does not decode stops it. */
export function decodedOrStop<D>(event: RecordedEvent, decode: (stored: RecordedEvent) => D): D {
  try {
    return decode(event);
  } catch (error) {
    if (error instanceof UndecodableEventError) throw new ProjectionError(event, error.reason);
    throw error;
  }
}

/**
 * What the projections need of a decoded event (its data fits its type) to apply it: what it refers
 * to is there before it (the grant for every later event, the allocation for a release or a
 * spending, the reversed event for a reversal). The folds skip what they cannot place, so an event
 * failing this would silently vanish from every report; the read model stops on it instead.
 */
export function unfitness(
  event: { readonly type: string; readonly data: unknown },
  earlier: readonly { readonly eventId: string }[],
  allocations: ReadonlySet<string> | undefined,
): string | null {
  if (allocations !== undefined) {
    if ((event.type === 'GrantReceived') !== (earlier.length === 0)) return 'a grant stream starts with GrantReceived, and only there';
    const allocationId = (event.data as { allocationId?: string }).allocationId;
    if ((event.type === 'FundsSpent' || event.type === 'AllocationReleased') && !allocations.has(allocationId!)) {
      return `allocation ${allocationId} is not on this grant`;
    }
  }
  if (event.type === 'EntryReversed') {
    const reversed = (event.data as { reversedEventId: string }).reversedEventId;
    if (!earlier.some((candidate) => candidate.eventId === reversed)) return `the reversed event ${reversed} is not earlier in this stream`;
  }
  return null;
}
