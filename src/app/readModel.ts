import type { EventStore, RecordedEvent, Subscription } from '../store/port.js';
import { decodeBudgetEvent, decodeGrantEvent, UndecodableEventError } from '../domain/storedEvent.js';
import { budgetStreamName, type BudgetKey } from '../domain/budget/events.js';
import { DEFAULT_TOKEN_DAYS, TOKENS_STREAM, TokenIssuedData, TokenRevokedData, type Role } from '../domain/access.js';
import { grantBusinessDate, type GrantFacts } from '../domain/grant/state.js';
import { budgetBusinessDate, type BudgetFacts } from '../domain/budget/state.js';
import type { IsoDate } from '../domain/dates.js';
import type { Money } from '../domain/money.js';
import { unusedGrantRowOf, type ReportableGrant } from '../../projections/unusedGrants.js';
import { budgetFactsAt, grantRevenueByCommitteeYear, type BudgetInView } from '../../projections/committeeResults.js';
import type { Clocks } from '../../projections/clocks.js';
import { grantFactsAt } from '../../projections/grantView.js';
import type { BudgetStream } from '../../projections/committeeResults.js';
import type { ProjectedEvent } from '../../projections/clocks.js';

const BUDGET_STREAM = /^budget-([a-z0-9-]{2,64})-(\d{4})$/;


/**
 * What the projections need of an event to apply it (its data fits its type: decoded), and what it refers
 * to is there before it (the grant for every later event, the allocation for a release or a
 * spending, the reversed event for a reversal). The folds skip what they cannot place, so an event
 * failing this would silently vanish from every report; the read model stops on it instead.
 */
function unfitness(
  event: { readonly type: string; readonly data: unknown },
  earlier: readonly { readonly eventId: string }[],
  allocations: ReadonlySet<string> | undefined,
): string | null {
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

/** Stored events enter the read model through the domain's one decoding; one that does not decode stops it. */
function decodedOrStop<D>(event: RecordedEvent, decode: (stored: RecordedEvent) => D): D {
  try {
    return decode(event);
  } catch (error) {
    if (error instanceof UndecodableEventError) throw new ProjectionError(event, error.reason);
    throw error;
  }
}

/** The read model stopped on an earlier failure; queries and commands answer 503 until it is repaired. */
export class ReadModelStoppedError extends Error {
  override readonly name = 'ReadModelStoppedError';
  constructor(readonly failure: Error) {
    super(`the read model stopped: ${failure.message}`, { cause: failure });
  }
}

/** Who a token speaks for: what a request's caller is known by. */
export interface IssuedToken {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
}

/** A token as the read model keeps it: never its secret, only where and when it was given and taken back. */
export interface TokenRecord extends IssuedToken {
  readonly createdAt: string;
  readonly expiresAt: string;
  revokedAt: string | null;
  /** Where its TokenIssued event is in the log (0 for the first event): a token counts only once a signed tree head covers it. */
  readonly logIndex: number;
}

function daysAfter(moment: string, days: number): string {
  return new Date(Date.parse(moment) + days * 86_400_000).toISOString();
}

/**
 * How much of a stream a view sees: everything (its current facts serve), nothing, or some of it
 * (only then is it folded again). Most streams lie wholly before or after a historical cut.
 */
export type Coverage = 'all' | 'none' | 'some';

interface StreamEntry {
  readonly events: ProjectedEvent[];
  /** The latest business date of its events; reversals have none. */
  maxBusinessDate: IsoDate | null;
}

interface GrantEntry extends StreamEntry {
  committee: string | null;
  /** Derived from the current view, dropped when the grant gets a new event. */
  current: { facts: GrantFacts; revenue?: ReadonlyMap<string, Money>; row?: { viewDate: IsoDate; row: ReportableGrant | null } } | null;
}

interface BudgetEntry extends StreamEntry {
  readonly key: BudgetKey;
  current: BudgetFacts | null;
}

function coverageOf(entry: StreamEntry, clocks: Clocks): Coverage {
  const first = entry.events[0];
  const last = entry.events[entry.events.length - 1];
  if (!first || !last) return 'none';
  if (clocks.knownAt !== undefined && first.metadata.recordedAt > clocks.knownAt) return 'none';
  const allKnown = clocks.knownAt === undefined || last.metadata.recordedAt <= clocks.knownAt;
  const allDated = clocks.asOf === undefined || entry.maxBusinessDate === null || entry.maxBusinessDate <= clocks.asOf;
  return allKnown && allDated ? 'all' : 'some';
}

/**
 * The in-memory read side: every stream's events (compacted) indexed for the projections, and
 * the token table. Fed in global order by the store's subscription; the same code replays
 * the log from position 0 at start.
 */
export class LedgerReadModel {
  /** The position of the last event applied. */
  position = 0;
  /** How many events were applied: the log's size as far as the read model has seen it. */
  eventsApplied = 0;
  /** The revision of the tokens stream's last event, null before the first: token writes append at it. */
  tokensRevision: number | null = null;
  failure: Error | null = null;
  private readonly grants = new Map<string, GrantEntry>();
  /** Allocation ids per grant, so a spending or release on an unknown one is caught on arrival. */
  private readonly allocationIds = new Map<string, Set<string>>();
  private readonly grantsByCommittee = new Map<string, Set<string>>();
  private readonly budgets = new Map<string, BudgetEntry>();
  private readonly budgetsByCommittee = new Map<string, BudgetEntry[]>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly tokensById = new Map<string, TokenRecord>();
  private waiters: Array<{ position: number; resolve: () => void; reject: (error: Error) => void }> = [];

  apply(event: RecordedEvent): void {
    if (event.position <= this.position) {
      throw new ProjectionError(event, `positions must increase (last applied ${this.position})`);
    }
    if (event.streamId.startsWith('grant-')) {
      const grantId = event.streamId.slice('grant-'.length);
      const allocations = this.allocationIds.get(grantId) ?? new Set<string>();
      const projected = decodedOrStop(event, decodeGrantEvent);
      const unfit = unfitness(projected, this.grants.get(grantId)?.events ?? [], allocations);
      if (unfit !== null) throw new ProjectionError(event, unfit);
      if (event.type === 'FundsAllocated') allocations.add((event.data as { allocationId: string }).allocationId);
      this.allocationIds.set(grantId, allocations);
      let entry = this.grants.get(grantId);
      if (!entry) {
        entry = { events: [], maxBusinessDate: null, committee: null, current: null };
        this.grants.set(grantId, entry);
      }
      entry.events.push(projected);
      entry.current = null;
      const date = grantBusinessDate(projected);
      if (date !== null && (entry.maxBusinessDate === null || date > entry.maxBusinessDate)) entry.maxBusinessDate = date;
      // A grant amended to another committee stays indexed under the first too: views known
      // before the amendment still show it there, and reports filter on each view's committee.
      const committee = (event.data as { committee?: string }).committee;
      if ((event.type === 'GrantReceived' || event.type === 'GrantAmended') && committee !== undefined) {
        entry.committee = committee;
        const ids = this.grantsByCommittee.get(committee) ?? new Set<string>();
        ids.add(grantId);
        this.grantsByCommittee.set(committee, ids);
      }
    } else if (event.streamId.startsWith('budget-')) {
      const match = BUDGET_STREAM.exec(event.streamId);
      if (!match) throw new ProjectionError(event, 'not a budget stream name');
      const projected = decodedOrStop(event, decodeBudgetEvent);
      const unfit = unfitness(projected, this.budgets.get(event.streamId)?.events ?? [], undefined);
      if (unfit !== null) throw new ProjectionError(event, unfit);
      let entry = this.budgets.get(event.streamId);
      if (!entry) {
        entry = { key: { committee: match[1]!, fiscalYear: Number(match[2]) }, events: [], maxBusinessDate: null, current: null };
        this.budgets.set(event.streamId, entry);
        const ofCommittee = this.budgetsByCommittee.get(entry.key.committee) ?? [];
        ofCommittee.push(entry);
        this.budgetsByCommittee.set(entry.key.committee, ofCommittee);
      }
      entry.events.push(projected);
      entry.current = null;
      const date = budgetBusinessDate(projected);
      if (date !== null && (entry.maxBusinessDate === null || date > entry.maxBusinessDate)) entry.maxBusinessDate = date;
    } else if (event.streamId === TOKENS_STREAM) {
      this.applyTokenEvent(event);
      this.tokensRevision = event.revision;
    }
    this.position = event.position;
    this.eventsApplied += 1;
    if (this.waiters.length > 0) this.releaseWaiters();
  }

  private applyTokenEvent(event: RecordedEvent): void {
    if (event.type === 'TokenIssued') {
      const parsed = TokenIssuedData.safeParse(event.data);
      if (!parsed.success) throw new ProjectionError(event, 'its data does not fit TokenIssued');
      const { name, role, tokenHash } = parsed.data;
      const createdAt = event.metadata.recordedAt;
      const record: TokenRecord = {
        tokenId: parsed.data.tokenId ?? event.eventId,
        name,
        role,
        createdAt,
        expiresAt: parsed.data.expiresAt ?? daysAfter(createdAt, DEFAULT_TOKEN_DAYS),
        revokedAt: null,
        logIndex: this.eventsApplied,
      };
      if (this.tokensById.has(record.tokenId)) throw new ProjectionError(event, `token ${record.tokenId} was issued before`);
      // The same secret issued again (an old LEDGER_ADMIN_TOKEN set once more) never revives a revoked token.
      const earlier = this.tokens.get(tokenHash);
      if (earlier && earlier.revokedAt === null) throw new ProjectionError(event, 'a live token has the same secret');
      this.tokens.set(tokenHash, record);
      this.tokensById.set(record.tokenId, record);
    } else if (event.type === 'TokenRevoked') {
      const parsed = TokenRevokedData.safeParse(event.data);
      if (!parsed.success) throw new ProjectionError(event, 'its data does not fit TokenRevoked');
      const record = this.tokensById.get(parsed.data.tokenId);
      if (!record) throw new ProjectionError(event, `token ${parsed.data.tokenId} was never issued`);
      record.revokedAt ??= event.metadata.recordedAt;
    } else {
      throw new ProjectionError(event, 'not a token event');
    }
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

  grantStream(grantId: string): readonly ProjectedEvent[] | undefined {
    return this.grants.get(grantId)?.events;
  }

  grantStreams(): IterableIterator<readonly ProjectedEvent[]> {
    return [...this.grants.values()].map((entry) => entry.events)[Symbol.iterator]();
  }

  grantIds(): IterableIterator<string> {
    return this.grants.keys();
  }

  /** The grants of one committee (nämnd), as received. */
  grantIdsOfCommittee(committee: string): Iterable<string> {
    return this.grantsByCommittee.get(committee) ?? [];
  }

  /** The committee a grant belongs to now (as received, or as amended), without folding it. */
  grantCommittee(grantId: string): string | undefined {
    return this.grants.get(grantId)?.committee ?? undefined;
  }

  /** The grant's facts as they stand now (no asOf, no knownAt), kept until it changes. */
  currentGrantFacts(grantId: string): GrantFacts | undefined {
    const entry = this.grants.get(grantId);
    if (!entry) return undefined;
    entry.current ??= { facts: grantFactsAt(entry.events, {}) };
    return entry.current.facts;
  }

  /** The grant's facts in a view; null when the view does not see it at all. */
  grantFacts(grantId: string, clocks: Clocks): GrantFacts | null {
    const entry = this.grants.get(grantId);
    if (!entry) return null;
    switch (coverageOf(entry, clocks)) {
      case 'all':
        return this.currentGrantFacts(grantId)!;
      case 'none':
        return null;
      case 'some':
        return grantFactsAt(entry.events, clocks);
    }
  }

  /** The grant's row of the unused-grants report in the current view, kept for the day. */
  currentGrantRow(grantId: string, viewDate: IsoDate): ReportableGrant | null {
    const facts = this.currentGrantFacts(grantId);
    const entry = this.grants.get(grantId);
    if (!facts || !entry?.current) return null;
    if (entry.current.row?.viewDate !== viewDate) entry.current.row = { viewDate, row: unusedGrantRowOf(facts, viewDate) };
    return entry.current.row.row;
  }

  /** The grant's revenue per committee-year in a view (see grantRevenueByCommitteeYear). */
  grantRevenue(grantId: string, clocks: Clocks): ReadonlyMap<string, Money> {
    const entry = this.grants.get(grantId);
    if (!entry) return new Map();
    switch (coverageOf(entry, clocks)) {
      case 'all':
        this.currentGrantFacts(grantId);
        return (entry.current!.revenue ??= grantRevenueByCommitteeYear([entry.events], {}));
      case 'none':
        return new Map();
      case 'some':
        return grantRevenueByCommitteeYear([entry.events], clocks);
    }
  }

  budgetStream(streamId: string): BudgetStream | undefined {
    return this.budgets.get(streamId);
  }

  budgetStreams(): IterableIterator<BudgetStream> {
    return this.budgets.values();
  }

  /** Every budget's facts in a view, the current ones kept until the budget changes. */
  budgetsIn(clocks: Clocks, committee?: string): BudgetInView[] {
    const budgets: BudgetInView[] = [];
    const entries = committee === undefined ? this.budgets.values() : (this.budgetsByCommittee.get(committee) ?? []);
    for (const entry of entries) {
      const coverage = coverageOf(entry, clocks);
      if (coverage === 'none') continue;
      const facts = coverage === 'all' ? (entry.current ??= budgetFactsAt(entry.events, {})) : budgetFactsAt(entry.events, clocks);
      budgets.push({ key: entry.key, facts });
    }
    return budgets;
  }

  /** Whether a committee's year has a budget, and whether it is closed, as the log stands now. */
  yearStatus(committee: string, fiscalYear: number): 'none' | 'open' | 'closed' {
    const entry = this.budgets.get(budgetStreamName({ committee, fiscalYear }));
    if (!entry) return 'none';
    entry.current ??= budgetFactsAt(entry.events, {});
    return entry.current.closing === null ? 'open' : 'closed';
  }

  token(tokenHash: string): TokenRecord | undefined {
    return this.tokens.get(tokenHash);
  }

  tokenById(tokenId: string): TokenRecord | undefined {
    return this.tokensById.get(tokenId);
  }

  /** Every token ever issued, in the order issued. */
  allTokens(): TokenRecord[] {
    return [...this.tokensById.values()];
  }

  /** Tokens neither revoked nor expired at the moment given. */
  liveTokens(now: string): TokenRecord[] {
    return this.allTokens().filter((token) => token.revokedAt === null && token.expiresAt > now);
  }

  hasLiveTokenWithRole(role: Role, now: string): boolean {
    return this.liveTokens(now).some((token) => token.role === role);
  }

}

/** Feeds a read model from the store: catch up from its position, then follow live. */
export function followStore(store: EventStore, readModel: LedgerReadModel): Subscription {
  const subscription = store.subscribeToAll({ after: readModel.position }, (event) => readModel.apply(event));
  subscription.done.catch((error: unknown) => readModel.fail(error instanceof Error ? error : new Error(String(error))));
  return subscription;
}
