import { dateOfMoment, type IsoDate } from '../src/domain/dates.js';

/**
 * What a projection needs of a stored event. A RecordedEvent is one; the read model keeps only
 * this much of each event, so a log of millions fits in memory.
 */
export interface ProjectedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly revision: number;
  readonly position: number;
  readonly data: unknown;
  readonly metadata: { readonly recordedAt: string };
}

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

/** The date a view is judged on (for "expired"): asOf, else the Swedish day knownAt falls on, else today. */
export function viewDateOf(clocks: Clocks, today: IsoDate): IsoDate {
  return clocks.asOf ?? (clocks.knownAt !== undefined ? dateOfMoment(new Date(clocks.knownAt)) : today);
}

/**
 * The domain events of one stream that a view sees, in stream order: known by knownAt, not
 * reversed by a reversal known by knownAt, and dated on or before asOf.
 */
export function visibleEvents<E extends { type: string }>(
  stream: readonly ProjectedEvent[],
  clocks: Clocks,
  businessDate: (event: E) => IsoDate | null,
): E[] {
  // A stream is in log order and recordedAt never decreases along the log, so the events known
  // at a moment are a prefix of it.
  let known = stream.length;
  if (clocks.knownAt !== undefined) {
    known = 0;
    while (known < stream.length && stream[known]!.metadata.recordedAt <= clocks.knownAt) known += 1;
  }
  let reversed: Set<string> | null = null;
  for (let index = 0; index < known; index += 1) {
    const event = stream[index]!;
    if (event.type === 'EntryReversed') (reversed ??= new Set()).add((event.data as { reversedEventId: string }).reversedEventId);
  }
  // A stored event is already a {type, data}: the common view (no asOf, nothing reversed) takes
  // the events as they are, without copying a million of them.
  if (reversed === null && clocks.asOf === undefined) return (known === stream.length ? stream : stream.slice(0, known)) as unknown as E[];
  const visible: E[] = [];
  for (let index = 0; index < known; index += 1) {
    const recorded = stream[index]!;
    if (recorded.type === 'EntryReversed' || reversed?.has(recorded.eventId)) continue;
    const event = recorded as unknown as E;
    if (clocks.asOf !== undefined) {
      const date = businessDate(event);
      if (date !== null && date > clocks.asOf) continue;
    }
    visible.push(event);
  }
  return visible;
}
