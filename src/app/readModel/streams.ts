import type { RecordedEvent } from '../../store/port.js';
import { UndecodableEventError } from '../../domain/storedEvent.js';
import { ProjectionError } from './core.js';
import type { IsoDate } from '../../domain/dates.js';
import type { Clocks, ProjectedEvent } from '../../../projections/clocks.js';

/**
 * How much of a stream a view sees: everything (its current facts serve), nothing, or some of it
 * (only then is it folded again). Most streams lie wholly before or after a historical cut.
 */
export type Coverage = 'all' | 'none' | 'some';

/** One stream's events as a projection keeps them. */
export interface StreamEntry {
  readonly events: ProjectedEvent[];
  /** The latest business date of its events; reversals have none. */
  maxBusinessDate: IsoDate | null;
}

export function coverageOf(entry: StreamEntry, clocks: Clocks): Coverage {
  const first = entry.events[0];
  const last = entry.events[entry.events.length - 1];
  if (!first || !last) return 'none';
  if (clocks.knownAt !== undefined && first.metadata.recordedAt > clocks.knownAt) return 'none';
  const allKnown = clocks.knownAt === undefined || last.metadata.recordedAt <= clocks.knownAt;
  const allDated = clocks.asOf === undefined || entry.maxBusinessDate === null || entry.maxBusinessDate <= clocks.asOf;
  return allKnown && allDated ? 'all' : 'some';
}

/** Keeps the stream's latest business date up to date with a new event's. */
export function noteBusinessDate(entry: StreamEntry, date: IsoDate | null): void {
  if (date !== null && (entry.maxBusinessDate === null || date > entry.maxBusinessDate)) entry.maxBusinessDate = date;
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
