import type { IsoDate } from '../src/domain/dates.js';
import type { Clocks, ProjectedEvent } from './clocks.js';

/** Views of one stream remembered at most; the oldest goes first. */
export const VIEWS_KEPT_PER_STREAM = 24;

/** No asOf cuts the events a view knows: every one of them is dated on or before it. */
const EVERY_DATE = '*';

/**
 * Which of a stream's events a view (asOf, knownAt) sees depends on two things only: how many
 * of its events were recorded by knownAt (recordedAt never decreases along a stream, so that is
 * a prefix, found by binary search), and the latest of the stream's own business dates on or
 * before asOf (any asOf between two of them cuts the same events). Views that agree on both see
 * the same events, reversals included (a reversal is known or not with the prefix), so whatever
 * is derived from those events can be kept under that key and looked up rather than folded:
 * ten thousand grants cost ten thousand binary searches, not a million events. The key is exact:
 * events appended later never change what an earlier prefix holds.
 */
export class StreamViews<V, E extends ProjectedEvent = ProjectedEvent> {
  private readonly recordedAt: string[] = [];
  /** The stream's distinct business dates, ascending. */
  private readonly dates: IsoDate[] = [];
  /** latestDateBefore[i]: the latest business date of the first i events ('' when none). */
  private readonly latestDateBefore: string[] = [''];
  private readonly kept = new Map<string, V>();

  constructor(private readonly businessDate: (event: E) => IsoDate | null) {}

  /**
   * What the view sees of the stream: its key, and the same events as a prefix and a date (the
   * events known, those dated after the date left out), which stay what they are however the
   * stream grows. Null when the view sees none of its events.
   */
  viewOf(stream: readonly E[], clocks: Clocks): StreamView | null {
    this.extend(stream);
    const known = clocks.knownAt === undefined ? stream.length : upperBound(this.recordedAt, clocks.knownAt);
    if (known === 0) return null;
    if (clocks.asOf === undefined || clocks.asOf >= this.latestDateBefore[known]!) return { key: `${known} ${EVERY_DATE}`, known, asOf: undefined };
    const below = upperBound(this.dates, clocks.asOf);
    const asOf = below === 0 ? '' : this.dates[below - 1]!;
    return { key: `${known} ${asOf}`, known, asOf };
  }

  /** The value kept for the view's key, made (and kept) the first time the key is asked for. */
  valueAt(key: string, make: () => V): V {
    const kept = this.kept.get(key);
    if (kept !== undefined) return kept;
    const value = make();
    if (this.kept.size >= VIEWS_KEPT_PER_STREAM) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, value);
    return value;
  }

  private extend(stream: readonly E[]): void {
    for (let index = this.recordedAt.length; index < stream.length; index += 1) {
      const event = stream[index]!;
      this.recordedAt.push(event.metadata.recordedAt);
      const date = this.businessDate(event);
      const before = this.latestDateBefore[index]!;
      this.latestDateBefore.push(date !== null && date > before ? date : before);
      if (date !== null) addDistinct(this.dates, date);
    }
  }
}

/** What a view sees of a stream: its first `known` events, less those dated after `asOf` (when one is given). */
export interface StreamView {
  readonly key: string;
  readonly known: number;
  readonly asOf: IsoDate | undefined;
}

/** The view's events: its prefix of the stream, and the clocks that cut it as the view does. */
export function cutOf<E extends ProjectedEvent>(stream: readonly E[], view: StreamView): { readonly events: readonly E[]; readonly clocks: Clocks } {
  // A copy, even of the whole stream: the stream grows, the view's events do not.
  return { events: stream.slice(0, view.known), clocks: view.asOf === undefined ? {} : { asOf: view.asOf } };
}

/** Puts a value into ascending distinct values, unless it is there already. */
export function addDistinct(values: string[], value: string): void {
  const at = upperBound(values, value);
  if (values[at - 1] !== value) values.splice(at, 0, value);
}

/** How many of the ascending values are at or before the bound. */
export function upperBound(values: readonly string[], bound: string): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= bound) low = middle + 1;
    else high = middle;
  }
  return low;
}
