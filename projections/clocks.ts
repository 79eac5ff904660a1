import { dateOfMoment, type IsoDate } from '../src/domain/dates.js';
import type { Decoded } from '../src/domain/storedEvent.js';
import { isReversal } from '../src/domain/history.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import type { BudgetEvent } from '../src/domain/budget/events.js';

/** Any domain event: a type and its data. */
export interface EventShape {
  readonly type: string;
  readonly data: unknown;
}

/**
 * What a projection keeps of a stored event: the domain event, decoded by the one decoder
 * (src/domain/storedEvent.ts) and so of the current shape, with its place in the log. The read
 * model keeps only this much of each event, so a log of millions fits in memory. Typed by its
 * stream's events (ProjectedEvent<GrantEvent>), a projection reads it as the domain event it is.
 */
export type ProjectedEvent<E extends EventShape = EventShape> = Decoded<E>;
export type GrantStreamEvent = ProjectedEvent<GrantEvent>;
export type BudgetStreamEvent = ProjectedEvent<BudgetEvent>;

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
export function visibleEvents<E extends EventShape>(
  stream: readonly ProjectedEvent<E>[],
  clocks: Clocks,
  businessDate: (event: E) => IsoDate | null,
): readonly E[] {
  // A stream is in log order and recordedAt never decreases along the log, so the events known
  // at a moment are a prefix of it.
  let known = stream.length;
  if (clocks.knownAt !== undefined) {
    known = 0;
    while (known < stream.length && stream[known]!.metadata.recordedAt <= clocks.knownAt) known += 1;
  }
  let reversed: Set<string> | null = null;
  for (let index = 0; index < known; index += 1) {
    const event: EventShape = stream[index]!;
    if (isReversal(event)) (reversed ??= new Set()).add(event.data.reversedEventId);
  }
  // A stored event is already a {type, data}: the common view (no asOf, nothing reversed) takes
  // the events as they are, without copying a million of them.
  if (reversed === null && clocks.asOf === undefined) return known === stream.length ? stream : stream.slice(0, known);
  const visible: E[] = [];
  for (let index = 0; index < known; index += 1) {
    const event = stream[index]!;
    if (isReversal(event) || reversed?.has(event.eventId)) continue;
    if (clocks.asOf !== undefined) {
      const date = businessDate(event);
      if (date !== null && date > clocks.asOf) continue;
    }
    visible.push(event);
  }
  return visible;
}
