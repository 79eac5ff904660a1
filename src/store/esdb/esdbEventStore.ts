import type {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  ImportOptions,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  ReviewedTail,
  SubscribeOptions,
  Subscription,
} from '../port.js';
import { appendToStream } from './append.js';
import { eventAt } from './eventAt.js';
import { headPosition } from './headPosition.js';
import { importRecorded } from './importRecorded.js';
import { readAll } from './readAll.js';
import { readStream } from './readStream.js';
import { EsdbSession, type EsdbStoreOptions } from './session.js';
import { subscribeToAll } from './subscribe.js';
import { latestTreeHead, signReviewedTail, treeHeadOfSize } from './treeHeads.js';
import type { SignedTreeHead, TreeHeadSigner } from '../treeHeads.js';

export type { EsdbStoreOptions } from './session.js';

/**
 * The production event store on EventStoreDB (client 6.2.1, servers 20.6.1 and later). The adapter
 * computes recordedAt and the hash chain itself, as the SQLite store does, and always appends with
 * the exact revision it chained to, so that the server's revision check protects the chain and its
 * idempotency check (which is exact only with an exact revision) recognises a re-sent append.
 * Split by operation as the client is: append.ts, readStream.ts, readAll.ts, headPosition.ts,
 * subscribe.ts, importRecorded.ts, treeHeads.ts, over the state they share (session.ts).
 */
export class EsdbEventStore implements EventStore {
  readonly description: string;
  readonly signer: TreeHeadSigner | undefined;
  private readonly session: EsdbSession;

  constructor(connectionString: string, options: EsdbStoreOptions = {}) {
    this.session = new EsdbSession(connectionString, options);
    this.description = this.session.description;
    this.signer = options.signer;
  }

  /** The latest signed tree head from the heads stream (treeHeads.ts), null before the first. */
  latestTreeHead(): Promise<SignedTreeHead | null> {
    return latestTreeHead(this.session);
  }

  treeHeadOfSize(size: number): Promise<SignedTreeHead | null> {
    return treeHeadOfSize(this.session, size);
  }

  /** Signs a head over an unsigned tail an operator reviewed (treeHeads.ts, grantledger tree-head sign-tail). */
  signReviewedTail(reviewed: ReviewedTail): Promise<SignedTreeHead> {
    return signReviewedTail(this.session, reviewed);
  }

  appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return appendToStream(this.session, streamId, events, options);
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return readStream(this.session, streamId, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return readAll(this.session, options);
  }

  /** The ledger event at exactly this $all position (a snapshot's checkpoint), or null. */
  eventAt(position: number): Promise<RecordedEvent | null> {
    return eventAt(this.session, position);
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

  async close(): Promise<void> {
    const session = this.session;
    if (session.closed) return;
    await Promise.all([...session.subscriptions].map((subscription) => subscription.stop()));
    session.closed = true;
    await session.client.dispose();
  }
}
