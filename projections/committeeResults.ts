import { formatMoney, formatOre, money, moneyOfOre, moneyOre, oreOf, type Money, type Ore } from '../src/domain/money.js';
import { dateOfMoment, yearOf, type IsoDate } from '../src/domain/dates.js';
import type { GrantEvent, GrantEventOf } from '../src/domain/grant/events.js';
import { grantBusinessDate } from '../src/domain/grant/state.js';
import type { BudgetEvent, BudgetKey } from '../src/domain/budget/events.js';
import {
  budgetBusinessDate,
  budgetOf,
  budgetToDateOf,
  latestForecastOf,
  monthsReportedOf,
  type BudgetFacts,
  type ForecastPeriod,
} from '../src/domain/budget/state.js';
import { foldBudgetFacts } from '../src/domain/budget/decide.js';
import { asCorrected } from '../src/domain/grant/decide.js';
import { viewDateOf, visibleEvents, type Clocks, type GrantStreamEvent, type BudgetStreamEvent } from './clocks.js';

/**
 * Committee results (resultat, budgetavvikelse) per fiscal year, and the cumulative result
 * (ackumulerat resultat) built from the results carried over (resultatöverföring).
 */
export interface CommitteeResultRow {
  readonly committee: string;
  readonly fiscalYear: number;
  readonly budget: string;
  /** Months of the year reported: 12 from 31 December on, else the latest month with an outcome. */
  readonly monthsReported: number;
  /** budget × monthsReported / 12 */
  readonly budgetToDate: string;
  readonly costs: string;
  readonly revenues: string;
  readonly grantRevenue: string;
  /** An open year: budgetToDate − costs + revenues + grantRevenue; a closed year: as adopted. */
  readonly result: string;
  /** An open year: the forecast in force (or null); a closed year: its adopted result. */
  readonly expectedResult: string | null;
  /** Σ carriedForward of the committee's closed years before this one. */
  readonly carriedIn: string;
  /** carriedIn + (carriedForward if closed, else result). */
  readonly cumulativeResult: string;
  readonly closed: boolean;
  readonly closedOn: string | null;
  readonly carriedForward: string | null;
  readonly latestForecast: ForecastView | null;
}

/** A forecast period as reports show it (DOMAIN.md, "Forecasts"). */
export interface ForecastView {
  readonly afterPeriod: string;
  /** The forecast: the committee line, else the sum of the activity lines. */
  readonly deviation: string;
  readonly committeeLine: string | null;
  readonly activities: ReadonlyArray<{ readonly activity: string; readonly deviation: string }>;
  readonly activitySum: string;
  /** committeeLine − activitySum, when there is a committee line and activity lines beside it. */
  readonly difference: string | null;
}

export function forecastViewOf(period: ForecastPeriod): ForecastView {
  return {
    afterPeriod: period.afterPeriod,
    deviation: formatMoney(period.deviation),
    committeeLine: period.committeeLine === null ? null : formatMoney(period.committeeLine),
    activities: period.activities.map(({ activity, deviation }) => ({ activity, deviation: formatMoney(deviation) })),
    activitySum: formatMoney(period.activitySum),
    difference: period.committeeLine === null || period.activities.length === 0 ? null : formatMoney(period.committeeLine.minus(period.activitySum)),
  };
}

export interface BudgetStream {
  readonly key: BudgetKey;
  readonly events: readonly BudgetStreamEvent[];
}

/** The key of a committee-year in grant revenue maps. */
export const revenueKeyOf = (committee: string, year: number): string => `${committee}/${year}`;

/**
 * grantRevenue per committee and year: Σ FundsSpent of riktade grants spent in the year,
 * + retained of grants closed in the year, + Σ generella grants received in the year.
 * Added up in whole öre (exact, and far cheaper than a Decimal an event); one Decimal per
 * committee-year at the end.
 */
export function grantRevenueByCommitteeYear(grantStreams: Iterable<readonly GrantStreamEvent[]>, clocks: Clocks): Map<string, Money> {
  const revenue = new Map<string, Ore>();
  const byYear = new Map<number, Ore>();
  for (const stream of grantStreams) {
    // An amendment corrects the receipt: the committee and kind are the corrected ones.
    const events = asCorrected(visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate));
    const received = events[0];
    if (received?.type !== 'GrantReceived') continue;
    byYear.clear();
    for (const event of events) addRevenueOf(byYear, received.data, event);
    // One committee per stream (the corrected receipt's): its years become committee-year keys.
    for (const [year, ore] of byYear) {
      const key = revenueKeyOf(received.data.committee, year);
      revenue.set(key, (revenue.get(key) ?? 0n) + ore);
    }
  }
  return new Map([...revenue].map(([key, ore]) => [key, moneyOfOre(ore)]));
}

/**
 * What one effective event of a grant adds to its revenue per year (of the committee its receipt,
 * as corrected by every amendment in the view, names), in öre. Revenue is a sum, so the order
 * events are added in does not matter.
 */
export function addRevenueOf(byYear: Map<number, Ore>, receipt: GrantEventOf<'GrantReceived'>['data'], event: GrantEvent): void {
  if (receipt.kind === 'generellt') {
    // A general grant is revenue when received, less what is returned, each in its own year.
    if (event.type === 'GrantReceived') addInYear(byYear, receipt.receivedOn, moneyOre(receipt.amount));
    else if (event.type === 'GrantInstallmentReceived') addInYear(byYear, event.data.receivedOn, moneyOre(event.data.amount));
    else if (event.type === 'FundsReturned') addInYear(byYear, event.data.returnedOn, -moneyOre(event.data.amount));
  } else if (event.type === 'FundsSpent') {
    addInYear(byYear, event.data.spentOn, moneyOre(event.data.amount));
  } else if (event.type === 'GrantClosed') {
    // Earmarked money becomes revenue as it is used, and what is kept at closing then.
    const retained = moneyOre(event.data.retained);
    if (retained !== 0n) addInYear(byYear, event.data.closedOn, retained);
  }
}

function addInYear(byYear: Map<number, Ore>, date: string, amount: Ore): void {
  const year = yearOf(date);
  byYear.set(year, (byYear.get(year) ?? 0n) + amount);
}

/** A budget stream's facts in one view (folded by the caller, who may keep them). */
export interface BudgetInView {
  readonly key: BudgetKey;
  readonly facts: BudgetFacts;
}

export function budgetFactsAt(events: readonly BudgetStreamEvent[], clocks: Clocks): BudgetFacts {
  return foldBudgetFacts(visibleEvents<BudgetEvent>(events, clocks, budgetBusinessDate));
}

/**
 * Grant revenue per committee-year added up over many grants (thousands in every report), in
 * whole öre: exact, and far cheaper than a Decimal addition for each grant.
 */
export class RevenueTotals {
  private readonly byKey = new Map<string, Ore>();

  add(part: ReadonlyMap<string, Ore>): void {
    for (const [key, ore] of part) this.byKey.set(key, (this.byKey.get(key) ?? 0n) + ore);
  }

  /** The totals in öre, keyed as revenueKeyOf keys them. */
  inOre(): ReadonlyMap<string, Ore> {
    return this.byKey;
  }

  /** The totals as money, keyed as revenueKeyOf keys them. */
  toMoney(): Map<string, Money> {
    return new Map([...this.byKey].map(([key, ore]) => [key, money(formatOre(ore))]));
  }
}

/** A revenue map in whole öre, as RevenueTotals adds them. */
export function revenueInOre(revenue: ReadonlyMap<string, Money>): Map<string, Ore> {
  return new Map([...revenue].map(([key, amount]) => [key, oreOf(formatMoney(amount))]));
}

/** Which rows, and the date the view is judged on (for monthsReported). */
export interface CommitteeResultsOptions {
  readonly committee?: string;
  /** Today's Swedish date, for a view without asOf or knownAt. @defaultValue the clock's */
  readonly today?: IsoDate;
}

/**
 * The whole report folded from the streams alone: the reference the read model's cached views
 * are tested against, and the way to report on any set of streams.
 */
export function committeeResultsReport(
  budgets: Iterable<BudgetStream>,
  grantStreams: Iterable<readonly GrantStreamEvent[]>,
  clocks: Clocks,
  options: CommitteeResultsOptions = {},
): { rows: CommitteeResultRow[] } {
  const inView: BudgetInView[] = [];
  for (const { key, events } of budgets) inView.push({ key, facts: budgetFactsAt(events, clocks) });
  const viewDate = viewDateOf(clocks, options.today ?? dateOfMoment(new Date()));
  return committeeResultsOf(inView, revenueInOre(grantRevenueByCommitteeYear(grantStreams, clocks)), viewDate, options);
}

/** A committee-year's row before the running sums over the committee's years, with its result and carryover in öre. */
type YearRow = Omit<CommitteeResultRow, 'cumulativeResult' | 'carriedIn'> & { readonly carried: Ore | null; readonly resultValue: Ore };

/**
 * Rows already made from a budget's facts, by the grant revenue and months reported they were
 * made with: the read model keeps each budget view's facts, so a report of thousands of
 * committee-years in a view seen before formats none of them again. Keyed weakly: facts that are
 * let go take their rows with them.
 */
const rowsMade = new WeakMap<BudgetFacts, Map<string, YearRow>>();
/** An open year's facts serve views with other grant revenue: only the latest few rows are kept. */
const ROWS_MADE_PER_FACTS = 8;

function yearRowOf(key: BudgetKey, facts: BudgetFacts, revenue: ReadonlyMap<string, Ore>, viewDate: IsoDate): YearRow {
  const closing = facts.closing;
  const revenueOre = closing ? 0n : (revenue.get(revenueKeyOf(key.committee, key.fiscalYear)) ?? 0n);
  const monthsReported = closing ? 12 : monthsReportedOf(facts, key.fiscalYear, viewDate);
  let made = rowsMade.get(facts);
  if (made === undefined) rowsMade.set(facts, (made = new Map<string, YearRow>()));
  const madeKey = closing ? '' : `${revenueOre} ${monthsReported}`;
  const kept = made.get(madeKey);
  if (kept !== undefined && kept.committee === key.committee && kept.fiscalYear === key.fiscalYear) return kept;
  // A closed year shows the result as adopted at closing; an open one, as the figures stand.
  const grantRevenue = closing ? money(closing.grantRevenue) : money(formatOre(revenueOre));
  const budgetToDate = budgetToDateOf(facts, monthsReported);
  const result = closing ? money(closing.result) : budgetToDate.minus(facts.costs).plus(facts.revenues).plus(grantRevenue);
  const forecast = latestForecastOf(facts);
  const row: YearRow = {
    committee: key.committee,
    fiscalYear: key.fiscalYear,
    budget: formatMoney(budgetOf(facts)),
    monthsReported,
    budgetToDate: formatMoney(budgetToDate),
    costs: formatMoney(facts.costs),
    revenues: formatMoney(facts.revenues),
    grantRevenue: formatMoney(grantRevenue),
    result: formatMoney(result),
    expectedResult: closing ? formatMoney(result) : forecast ? formatMoney(forecast.deviation) : null,
    closed: closing !== null,
    closedOn: closing?.closedOn ?? null,
    carriedForward: closing ? closing.carriedForward : null,
    latestForecast: forecast ? forecastViewOf(forecast) : null,
    carried: closing ? oreOf(closing.carriedForward) : null,
    resultValue: oreOf(formatMoney(result)),
  };
  if (made.size >= ROWS_MADE_PER_FACTS) made.delete(made.keys().next().value!);
  made.set(madeKey, row);
  return row;
}

/**
 * The rows shown, by the year row and the carryover into it they were made with: in a view much
 * like one seen before, most committee-years are shown as they were, not formatted again.
 */
const rowsShown = new WeakMap<YearRow, { readonly carriedIn: Ore; readonly row: CommitteeResultRow }>();

/** The committee results from budgets already folded and grant revenue already summed (in öre). */
export function committeeResultsOf(
  budgets: Iterable<BudgetInView>,
  revenue: ReadonlyMap<string, Ore>,
  viewDate: IsoDate,
  filter: { readonly committee?: string } = {},
): { rows: CommitteeResultRow[] } {
  const years: YearRow[] = [];
  for (const { key, facts } of budgets) {
    if (filter.committee !== undefined && key.committee !== filter.committee) continue;
    if (!facts.exists) continue;
    years.push(yearRowOf(key, facts, revenue, viewDate));
  }
  years.sort((a, b) => (a.committee === b.committee ? a.fiscalYear - b.fiscalYear : a.committee < b.committee ? -1 : 1));
  // Sorted by committee and year, one row per committee-year: a running sum of what the council
  // carried over from earlier closed years gives each year's carriedIn in one pass.
  let committee: string | null = null;
  let carriedIn: Ore = 0n;
  const rows = years.map((year) => {
    if (year.committee !== committee) {
      committee = year.committee;
      carriedIn = 0n;
    }
    let shown = rowsShown.get(year);
    if (shown === undefined || shown.carriedIn !== carriedIn) {
      shown = { carriedIn, row: shownRowOf(year, carriedIn) };
      rowsShown.set(year, shown);
    }
    if (year.carried !== null) carriedIn += year.carried;
    return shown.row;
  });
  return { rows };
}

function shownRowOf(year: YearRow, carriedIn: Ore): CommitteeResultRow {
  return {
    committee: year.committee,
    fiscalYear: year.fiscalYear,
    budget: year.budget,
    monthsReported: year.monthsReported,
    budgetToDate: year.budgetToDate,
    costs: year.costs,
    revenues: year.revenues,
    grantRevenue: year.grantRevenue,
    result: year.result,
    expectedResult: year.expectedResult,
    closed: year.closed,
    closedOn: year.closedOn,
    carriedForward: year.carriedForward,
    latestForecast: year.latestForecast,
    carriedIn: formatOre(carriedIn),
    cumulativeResult: formatOre(carriedIn + (year.carried ?? year.resultValue)),
  };
}
