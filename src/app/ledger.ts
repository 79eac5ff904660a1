import type { ActivitiesReport } from '../../projections/activities.js';
import type { EventStore, RecordedEvent, Subscription } from '../store/port.js';
import type { GrantCommand } from '../domain/grant/commands.js';
import type { BudgetKey } from '../domain/budget/events.js';
import type { BudgetCommand } from '../domain/budget/commands.js';
import { dateOfMoment, type IsoDate } from '../domain/dates.js';
import type { LogDigest } from '../domain/merkle.js';
import type { TokenRegistry, Authentication } from './tokens.js';
import type { CommandContext, CommandOutcome } from './commandHandler.js';
import { followStore, LedgerReadModel } from './readModel/index.js';
import { loadSnapshot, removeUnfinishedSnapshots, writeSnapshot } from './readModel/snapshotFile.js';
import { checkDigest, findEvents, logDigest, verifyLog, type DigestCheck, type LogReport } from './audit.js';
import type { EventFilter } from '../store/port.js';
import type { SignedTreeHead, TreeHeadSigner } from '../store/treeHeads.js';
import type { GrantView } from '../../projections/grantView.js';
import type { UnusedGrantsFilter, UnusedGrantsReport } from '../../projections/unusedGrants.js';
import type { BudgetInView, CommitteeResultRow } from '../../projections/committeeResults.js';
import type { EarlyWarningReport, EarlyWarningRow } from '../../projections/earlyWarning.js';
import type { Clocks } from '../../projections/clocks.js';
import { LedgerCommands } from './ledger/commands.js';
import { LedgerQueries, type GrantList, type GrantListFilter } from './ledger/queries.js';
import { tokenRegistryOf } from './ledger/tokenWiring.js';

export type { GrantList, GrantListFilter } from './ledger/queries.js';

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
  /**
   * Where the read model is saved (see ./readModel/snapshotFile.ts): loaded at start so only the
   * tail of the log is folded, written in the background as the log grows and at stop. None by
   * default; the server puts it beside the store.
   */
  readonly snapshotPath?: string | null;
  /** Operational messages (a snapshot loaded or ignored, and why). @defaultValue stderr */
  readonly log?: (message: string) => void;
  /** Events after the last snapshot that make the background writer save a new one. @defaultValue 10 000 */
  readonly snapshotEveryEvents?: number;
}

/** How often the background writer looks whether a snapshot is due. */
const SNAPSHOT_CHECK_MS = 5_000;
/** Fewer new events than snapshotEveryEvents are saved too, once this old. */
const SNAPSHOT_MAX_AGE_MS = 10 * 60_000;

export { hashToken, newToken } from './tokens.js';

/**
 * The application layer: commands (./ledger/commands.ts) go through the deciders to the store;
 * queries (./ledger/queries.ts, the one owner of every cache) read the projections; tokens
 * (./ledger/tokenWiring.ts). Every command waits until the read model has seen its events, so a
 * client reads its own writes. Routes call the ledger only, never its read model or store.
 */
export class Ledger {
  readonly readModel = new LedgerReadModel();
  private readonly clock: () => Date;
  private subscription: Subscription | null = null;
  private readonly commands: LedgerCommands;
  readonly queries: LedgerQueries;

  /** Bearer tokens: issue, list, revoke, authenticate. */
  readonly tokens: TokenRegistry;

  private readonly snapshotPath: string | null;
  private readonly snapshotEveryEvents: number;
  private readonly log: (message: string) => void;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotWriting: Promise<void> | null = null;
  private snapshotSaved = { position: 0, at: Date.now() };

  constructor(readonly store: EventStore, options: LedgerOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.snapshotPath = options.snapshotPath ?? null;
    this.snapshotEveryEvents = options.snapshotEveryEvents ?? 10_000;
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
    this.commands = new LedgerCommands(store, this.readModel, () => this.catchUp());
    this.queries = new LedgerQueries(this.readModel, store, () => this.today());
    this.tokens = tokenRegistryOf(store, this.readModel, this.commands, this.clock);
  }

  /**
   * Replays the log into the read model and follows the store from there. Where the store signs
   * tree heads, the log must match its latest signed head: one changed behind the ledger's back
   * (an inserted admin token, a removed event) stops the read model, so nothing is answered from
   * it and /health says why, until an operator has examined it.
   */
  async start(): Promise<void> {
    if (this.snapshotPath !== null) await this.loadSnapshot(this.snapshotPath);
    this.subscription = followStore(this.store, this.readModel);
    await this.catchUp();
    if (this.snapshotPath !== null) {
      if (this.readModel.grants.unread > 0) this.warmUp();
      this.snapshotTimer = setInterval(() => void this.saveSnapshotIfDue(), SNAPSHOT_CHECK_MS);
      this.snapshotTimer.unref();
    }
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

  /** The key that signs tree heads, if the store signs them. */
  get signer(): TreeHeadSigner | undefined {
    return this.store.signer;
  }

  /** A page of the log in global order, all of it or filtered (actor, moments, type). */
  async events(filter: EventFilter | null, page: { after: number; limit: number }): Promise<RecordedEvent[]> {
    if (filter !== null) return findEvents(this.store, filter, page);
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readAll({ after: page.after, maxCount: page.limit })) events.push(event);
    return events;
  }

  /** The digest (Merkle tree head) of the whole log. */
  digest(): Promise<LogDigest | null> {
    return logDigest(this.store);
  }

  /** Whether the log still holds exactly the prefix a digest describes. */
  checkDigest(claimed: LogDigest): Promise<DigestCheck> {
    return checkDigest(this.store, claimed);
  }

  /** /health for anyone: up or not, from what is known already, without probing or locking the store. */
  quickStatus(): 'ok' | 'failing' {
    return this.readModel.failure || this.commands.storeFault ? 'failing' : 'ok';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.stop();
    this.subscription = null;
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    this.snapshotTimer = null;
    await this.snapshotWriting;
    if (this.snapshotPath !== null && !this.readModel.failure && this.readModel.position !== this.snapshotSaved.position) await this.saveSnapshot();
  }

  private async loadSnapshot(path: string): Promise<void> {
    await removeUnfinishedSnapshots(path);
    const loaded = await loadSnapshot(path, this.store);
    if (loaded.kind === 'ignored') this.log(`grantledger: the read-model snapshot ${path} is ignored, the read model is rebuilt from the log: ${loaded.reason}`);
    if (loaded.kind !== 'loaded') return;
    this.readModel.adopt(loaded.readModel);
    this.snapshotSaved = { position: loaded.position, at: Date.now() };
    this.log(`grantledger: loaded the read-model snapshot ${path} at position ${loaded.position} in ${loaded.seconds.toFixed(2)} s; folding the log after it`);
  }

  /**
   * A grant loaded from a snapshot keeps its events unread until asked for; here they are read a
   * few at a time in the background, so the first report after a start need not read them all.
   */
  private warmUp(): void {
    const step = () => {
      if (this.stopping) return;
      if (this.readModel.grants.warmUp(100) > 0) setImmediate(step);
    };
    setImmediate(step);
  }

  private stopping = false;

  /** Saves the read model when enough happened since the last snapshot; one write at a time. */
  private async saveSnapshotIfDue(): Promise<void> {
    if (this.snapshotWriting || this.readModel.failure) return;
    const fresh = this.readModel.position - this.snapshotSaved.position;
    if (fresh <= 0) return;
    if (fresh < this.snapshotEveryEvents && Date.now() - this.snapshotSaved.at < SNAPSHOT_MAX_AGE_MS) return;
    await this.saveSnapshot();
  }

  /** Writes a snapshot now (waiting for one under way first); a failed write is logged, never thrown at a command. */
  async saveSnapshot(): Promise<void> {
    if (this.snapshotPath === null) return;
    await this.snapshotWriting;
    const path = this.snapshotPath;
    const writing = writeSnapshot(this.readModel, path).then(
      (checkpoint) => {
        this.snapshotSaved = { position: checkpoint.position, at: Date.now() };
      },
      (error: unknown) => this.log(`grantledger: could not write the read-model snapshot ${path}: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.snapshotWriting = writing;
    try {
      await writing;
    } finally {
      if (this.snapshotWriting === writing) this.snapshotWriting = null;
    }
  }

  /** Waits until the read model holds everything the store holds now. */
  async catchUp(): Promise<void> {
    await this.readModel.waitFor(await this.store.headPosition(), 60_000);
  }

  today(): IsoDate {
    return dateOfMoment(this.clock());
  }

  /** The read model's and the store's state; the store is probed when it can be. */
  async health(): Promise<LedgerHealth> {
    let storeProblem: string | undefined;
    try {
      if (this.store.probeWritable) await this.store.probeWritable();
      else if (this.commands.storeFault) throw this.commands.storeFault;
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

  /** The identity behind a bearer token, or why it is refused (unknown, expired, revoked, unsigned). */
  authenticate(token: string): Promise<Authentication> {
    return this.tokens.authenticate(token);
  }

  // Commands

  executeGrant(grantId: string, command: GrantCommand, context: CommandContext): Promise<CommandOutcome> {
    return this.commands.executeGrant(grantId, command, context);
  }

  executeBudget(key: BudgetKey, command: BudgetCommand, context: CommandContext): Promise<CommandOutcome> {
    return this.commands.executeBudget(key, command, context);
  }

  closeFiscalYear(key: BudgetKey, data: { closedOn: string; carriedForward?: string | undefined }, context: CommandContext): Promise<CommandOutcome> {
    return this.commands.closeFiscalYear(key, data, context);
  }

  // Queries

  grant(grantId: string, clocks: Clocks): { view: GrantView; revision: number } | null {
    return this.queries.grant(grantId, clocks);
  }

  grantExists(grantId: string): boolean {
    return this.queries.grantExists(grantId);
  }

  grantEvents(grantId: string): Promise<readonly RecordedEvent[] | undefined> {
    return this.queries.grantEvents(grantId);
  }

  unusedGrants(filter: UnusedGrantsFilter, clocks: Clocks): UnusedGrantsReport {
    return this.queries.unusedGrants(filter, clocks);
  }

  committeeResults(filter: { committee?: string }, clocks: Clocks): { rows: CommitteeResultRow[] } {
    return this.queries.committeeResults(filter, clocks);
  }

  budget(key: BudgetKey, clocks: Clocks): { row: CommitteeResultRow; revision: number } | null {
    return this.queries.budget(key, clocks);
  }

  budgetsIn(clocks: Clocks, committee?: string): BudgetInView[] {
    return this.queries.budgetsIn(clocks, committee);
  }

  grantList(filter: GrantListFilter, clocks: Clocks): GrantList {
    return this.queries.grantList(filter, clocks);
  }

  earlyWarningRow(grantId: string, clocks: Clocks): EarlyWarningRow | null {
    return this.queries.earlyWarningRow(grantId, clocks);
  }

  earlyWarning(committee: string, clocks: Clocks): EarlyWarningReport {
    return this.queries.earlyWarning(committee, clocks);
  }

  activities(committee: string, year: number, clocks: Clocks): ActivitiesReport {
    return this.queries.activities(committee, year, clocks);
  }
}
