import type { StoredEvent } from '../domain/storedEvent.js';
import type { SignedTreeHead, TreeHeadSigner } from './treeHeads.js';

/**
 * The event store port, shaped after EventStoreDB's client so that the embedded SQLite store and
 * the EventStoreDB adapter are interchangeable. Revisions and positions are safe integers
 * (adapters assert it): a stream's revision counts from 0; the global position orders every
 * event of the store and only grows.
 */

/**
 * What an append expects of the stream, as EventStoreDB names it.
 * - 'no_stream': the stream must not exist yet;
 * - 'stream_exists': it must exist;
 * - 'any': no check;
 * - a number: the revision of the stream's last event.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

/** Metadata the ledger sets on every event; the store adds recordedAt and the hash chain. */
export interface EventMetadata {
  /** Who recorded it: the name behind the bearer token, or "system" / "cli:<user>". */
  readonly actor: string;
  /** The command that caused it (its Idempotency-Key when one was sent). */
  readonly commandId: string;
  readonly correlationId: string;
  /** SHA-256 of the request that carried the command, so a reused Idempotency-Key with another body is caught. */
  readonly requestHash?: string;
  /**
   * The token that wrote it: a token's id, "system" (the server itself) or "cli" (the command
   * line, which acts with access to the store). Covered by the hash, with requestHash. Absent only
   * on events recorded before tokenIds existed.
   */
  readonly tokenId?: string;
  /**
   * The schema version of the event's data (the domain's currentSchemaVersion of its type when it
   * was written); absent on events written before versions existed, which are version 1. Covered
   * by the hash. The domain upcasts older data on read; the store keeps the bytes as written.
   */
  readonly schemaVersion?: number;
}

export interface NewEvent {
  /** A uuid derived from the command id, so a re-sent append is recognised by its ids. */
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedMetadata extends EventMetadata {
  /** Server time when the event was stored, ISO-8601 UTC; never decreases along the log. */
  readonly recordedAt: string;
  /** Hash of the previous event of the same stream (64 zeros for the first). */
  readonly prevHash: string;
  /** SHA-256 over prevHash and the event's canonical JSON: the stream's hash chain. */
  readonly hash: string;
}

/** A stored event as the domain decodes it (StoredEvent), with all the metadata the store keeps. */
export interface RecordedEvent extends StoredEvent {
  readonly metadata: RecordedMetadata;
}

export interface AppendResult {
  /** The revision of the stream's last event after the append. */
  readonly nextExpectedRevision: number;
  /** The global position of the last appended event. */
  readonly position: number;
  readonly events: readonly RecordedEvent[];
}

export interface ReadStreamOptions {
  /** The first revision to read; 0 when absent. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events after this global position (exclusive); from the start when absent. */
  readonly after?: number;
  readonly maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events after this global position (exclusive), first catching up, then live. */
  readonly after?: number;
}

export interface Subscription {
  /** Stops delivery; resolves when no handler call is running any more. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves on stop(), rejects when it fails (a handler threw). */
  readonly done: Promise<void>;
}

export type EventHandler = (event: RecordedEvent) => void | Promise<void>;

export interface EventStore {
  /** A short description for /health and logs, without credentials. */
  readonly description: string;
  appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  /** A stream's events in revision order; empty when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** The whole log in global order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** The position of the newest event, or 0 for an empty store (positions start at 1). */
  headPosition(): Promise<number>;
  /** Delivers every event after a position in global order, then new ones as they are stored. */
  subscribeToAll(options: SubscribeOptions, handler: EventHandler): Subscription;
  /**
   * Optional: checks, without writing, that a write could be committed now; throws
   * StoreUnavailableError naming the fault (read-only, missing, locked, the last commit failed).
   */
  probeWritable?(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional capability: loads events recorded elsewhere (an export), keeping their ids, order,
   * recordedAt and hashes, into an empty store, all or nothing. Refuses a non-empty store and
   * any event that does not continue its stream's hash chain. Resolves with the count loaded.
   */
  importRecorded?(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options?: ImportOptions): Promise<number>;
  /**
   * Optional capability: appends to several streams as one transaction, all or nothing. Each
   * append is judged against its own expected revision as appendToStream would judge it (a repeat
   * of an append already stored is answered with the stored events); if any is refused, nothing of
   * any is stored. Resolves with one result per append, in order. Stores without multi-stream
   * transactions (EventStoreDB) leave it out.
   */
  appendToStreams?(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
  /**
   * Optional capability: the event at exactly this global position, or null when the log has none
   * there. Where it is absent, the event is read after position - 1; EventStoreDB provides it, as
   * its positions are byte offsets in its log and reading $all from inside a record is an error.
   */
  eventAt?(position: number): Promise<RecordedEvent | null>;
  /** Optional capability: the events that match a filter, in global order, a page at a time. */
  findEvents?(filter: EventFilter, page: { after: number; limit: number }): Promise<RecordedEvent[]>;
  /** The key that signs a tree head after every commit; absent when the store keeps no heads. */
  readonly signer?: TreeHeadSigner | undefined;
  /** With a signer: the latest signed tree head, null before the first commit. */
  latestTreeHead?(): Promise<SignedTreeHead | null>;
  /** With a signer: the signed head of exactly this many events, if one was signed. */
  treeHeadOfSize?(size: number): Promise<SignedTreeHead | null>;
  /**
   * Optional capability, where a head follows its events rather than being stored with them
   * (EventStoreDB: a writer killed between the two leaves its events unsigned, and every writer
   * then stops): signs a head over the whole log once an operator has reviewed the unsigned tail
   * (grantledger tree-head sign-tail), with a record of who did it, and lets writes go on. Signs
   * nothing, with TailSigningRefusedError, unless the latest signed head is still the one of
   * `fromSize` events and matches the log, and the log holds exactly `size` events with `root`:
   * an event appended or changed after the review is never signed unseen.
   */
  signReviewedTail?(reviewed: ReviewedTail): Promise<SignedTreeHead>;
}

/** What an operator reviewed and now signs: the log as it stood, and who they are. */
export interface ReviewedTail {
  /** The size of the latest signed head when the tail was reviewed. */
  readonly fromSize: number;
  /** The number of events in the log when reviewed. */
  readonly size: number;
  /** The RFC 6962 root of those events, lowercase hex. */
  readonly root: string;
  readonly by: string;
  readonly reason: string;
}

/**
 * signReviewedTail signed nothing: `stale` when the log or its heads moved on since the review
 * (review again), `unsignable` when the log does not match its signed heads or nothing is unsigned.
 */
export class TailSigningRefusedError extends Error {
  override readonly name = 'TailSigningRefusedError';
  constructor(readonly kind: 'stale' | 'unsignable', message: string) {
    super(message);
  }
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: ExpectedRevision;
}

export interface ImportOptions {
  /** Called after each batch with the number of events loaded so far. */
  readonly onProgress?: (loaded: number) => void;
}

/** "What did this user record in March": every field optional, all given ones must match. */
export interface EventFilter {
  readonly actor?: string;
  /** recordedAt at or after this moment (ISO-8601 UTC). */
  readonly from?: string;
  /** recordedAt at or before this moment (ISO-8601 UTC). */
  readonly to?: string;
  readonly type?: string;
}

/** An import was refused: the store is not empty, or the events break a chain or the order. */
export class ImportRefusedError extends Error {
  readonly type = 'import-refused';
  override readonly name = 'ImportRefusedError';
}

/** The stream's revision did not match the append's expectation. */
export class WrongExpectedVersionError extends Error {
  readonly type = 'wrong-expected-version';
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actualRevision: number | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expectedRevision)}, actual ${String(actualRevision)}`);
  }
}

/** An event id is already stored in another place than this append would put it. */
export class DuplicateEventIdError extends Error {
  readonly type = 'duplicate-event-id';
  override readonly name = 'DuplicateEventIdError';
  constructor(readonly eventId: string, readonly streamId: string) {
    super(`event ${eventId} is already stored (append to ${streamId})`);
  }
}

/** The store cannot be used: unreachable, read-only, full, locked. The message says which. */
export class StoreUnavailableError extends Error {
  readonly type = 'store-unavailable';
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function readStreamToArray(store: EventStore, streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, options)) events.push(event);
  return events;
}
