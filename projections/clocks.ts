import type { RecordedEvent } from '../src/store/port.js';
import type { IsoDate } from '../src/domain/dates.js';

/**
 * The two clocks of every report (DOMAIN.md, "Two clocks"):
 * - asOf: only events whose business date is on or before it;
 * - knownAt: only events recorded at or before it. A reversal takes its target out of every view
 *   whose knownAt is at or after the reversal's recordedAt; earlier views still show the target.
 */
export interface Clocks {
  readonly asOf?: IsoDate;
  /** ISO-8601 UTC moment, e.g. "2021-03-09T23:59:59.999Z". */
  readonly knownAt?: string;
}

/** The date a view is judged on (for "expired"): asOf, else the day knownAt falls on, else today. */
export function viewDateOf(clocks: Clocks, today: IsoDate): IsoDate {
  return clocks.asOf ?? (clocks.knownAt !== undefined ? clocks.knownAt.slice(0, 10) : today);
}

/**
 * The domain events of one stream that a view sees, in stream order: known by knownAt, not
 * reversed by a reversal known by knownAt, and dated on or before asOf.
 */
export function visibleEvents<E extends { type: string }>(
  stream: readonly RecordedEvent[],
  clocks: Clocks,
  businessDate: (event: E) => IsoDate | null,
): E[] {
  const known = clocks.knownAt === undefined ? stream : stream.filter((event) => event.metadata.recordedAt <= clocks.knownAt!);
  const reversed = new Set<string>();
  for (const event of known) {
    if (event.type === 'EntryReversed') reversed.add((event.data as { reversedEventId: string }).reversedEventId);
  }
  const visible: E[] = [];
  for (const recorded of known) {
    if (recorded.type === 'EntryReversed' || reversed.has(recorded.eventId)) continue;
    const event = { type: recorded.type, data: recorded.data } as unknown as E;
    const date = businessDate(event);
    if (clocks.asOf !== undefined && date !== null && date > clocks.asOf) continue;
    visible.push(event);
  }
  return visible;
}
