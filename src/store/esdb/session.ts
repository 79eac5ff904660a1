import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  type AllStreamResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import { StoreUnavailableError, type AppendResult, type RecordedEvent } from '../port.js';
import type { StreamingMerkleRoot } from '../../domain/merkle.js';
import type { TreeHeadSigner } from '../treeHeads.js';
import { isReconnectable } from './clientErrors.js';
import { toRecordedEvent } from './ledgerEvents.js';

/**
 * What every operation of the EventStoreDB store shares: the client, the options, and this
 * process's state (the latest recordedAt it wrote, the streams' tips it knows, its write queue).
 * The operations themselves live one per file beside it, as the client's own do.
 */

export interface EsdbStoreOptions {
  /** The client's clock; injectable for tests. @defaultValue () => new Date() */
  readonly clock?: () => Date;
  /** How often an `any` / `stream_exists` append re-reads the head after losing a race. @defaultValue 5 */
  readonly appendAttemptsMax?: number;
  /** Events fetched per page when reading $all. @defaultValue 1000 */
  readonly pageSize?: number;
  /**
   * How often an operation is tried again when the server was unreachable or no longer the leader
   * (a restart, an election); safe for appends too, since a re-sent append is recognised.
   * @defaultValue 3
   */
  readonly unavailableRetriesMax?: number;
  /** Consecutive failed resubscriptions after which a subscription gives up. @defaultValue 60 */
  readonly resubscribeAttemptsMax?: number;
  /** Pause between resubscriptions, doubled up to 2 s. @defaultValue 50 */
  readonly resubscribeDelayMs?: number;
  /** The key that signs a tree head after every append (see treeHeads.ts); no heads without it. */
  readonly signer?: TreeHeadSigner | undefined;
  /**
   * How long an append waits for another writer's head over that writer's events, which lie
   * before its own in the log, before it treats them as written behind the ledger's back.
   * @defaultValue 5000
   */
  readonly unsignedGraceMs?: number;
}

/** This process's Merkle tree of the log and where it stands against the heads stream. */
export interface TreeHeadState {
  readonly root: StreamingMerkleRoot;
  /** The position of the last event in the tree (0 for none). */
  position: number;
  /** The revision of the latest head in the heads stream this process knows; null before the first. */
  headRevision: number | null;
  /** The size of that head. */
  signedSize: number;
  /** No head existed when the tree was built: the first head adopts the whole log. */
  adopting: boolean;
}


/** Streams whose last known event an adapter keeps (about 200 bytes each). */
const TIPS_CACHED_MAX = 10_000;

/** A stream's last event as far as an append needs it: where to chain and what time to follow. */
export interface StreamTip {
  readonly revision: number;
  readonly hash: string;
  readonly recordedAt: string;
}

/** Where an append goes: the event it chains to (null for a new stream). */
export interface AppendTarget {
  readonly tip: StreamTip | null;
}

/**
 * Every call goes to the leader. A follower would forward appends but answer reads from its own,
 * possibly older, copy; an append chained to a stale read is refused and an `any` append would
 * retry on the same stale head. With `requiresLeader` a follower answers NotLeader instead, naming
 * the leader, and the client reconnects there (the retry in retryingUnavailable).
 */
export const ON_LEADER = { requiresLeader: true } as const;

/** Strips user name and password from a connection string so it can be logged. */
export function describeConnection(connectionString: string): string {
  return connectionString.replace(/^(esdb(?:\+discover)?:\/\/)[^@/]*@/, '$1');
}

export class EsdbSession {
  readonly description: string;
  readonly client: EventStoreDBClient;
  readonly clock: () => Date;
  readonly appendAttemptsMax: number;
  readonly pageSize: number;
  readonly resubscribeAttemptsMax: number;
  readonly unavailableRetriesMax: number;
  readonly resubscribeDelayMs: number;
  readonly subscriptions = new Set<{ stop(): Promise<void> }>();
  /** The latest recordedAt this process wrote, so its own appends never go back in time. */
  lastRecordedAt = '';
  /**
   * The last event this process wrote or read per stream (a bounded number of streams). An event
   * at a revision never changes, so an append expecting exactly that revision chains to it without
   * reading it again; if the stream moved on meanwhile, the server refuses the append (or
   * recognises it as re-sent), as it would after a read.
   */
  readonly tips = new Map<string, StreamTip>();
  /** Commands this process claimed for a stream (`commandId\nstreamId`), bounded like the tips; see append.ts. */
  readonly claimedCommands = new Set<string>();
  /** Settles when the write in flight has; see oneWriteAtATime. */
  writeQueue: Promise<void> = Promise.resolve();
  readonly signer: TreeHeadSigner | undefined;
  readonly unsignedGraceMs: number;
  /** The tree the next head grows from; null until the first append with a signer, and after a failure. */
  treeHeads: TreeHeadState | null = null;
  /** Why this store may not sign any more: the log differs from its own signed heads. */
  treeHeadFault: StoreUnavailableError | null = null;
  /**
   * When the fault is an unsigned tail (events no writer signed, beyond the head of this many
   * events): a later, bigger head (an operator's sign-tail) ends it. Null for any other fault.
   */
  unsignedTailAfter: number | null = null;
  /** Ids of events this process stored and has not signed yet: not another writer's. */
  readonly ownUnsigned = new Set<string>();
  /** Settles when the signing in flight has; see oneSigningAtATime. */
  private signQueue: Promise<void> = Promise.resolve();
  closed = false;

  constructor(connectionString: string, options: EsdbStoreOptions = {}) {
    this.description = describeConnection(connectionString);
    // The client parses esdb:// and esdb+discover:// strings itself: hosts, TLS, node preference.
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.clock = options.clock ?? (() => new Date());
    this.appendAttemptsMax = options.appendAttemptsMax ?? 5;
    this.pageSize = options.pageSize ?? 1000;
    // Paging re-reads the last event of a page (reads include their start), so a page must hold more.
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize < 2) throw new Error('pageSize must be an integer of at least 2');
    this.resubscribeAttemptsMax = options.resubscribeAttemptsMax ?? 60;
    this.unavailableRetriesMax = options.unavailableRetriesMax ?? 3;
    this.resubscribeDelayMs = options.resubscribeDelayMs ?? 50;
    this.signer = options.signer;
    this.unsignedGraceMs = options.unsignedGraceMs ?? 5000;
  }

  /** Runs the signing of heads one at a time: they share the tree and the heads stream's revision. */
  async oneSigningAtATime<T>(sign: () => Promise<T>): Promise<T> {
    const previous = this.signQueue;
    let release!: () => void;
    this.signQueue = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await sign();
    } finally {
      release();
    }
  }


  /**
   * Runs an operation again, a bounded number of times, when the server could not be reached or
   * was not the leader: the client replaces its channel after such a failure, so the next call
   * goes to the restarted server or the new leader.
   */
  async retryingUnavailable<T>(operation: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await operation();
      } catch (error) {
        if (!isReconnectable(error) || retry >= this.unavailableRetriesMax || this.closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** retry));
      }
    }
  }
  rememberClaim(claim: string): void {
    this.claimedCommands.add(claim);
    if (this.claimedCommands.size > TIPS_CACHED_MAX) this.claimedCommands.delete(this.claimedCommands.values().next().value!);
  }

  rememberTip(streamId: string, tip: StreamTip): void {
    this.tips.delete(streamId);
    this.tips.set(streamId, tip);
    if (this.tips.size > TIPS_CACHED_MAX) this.tips.delete(this.tips.keys().next().value!);
  }
  /**
   * Runs writes of this process one after another. recordedAt is taken on the client, so two
   * appends in flight at once could reach the log in the other order than their times; one at a
   * time, the log's order is the order of the times. (Writers in other processes are only kept in
   * order by their clocks; EventStoreDB has no lock across streams.)
   */
  async oneWriteAtATime<T>(write: () => Promise<T>): Promise<T> {
    const previous = this.writeQueue;
    let release!: () => void;
    this.writeQueue = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await write();
    } finally {
      release();
    }
  }
  async readHead(streamId: string): Promise<RecordedEvent | undefined> {
    const [head] = await this.readRaw(streamId, END, 1, 'backwards');
    return head;
  }
  /** Reads a stream page; a missing stream is empty. */
  async readRaw(
    streamId: string,
    fromRevision: bigint | typeof END,
    maxCount: number,
    direction: 'forwards' | 'backwards',
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      const reading = this.client.readStream(streamId, {
        fromRevision,
        maxCount,
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        ...ON_LEADER,
      });
      for await (const resolved of reading) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
  async readAllPage(from: Position | typeof START | typeof END, maxCount: number, direction: 'forwards' | 'backwards'): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    const reading = this.client.readAll({ fromPosition: from, maxCount, direction: direction === 'forwards' ? FORWARDS : BACKWARDS, ...ON_LEADER });
    for await (const resolved of reading) page.push(resolved);
    return page;
  }
  assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`${this.description} is closed`);
  }
}

export function toTip(event: RecordedEvent): StreamTip {
  return { revision: event.revision, hash: event.metadata.hash, recordedAt: event.metadata.recordedAt };
}

export function toAppendResult(stored: readonly RecordedEvent[]): AppendResult {
  const last = stored[stored.length - 1]!;
  return { nextExpectedRevision: last.revision, position: last.position, events: stored };
}
