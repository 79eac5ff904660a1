import type { Entry } from '../domain/history.js';
import { eventIdFor } from './ids.js';
import { KeyedMutex } from './keyedMutex.js';
import { ContentionError, IdempotencyKeyReusedError, StaleRevisionError } from './errors.js';
import {
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type EventStore,
  type RecordedEvent,
} from '../store/port.js';

/** Who asks, and how the request identifies itself. */
export interface CommandContext {
  readonly actor: string;
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
}

/**
 * Load, decide, append with the revision the decision was made on. Without If-Match, a lost race
 * is retried on the fresh state, so parallel writers never over-allocate nor see a spurious
 * conflict; with If-Match, a moved stream is refused.
 */
export class CommandHandler {
  private readonly mutex = new KeyedMutex();
  private readonly maxAttempts: number;

  constructor(private readonly store: EventStore, options: CommandHandlerOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 20;
  }

  handle<Command, Event, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command | ((state: State) => Command),
    context: CommandContext,
  ): Promise<CommandOutcome> {
    return this.mutex.run(streamId, () => this.attempt(streamId, decider, command, context));
  }

  private async attempt<Command, Event, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command | ((state: State) => Command),
    context: CommandContext,
  ): Promise<CommandOutcome> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const stored: RecordedEvent[] = [];
      let state = decider.initialState;
      for await (const event of this.store.readStream(streamId)) {
        stored.push(event);
        state = decider.evolve(state, { eventId: event.eventId, event: decider.toDomainEvent(event) });
      }
      const earlier = stored.filter((event) => event.metadata.commandId === context.commandId);
      if (earlier.length > 0) return this.replay(earlier, context);

      const revision = stored.length === 0 ? null : stored[stored.length - 1]!.revision;
      if (context.expectedRevision !== undefined && context.expectedRevision !== revision) {
        throw new StaleRevisionError(streamId, context.expectedRevision, revision);
      }
      const decided = decider.decide(typeof command === 'function' ? (command as (s: State) => Command)(state) : command, state);
      const metadata = {
        actor: context.actor,
        commandId: context.commandId,
        correlationId: context.correlationId,
        ...(context.requestHash === undefined ? {} : { requestHash: context.requestHash }),
      };
      const events = decided.map((event, index) => {
        const { type, data } = event as { type: string; data: unknown };
        return { eventId: eventIdFor(context.commandId, index), type, data, metadata };
      });
      try {
        const result = await this.store.appendToStream(streamId, events, {
          expectedRevision: revision === null ? 'no_stream' : revision,
        });
        return { events: result.events, revision: result.nextExpectedRevision, position: result.position, replayed: false };
      } catch (error) {
        if (error instanceof DuplicateEventIdError) throw new IdempotencyKeyReusedError(context.commandId);
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (context.expectedRevision !== undefined) {
          throw new StaleRevisionError(streamId, context.expectedRevision, typeof error.actualRevision === 'number' ? error.actualRevision : null);
        }
        // Another process wrote first: decide again on what it wrote.
      }
    }
    throw new ContentionError(streamId, this.maxAttempts);
  }

  private replay(earlier: RecordedEvent[], context: CommandContext): CommandOutcome {
    const first = earlier[0]!;
    if (first.metadata.requestHash !== context.requestHash) throw new IdempotencyKeyReusedError(context.commandId);
    const last = earlier[earlier.length - 1]!;
    return { events: earlier, revision: last.revision, position: last.position, replayed: true };
  }
}
