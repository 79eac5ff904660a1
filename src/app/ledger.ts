import { StoreUnavailableError, type EventStore, type RecordedEvent, type Subscription } from '../store/port.js';
import { grantStreamName } from '../domain/grant/events.js';
import type { GrantCommand } from '../domain/grant/commands.js';
import { budgetStreamName, type BudgetKey } from '../domain/budget/events.js';
import type { BudgetCommand } from '../domain/budget/commands.js';
import { dateOfMoment, type IsoDate } from '../domain/dates.js';
import { formatMoney, ZERO, type Money } from '../domain/money.js';
import { TOKENS_STREAM } from '../domain/access.js';
import { TokenRegistry, type Authentication } from './tokens.js';
import { CommandHandler, type CommandContext, type CommandOutcome } from './commandHandler.js';
import { budgetDeciderWith, grantDeciderWith } from './deciders.js';
import { KeyedReadWriteLock } from './keyedMutex.js';
import { followStore, LedgerReadModel } from './readModel.js';
import { verifyLog, type LogReport } from './audit.js';
import type { SignedTreeHead } from '../store/treeHeads.js';
import { grantViewOf, type GrantView } from '../../projections/grantView.js';
import { unusedGrantRowOf, unusedGrantsReport, type ReportableGrant, type UnusedGrantsFilter, type UnusedGrantsReport } from '../../projections/unusedGrants.js';
import { addRevenue, committeeResultsOf, revenueKeyOf, type CommitteeResultRow } from '../../projections/committeeResults.js';
import { viewDateOf, type Clocks } from '../../projections/clocks.js';

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

export { hashToken, newToken } from './tokens.js';

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
  private memo: { position: number; reports: Map<string, unknown> } = { position: -1, reports: new Map() };
  /** Per committee: entries take it shared, closing or reopening a year exclusive. */
  private readonly periods = new KeyedReadWriteLock();
  /** The last store fault a command met; cleared when a later write succeeds. */
  private storeFault: StoreUnavailableError | null = null;

  /** Bearer tokens: issue, list, revoke, authenticate. */
  readonly tokens: TokenRegistry;

  constructor(readonly store: EventStore, options: LedgerOptions = {}) {
    this.handler = new CommandHandler(store);
    this.clock = options.clock ?? (() => new Date());
    this.tokens = new TokenRegistry(store, this.readModel, this.clock, async (events, expectedRevision) => {
      const result = await this.watchingStore(this.store.appendToStream(TOKENS_STREAM, events, { expectedRevision }));
      await this.readModel.waitFor(result.position);
      return result.position;
    });
  }

  /**
   * Replays the log into the read model and follows the store from there. Where the store signs
   * tree heads, the log must match its latest signed head: one changed behind the ledger's back
   * (an inserted admin token, a removed event) stops the read model, so nothing is answered from
   * it and /health says why, until an operator has examined it.
   */
  async start(): Promise<void> {
    this.subscription = followStore(this.store, this.readModel);
    await this.catchUp();
    if (this.store.signer) {
      const report = await this.verify();
      if (report.treeHead && !report.treeHead.ok) this.readModel.fail(new Error(`the log does not match its signed tree head: ${report.treeHead.detail}`));
    }
  }

  private verifying: { position: number; report: Promise<LogReport> } | null = null;
  private verified: { position: number; report: LogReport } | null = null;

  /**
   * verify over the whole log: one at a time (a caller shares a running one that covers as much
   * as it would), and the result kept for the log position it covered, so repeating it costs
   * nothing until the log grows.
   */
  async verify(): Promise<LogReport> {
    for (;;) {
      const position = await this.store.headPosition();
      if (this.verified && this.verified.position >= position) return this.verified.report;
      const running = this.verifying;
      if (running && running.position >= position) return running.report;
      if (running) {
        await running.report.catch(() => undefined);
        continue;
      }
      const report = verifyLog(this.store).then((result) => {
        this.verified = { position, report: result };
        return result;
      });
      const entry = { position, report };
      this.verifying = entry;
      const clear = () => {
        if (this.verifying === entry) this.verifying = null;
      };
      report.then(clear, clear);
      return report;
    }
  }

  async latestTreeHead(): Promise<SignedTreeHead | null> {
    return (await this.store.latestTreeHead?.()) ?? null;
  }

  /** /health for anyone: up or not, from what is known already, without probing or locking the store. */
  quickStatus(): 'ok' | 'failing' {
    return this.readModel.failure || this.storeFault ? 'failing' : 'ok';
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

  /**
   * A stopped read model means the log holds an event the ledger cannot account for: new entries
   * wait until it is repaired, and are refused before anything is decided or written.
   */
  async executeGrant(grantId: string, command: GrantCommand, context: CommandContext): Promise<CommandOutcome> {
    this.readModel.assertRunning();
    const committees = this.committeesOf(grantId, command);
    return this.periods.sharedAll(committees, async () =>
      this.settled(await this.watchingStore(this.handler.handle(grantStreamName(grantId), grantDeciderWith(this.readModel), command, context))),
    );
  }

  /** The committees whose periods a grant command touches: its own, and the one it moves to. */
  private committeesOf(grantId: string, command: GrantCommand): string[] {
    if (command.type === 'ReceiveGrant') return [command.data.committee];
    const committee = this.readModel.grantCommittee(grantId);
    const movedTo = command.type === 'AmendGrant' ? command.data.committee : undefined;
    return [committee, movedTo].filter((name): name is string => name !== undefined);
  }

  /**
   * Closing a year, or reopening it by reversing its closing, takes the committee's periods
   * exclusively: no entry of the committee is decided meanwhile in this process.
   */
  async executeBudget(key: BudgetKey, command: BudgetCommand, context: CommandContext): Promise<CommandOutcome> {
    this.readModel.assertRunning();
    const run = async () =>
      this.settled(await this.watchingStore(this.handler.handle(budgetStreamName(key), budgetDeciderWith(this.readModel), command, context)));
    return command.type === 'ReverseEntry' || command.type === 'CloseFiscalYear' ? this.periods.exclusive(key.committee, run) : this.periods.shared(key.committee, run);
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
    const closeData = data.carriedForward === undefined ? { closedOn: data.closedOn } : { closedOn: data.closedOn, carriedForward: data.carriedForward };
    this.readModel.assertRunning();
    return this.periods.exclusive(key.committee, async () => {
      await this.catchUp();
      const revenue = new Map<string, Money>();
      for (const grantId of this.readModel.grantIdsOfCommittee(key.committee)) addRevenue(revenue, this.readModel.grantRevenue(grantId, {}));
      const yearRevenue = revenue.get(revenueKeyOf(key.committee, key.fiscalYear)) ?? ZERO;
      const command: BudgetCommand = { type: 'CloseFiscalYear', budget: key, data: closeData, grantRevenue: formatMoney(yearRevenue) };
      return this.settled(await this.watchingStore(this.handler.handle(budgetStreamName(key), budgetDeciderWith(this.readModel), command, context)));
    });
  }

  /** The identity behind a bearer token, or why it is refused (unknown, expired, revoked, unsigned). */
  authenticate(token: string): Promise<Authentication> {
    return this.tokens.authenticate(token);
  }

  /**
   * Waits until the read model shows the command's events, so the caller reads its own write.
   * The events are durable already: if the read model is slow or has stopped (health says so),
   * the command still succeeded, and answering otherwise would invite a duplicate retry.
   */
  private async settled(outcome: CommandOutcome): Promise<CommandOutcome> {
    try {
      await this.readModel.waitFor(outcome.position);
    } catch {
      // Reported by /health (a stopped projection) or transient (a slow catch-up).
    }
    return outcome;
  }

  // Queries

  grant(grantId: string, clocks: Clocks): { view: GrantView; revision: number } | null {
    this.readModel.assertRunning();
    const stream = this.readModel.grantStream(grantId);
    const facts = this.readModel.grantFacts(grantId, clocks);
    const view = facts ? grantViewOf(facts, viewDateOf(clocks, this.today())) : null;
    return stream && view ? { view, revision: stream[stream.length - 1]!.revision } : null;
  }

  /** A grant's events with their full metadata, read from the store (the read model keeps less). */
  async grantEvents(grantId: string): Promise<readonly RecordedEvent[] | undefined> {
    this.readModel.assertRunning();
    if (!this.readModel.grantStream(grantId)) return undefined;
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readStream(grantStreamName(grantId))) events.push(event);
    return events;
  }

  unusedGrants(filter: UnusedGrantsFilter, clocks: Clocks): UnusedGrantsReport {
    this.readModel.assertRunning();
    const today = this.today();
    const viewDate = viewDateOf(clocks, today);
    const current = clocks.asOf === undefined && clocks.knownAt === undefined;
    const compute = () => {
      const grantIds = filter.committee === undefined ? this.readModel.grantIds() : this.readModel.grantIdsOfCommittee(filter.committee);
      const rows: ReportableGrant[] = [];
      for (const grantId of grantIds) {
        const row = current ? this.readModel.currentGrantRow(grantId, viewDate) : this.historicalRow(grantId, clocks, viewDate);
        if (row) rows.push(row);
      }
      return unusedGrantsReport(rows, filter, viewDate);
    };
    return current ? this.memoised(`unused-grants ${viewDate} ${JSON.stringify(filter)}`, compute) : compute();
  }

  private historicalRow(grantId: string, clocks: Clocks, viewDate: IsoDate): ReportableGrant | null {
    const facts = this.readModel.grantFacts(grantId, clocks);
    return facts ? unusedGrantRowOf(facts, viewDate) : null;
  }

  committeeResults(filter: { committee?: string }, clocks: Clocks): { rows: CommitteeResultRow[] } {
    this.readModel.assertRunning();
    const viewDate = viewDateOf(clocks, this.today());
    const current = clocks.asOf === undefined && clocks.knownAt === undefined;
    const compute = () => {
      const revenue = new Map<string, Money>();
      const grantIds = filter.committee === undefined ? this.readModel.grantIds() : this.readModel.grantIdsOfCommittee(filter.committee);
      for (const grantId of grantIds) addRevenue(revenue, this.readModel.grantRevenue(grantId, clocks));
      return committeeResultsOf(this.readModel.budgetsIn(clocks, filter.committee), revenue, viewDate, filter);
    };
    return current ? this.memoised(`committee-results ${viewDate} ${JSON.stringify(filter)}`, compute) : compute();
  }

  /**
   * Reports of the current view, kept until the read model moves on: reading far outnumbers
   * writing, and a report of 10 000 grants is cheap to keep and dear to redo on every request.
   */
  private memoised<T>(key: string, compute: () => T): T {
    if (this.memo.position !== this.readModel.position) this.memo = { position: this.readModel.position, reports: new Map() };
    if (this.memo.reports.has(key)) return this.memo.reports.get(key) as T;
    const report = compute();
    if (this.memo.reports.size >= 256) this.memo.reports.clear();
    this.memo.reports.set(key, report);
    return report;
  }

  budget(key: BudgetKey, clocks: Clocks): { row: CommitteeResultRow; revision: number } | null {
    this.readModel.assertRunning();
    const stream = this.readModel.budgetStream(budgetStreamName(key));
    if (!stream) return null;
    const row = this.committeeResults({ committee: key.committee }, clocks).rows.find((candidate) => candidate.fiscalYear === key.fiscalYear);
    return row ? { row, revision: stream.events[stream.events.length - 1]!.revision } : null;
  }
}
