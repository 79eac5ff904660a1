import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import { ChainVerifier, describeChainFailure, GENESIS_HASH, hashOf } from '../hashChain.js';
import {
  ImportRefusedError,
  StoreUnavailableError,
  WrongExpectedVersionError,
  type AppendResult,
  type EventHandler,
  type EventStore,
  type ExpectedRevision,
  type ImportOptions,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type RecordedMetadata,
  type SubscribeOptions,
  type Subscription,
} from '../port.js';
import { isReconnectable, isTransientForSubscription, translateClientError } from './clientErrors.js';
import { isLedgerEvent, portPosition, resumePosition, toRecordedEvent } from './ledgerEvents.js';

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
}

/**
 * Event ids: EventStoreDB recognises a re-sent event id only inside its stream, at the revision an
 * append names. That is all the ledger needs: its command handler derives every event id from the
 * command and the stream (app/ids.ts), so one id can never be meant for two streams, and it always
 * appends at the exact revision it decided on, so a re-sent append is recognised by the server. (Up
 * to issue 13 each id was first claimed in a `$grantledger-event-id-<id>` stream of its own: one more
 * append per event, and write rights on `$` streams, which only admins have by default.)
 */

/** Streams whose last known event an adapter keeps (about 200 bytes each). */
const TIPS_CACHED_MAX = 10_000;

/** A stream's last event as far as an append needs it: where to chain and what time to follow. */
interface StreamTip {
  readonly revision: number;
  readonly hash: string;
  readonly recordedAt: string;
}

/** Where an append goes: the event it chains to (null for a new stream). */
interface AppendTarget {
  readonly tip: StreamTip | null;
}

/** Raised inside a subscription when the handler threw, so it is not mistaken for a dropped connection. */
class HandlerFailure extends Error {
  constructor(readonly original: unknown) {
    super('subscription handler failed');
  }
}

/**
 * Every call goes to the leader. A follower would forward appends but answer reads from its own,
 * possibly older, copy; an append chained to a stale read is refused and an `any` append would
 * retry on the same stale head. With `requiresLeader` a follower answers NotLeader instead, naming
 * the leader, and the client reconnects there (the retry in retryingUnavailable).
 */
const ON_LEADER = { requiresLeader: true } as const;

/** Strips user name and password from a connection string so it can be logged. */
function describeConnection(connectionString: string): string {
  return connectionString.replace(/^(esdb(?:\+discover)?:\/\/)[^@/]*@/, '$1');
}

/**
 * The production event store on EventStoreDB (client 6.2.1, servers 20.6.1 and later). The adapter
 * computes recordedAt and the hash chain itself, as the SQLite store does, and always appends with
 * the exact revision it chained to, so that the server's revision check protects the chain and its
 * idempotency check (which is exact only with an exact revision) recognises a re-sent append.
 */
export class EsdbEventStore implements EventStore {
  readonly description: string;
  private readonly client: EventStoreDBClient;
  private readonly clock: () => Date;
  private readonly appendAttemptsMax: number;
  private readonly pageSize: number;
  private readonly resubscribeAttemptsMax: number;
  private readonly unavailableRetriesMax: number;
  private readonly resubscribeDelayMs: number;
  private readonly subscriptions = new Set<{ stop(): Promise<void> }>();
  /** The latest recordedAt this process wrote, so its own appends never go back in time. */
  private lastRecordedAt = '';
  /**
   * The last event this process wrote or read per stream (a bounded number of streams). An event
   * at a revision never changes, so an append expecting exactly that revision chains to it without
   * reading it again; if the stream moved on meanwhile, the server refuses the append (or
   * recognises it as re-sent), as it would after a read.
   */
  private readonly tips = new Map<string, StreamTip>();
  /** Settles when the write in flight has; see oneWriteAtATime. */
  private writeQueue: Promise<void> = Promise.resolve();
  private closed = false;

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
  }

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('an append needs at least one event');
    if (new Set(events.map((event) => event.eventId)).size !== events.length) throw new Error('an append must not repeat an event id');
    this.assertOpen();
    const expected = options.expectedRevision;
    try {
      return await this.retryingUnavailable(() => this.appendOnce(streamId, events, expected));
    } catch (error) {
      throw translateClientError(error, this.description, { streamId, expected });
    }
  }

  /**
   * One append: chain to the expected event, then write with that exact revision, so the server
   * both protects the chain and recognises a re-sent append. `any` and `stream_exists` name no
   * revision, so losing a race to another writer only means reading the new head and trying
   * again, a bounded number of times.
   */
  private async appendOnce(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      const target = await this.resolveTarget(streamId, expected, events);
      if ('stored' in target) return target.stored;
      try {
        return await this.write(streamId, events, target);
      } catch (error) {
        const retriable = expected === 'any' || expected === 'stream_exists';
        if (error instanceof ClientWrongExpectedVersionError && retriable && attempt < this.appendAttemptsMax) continue;
        throw error;
      }
    }
  }

  /**
   * Runs an operation again, a bounded number of times, when the server could not be reached or
   * was not the leader: the client replaces its channel after such a failure, so the next call
   * goes to the restarted server or the new leader.
   */
  private async retryingUnavailable<T>(operation: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await operation();
      } catch (error) {
        if (!isReconnectable(error) || retry >= this.unavailableRetriesMax || this.closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** retry));
      }
    }
  }

  /**
   * Reads the event the append chains to, refusing early what the server would refuse. With `any`
   * or `stream_exists` the head is read as deep as the append is long, in the same round trip: when
   * the stream ends with exactly these event ids, this very append was stored before (a retry after
   * a lost answer) and its stored events are the answer, as the SQLite store answers.
   */
  private async resolveTarget(streamId: string, expected: ExpectedRevision, events: readonly NewEvent[]): Promise<AppendTarget | { stored: AppendResult }> {
    if (expected === 'no_stream') return { tip: null };
    if (typeof expected === 'number') {
      const known = this.tips.get(streamId);
      if (known?.revision === expected) return { tip: known };
      const [atExpected] = await this.readRaw(streamId, BigInt(expected), 1, 'forwards');
      if (atExpected && atExpected.revision === expected) return { tip: toTip(atExpected) };
      const head = await this.readHead(streamId);
      if (head && head.revision === expected) return { tip: toTip(head) };
      throw new WrongExpectedVersionError(streamId, expected, head ? head.revision : 'no_stream');
    }
    const tail = (await this.readRaw(streamId, END, events.length, 'backwards')).reverse();
    const head = tail[tail.length - 1];
    if (!head && expected === 'stream_exists') throw new WrongExpectedVersionError(streamId, expected, 'no_stream');
    if (tail.length === events.length && tail.every((event, index) => event.eventId === events[index]!.eventId)) return { stored: toAppendResult(tail) };
    return { tip: head ? toTip(head) : null };
  }

  private async write(streamId: string, events: readonly NewEvent[], target: AppendTarget): Promise<AppendResult> {
    const firstRevision = target.tip ? target.tip.revision + 1 : 0;
    await this.oneWriteAtATime(() => this.sendStamped(streamId, events, target, firstRevision));
    // Read the events back rather than trusting what was sent: when the server recognised a
    // re-sent append it wrote nothing, and the stored events carry the first attempt's time and hashes.
    const stored = await this.readRaw(streamId, BigInt(firstRevision), events.length, 'forwards');
    const matches = stored.length === events.length && stored.every((event, index) => event.eventId === events[index]!.eventId);
    if (!matches) throw new Error(`append to ${streamId} succeeded but revisions ${firstRevision}.. do not hold its events`);
    this.rememberTip(streamId, toTip(stored[stored.length - 1]!));
    return toAppendResult(stored);
  }

  private rememberTip(streamId: string, tip: StreamTip): void {
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
  private async oneWriteAtATime<T>(write: () => Promise<T>): Promise<T> {
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

  /** Stamps the events with recordedAt and the hash chain and sends them at the exact revision. */
  private async sendStamped(streamId: string, events: readonly NewEvent[], target: AppendTarget, firstRevision: number): Promise<void> {
    // recordedAt never decreases along a stream nor along this process's appends, even if the
    // clock steps back, so "known at a moment" cuts the log at one place.
    const now = this.clock().toISOString();
    const recordedAt = [now, target.tip?.recordedAt ?? '', this.lastRecordedAt].reduce((latest, time) => (time > latest ? time : latest));
    let prevHash = target.tip ? target.tip.hash : GENESIS_HASH;
    const proposed = events.map((event, index) => {
      const revision = firstRevision + index;
      const chained = { ...event.metadata, recordedAt, prevHash };
      const hash = hashOf({ streamId, revision, eventId: event.eventId, type: event.type, data: event.data, metadata: chained });
      const metadata: RecordedMetadata = { ...chained, hash };
      prevHash = hash;
      // The port's data is any JSON value; the client's type only names objects, arrays and strings.
      return jsonEvent({ id: event.eventId, type: event.type, data: event.data as Record<string, unknown>, metadata: { ...metadata } });
    });
    await this.client.appendToStream(streamId, proposed, {
      expectedRevision: target.tip ? BigInt(target.tip.revision) : NO_STREAM,
      ...ON_LEADER,
    });
    if (recordedAt > this.lastRecordedAt) this.lastRecordedAt = recordedAt;
  }

  /**
   * Loads events recorded elsewhere (grantledger copy) into this store, which must hold no ledger
   * event: ids, revisions, recordedAt and hashes are written as they are, each event at its exact
   * revision (so the server refuses a stream that is not where the export left it). EventStoreDB cannot roll a batch back,
   * so every event is checked against its stream's chain before it is written, and a refused load
   * leaves a partial target that the copy refuses to reuse; callers verify the source first.
   */
  async importRecorded(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: ImportOptions = {}): Promise<number> {
    this.assertOpen();
    if ((await this.headPosition()) !== 0) throw new ImportRefusedError(`${this.description} already holds events`);
    const verifier = new ChainVerifier();
    let lastRecordedAt = '';
    let count = 0;
    try {
      for await (const event of events) {
        const failure = verifier.check(event);
        if (failure) throw new ImportRefusedError(describeChainFailure(failure));
        // Written as recorded: every field the hash covers, and nothing undefined.
        const metadata = JSON.parse(JSON.stringify(event.metadata)) as Record<string, unknown>;
        await this.retryingUnavailable(() =>
          this.client.appendToStream(event.streamId, jsonEvent({ id: event.eventId, type: event.type, data: event.data as Record<string, unknown>, metadata }), {
            expectedRevision: event.revision === 0 ? NO_STREAM : BigInt(event.revision - 1),
            ...ON_LEADER,
          }),
        );
        lastRecordedAt = event.metadata.recordedAt;
        count += 1;
        if (count % 500 === 0) options.onProgress?.(count);
      }
    } catch (error) {
      if (error instanceof ImportRefusedError) throw error;
      throw translateClientError(error, this.description, { streamId: '(import)', expected: 'any' });
    }
    if (lastRecordedAt > this.lastRecordedAt) this.lastRecordedAt = lastRecordedAt;
    options.onProgress?.(count);
    return count;
  }

  private async readHead(streamId: string): Promise<RecordedEvent | undefined> {
    const [head] = await this.readRaw(streamId, END, 1, 'backwards');
    return head;
  }

  /** Reads a stream page; a missing stream is empty. */
  private async readRaw(
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

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    let from = options.fromRevision ?? 0;
    let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    while (left > 0) {
      const want = Math.min(this.pageSize, left);
      let page: RecordedEvent[];
      try {
        page = await this.retryingUnavailable(() => this.readRaw(streamId, BigInt(from), want, 'forwards'));
      } catch (error) {
        throw translateClientError(error, this.description);
      }
      yield* page;
      if (page.length < want) return;
      left -= page.length;
      from = page[page.length - 1]!.revision + 1;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    let after = options.after ?? 0;
    let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    let from: Position | typeof START = options.after === undefined ? START : resumePosition(options.after);
    while (left > 0) {
      let page: AllStreamResolvedEvent[];
      try {
        const pageFrom: Position | typeof START = from;
        page = await this.retryingUnavailable(() => this.readAllPage(pageFrom, this.pageSize, 'forwards'));
      } catch (error) {
        throw translateClientError(error, this.description);
      }
      for (const resolved of page) {
        if (!isLedgerEvent(resolved)) continue;
        const recorded = toRecordedEvent(resolved);
        if (!recorded || recorded.position <= after) continue;
        yield recorded;
        after = recorded.position;
        left -= 1;
        if (left === 0) return;
      }
      if (page.length < this.pageSize) return;
      // Continue from the last raw event's full position; it is read again and dropped above.
      const lastPosition = page[page.length - 1]!.event?.position;
      if (!lastPosition) return;
      from = lastPosition;
    }
  }

  private async readAllPage(from: Position | typeof START | typeof END, maxCount: number, direction: 'forwards' | 'backwards'): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    const reading = this.client.readAll({ fromPosition: from, maxCount, direction: direction === 'forwards' ? FORWARDS : BACKWARDS, ...ON_LEADER });
    for await (const resolved of reading) page.push(resolved);
    return page;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    // The newest ledger event may sit behind system events (statistics, scavenges), so read
    // backwards page by page; a limit keeps a log of nothing but system events from looping long.
    const pagesMax = 1000;
    let from: Position | typeof END = END;
    try {
      for (let pageIndex = 0; pageIndex < pagesMax; pageIndex += 1) {
        const pageFrom: Position | typeof END = from;
        const page: AllStreamResolvedEvent[] = await this.retryingUnavailable(() => this.readAllPage(pageFrom, this.pageSize, 'backwards'));
        for (const resolved of page) {
          const event = resolved.event;
          if (event && isLedgerEvent(resolved)) return portPosition(event.position, event.id);
        }
        const oldest: Position | undefined = page[page.length - 1]?.event?.position;
        if (page.length < this.pageSize || !oldest) return 0;
        from = oldest;
      }
    } catch (error) {
      throw translateClientError(error, this.description);
    }
    throw new StoreUnavailableError(`${this.description}: no ledger event among the last ${pagesMax * this.pageSize} events of $all`);
  }

  subscribeToAll(options: SubscribeOptions, handler: EventHandler): Subscription {
    this.assertOpen();
    let after = options.after ?? 0;
    let from: Position | typeof START = options.after === undefined ? START : resumePosition(options.after);
    let stopped = false;
    let current: ReturnType<EventStoreDBClient['subscribeToAll']> | null = null;
    let wakeFromPause: (() => void) | null = null;

    const runOnce = async (): Promise<void> => {
      const subscription = this.client.subscribeToAll({ fromPosition: from, filter: excludeSystemEvents(), ...ON_LEADER });
      current = subscription;
      try {
        await deliver(subscription);
      } finally {
        // End the gRPC call whatever ended the iteration (a handler error, a drop, stop()).
        await subscription.unsubscribe().catch(() => undefined);
      }
    };

    const deliver = async (subscription: ReturnType<EventStoreDBClient['subscribeToAll']>): Promise<void> => {
      for await (const resolved of subscription) {
        if (stopped) return;
        const event = resolved.event;
        if (!event || !isLedgerEvent(resolved)) continue;
        const recorded = toRecordedEvent(resolved);
        // Start positions are exclusive, and after a resubscription nothing is delivered twice.
        if (!recorded || recorded.position <= after) continue;
        try {
          await handler(recorded);
        } catch (error) {
          throw new HandlerFailure(error);
        }
        after = recorded.position;
        from = event.position;
      }
    };

    const loop = async (): Promise<void> => {
      let failedAttempts = 0;
      while (!stopped && !this.closed) {
        const deliveredBefore = after;
        try {
          await runOnce();
          // The server ended the subscription without an error: treat it as a dropped connection.
        } catch (error) {
          if (stopped || this.closed) return;
          if (error instanceof HandlerFailure) throw error.original;
          if (!isTransientForSubscription(error)) throw translateClientError(error, this.description);
        } finally {
          current = null;
        }
        if (stopped || this.closed) return;
        failedAttempts = after === deliveredBefore ? failedAttempts + 1 : 1;
        if (failedAttempts > this.resubscribeAttemptsMax) {
          throw new StoreUnavailableError(`${this.description}: subscription dropped ${failedAttempts} times in a row`);
        }
        const delayMs = Math.min(2000, this.resubscribeDelayMs * 2 ** Math.min(failedAttempts - 1, 6));
        // stop() ends the pause at once rather than waiting for the next attempt.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          wakeFromPause = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeFromPause = null;
      }
    };

    const done = loop();
    done.catch(() => undefined); // the caller observes failures through `done`
    const handle = {
      stop: async () => {
        stopped = true;
        (wakeFromPause as (() => void) | null)?.();
        const subscription = current as ReturnType<EventStoreDBClient['subscribeToAll']> | null;
        if (subscription) {
          await subscription.unsubscribe();
          // Cancelling on the client ends the gRPC call quietly; end the iteration too.
          subscription.destroy();
        }
        await done.catch(() => undefined);
        this.subscriptions.delete(handle);
      },
    };
    this.subscriptions.add(handle);
    return { done, stop: handle.stop };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.closed = true;
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`${this.description} is closed`);
  }
}

function toTip(event: RecordedEvent): StreamTip {
  return { revision: event.revision, hash: event.metadata.hash, recordedAt: event.metadata.recordedAt };
}

function toAppendResult(stored: readonly RecordedEvent[]): AppendResult {
  const last = stored[stored.length - 1]!;
  return { nextExpectedRevision: last.revision, position: last.position, events: stored };
}
