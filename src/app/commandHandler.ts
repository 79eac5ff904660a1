import type { Entry } from '../domain/history.js';
import { commandEventIdFor } from './ids.js';
import { currentSchemaVersion } from '../domain/storedEvent.js';
import { KeyedMutex } from './keyedMutex.js';
import { ContentionError, IdempotencyKeyReusedError, StaleRevisionError } from './errors.js';
import {
  DuplicateEventIdError,
  readStreamToArray,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type RecordedEvent,
} from '../store/port.js';

/** Who asks, and how the request identifies itself. */
export interface CommandContext {
  readonly actor: string;
  /** The token that asks (its id), or "system" / "cli": written into every event's metadata, under its hash. */
  readonly tokenId: string;
  /** The Idempotency-Key, or a fresh uuid. */
  readonly commandId: string;
  readonly correlationId: string;
  /** SHA-256 of the request; a key reused with another request is refused. */
  readonly requestHash?: string;
  /** The If-Match revision: the command is refused (412) unless the stream is exactly there. */
  readonly expectedRevision?: number;
}

/** A decider as the handler needs it: pure functions over one stream's state. */
export interface Decider<Command, Event, State> {
  readonly initialState: State;
  readonly evolve: (state: State, entry: Entry<Event>) => State;
  readonly decide: (command: Command, state: State) => Event[];
  /** Turns a stored event back into a domain event; throws on one this decider cannot apply. */
  readonly toDomainEvent: (event: RecordedEvent) => Event;
}

export interface CommandOutcome {
  /** The events the command caused: newly appended, or found from its first execution. */
  readonly events: readonly RecordedEvent[];
  readonly revision: number;
  readonly position: number;
  /** True when this was a repeat of a command already executed (Idempotency-Key). */
  readonly replayed: boolean;
}

export interface CommandHandlerOptions {
  /** Attempts when another process wins the race for a stream. @defaultValue 20 */
  readonly maxAttempts?: number;
  /** Streams whose folded state is kept between commands. @defaultValue 10000 */
  readonly cachedStreams?: number;
}

/**
 * A stream's state as of a revision, with the events of each command in it (for idempotency).
 * Only a shortcut: a command decides on it and appends with the revision it decided on, so when
 * another process wrote meanwhile the append is refused, the tail is read, and the command is
 * decided again. If-Match and Idempotency-Keys are never judged on it alone (see attempt).
 */
interface CachedStream<State> {
  readonly revision: number | null;
  readonly state: State;
  /**
   * Where each command's events are in the stream, not the events themselves: the read model
   * already holds every event, and a second copy here cost memory for every event of every cached
   * stream (found by the soak). A repeated command reads its events back from the store.
   */
  readonly byCommand: Map<string, CommandSpan>;
}

interface CommandSpan {
  readonly fromRevision: number;
  count: number;
}

/**
 * Load, decide, append with the revision the decision was made on. Without If-Match, a lost race
 * is retried on the fresh state, so parallel writers never over-allocate nor see a spurious
 * conflict; with If-Match, a moved stream is refused.
 */
export class CommandHandler {
  private readonly mutex = new KeyedMutex();
  private readonly maxAttempts: number;
  private readonly cachedStreams: number;
  /** Insertion-ordered, so the oldest entry is evicted first (least recently decided on). */
  private readonly cache = new Map<string, CachedStream<unknown>>();

  constructor(private readonly store: EventStore, options: CommandHandlerOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 20;
    this.cachedStreams = options.cachedStreams ?? 10_000;
  }

  handle<Command, Event, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command | ((state: State) => Command),
    context: CommandContext,
  ): Promise<CommandOutcome> {
    return this.mutex.run(streamId, () => this.attempt(streamId, decider, command, context));
  }

  /**
   * The stream's state to decide on: the cached one, or (first use, or after a refused append)
   * brought up to the store's latest revision.
   */
  private load<Event, State>(streamId: string, decider: Decider<unknown, Event, State>, readTail: boolean): CachedStream<State> | Promise<CachedStream<State>> {
    const cached = this.cache.get(streamId) as CachedStream<State> | undefined;
    // A cached stream is answered at once: no promise of its own for every command.
    if (cached && !readTail) return cached;
    return this.readTail(streamId, decider, cached);
  }

  private async readTail<Event, State>(streamId: string, decider: Decider<unknown, Event, State>, cached: CachedStream<State> | undefined): Promise<CachedStream<State>> {
    const stored: RecordedEvent[] = [];
    for await (const event of this.store.readStream(streamId, { fromRevision: cached?.revision == null ? 0 : cached.revision + 1 })) {
      stored.push(event);
    }
    return this.advance(streamId, decider, cached, stored);
  }

  /** Folds events that follow a cached state (or start a stream) into a new cache entry. */
  private advance<Event, State>(
    streamId: string,
    decider: Decider<unknown, Event, State>,
    cached: CachedStream<State> | undefined,
    events: readonly RecordedEvent[],
    /** The domain events just decided, when `events` are exactly what they were stored as. */
    decided?: readonly Event[],
  ): CachedStream<State> {
    let revision = cached?.revision ?? null;
    let state = cached?.state ?? decider.initialState;
    // The entry is owned by this handler and used under the stream's lock, so it grows in place.
    const byCommand = cached?.byCommand ?? new Map<string, CommandSpan>();
    for (const [index, event] of events.entries()) {
      state = decider.evolve(state, { eventId: event.eventId, event: decided?.[index] ?? decider.toDomainEvent(event) });
      const ofCommand = byCommand.get(event.metadata.commandId);
      if (ofCommand) ofCommand.count += 1;
      else byCommand.set(event.metadata.commandId, { fromRevision: event.revision, count: 1 });
      revision = event.revision;
    }
    const entry = { revision, state, byCommand };
    this.remember(streamId, entry);
    return entry;
  }

  private remember(streamId: string, entry: CachedStream<unknown>): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, entry);
    if (this.cache.size > this.cachedStreams) this.cache.delete(this.cache.keys().next().value!);
  }

  private async attempt<Command, Event, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command | ((state: State) => Command),
    context: CommandContext,
  ): Promise<CommandOutcome> {
    // A cached state may trail what other processes wrote. It is decided on as it is (the append's
    // expected revision catches a stale one), but nothing is refused or replayed on it alone:
    // If-Match and the Idempotency-Key are judged on the stream as stored.
    let fresh = false;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const loading = this.load(streamId, decider as Decider<unknown, Event, State>, fresh);
      const loaded = loading instanceof Promise ? await loading : loading;
      const { revision, state, byCommand } = loaded;
      const earlier = byCommand.get(context.commandId);
      if (earlier !== undefined) return this.replay(await readStreamToArray(this.store, streamId, { fromRevision: earlier.fromRevision, maxCount: earlier.count }), context);

      if (context.expectedRevision !== undefined && context.expectedRevision !== revision) {
        if (!fresh) {
          fresh = true;
          continue;
        }
        throw new StaleRevisionError(streamId, context.expectedRevision, revision);
      }
      const decided = decider.decide(typeof command === 'function' ? (command as (s: State) => Command)(state) : command, state);
      const metadata = {
        actor: context.actor,
        commandId: context.commandId,
        correlationId: context.correlationId,
        tokenId: context.tokenId,
        ...(context.requestHash === undefined ? {} : { requestHash: context.requestHash }),
      };
      const events = decided.map((event, index) => {
        const { type, data } = event as { type: string; data: unknown };
        return { eventId: commandEventIdFor(context.commandId, streamId, index), type, data, metadata: { ...metadata, schemaVersion: currentSchemaVersion(type) } };
      });
      let result: AppendResult;
      try {
        result = await this.store.appendToStream(streamId, events, {
          expectedRevision: revision === null ? 'no_stream' : revision,
        });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) {
          this.cache.delete(streamId);
          if (error instanceof DuplicateEventIdError) throw new IdempotencyKeyReusedError(context.commandId);
          throw error;
        }
        // The stream moved: read what was written, then replay, refuse If-Match, or decide again.
        fresh = true;
        continue;
      }
      // Event ids derive from the Idempotency-Key, so the store may answer with an earlier append
      // of the same key: the same request is a repeat, another one is a reused key.
      if (result.events[0]?.metadata.requestHash !== context.requestHash) {
        this.cache.delete(streamId);
        throw new IdempotencyKeyReusedError(context.commandId);
      }
      if (result.events[0]?.revision === (revision ?? -1) + 1) {
        // Events this append stored carry the very data objects decided (a repeat's were read back
        // from the store): the decided events are evolved as they are, without decoding them again.
        const stored = result.events.length === events.length && result.events.every((event, index) => event.data === events[index]!.data && event.type === events[index]!.type);
        this.advance(streamId, decider as Decider<unknown, Event, State>, loaded, result.events, stored ? decided : undefined);
      } else {
        this.cache.delete(streamId);
      }
      return { events: result.events, revision: result.nextExpectedRevision, position: result.position, replayed: false };
    }
    throw new ContentionError(streamId, this.maxAttempts);
  }

  private replay(earlier: readonly RecordedEvent[], context: CommandContext): CommandOutcome {
    const first = earlier[0]!;
    if (first.metadata.requestHash !== context.requestHash) throw new IdempotencyKeyReusedError(context.commandId);
    const last = earlier[earlier.length - 1]!;
    return { events: earlier, revision: last.revision, position: last.position, replayed: true };
  }
}
