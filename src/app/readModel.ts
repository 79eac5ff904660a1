import type { EventStore, RecordedEvent, Subscription } from '../store/port.js';
import { GRANT_EVENT_TYPES } from '../domain/grant/events.js';
import { BUDGET_EVENT_TYPES, type BudgetKey } from '../domain/budget/events.js';
import { TOKENS_STREAM, TokenIssuedData, type Role } from '../domain/access.js';
import type { GrantFacts } from '../domain/grant/state.js';
import { grantFactsAt } from '../../projections/grantView.js';
import type { BudgetStream } from '../../projections/committeeResults.js';
import type { ProjectedEvent } from '../../projections/clocks.js';

const GRANT_TYPES = new Set<string>(GRANT_EVENT_TYPES);

/** Only what the projections read: hashes, actors and command ids stay in the store. */
function compact(event: RecordedEvent): ProjectedEvent {
  return {
    eventId: event.eventId,
    type: event.type,
    revision: event.revision,
    position: event.position,
    data: event.data,
    metadata: { recordedAt: event.metadata.recordedAt },
  };
}
const BUDGET_TYPES = new Set<string>(BUDGET_EVENT_TYPES);
const BUDGET_STREAM = /^budget-([a-z0-9-]{2,64})-(\d{4})$/;

/** An event that a projection cannot apply: the projection stops rather than skip it. */
export class ProjectionError extends Error {
  override readonly name = 'ProjectionError';
  constructor(readonly event: { streamId: string; position: number; type: string }, reason: string) {
    super(`cannot project ${event.type} at position ${event.position} of ${event.streamId}: ${reason}`);
  }
}

export interface IssuedToken {
  readonly name: string;
  readonly role: Role;
}

/**
 * The in-memory read side: every stream's events (compacted) indexed for the projections, and
 * the token table. Fed in global order by the store's subscription; the same code replays
 * the log from position 0 at start.
 */
export class LedgerReadModel {
  /** The position of the last event applied. */
  position = 0;
  failure: Error | null = null;
  private readonly grants = new Map<string, ProjectedEvent[]>();
  private readonly budgets = new Map<string, { key: BudgetKey; events: ProjectedEvent[] }>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Current facts per grant, folded lazily and dropped when the grant gets a new event. */
  private readonly currentFacts = new Map<string, GrantFacts>();
  private waiters: Array<{ position: number; resolve: () => void; reject: (error: Error) => void }> = [];

  apply(event: RecordedEvent): void {
    if (event.position <= this.position) {
      throw new ProjectionError(event, `positions must increase (last applied ${this.position})`);
    }
    if (event.streamId.startsWith('grant-')) {
      if (!GRANT_TYPES.has(event.type)) throw new ProjectionError(event, 'not a grant event');
      const grantId = event.streamId.slice('grant-'.length);
      const stream = this.grants.get(grantId) ?? [];
      stream.push(compact(event));
      this.grants.set(grantId, stream);
      this.currentFacts.delete(grantId);
    } else if (event.streamId.startsWith('budget-')) {
      const match = BUDGET_STREAM.exec(event.streamId);
      if (!match || !BUDGET_TYPES.has(event.type)) throw new ProjectionError(event, 'not a budget event');
      const entry = this.budgets.get(event.streamId) ?? { key: { committee: match[1]!, fiscalYear: Number(match[2]) }, events: [] };
      entry.events.push(compact(event));
      this.budgets.set(event.streamId, entry);
    } else if (event.streamId === TOKENS_STREAM) {
      const parsed = TokenIssuedData.safeParse(event.data);
      if (event.type !== 'TokenIssued' || !parsed.success) throw new ProjectionError(event, 'not a TokenIssued event');
      this.tokens.set(parsed.data.tokenHash, { name: parsed.data.name, role: parsed.data.role });
    }
    this.position = event.position;
    if (this.waiters.length > 0) this.releaseWaiters();
  }

  fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
  }

  /** Resolves once every event up to the position is applied (read-your-writes after a command). */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
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

  private releaseWaiters(): void {
    const ready = this.waiters.filter((waiter) => waiter.position <= this.position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.position > this.position);
    for (const waiter of ready) waiter.resolve();
  }

  grantStream(grantId: string): readonly ProjectedEvent[] | undefined {
    return this.grants.get(grantId);
  }

  grantStreams(): IterableIterator<readonly ProjectedEvent[]> {
    return this.grants.values();
  }

  grantIds(): IterableIterator<string> {
    return this.grants.keys();
  }

  /** The grant's facts as they stand now (no asOf, no knownAt), cached until it changes. */
  currentGrantFacts(grantId: string): GrantFacts | undefined {
    const cached = this.currentFacts.get(grantId);
    if (cached) return cached;
    const stream = this.grants.get(grantId);
    if (!stream) return undefined;
    const facts = grantFactsAt(stream, {});
    this.currentFacts.set(grantId, facts);
    return facts;
  }

  budgetStream(streamId: string): BudgetStream | undefined {
    return this.budgets.get(streamId);
  }

  budgetStreams(): IterableIterator<BudgetStream> {
    return this.budgets.values();
  }

  token(tokenHash: string): IssuedToken | undefined {
    return this.tokens.get(tokenHash);
  }

  hasTokenWithRole(role: Role): boolean {
    for (const token of this.tokens.values()) if (token.role === role) return true;
    return false;
  }

}

/** Feeds a read model from the store: catch up from its position, then follow live. */
export function followStore(store: EventStore, readModel: LedgerReadModel): Subscription {
  const subscription = store.subscribeToAll({ after: readModel.position }, (event) => readModel.apply(event));
  subscription.done.catch((error: unknown) => readModel.fail(error instanceof Error ? error : new Error(String(error))));
  return subscription;
}
