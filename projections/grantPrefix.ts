import type { IsoDate } from '../src/domain/dates.js';
import { foldGrantEvents, grantBusinessDate, INITIAL_GRANT_FACTS, type GrantFacts } from '../src/domain/grant/state.js';
import type { Clocks, GrantStreamEvent } from './clocks.js';

/** A checkpoint of a grant's facts every this many events: a view folds at most this many more. */
export const CHECKPOINT_EVERY = 16;

/**
 * A grant's facts after every CHECKPOINT_EVERY-th event of its stream, and the latest business
 * date up to each event: prefix sums of the stream, extended as the stream grows (a prefix's
 * facts never change, since events are only appended). Most historical views of a grant see a
 * prefix of its stream (known at a moment is always a prefix; as of a date is one too when the
 * later-dated events come last), and a prefix's facts are the nearest checkpoint plus fewer than
 * CHECKPOINT_EVERY events, found by binary search rather than a fold of the whole stream.
 */
export class GrantPrefixIndex {
  /** checkpoints[c]: the facts after the first c · CHECKPOINT_EVERY events. */
  private readonly checkpoints: GrantFacts[] = [INITIAL_GRANT_FACTS];
  /** latestDateBefore[i]: the latest business date of the first i events ('' when none). */
  private readonly latestDateBefore: string[] = [''];
  /** Where the first reversal is: a view that knows it is no prefix (it hides an earlier event). */
  private firstReversal = Infinity;

  /** The facts of the view, or null when the view is not a prefix of the stream (fold it instead). */
  factsAt(stream: readonly GrantStreamEvent[], clocks: Clocks): GrantFacts | null {
    this.extend(stream);
    const known = clocks.knownAt === undefined ? stream.length : knownCount(stream, clocks.knownAt);
    if (this.firstReversal < known) return null;
    let end = known;
    if (clocks.asOf !== undefined) {
      // Events dated after asOf at the end of what is known drop off the prefix; one before them,
      // or one without a date among them (an amendment, a plan: in every view), means no prefix.
      while (end > 0) {
        const date = grantBusinessDate(stream[end - 1]!);
        if (date === null || date <= clocks.asOf) break;
        end -= 1;
      }
      if (this.latestDateBefore[end]! > clocks.asOf) return null;
    }
    const checkpoint = Math.floor(end / CHECKPOINT_EVERY);
    while (this.checkpoints.length <= checkpoint) {
      const from = (this.checkpoints.length - 1) * CHECKPOINT_EVERY;
      this.checkpoints.push(foldGrantEvents(this.checkpoints[this.checkpoints.length - 1]!, stream.slice(from, from + CHECKPOINT_EVERY)));
    }
    const from = checkpoint * CHECKPOINT_EVERY;
    return from === end ? this.checkpoints[checkpoint]! : foldGrantEvents(this.checkpoints[checkpoint]!, stream.slice(from, end));
  }

  private extend(stream: readonly GrantStreamEvent[]): void {
    for (let index = this.latestDateBefore.length - 1; index < stream.length; index += 1) {
      const event = stream[index]!;
      if (event.type === 'EntryReversed' && this.firstReversal === Infinity) this.firstReversal = index;
      const date: IsoDate | null = grantBusinessDate(event);
      const before = this.latestDateBefore[index]!;
      this.latestDateBefore.push(date !== null && date > before ? date : before);
    }
  }
}

/** How many of the stream's events were recorded by the moment: recordedAt never decreases along it. */
function knownCount(stream: readonly GrantStreamEvent[], knownAt: string): number {
  let low = 0;
  let high = stream.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (stream[middle]!.metadata.recordedAt <= knownAt) low = middle + 1;
    else high = middle;
  }
  return low;
}
