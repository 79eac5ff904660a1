import type { EventStore, RecordedEvent } from '../../store/port.js';
import { grantStreamName } from '../../domain/grant/events.js';
import { budgetStreamName, type BudgetKey } from '../../domain/budget/events.js';
import type { IsoDate } from '../../domain/dates.js';
import { formatOre } from '../../domain/money.js';
import type { GrantWalk, LedgerReadModel } from '../readModel/index.js';
import { earlyWarning } from '../earlyWarning.js';
import { activitiesOf } from '../ledgerReports.js';
import type { ActivitiesReport } from '../../../projections/activities.js';
import { grantViewOf, totalOre, type GrantSummary, type GrantView } from '../../../projections/grantView.js';
import {
  AT_RISK_WITHIN_DAYS_DEFAULT,
  isAtRisk,
  unusedGrantsReport,
  type ReportableGrant,
  type UnusedGrantsFilter,
  type UnusedGrantsReport,
} from '../../../projections/unusedGrants.js';
import { RevenueTotals, committeeResultsOf, type BudgetInView, type CommitteeResultRow } from '../../../projections/committeeResults.js';
import { earlyWarningRowOf, type EarlyWarningReport, type EarlyWarningRow } from '../../../projections/earlyWarning.js';
import { viewDateOf, type Clocks } from '../../../projections/clocks.js';
import type { Ore } from '../../domain/money.js';
import { Yielder, type Pauses } from '../yielder.js';

/** Every grant, riktat and generellt, as the Statsbidrag list shows them. */
export interface GrantListFilter {
  readonly committee?: string;
  readonly grantor?: string;
  readonly status?: string;
  readonly kind?: 'riktat' | 'generellt';
}

export interface GrantList {
  readonly rows: readonly GrantSummary[];
  readonly totals: { readonly received: string; readonly spent: string; readonly returned: string; readonly unused: string };
}

function totalsOf(rows: readonly GrantSummary[]): GrantList['totals'] {
  // Whole öre, from amounts kept with the summaries: thousands of rows add up exactly without parsing.
  const { received, spent, returned, unused } = totalOre(rows);
  return { received: formatOre(received), spent: formatOre(spent), returned: formatOre(returned), unused: formatOre(unused) };
}

const summariesKey = (clocks: Clocks, viewDate: IsoDate) => `summaries ${viewDate} ${clockKey(clocks)}`;
const revenueKey = (clocks: Clocks) => `revenue ${clockKey(clocks)}`;

function revenueTotalsOf(revenues: Iterable<ReadonlyMap<string, Ore>>): ReadonlyMap<string, Ore> {
  const totals = new RevenueTotals();
  for (const revenue of revenues) totals.add(revenue);
  return totals.inOre();
}

const isCurrent = (clocks: Clocks) => clocks.asOf === undefined && clocks.knownAt === undefined;
const clockKey = (clocks: Clocks) => `${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`;

/** Current reports kept per read-model position: reading far outnumbers writing. */
const CURRENT_REPORTS_KEPT = 256;
/**
 * Whole historical views kept per position, each in up to five parts (summaries, revenue and the
 * three reports made from them): a revisor paging through 2020-12-31 asks the same view again.
 */
const HISTORICAL_VIEWS_KEPT = 16 * 5;
/** Filtered reports and early warnings kept per view: many and cheap. */
const FILTERED_KEPT = 64;
/** How long a historical view folded by ready() holds the event loop at a time, and how often it looks. */
const REPORT_SLICE_MS = 15;
const GRANTS_PER_CLOCK_READING = 8;
const WARNINGS_KEPT = 1024;

/**
 * A cache of values that hold until the read model moves on, of bounded size (oldest out first).
 */
class PositionCache {
  private position = -1;
  /** A read model swapped in (adopt) may stand at the same position with other figures. */
  private generation = -1;
  private readonly values = new Map<string, unknown>();

  constructor(private readonly readModel: LedgerReadModel, private readonly size: number) {}

  get<T>(key: string, compute: () => T): T {
    this.followReadModel();
    if (this.values.has(key)) return this.values.get(key) as T;
    const value = compute();
    this.set(key, value);
    return value;
  }

  has(key: string): boolean {
    this.followReadModel();
    return this.values.has(key);
  }

  /** Keeps a value computed for the read model as it stands now. */
  set(key: string, value: unknown): void {
    this.followReadModel();
    if (this.values.size >= this.size) this.values.delete(this.values.keys().next().value!);
    this.values.set(key, value);
  }

  private followReadModel(): void {
    if (this.position !== this.readModel.position || this.generation !== this.readModel.generation) {
      this.position = this.readModel.position;
      this.generation = this.readModel.generation;
      this.values.clear();
    }
  }
}

/**
 * The read side: every query the API, the pages and the CLI ask, and the one owner of every cache
 * of their answers (each kept until the read model moves on). Filtered reports are filtered
 * from the whole view with the projection's own function, so a page and the API cannot differ.
 */
export class LedgerQueries {
  private readonly currentReports: PositionCache;
  private readonly historicalViews: PositionCache;
  private readonly filteredViews: PositionCache;
  private readonly warnings: PositionCache;

  constructor(
    readonly readModel: LedgerReadModel,
    private readonly store: EventStore,
    readonly today: () => IsoDate,
    /** Where a historical view gives the event loop back (see ready()): at each item of its walk, the clock read now and then. */
    private readonly pauses: (checkEvery: number) => Pauses = (checkEvery) => new Yielder(REPORT_SLICE_MS, checkEvery),
  ) {
    this.currentReports = new PositionCache(readModel, CURRENT_REPORTS_KEPT);
    this.historicalViews = new PositionCache(readModel, HISTORICAL_VIEWS_KEPT);
    this.filteredViews = new PositionCache(readModel, FILTERED_KEPT * HISTORICAL_VIEWS_KEPT);
    this.warnings = new PositionCache(readModel, WARNINGS_KEPT);
  }

  grant(grantId: string, clocks: Clocks): { view: GrantView; revision: number } | null {
    this.readModel.assertRunning();
    const stream = this.readModel.grantStream(grantId);
    const facts = this.readModel.grantFacts(grantId, clocks);
    const view = facts ? grantViewOf(facts, viewDateOf(clocks, this.today())) : null;
    return stream && view ? { view, revision: stream[stream.length - 1]!.revision } : null;
  }

  /** Whether the log has the grant at all (in any view). */
  grantExists(grantId: string): boolean {
    this.readModel.assertRunning();
    return this.readModel.grantStream(grantId) !== undefined;
  }

  /** A grant's events with their full metadata, read from the store (the read model keeps less). */
  async grantEvents(grantId: string): Promise<readonly RecordedEvent[] | undefined> {
    this.readModel.assertRunning();
    if (!this.readModel.grantStream(grantId)) return undefined;
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readStream(grantStreamName(grantId))) events.push(event);
    return events;
  }

  /** The unused-grants report; a historical view is computed whole once and filtered from there. */
  unusedGrants(filter: UnusedGrantsFilter, clocks: Clocks): UnusedGrantsReport {
    this.readModel.assertRunning();
    const viewDate = viewDateOf(clocks, this.today());
    if (isCurrent(clocks)) {
      return this.currentReports.get(`unused-grants ${viewDate} ${JSON.stringify(filter)}`, () => this.unusedGrantsNow(filter, viewDate));
    }
    const all = this.historicalViews.get(`unused-grants ${clockKey(clocks)}`, () => this.unusedGrantsIn(clocks, viewDate));
    if (filter.committee === undefined && filter.grantor === undefined && filter.status === undefined) return all;
    return this.filteredViews.get(`unused-grants ${clockKey(clocks)} ${JSON.stringify([filter.committee, filter.grantor, filter.status, filter.within])}`, () =>
      unusedGrantsReport(all.rows, filter, viewDate),
    );
  }

  private unusedGrantsNow(filter: UnusedGrantsFilter, viewDate: IsoDate): UnusedGrantsReport {
    const grantIds = filter.committee === undefined ? this.readModel.grantIds() : this.readModel.grantIdsOfCommittee(filter.committee);
    const rows: ReportableGrant[] = [];
    for (const grantId of grantIds) {
      const row = this.readModel.currentGrantRow(grantId, viewDate);
      if (row) rows.push(row);
    }
    return unusedGrantsReport(rows, filter, viewDate);
  }

  private unusedGrantsIn(clocks: Clocks, viewDate: IsoDate): UnusedGrantsReport {
    return unusedGrantsReport(this.summariesIn(clocks, viewDate), {}, viewDate);
  }

  /**
   * Readies a historical view for the reports asked next: every grant's summary ('summaries':
   * unused grants, the Statsbidrag list) or revenue ('revenue': committee results), folded a
   * slice at a time with the event loop given back between slices, so one revisor's view of 2019
   * never holds up anyone else's request. The reports then make their rows from what it kept.
   * Current views need nothing: their parts are kept per grant as events arrive.
   */
  async ready(clocks: Clocks, ...parts: ReadonlyArray<'summaries' | 'revenue'>): Promise<void> {
    this.readModel.assertRunning();
    if (isCurrent(clocks)) return;
    const viewDate = viewDateOf(clocks, this.today());
    for (const part of parts) {
      if (part === 'summaries') await this.walkAndKeep(summariesKey(clocks, viewDate), () => this.readModel.grantSummaryWalk(clocks, viewDate), (found) => found);
      else {
        await this.walkAndKeep(revenueKey(clocks), () => this.readModel.grantRevenueWalk(clocks), revenueTotalsOf);
        await this.warmCommitteeYears(clocks, viewDate);
      }
    }
  }

  /**
   * Folds each committee's budgets in the view and makes their year rows, one committee at a
   * time with pauses between: the caches that keep them are keyed by what the rows are made of
   * (a budget's events in the view, its revenue, the months reported), so the whole report made
   * next finds them and only sorts and numbers the rows. Right whatever arrives meanwhile: a
   * report never reads a row made from other facts than its own.
   */
  private async warmCommitteeYears(clocks: Clocks, viewDate: IsoDate): Promise<void> {
    if (!this.historicalViews.has(revenueKey(clocks))) return;
    const revenue = this.revenueIn(clocks);
    const pauses = this.pauses(1);
    for (const committee of [...this.readModel.budgetCommittees()]) {
      committeeResultsOf(this.readModel.budgetsIn(clocks, committee), revenue, viewDate, { committee });
      if (pauses.due()) await pauses.pause();
    }
  }

  /** Walks every grant, pausing when the slice is used up, and keeps what it found for the view. */
  private async walkAndKeep<T>(key: string, walkOf: () => GrantWalk<T>, kept: (found: T[]) => unknown): Promise<void> {
    if (this.historicalViews.has(key)) return;
    const generation = this.readModel.generation;
    const walk = walkOf();
    const pauses = this.pauses(GRANTS_PER_CLOCK_READING);
    while (walk.step()) if (pauses.due()) await pauses.pause();
    // finish() follows the last step at once (see GrantWalk). A read model swapped in during a
    // pause (a rebuild done) has other figures: a report asked next folds them itself.
    if (this.readModel.generation === generation) this.historicalViews.set(key, kept(walk.finish()));
  }

  /** Every grant's summary in a historical view, kept for the view. */
  private summariesIn(clocks: Clocks, viewDate: IsoDate): GrantSummary[] {
    return this.historicalViews.get(summariesKey(clocks, viewDate), () => this.readModel.grantSummaries(clocks, viewDate));
  }

  /** The grants' revenue per committee-year in a historical view, added up and kept for the view. */
  private revenueIn(clocks: Clocks): ReadonlyMap<string, Ore> {
    return this.historicalViews.get(revenueKey(clocks), () => revenueTotalsOf(this.readModel.grantRevenues(clocks)));
  }

  committeeResults(filter: { committee?: string }, clocks: Clocks): { rows: CommitteeResultRow[] } {
    this.readModel.assertRunning();
    const viewDate = viewDateOf(clocks, this.today());
    if (isCurrent(clocks)) {
      return this.currentReports.get(`committee-results ${viewDate} ${JSON.stringify(filter)}`, () => {
        const { committee } = filter;
        const grantIds = committee === undefined ? this.readModel.grantIds() : this.readModel.grantIdsOfCommittee(committee);
        const revenue = revenueTotalsOf(Array.from(grantIds, (grantId) => this.readModel.grantRevenue(grantId, clocks)));
        return committeeResultsOf(this.readModel.budgetsIn(clocks, committee), revenue, viewDate, committee === undefined ? {} : { committee });
      });
    }
    const all = this.historicalViews.get(`committee-results ${clockKey(clocks)}`, () =>
      committeeResultsOf(this.readModel.budgetsIn(clocks), this.revenueIn(clocks), viewDate, {}),
    );
    if (filter.committee === undefined) return all;
    return this.filteredViews.get(`committee-results ${clockKey(clocks)} ${filter.committee}`, () => ({ rows: all.rows.filter((row) => row.committee === filter.committee) }));
  }

  budget(key: BudgetKey, clocks: Clocks): { row: CommitteeResultRow; revision: number } | null {
    this.readModel.assertRunning();
    const stream = this.readModel.budgetStream(budgetStreamName(key));
    if (!stream) return null;
    const row = this.committeeResults({ committee: key.committee }, clocks).rows.find((candidate) => candidate.fiscalYear === key.fiscalYear);
    return row ? { row, revision: stream.events[stream.events.length - 1]!.revision } : null;
  }

  /** Every budget's facts in a view (of one committee, or all). */
  budgetsIn(clocks: Clocks, committee?: string): BudgetInView[] {
    this.readModel.assertRunning();
    return this.readModel.budgetsIn(clocks, committee);
  }

  /** Every grant's summary in a view (the Statsbidrag list), filtered from the whole view. */
  grantList(filter: GrantListFilter, clocks: Clocks): GrantList {
    this.readModel.assertRunning();
    const viewDate = viewDateOf(clocks, this.today());
    const all = this.historicalViews.get(`grants ${viewDate} ${clockKey(clocks)}`, () => {
      const rows = this.summariesIn(clocks, viewDate);
      return { rows, totals: totalsOf(rows) };
    });
    if (filter.committee === undefined && filter.grantor === undefined && filter.status === undefined && filter.kind === undefined) return all;
    const key = JSON.stringify([filter.committee, filter.grantor, filter.status, filter.kind]);
    return this.filteredViews.get(`grants ${viewDate} ${clockKey(clocks)} ${key}`, () => {
      const rows = all.rows.filter(
        (row) =>
          (filter.committee === undefined || row.committee === filter.committee) &&
          (filter.grantor === undefined || row.grantor === filter.grantor) &&
          (filter.kind === undefined || row.kind === filter.kind) &&
          (filter.status === undefined || (filter.status === 'at-risk' ? isAtRisk(row, viewDate, AT_RISK_WITHIN_DAYS_DEFAULT) : row.status === filter.status)),
      );
      return { rows, totals: totalsOf(rows) };
    });
  }

  /**
   * One grant's early warning in a view: null unless an open riktat grant. Early warnings fold
   * each grant's events: pages ask only for the grants they show, each kept for its view.
   */
  earlyWarningRow(grantId: string, clocks: Clocks): EarlyWarningRow | null {
    this.readModel.assertRunning();
    const viewDate = viewDateOf(clocks, this.today());
    return this.warnings.get(`${grantId} ${viewDate} ${clockKey(clocks)}`, () => earlyWarningRowOf(this.readModel.grantStream(grantId) ?? [], clocks, viewDate));
  }

  /** The early warning of one committee's grants in a view. */
  earlyWarning(committee: string, clocks: Clocks): EarlyWarningReport {
    const viewDate = viewDateOf(clocks, this.today());
    return this.warnings.get(`committee ${committee} ${viewDate} ${clockKey(clocks)}`, () => earlyWarning(this, { committee }, clocks));
  }

  /** One committee's year per verksamhet (activity) in a view, kept for its view. */
  activities(committee: string, year: number, clocks: Clocks): ActivitiesReport {
    const viewDate = viewDateOf(clocks, this.today());
    return this.warnings.get(`activities ${committee} ${year} ${viewDate} ${clockKey(clocks)}`, () => activitiesOf(this, { committee, year }, clocks));
  }
}
