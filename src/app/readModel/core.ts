import type { RecordedEvent } from '../../store/port.js';

/** An event that a projection cannot apply: the projection stops rather than skip it. */
export class ProjectionError extends Error {
  override readonly name = 'ProjectionError';
  constructor(readonly event: { streamId: string; position: number; type: string }, reason: string) {
    super(`cannot project ${event.type} at position ${event.position} of ${event.streamId}: ${reason}`);
  }
}

/** The read model stopped on an earlier failure; queries and commands answer 503 until it is repaired. */
export class ReadModelStoppedError extends Error {
  override readonly name = 'ReadModelStoppedError';
  constructor(readonly failure: Error) {
    super(`the read model stopped: ${failure.message}`, { cause: failure });
  }
}

/** Where a read model stands in the log: what a snapshot of it covers, and what a start checks against the log. */
export interface LogCheckpoint {
  /** The position of the last event applied (0 before the first). */
  readonly position: number;
  /** How many events were applied. */
  readonly eventsApplied: number;
  /** The stored hash of the last event applied ('' before the first). */
  readonly lastHash: string;
}

/**
 * The part of the read model every projection shares: the position reached in the log, the
 * failure that stopped it, and the callers waiting for a position (read-your-writes).
 */
export class ReadModelCore {
  /** The position of the last event applied. */
  position = 0;
  /** How many events were applied: the log's size as far as the read model has seen it. */
  eventsApplied = 0;
  /** The stored hash of the last event applied: a snapshot is valid only while the log still has it there. */
  lastHash = '';
  failure: Error | null = null;
  private waiters: Array<{ position: number; resolve: () => void; reject: (error: Error) => void }> = [];

  /** Refuses an event out of order, before any projection applies it. */
  check(event: RecordedEvent): void {
    if (event.position <= this.position) {
      throw new ProjectionError(event, `positions must increase (last applied ${this.position})`);
    }
  }

  /** Moves past an event every projection has applied, and wakes those waiting for it. */
  advance(event: RecordedEvent): void {
    this.position = event.position;
    this.lastHash = event.metadata.hash;
    this.eventsApplied += 1;
    if (this.waiters.length > 0) this.releaseWaiters();
  }

  checkpoint(): LogCheckpoint {
    return { position: this.position, eventsApplied: this.eventsApplied, lastHash: this.lastHash };
  }

  /** Starts from a snapshot's checkpoint instead of position 0. */
  restore(checkpoint: LogCheckpoint): void {
    this.position = checkpoint.position;
    this.eventsApplied = checkpoint.eventsApplied;
    this.lastHash = checkpoint.lastHash;
  }

  /** Queries refuse to answer from a stopped read model: its reports would silently be stale. */
  assertRunning(): void {
    if (this.failure) throw new ReadModelStoppedError(this.failure);
  }

  /** Runs again from another read model's checkpoint (see LedgerReadModel.resumeWith); no one waits on a stopped one. */
  resume(checkpoint: LogCheckpoint): void {
    this.restore(checkpoint);
    this.failure = null;
  }

  fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters) waiter.reject(new ReadModelStoppedError(error));
    this.waiters = [];
  }

  /** Resolves once every event up to the position is applied (read-your-writes after a command). */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.failure) return Promise.reject(new ReadModelStoppedError(this.failure));
    if (this.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`read model did not reach position ${position} within ${timeoutMs} ms (at ${this.position})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ position, resolve: done, reject: (error) => (clearTimeout(timer), reject(error)) });
    });
  }

  /** Resolves the waiters whose position is reached. */
  releaseWaiters(): void {
    const ready = this.waiters.filter((waiter) => waiter.position <= this.position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.position > this.position);
    for (const waiter of ready) waiter.resolve();
  }
}
