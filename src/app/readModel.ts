import type { EventStore, RecordedEvent, Subscription } from '../store/port.js';
import { GrantEvent } from '../domain/grant/events.js';
import { BudgetEvent, type BudgetKey } from '../domain/budget/events.js';
import { TOKENS_STREAM, TokenIssuedData, type Role } from '../domain/access.js';
import type { GrantFacts } from '../domain/grant/state.js';
import { grantFactsAt } from '../../projections/grantView.js';
import { grantRevenueByCommitteeYear, type BudgetStream } from '../../projections/committeeResults.js';
import type { Money } from '../domain/money.js';

const BUDGET_STREAM = /^budget-([a-z0-9-]{2,64})-(\d{4})$/;

/**
 * What the projections need of an event to apply it: its data fits its type, and what it refers
 * to is there before it (the grant for every later event, the allocation for a release or a
 * spending, the reversed event for a reversal). The folds skip what they cannot place, so an event
 * failing this would silently vanish from every report; the read model stops on it instead.
 */
function unfitness(
  event: RecordedEvent,
  schema: typeof GrantEvent | typeof BudgetEvent,
  earlier: readonly RecordedEvent[],
  allocations: ReadonlySet<string> | undefined,
): string | null {
  const parsed = schema.safeParse({ type: event.type, data: event.data });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `its data does not fit ${event.type} (${issue ? `${issue.path.join('.') || 'type'}: ${issue.message}` : 'invalid'})`;
  }
  if (allocations !== undefined) {
    if ((event.type === 'GrantReceived') !== (earlier.length === 0)) return 'a grant stream starts with GrantReceived, and only there';
    const allocationId = (event.data as { allocationId?: string }).allocationId;
    if ((event.type === 'FundsSpent' || event.type === 'AllocationReleased') && !allocations.has(allocationId!)) {
      return `allocation ${allocationId} is not on this grant`;
    }
  }
  if (event.type === 'EntryReversed') {
    const reversed = (event.data as { reversedEventId: string }).reversedEventId;
    if (!earlier.some((candidate) => candidate.eventId === reversed)) return `the reversed event ${reversed} is not earlier in this stream`;
  }
  return null;
}

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

export interface IssuedToken {
  readonly name: string;
  readonly role: Role;
}

/**
 * The in-memory read side: every stream's events indexed for the projections, the token table
 * and the command index. Fed in global order by the store's subscription; the same code replays
 * the log from position 0 at start.
 */
export class LedgerReadModel {
  /** The position of the last event applied. */
  position = 0;
  failure: Error | null = null;
  private readonly grants = new Map<string, RecordedEvent[]>();
  /** Allocation ids per grant, so a spending or release on an unknown one is caught on arrival. */
  private readonly allocationIds = new Map<string, Set<string>>();
  private readonly budgets = new Map<string, { key: BudgetKey; events: RecordedEvent[] }>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly commands = new Map<string, { streamId: string; requestHash: string | undefined }>();
  /** Current facts per grant, folded lazily and dropped when the grant gets a new event. */
  private readonly currentFacts = new Map<string, GrantFacts>();
  /** Current grant revenue per grant (committee/year → amount), folded lazily like the facts. */
  private readonly currentRevenue = new Map<string, ReadonlyMap<string, Money>>();
  private waiters: Array<{ position: number; resolve: () => void; reject: (error: Error) => void }> = [];

  apply(event: RecordedEvent): void {
    if (event.position <= this.position) {
      throw new ProjectionError(event, `positions must increase (last applied ${this.position})`);
    }
    if (event.streamId.startsWith('grant-')) {
      const grantId = event.streamId.slice('grant-'.length);
      const stream = this.grants.get(grantId) ?? [];
      const allocations = this.allocationIds.get(grantId) ?? new Set<string>();
      const unfit = unfitness(event, GrantEvent, stream, allocations);
      if (unfit !== null) throw new ProjectionError(event, unfit);
      if (event.type === 'FundsAllocated') allocations.add((event.data as { allocationId: string }).allocationId);
      this.allocationIds.set(grantId, allocations);
      stream.push(event);
      this.grants.set(grantId, stream);
      this.currentFacts.delete(grantId);
      this.currentRevenue.delete(grantId);
    } else if (event.streamId.startsWith('budget-')) {
      const match = BUDGET_STREAM.exec(event.streamId);
      if (!match) throw new ProjectionError(event, 'not a budget stream name');
      const entry = this.budgets.get(event.streamId) ?? { key: { committee: match[1]!, fiscalYear: Number(match[2]) }, events: [] };
      const unfit = unfitness(event, BudgetEvent, entry.events, undefined);
      if (unfit !== null) throw new ProjectionError(event, unfit);
      entry.events.push(event);
      this.budgets.set(event.streamId, entry);
    } else if (event.streamId === TOKENS_STREAM) {
      const parsed = TokenIssuedData.safeParse(event.data);
      if (event.type !== 'TokenIssued' || !parsed.success) throw new ProjectionError(event, 'not a TokenIssued event');
      this.tokens.set(parsed.data.tokenHash, { name: parsed.data.name, role: parsed.data.role });
    }
    if (!this.commands.has(event.metadata.commandId)) {
      this.commands.set(event.metadata.commandId, { streamId: event.streamId, requestHash: event.metadata.requestHash });
    }
    this.position = event.position;
    if (this.waiters.length > 0) this.releaseWaiters();
  }

  /** Queries refuse to answer from a stopped read model: its reports would silently be stale. */
  assertRunning(): void {
    if (this.failure) throw new ReadModelStoppedError(this.failure);
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

  private releaseWaiters(): void {
    const ready = this.waiters.filter((waiter) => waiter.position <= this.position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.position > this.position);
    for (const waiter of ready) waiter.resolve();
  }

  grantStream(grantId: string): readonly RecordedEvent[] | undefined {
    return this.grants.get(grantId);
  }

  grantStreams(): IterableIterator<readonly RecordedEvent[]> {
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

  /** The grant's contribution to each committee's grant revenue as it stands now, cached until it changes. */
  currentGrantRevenue(grantId: string): ReadonlyMap<string, Money> {
    const cached = this.currentRevenue.get(grantId);
    if (cached) return cached;
    const stream = this.grants.get(grantId);
    const revenue = stream ? grantRevenueByCommitteeYear([stream], {}) : new Map<string, Money>();
    this.currentRevenue.set(grantId, revenue);
    return revenue;
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

  command(commandId: string): { streamId: string; requestHash: string | undefined } | undefined {
    return this.commands.get(commandId);
  }
}

/** Feeds a read model from the store: catch up from its position, then follow live. */
export function followStore(store: EventStore, readModel: LedgerReadModel): Subscription {
  const subscription = store.subscribeToAll({ after: readModel.position }, (event) => readModel.apply(event));
  subscription.done.catch((error: unknown) => readModel.fail(error instanceof Error ? error : new Error(String(error))));
  return subscription;
}
