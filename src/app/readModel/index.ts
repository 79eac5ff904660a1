import type { EventStore, RecordedEvent, Subscription } from '../../store/port.js';
import type { Role } from '../../domain/access.js';
import type { IsoDate } from '../../domain/dates.js';
import type { Ore } from '../../domain/money.js';
import type { GrantFacts } from '../../domain/grant/state.js';
import type { GrantSummary } from '../../../projections/grantView.js';
import type { BudgetInView, BudgetStream } from '../../../projections/committeeResults.js';
import type { Clocks, GrantStreamEvent } from '../../../projections/clocks.js';
import { ReadModelCore, type LogCheckpoint } from './core.js';
import { GrantProjection, type GrantWalk, type GrantIndexLine, type GrantSnapshotEntry, type UnreadEvents } from './grantProjection.js';
import { BudgetProjection } from './budgetProjection.js';
import { TokenProjection, type TokenProjectionSnapshot, type TokenRecord } from './tokenProjection.js';

export { ProjectionError, ReadModelStoppedError, type LogCheckpoint } from './core.js';
export type { IssuedToken, TokenRecord } from './tokenProjection.js';
export type { Coverage } from './streams.js';
export type { GrantIndexLine, GrantSnapshotEntry, GrantWalk, UnreadEvents } from './grantProjection.js';

/**
 * The projection code's version: raise it whenever what the projections keep, or how they fold,
 * changes. A snapshot of another version is never loaded; the read model is rebuilt from the log.
 */
export const PROJECTION_VERSION = 2; // 2: events are kept decoded (upcast to their current shape)

/**
 * The read model as a snapshot keeps it, taken at one position: the small parts whole, and one
 * line per stream, each made only when the writer asks for it.
 */
export interface ReadModelSnapshot {
  readonly projectionVersion: number;
  readonly checkpoint: LogCheckpoint;
  readonly tokens: TokenProjectionSnapshot;
  readonly grantLines: Array<() => GrantSnapshotEntry | null>;
  readonly budgetLines: Array<() => string | null>;
}

/** What a snapshot file gives back: the small parts, and the lines of each stream type. */
export interface ReadModelSnapshotLines {
  readonly checkpoint: LogCheckpoint;
  readonly tokens: TokenProjectionSnapshot;
  readonly grants: ReadonlyArray<readonly [GrantIndexLine, UnreadEvents]>;
  readonly budgetLines: readonly string[];
}

/**
 * The in-memory read side: one projection per stream type (grants, budgets, tokens) and a core
 * that tracks the position and the waiters. Fed in global order by the store's subscription;
 * the same code replays the log from position 0, or from a snapshot's checkpoint, at start.
 */
export class LedgerReadModel {
  readonly core = new ReadModelCore();
  private grantProjection = new GrantProjection();
  private budgetProjection = new BudgetProjection();
  private tokenProjection = new TokenProjection();
  /** Counts the read models adopted: a cache keyed by position alone would outlive a swap at the same position. */
  generation = 0;

  get grants(): GrantProjection {
    return this.grantProjection;
  }

  get budgets(): BudgetProjection {
    return this.budgetProjection;
  }

  get tokenTable(): TokenProjection {
    return this.tokenProjection;
  }

  /**
   * Takes over another read model's projections and position at once (one loaded from a
   * snapshot, or rebuilt in the background), keeping this one's waiters: whoever holds this read
   * model sees the other's figures from the next call on.
   */
  adopt(other: LedgerReadModel): void {
    if (other.position < this.position) throw new Error(`cannot adopt a read model at ${other.position}, behind this one at ${this.position}`);
    this.grantProjection = other.grantProjection;
    this.budgetProjection = other.budgetProjection;
    this.tokenProjection = other.tokenProjection;
    this.generation += 1;
    this.core.restore(other.core.checkpoint());
    this.core.releaseWaiters();
  }

  /**
   * A stopped read model takes over another's projections and position and runs again: the
   * ledger's way back once an unsigned tail is signed (the other was built from the log in the
   * pass that verified it against the signed head). The other may stand behind this one, whose
   * events beyond it were never verified: the store's subscription brings them again.
   */
  resumeWith(other: LedgerReadModel): void {
    if (!this.core.failure) throw new Error('only a stopped read model resumes with another');
    this.grantProjection = other.grantProjection;
    this.budgetProjection = other.budgetProjection;
    this.tokenProjection = other.tokenProjection;
    this.generation += 1;
    this.core.resume(other.core.checkpoint());
  }

  /** The position of the last event applied. */
  get position(): number {
    return this.core.position;
  }

  /** How many events were applied: the log's size as far as the read model has seen it. */
  get eventsApplied(): number {
    return this.core.eventsApplied;
  }

  /** The revision of the tokens stream's last event, null before the first: token writes append at it. */
  get tokensRevision(): number | null {
    return this.tokenTable.revision;
  }

  get failure(): Error | null {
    return this.core.failure;
  }

  apply(event: RecordedEvent): void {
    this.core.check(event);
    if (GrantProjection.handles(event.streamId)) this.grants.apply(event);
    else if (BudgetProjection.handles(event.streamId)) this.budgets.apply(event);
    else if (TokenProjection.handles(event.streamId)) this.tokenTable.apply(event, this.core.eventsApplied);
    this.core.advance(event);
  }

  snapshot(): ReadModelSnapshot {
    const checkpoint = this.core.checkpoint();
    return {
      projectionVersion: PROJECTION_VERSION,
      checkpoint,
      tokens: this.tokenTable.snapshot(),
      grantLines: this.grants.snapshotLines(checkpoint.position),
      budgetLines: this.budgets.snapshotLines(checkpoint.position),
    };
  }

  /** A read model that starts where a snapshot ends (its version and checkpoint checked by the caller). */
  static fromSnapshot(snapshot: ReadModelSnapshotLines): LedgerReadModel {
    const readModel = new LedgerReadModel();
    for (const [index, events] of snapshot.grants) readModel.grantProjection.restore(index, events);
    for (const line of snapshot.budgetLines) readModel.budgetProjection.restoreLine(line);
    readModel.tokenProjection.restore(snapshot.tokens);
    readModel.core.restore(snapshot.checkpoint);
    return readModel;
  }

  assertRunning(): void {
    this.core.assertRunning();
  }

  fail(error: Error): void {
    this.core.fail(error);
  }

  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    return this.core.waitFor(position, timeoutMs);
  }

  // Grants

  grantStream(grantId: string): readonly GrantStreamEvent[] | undefined {
    return this.grants.stream(grantId);
  }

  grantStreams(): IterableIterator<readonly GrantStreamEvent[]> {
    return this.grants.streams();
  }

  grantIds(): IterableIterator<string> {
    return this.grants.ids();
  }

  grantIdsOfCommittee(committee: string): Iterable<string> {
    return this.grants.idsOfCommittee(committee);
  }

  grantCommittee(grantId: string): string | undefined {
    return this.grants.committeeOf(grantId);
  }

  currentGrantFacts(grantId: string): GrantFacts | undefined {
    return this.grants.currentFacts(grantId);
  }

  grantFacts(grantId: string, clocks: Clocks): GrantFacts | null {
    return this.grants.facts(grantId, clocks);
  }

  currentGrantRow(grantId: string, viewDate: IsoDate): GrantSummary | null {
    return this.grants.currentRow(grantId, viewDate);
  }

  /** Every grant's summary in a view judged on viewDate (those the view sees), in the order grants were first received. */
  grantSummaries(clocks: Clocks, viewDate: IsoDate): GrantSummary[] {
    return this.grants.summaries(clocks, viewDate);
  }

  /** grantSummaries(), one grant a step (see GrantWalk). */
  grantSummaryWalk(clocks: Clocks, viewDate: IsoDate): GrantWalk<GrantSummary> {
    return this.grants.summaryWalk(clocks, viewDate);
  }

  /** A grant's revenue per committee-year in a view, in öre (see RevenueTotals). */
  grantRevenue(grantId: string, clocks: Clocks): ReadonlyMap<string, Ore> {
    return this.grants.revenue(grantId, clocks);
  }

  /** Every grant's revenue per committee-year in a view (those the view sees), in öre. */
  grantRevenues(clocks: Clocks): Array<ReadonlyMap<string, Ore>> {
    return this.grants.revenues(clocks);
  }

  /** A walk over the streams of every grant, or of one committee's (see GrantWalk). */
  grantStreamWalk<T>(visit: (grantId: string, stream: readonly GrantStreamEvent[]) => T | null, committee?: string): GrantWalk<T> {
    return this.grants.streamWalk(visit, committee);
  }

  /** grantRevenues(), one grant a step (see GrantWalk). */
  grantRevenueWalk(clocks: Clocks): GrantWalk<ReadonlyMap<string, Ore>> {
    return this.grants.revenueWalk(clocks);
  }

  // Budgets

  budgetStream(streamId: string): BudgetStream | undefined {
    return this.budgets.stream(streamId);
  }

  budgetStreams(): IterableIterator<BudgetStream> {
    return this.budgets.streams();
  }

  budgetCommittees(): IterableIterator<string> {
    return this.budgets.committees();
  }

  budgetsIn(clocks: Clocks, committee?: string): BudgetInView[] {
    return this.budgets.inView(clocks, committee);
  }

  yearStatus(committee: string, fiscalYear: number): 'none' | 'open' | 'closed' {
    return this.budgets.yearStatus(committee, fiscalYear);
  }

  // Tokens

  token(tokenHash: string): TokenRecord | undefined {
    return this.tokenTable.token(tokenHash);
  }

  tokenById(tokenId: string): TokenRecord | undefined {
    return this.tokenTable.tokenById(tokenId);
  }

  allTokens(): TokenRecord[] {
    return this.tokenTable.all();
  }

  liveTokens(now: string): TokenRecord[] {
    return this.tokenTable.live(now);
  }

  hasLiveTokenWithRole(role: Role, now: string): boolean {
    return this.tokenTable.hasLiveWithRole(role, now);
  }
}

/** Feeds a read model from the store: catch up from its position, then follow live. */
export function followStore(store: EventStore, readModel: LedgerReadModel): Subscription {
  const subscription = store.subscribeToAll({ after: readModel.position }, (event) => readModel.apply(event));
  subscription.done.catch((error: unknown) => readModel.fail(error instanceof Error ? error : new Error(String(error))));
  return subscription;
}
