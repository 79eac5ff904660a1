import type { EventStore, RecordedEvent } from '../../store/port.js';
import { LedgerReadModel } from './index.js';

/** How far a rebuild has come: the log position reached, and the log's head when it began. */
export interface RebuildProgress {
  readonly applied: number;
  readonly of: number;
}

export interface BuildOptions {
  /** Stop before the first event this says no to (replay "known at" a moment); all of the log by default. */
  readonly includes?: (event: RecordedEvent) => boolean;
  /** Called after every chunk and at the end. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /**
   * Awaited before every chunk (the first too). The server passes nothing here but lets the
   * event loop run between chunks; a test holds the rebuild at a chunk until it releases it.
   */
  readonly betweenChunks?: (progress: RebuildProgress) => Promise<void> | void;
  /** Events read and applied per chunk. @defaultValue 5 000 */
  readonly chunkEvents?: number;
  /** Called before every chunk: true stops the rebuild (the ledger is stopping). */
  readonly cancelled?: () => boolean;
}

export interface BuiltReadModel {
  readonly readModel: LedgerReadModel;
  /** The events applied. */
  readonly events: number;
  /** The log's head when the build began (what `of` counts toward). */
  readonly of: number;
  /** Stopped by `cancelled` before the end. */
  readonly cancelled: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Builds a read model from position 0 of the log in a fresh LedgerReadModel: the one path that
 * both the server's background rebuild and `grantledger replay` take. The log is read a page at
 * a time (a page read whole before any is applied), and the event loop runs between pages, so a
 * server keeps answering meanwhile and no read of the store is left open across a write.
 */
export async function buildReadModel(store: EventStore, options: BuildOptions = {}): Promise<BuiltReadModel> {
  const chunkEvents = options.chunkEvents ?? 5_000;
  const readModel = new LedgerReadModel();
  const of = await store.headPosition();
  let events = 0;
  for (;;) {
    await options.betweenChunks?.({ applied: readModel.position, of: Math.max(of, readModel.position) });
    if (options.cancelled?.()) return { readModel, events, of, cancelled: true };
    const page: RecordedEvent[] = [];
    for await (const event of store.readAll({ after: readModel.position, maxCount: chunkEvents })) page.push(event);
    let stopped = page.length < chunkEvents;
    for (const event of page) {
      if (options.includes && !options.includes(event)) {
        stopped = true;
        break;
      }
      readModel.apply(event);
      events += 1;
    }
    const progress = { applied: readModel.position, of: Math.max(of, readModel.position) };
    options.onProgress?.(progress);
    if (stopped) return { readModel, events, of, cancelled: false };
    await yieldToEventLoop();
  }
}
