import type { RecordedEvent } from '../../store/port.js';
import { shapeProblem, type compileShapes } from '../../domain/eventShape.js';
import type { IsoDate } from '../../domain/dates.js';
import type { Clocks, ProjectedEvent } from '../../../projections/clocks.js';

/** Only what the projections read: hashes, actors and command ids stay in the store. */
export function compact(event: RecordedEvent): ProjectedEvent {
  return {
    eventId: event.eventId,
    type: event.type,
    revision: event.revision,
    position: event.position,
    data: event.data,
    metadata: { recordedAt: event.metadata.recordedAt },
  };
}

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

/**
 * What the projections need of an event to apply it: its data fits its type, and what it refers
 * to is there before it (the grant for every later event, the allocation for a release or a
 * spending, the reversed event for a reversal). The folds skip what they cannot place, so an event
 * failing this would silently vanish from every report; the read model stops on it instead.
 */
export function unfitness(
  event: RecordedEvent,
  shapes: ReturnType<typeof compileShapes>,
  earlier: readonly { readonly eventId: string }[],
  allocations: ReadonlySet<string> | undefined,
): string | null {
  const misshapen = shapeProblem(shapes, event.type, event.data);
  if (misshapen !== null) return `its data does not fit ${event.type} (${misshapen})`;
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
