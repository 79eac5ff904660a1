import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { StoreUnavailableError, type EventStore, type RecordedEvent, type Subscription } from '../store/port.js';
import { grantStreamName } from '../domain/grant/events.js';
import type { GrantCommand } from '../domain/grant/commands.js';
import { budgetStreamName, type BudgetKey } from '../domain/budget/events.js';
import type { BudgetCommand } from '../domain/budget/commands.js';
import { dateOfMoment, type IsoDate } from '../domain/dates.js';
import { formatMoney, ZERO, type Money } from '../domain/money.js';
import { TOKENS_STREAM, type Role, type TokenIssuedData } from '../domain/access.js';
import { CommandHandler, type CommandContext, type CommandOutcome } from './commandHandler.js';
import { budgetDecider, grantDecider } from './deciders.js';
import { followStore, LedgerReadModel, type IssuedToken } from './readModel.js';
import { grantView, grantViewOf, type GrantView } from '../../projections/grantView.js';
import { unusedGrantsReport, type UnusedGrantsFilter, type UnusedGrantsReport } from '../../projections/unusedGrants.js';
import { committeeResultsReport, type CommitteeResultRow } from '../../projections/committeeResults.js';
import type { Clocks } from '../../projections/clocks.js';

/** What /health shows: the read model and the store, each with its problem in words. */
export interface LedgerHealth {
  readonly status: 'ok' | 'failing';
  readonly store: string;
  readonly position: number;
  /** The projection stopped on an event it cannot apply. */
  readonly problem?: string;
  /** The store refuses writes: read-only, missing, full, locked. */
  readonly storeProblem?: string;
}

export interface LedgerOptions {
  readonly clock?: () => Date;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A bearer token: 32 random bytes, prefixed so a leaked one is recognisable in a scan. */
export function newToken(): string {
  return `glt_${randomBytes(32).toString('base64url')}`;
}

/**
 * The application layer: commands go through the deciders to the store; queries read the
 * projections. Every command waits until the read model has seen its events, so a client reads
 * its own writes.
 */
export class Ledger {
  readonly readModel = new LedgerReadModel();
  private readonly handler: CommandHandler;
  private readonly clock: () => Date;
  private subscription: Subscription | null = null;
  /** The last store fault a command met; cleared when a later write succeeds. */
  private storeFault: StoreUnavailableError | null = null;

  constructor(readonly store: EventStore, options: LedgerOptions = {}) {
    this.handler = new CommandHandler(store);
    this.clock = options.clock ?? (() => new Date());
  }

  /** Replays the log into the read model and follows the store from there. */
  async start(): Promise<void> {
    this.subscription = followStore(this.store, this.readModel);
    await this.catchUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }

  /** Waits until the read model holds everything the store holds now. */
  async catchUp(): Promise<void> {
    await this.readModel.waitFor(await this.store.headPosition(), 60_000);
  }

  today(): IsoDate {
    return dateOfMoment(this.clock());
  }

  // Commands

  async executeGrant(grantId: string, command: GrantCommand, context: CommandContext): Promise<CommandOutcome> {
    return this.settled(await this.watchingStore(this.handler.handle(grantStreamName(grantId), grantDecider, command, context)));
  }

  async executeBudget(key: BudgetKey, command: BudgetCommand, context: CommandContext): Promise<CommandOutcome> {
    return this.settled(await this.watchingStore(this.handler.handle(budgetStreamName(key), budgetDecider, command, context)));
  }

  /** Remembers a store fault for /health until a write gets through again. */
  private async watchingStore<T>(work: Promise<T>): Promise<T> {
    try {
      const result = await work;
      this.storeFault = null;
      return result;
    } catch (error) {
      if (error instanceof StoreUnavailableError) this.storeFault = error;
      throw error;
    }
  }

  /** The read model's and the store's state; the store is probed when it can be. */
  async health(): Promise<LedgerHealth> {
    let storeProblem: string | undefined;
    try {
      if (this.store.probeWritable) await this.store.probeWritable();
      else if (this.storeFault) throw this.storeFault;
    } catch (error) {
      storeProblem = error instanceof Error ? error.message : String(error);
    }
    const failure = this.readModel.failure;
    return {
      status: failure || storeProblem !== undefined ? 'failing' : 'ok',
      store: this.store.description,
      position: this.readModel.position,
      ...(failure ? { problem: failure.message } : {}),
      ...(storeProblem !== undefined ? { storeProblem } : {}),
    };
  }

  /**
   * Closing a year needs the committee's grant revenue, which lives in the grant streams: read it
   * from the read model, caught up with the store, and hand it to the pure decider.
   */
  async closeFiscalYear(key: BudgetKey, data: { closedOn: string; carriedForward?: string | undefined }, context: CommandContext): Promise<CommandOutcome> {
    await this.catchUp();
    const revenue = this.currentRevenue().get(`${key.committee}/${key.fiscalYear}`) ?? ZERO;
    const closeData = data.carriedForward === undefined ? { closedOn: data.closedOn } : { closedOn: data.closedOn, carriedForward: data.carriedForward };
    return this.executeBudget(key, { type: 'CloseFiscalYear', budget: key, data: closeData, grantRevenue: formatMoney(revenue) }, context);
  }

  async issueToken(name: string, role: Role, actor: string): Promise<{ name: string; role: Role; token: string }> {
    const token = newToken();
    await this.recordToken({ name, role, tokenHash: hashToken(token) }, actor);
    return { name, role, token };
  }

  /** Registers a token chosen outside the ledger (LEDGER_ADMIN_TOKEN), once. */
  async ensureToken(name: string, role: Role, token: string, actor: string): Promise<boolean> {
    await this.catchUp();
    const tokenHash = hashToken(token);
    if (this.readModel.token(tokenHash)) return false;
    await this.recordToken({ name, role, tokenHash }, actor);
    return true;
  }

  private async recordToken(data: TokenIssuedData, actor: string): Promise<void> {
    const commandId = randomUUID();
    const result = await this.watchingStore(this.store.appendToStream(
      TOKENS_STREAM,
      [{ eventId: randomUUID(), type: 'TokenIssued', data, metadata: { actor, commandId, correlationId: commandId } }],
      { expectedRevision: 'any' },
    ));
    await this.readModel.waitFor(result.position);
  }

  authenticate(token: string): IssuedToken | undefined {
    return this.readModel.token(hashToken(token));
  }

  private async settled(outcome: CommandOutcome): Promise<CommandOutcome> {
    await this.readModel.waitFor(outcome.position);
    return outcome;
  }

  // Queries

  grant(grantId: string, clocks: Clocks): { view: GrantView; revision: number } | null {
    this.readModel.assertRunning();
    const stream = this.readModel.grantStream(grantId);
    if (!stream) return null;
    const current = clocks.asOf === undefined && clocks.knownAt === undefined;
    const facts = current ? this.readModel.currentGrantFacts(grantId) : undefined;
    const view = facts ? grantViewOf(facts, this.today()) : grantView(stream, clocks, this.today());
    return view ? { view, revision: stream[stream.length - 1]!.revision } : null;
  }

  grantEvents(grantId: string): readonly RecordedEvent[] | undefined {
    this.readModel.assertRunning();
    return this.readModel.grantStream(grantId);
  }

  unusedGrants(filter: UnusedGrantsFilter, clocks: Clocks): UnusedGrantsReport {
    this.readModel.assertRunning();
    const current = clocks.asOf === undefined && clocks.knownAt === undefined;
    const today = this.today();
    const views: GrantView[] = [];
    for (const grantId of this.readModel.grantIds()) {
      const view = current
        ? grantViewOf(this.readModel.currentGrantFacts(grantId)!, today)
        : grantView(this.readModel.grantStream(grantId)!, clocks, today);
      if (view) views.push(view);
    }
    return unusedGrantsReport(views, filter);
  }

  committeeResults(filter: { committee?: string }, clocks: Clocks): { rows: CommitteeResultRow[] } {
    this.readModel.assertRunning();
    const current = clocks.asOf === undefined && clocks.knownAt === undefined;
    return committeeResultsReport(this.readModel.budgetStreams(), this.readModel.grantStreams(), clocks, filter, current ? this.currentRevenue() : undefined);
  }

  /**
   * Grant revenue per committee and year as it stands now, summed from each grant's cached share:
   * folding every grant stream on each request made the report slower as the log grew (soak).
   */
  private currentRevenue(): Map<string, Money> {
    const totals = new Map<string, Money>();
    for (const grantId of this.readModel.grantIds()) {
      for (const [key, amount] of this.readModel.currentGrantRevenue(grantId)) totals.set(key, (totals.get(key) ?? ZERO).plus(amount));
    }
    return totals;
  }

  budget(key: BudgetKey, clocks: Clocks): { row: CommitteeResultRow; revision: number } | null {
    this.readModel.assertRunning();
    const stream = this.readModel.budgetStream(budgetStreamName(key));
    if (!stream) return null;
    const { rows } = committeeResultsReport(
      [...this.readModel.budgetStreams()].filter((budget) => budget.key.committee === key.committee && budget.key.fiscalYear <= key.fiscalYear),
      this.readModel.grantStreams(),
      clocks,
      {},
      clocks.asOf === undefined && clocks.knownAt === undefined ? this.currentRevenue() : undefined,
    );
    const row = rows.find((candidate) => candidate.fiscalYear === key.fiscalYear);
    return row ? { row, revision: stream.events[stream.events.length - 1]!.revision } : null;
  }
}
