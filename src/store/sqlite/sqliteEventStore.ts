import type {
  AppendResult,
  EventFilter,
  EventHandler,
  EventStore,
  ExpectedRevision,
  ImportOptions,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
  Subscription,
} from '../port.js';
import type { SignedTreeHead, TreeHeadSigner } from '../treeHeads.js';
import { appendToStream, flush } from './append.js';
import { appendToStreams } from './appendToStreams.js';
import { findEvents } from './findEvents.js';
import { headPosition } from './headPosition.js';
import { importRecorded } from './importRecorded.js';
import { probeWritable } from './probeWritable.js';
import { readAll, readAllPage } from './readAll.js';
import { readStream } from './readStream.js';
import { SqliteSession, type SqliteStoreOptions } from './session.js';
import { adoptUnsignedLegacyLog, latestTreeHead, treeHeadOfSize } from './signedHeads.js';
import { subscribeToAll } from './subscribe.js';

export type { SqliteStoreOptions } from './session.js';

/**
 * The embedded event store: one SQLite file, WAL with synchronous = FULL, writes in BEGIN
 * IMMEDIATE transactions shared by the appends of one turn of the event loop (group commit), a
 * busy timeout for other processes' writers. Split by operation as the EventStoreDB adapter is:
 * append.ts, appendToStreams.ts, readStream.ts, readAll.ts, headPosition.ts, subscribe.ts,
 * importRecorded.ts, findEvents.ts, probeWritable.ts and signedHeads.ts, over the state they
 * share (session.ts) and the connection (connection.ts).
 */
export class SqliteEventStore implements EventStore {
  readonly description: string;
  readonly signer: TreeHeadSigner | undefined;
  /** Counters of durable commits and of the appends they carried: appends / commits is the group size. */
  readonly stats: { readonly commits: number; readonly appends: number };
  private readonly session: SqliteSession;

  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.session = new SqliteSession(path, options);
    this.description = this.session.description;
    this.signer = this.session.signer;
    this.stats = this.session.stats;
    if (this.signer) adoptUnsignedLegacyLog(this.session);
  }

  appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return appendToStream(this.session, streamId, events, options);
  }

  appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    return appendToStreams(this.session, appends);
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return readStream(this.session, streamId, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return readAll(this.session, options);
  }

  /** One page of the log as rows, for callers that stream millions of events. */
  readAllPage(after: number, limit: number): RecordedEvent[] {
    return readAllPage(this.session, after, limit);
  }

  headPosition(): Promise<number> {
    return headPosition(this.session);
  }

  subscribeToAll(options: SubscribeOptions, handler: EventHandler): Subscription {
    return subscribeToAll(this.session, options, handler);
  }

  importRecorded(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options?: ImportOptions): Promise<number> {
    return importRecorded(this.session, events, options);
  }

  findEvents(filter: EventFilter, page: { after: number; limit: number }): Promise<RecordedEvent[]> {
    return findEvents(this.session, filter, page);
  }

  probeWritable(): Promise<void> {
    return probeWritable(this.session);
  }

  latestTreeHead(): Promise<SignedTreeHead | null> {
    return latestTreeHead(this.session);
  }

  treeHeadOfSize(size: number): Promise<SignedTreeHead | null> {
    return treeHeadOfSize(this.session, size);
  }

  async close(): Promise<void> {
    const session = this.session;
    if (session.closed) return;
    // Appends already accepted are committed before the file closes.
    while (session.pending.length > 0) flush(session);
    session.closed = true;
    session.notify([]);
    session.db.close();
  }
}
