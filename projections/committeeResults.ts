import { Decimal } from 'decimal.js';
import { formatMoney, money, ZERO, type Money } from '../src/domain/money.js';
import { dateOfMoment, yearOf, type IsoDate } from '../src/domain/dates.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
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
import { viewDateOf, visibleEvents, type Clocks, type ProjectedEvent } from './clocks.js';

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
  readonly events: readonly ProjectedEvent[];
}

/** The key of a committee-year in grant revenue maps. */
export const revenueKeyOf = (committee: string, year: number): string => `${committee}/${year}`;

/**
 * grantRevenue per committee and year: Σ FundsSpent of riktade grants spent in the year,
 * + retained of grants closed in the year, + Σ generella grants received in the year.
 */
export function grantRevenueByCommitteeYear(grantStreams: Iterable<readonly ProjectedEvent[]>, clocks: Clocks): Map<string, Money> {
  const revenue = new Map<string, Money>();
  // Amounts go through money()'s cache: a replay adds a million of them, most of them repeats.
  const add = (committee: string, date: string, amount: Money) => {
    const key = revenueKeyOf(committee, yearOf(date));
    revenue.set(key, (revenue.get(key) ?? ZERO).plus(amount));
  };
  for (const stream of grantStreams) {
    // An amendment corrects the receipt: the committee and kind are the corrected ones.
    const events = asCorrected(visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate));
    const received = events[0];
    if (received?.type !== 'GrantReceived') continue;
    const { committee, kind } = received.data;
    for (const event of events) {
      if (kind === 'generellt') {
        // A general grant is revenue when received, less what is returned, each in its own year.
        if (event.type === 'GrantReceived' || event.type === 'GrantInstallmentReceived') add(committee, event.data.receivedOn, money(event.data.amount));
        else if (event.type === 'FundsReturned') add(committee, event.data.returnedOn, money(event.data.amount).neg());
      } else if (event.type === 'FundsSpent') {
        add(committee, event.data.spentOn, money(event.data.amount));
      } else if (event.type === 'GrantClosed' && !money(event.data.retained).isZero()) {
        // Earmarked money becomes revenue as it is used, and what is kept at closing then.
        add(committee, event.data.closedOn, money(event.data.retained));
      }
    }
  }
  return revenue;
}

/** A budget stream's facts in one view (folded by the caller, who may keep them). */
export interface BudgetInView {
  readonly key: BudgetKey;
  readonly facts: BudgetFacts;
}

export function budgetFactsAt(events: readonly ProjectedEvent[], clocks: Clocks): BudgetFacts {
  return foldBudgetFacts(visibleEvents<BudgetEvent>(events, clocks, budgetBusinessDate));
}

/** Adds one grant's revenue per committee-year into a running total (both keyed alike). */
export function addRevenue(total: Map<string, Money>, part: ReadonlyMap<string, Money>): void {
  for (const [key, amount] of part) total.set(key, (total.get(key) ?? ZERO).plus(amount));
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
  grantStreams: Iterable<readonly ProjectedEvent[]>,
  clocks: Clocks,
  options: CommitteeResultsOptions = {},
): { rows: CommitteeResultRow[] } {
  const inView: BudgetInView[] = [];
  for (const { key, events } of budgets) inView.push({ key, facts: budgetFactsAt(events, clocks) });
  const viewDate = viewDateOf(clocks, options.today ?? dateOfMoment(new Date()));
  return committeeResultsOf(inView, grantRevenueByCommitteeYear(grantStreams, clocks), viewDate, options);
}

/** The committee results from budgets already folded and grant revenue already summed. */
export function committeeResultsOf(
  budgets: Iterable<BudgetInView>,
  revenue: ReadonlyMap<string, Money>,
  viewDate: IsoDate,
  filter: { readonly committee?: string } = {},
): { rows: CommitteeResultRow[] } {
  type Year = Omit<CommitteeResultRow, 'cumulativeResult' | 'carriedIn'> & { carried: Money | null; resultValue: Money };
  const years: Year[] = [];
  for (const { key, facts } of budgets) {
    if (filter.committee !== undefined && key.committee !== filter.committee) continue;
    if (!facts.exists) continue;
    const closing = facts.closing;
    // A closed year shows the result as adopted at closing; an open one, as the figures stand.
    const grantRevenue = closing ? money(closing.grantRevenue) : (revenue.get(revenueKeyOf(key.committee, key.fiscalYear)) ?? ZERO);
    const monthsReported = closing ? 12 : monthsReportedOf(facts, key.fiscalYear, viewDate);
    const budgetToDate = budgetToDateOf(facts, monthsReported);
    const result = closing ? money(closing.result) : budgetToDate.minus(facts.costs).plus(facts.revenues).plus(grantRevenue);
    const forecast = latestForecastOf(facts);
    years.push({
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
      carried: closing ? money(closing.carriedForward) : null,
      resultValue: result,
    });
  }
  years.sort((a, b) => (a.committee === b.committee ? a.fiscalYear - b.fiscalYear : a.committee < b.committee ? -1 : 1));
  // Sorted by committee and year, one row per committee-year: a running sum of what the council
  // carried over from earlier closed years gives each year's carriedIn in one pass.
  let committee: string | null = null;
  let carriedIn: Decimal = ZERO;
  const rows = years.map(({ carried, resultValue, ...row }) => {
    if (row.committee !== committee) {
      committee = row.committee;
      carriedIn = ZERO;
    }
    const cumulative = carriedIn.plus(carried ?? resultValue);
    const shown = { ...row, carriedIn: formatMoney(carriedIn), cumulativeResult: formatMoney(cumulative) };
    if (carried !== null) carriedIn = carriedIn.plus(carried);
    return shown;
  });
  return { rows };
}
