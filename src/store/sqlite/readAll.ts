import type { ReadAllOptions, RecordedEvent } from '../port.js';
import { positionOfValues, recordedEventOfValues, type EventValues } from './rows.js';
import type { SqliteSession } from './session.js';

/**
 * The log in global order, a page of rows at a time. An iterator of its own rather than an async
 * generator: replay reads millions of events through it, and a generator's yield costs several
 * promise hops an event where this costs one resolved promise.
 */
export function readAll(session: SqliteSession, options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
  return { [Symbol.asyncIterator]: () => new LogPages(session, options.after ?? 0, options.maxCount ?? Number.MAX_SAFE_INTEGER) };
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class LogPages implements AsyncIterator<RecordedEvent, undefined> {
  private rows: EventValues[] = [];
  private next_ = 0;
  private finished = false;

  constructor(
    private readonly session: SqliteSession,
    private after: number,
    private left: number,
  ) {}

  next(): Promise<IteratorResult<RecordedEvent, undefined>> {
    try {
      if (this.next_ === this.rows.length && !this.fetch()) return Promise.resolve(DONE);
      const row = this.rows[this.next_]!;
      // Let go of each row as it is read: a scavenge in the middle of a page then copies only the
      // rows still to come, not the whole page of strings (the read model keeps its own events).
      this.rows[this.next_++] = undefined!;
      return Promise.resolve({ done: false, value: recordedEventOfValues(row) });
    } catch (error) {
      this.finish();
      return Promise.reject(error);
    }
  }

  return(): Promise<IteratorResult<RecordedEvent, undefined>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  /** Reads the next page; false when the log (or maxCount) is exhausted. */
  private fetch(): boolean {
    // A short page was the log's end, as far as this read goes.
    if (this.finished || this.left <= 0) return this.finish();
    const wanted = Math.min(this.session.pageSize, this.left);
    this.session.assertOpen();
    const rows = this.session.statements.readAll.all(this.after, wanted);
    if (rows.length === 0) return this.finish();
    if (rows.length < wanted) this.finished = true;
    this.left -= rows.length;
    this.after = positionOfValues(rows[rows.length - 1]!);
    this.rows = rows;
    this.next_ = 0;
    return true;
  }

  private finish(): false {
    this.finished = true;
    this.rows = [];
    this.next_ = 0;
    return false;
  }
}

/** One page of the log as rows, for callers that stream millions of events. */
export function readAllPage(session: SqliteSession, after: number, limit: number): RecordedEvent[] {
  session.assertOpen();
  return session.statements.readAll.all(after, limit).map(recordedEventOfValues);
}
