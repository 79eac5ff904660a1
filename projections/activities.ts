import { Decimal } from 'decimal.js';
import { formatMoney, money, ZERO, type Money } from '../src/domain/money.js';
import { yearOf, type IsoDate, type Period } from '../src/domain/dates.js';
import type { BudgetEvent } from '../src/domain/budget/events.js';
import { budgetBusinessDate, forecastHistoryOf, monthsReportedOf } from '../src/domain/budget/state.js';
import { foldBudgetFacts } from '../src/domain/budget/decide.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import { grantBusinessDate } from '../src/domain/grant/state.js';
import { foldGrantFacts } from '../src/domain/grant/decide.js';
import { visibleEvents, type Clocks, type GrantStreamEvent, type BudgetStreamEvent } from './clocks.js';
import { forecastViewOf, grantRevenueByCommitteeYear, revenueKeyOf, type ForecastView } from './committeeResults.js';

/**
 * Per verksamhet: one committee's year per activity, as an ekonom reads it every month. Budget,
 * the budget to date (spread evenly over the months reported), costs, revenues, grant revenue and
 * the deviation; each activity's latest forecast line, and the year's forecast history.
 */
export interface ActivityRow {
  /** null: the committee as a whole (appropriations, forecasts and grant revenue without activity). */
  readonly activity: string | null;
  readonly budget: string;
  readonly budgetToDate: string;
  readonly costs: string;
  readonly revenues: string;
  readonly grantRevenue: string;
  /** budgetToDate − costs + revenues + grantRevenue */
  readonly deviation: string;
  /** The activity's (or the committee line's) latest forecast line, of whatever period it is. */
  readonly forecast: { readonly afterPeriod: Period; readonly deviation: string } | null;
}

export interface ActivitiesReport {
  readonly committee: string;
  readonly year: number;
  readonly viewDate: IsoDate;
  readonly monthsReported: number;
  readonly closed: boolean;
  readonly rows: readonly ActivityRow[];
  readonly totals: Omit<ActivityRow, 'activity' | 'forecast'>;
  /** The latest period's forecast (DOMAIN.md, "Forecasts"); null when none is in view. */
  readonly latestForecast: ForecastView | null;
  /** Every period with forecast lines, the earliest first; the last one is the latest forecast. */
  readonly forecastHistory: readonly ForecastView[];
}

/**
 * Spreads budgets over m of 12 months, each rounded to öre so that the rounded parts add up to the
 * rounded whole: each part is the rounded running sum less the rounded running sum before it.
 */
export function budgetsToDate(budgets: readonly Money[], months: number): Money[] {
  let exact = ZERO;
  let rounded = ZERO;
  return budgets.map((budget) => {
    exact = exact.plus(budget.times(months).dividedBy(12));
    const next = exact.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const part = next.minus(rounded);
    rounded = next;
    return part;
  });
}

interface Figures {
  budget: Money;
  costs: Money;
  revenues: Money;
  grantRevenue: Money;
  forecast: { afterPeriod: Period; deviation: Money } | null;
}

const COMMITTEE = '';

/**
 * @param budgetStream the committee-year's budget stream (empty when it has none)
 * @param grantStreams the streams of the committee's grants
 */
export function activitiesReport(
  committee: string,
  year: number,
  budgetStream: readonly BudgetStreamEvent[],
  grantStreams: Iterable<readonly GrantStreamEvent[]>,
  clocks: Clocks,
  viewDate: IsoDate,
): ActivitiesReport {
  const byActivity = new Map<string, Figures>();
  const figuresOf = (activity: string | null | undefined): Figures => {
    const key = activity ?? COMMITTEE;
    let figures = byActivity.get(key);
    if (!figures) {
      figures = { budget: ZERO, costs: ZERO, revenues: ZERO, grantRevenue: ZERO, forecast: null };
      byActivity.set(key, figures);
    }
    return figures;
  };
  figuresOf(null);

  const visible = visibleEvents<BudgetEvent>(budgetStream, clocks, budgetBusinessDate);
  // The year's own fold gives the months reported, the closing and the forecasts (the latest
  // record per period and activity); the per-activity figures are folded here.
  const facts = foldBudgetFacts(visible);
  for (const event of visible) {
    switch (event.type) {
      case 'AppropriationGranted':
      case 'AppropriationAdjusted': {
        const figures = figuresOf(event.data.activity);
        figures.budget = figures.budget.plus(money(event.data.amount));
        break;
      }
      case 'OutcomeRecorded': {
        const figures = figuresOf(event.data.activity);
        figures.costs = figures.costs.plus(money(event.data.costs));
        figures.revenues = figures.revenues.plus(money(event.data.revenues));
        break;
      }
      default:
        break;
    }
  }

  // Grant revenue: earmarked money spent in the year belongs to the activity its allocation is
  // for; the rest of the committee's grant revenue of the year (general grants, money retained at
  // closing) to the committee as a whole, so the total is the committee result's grant revenue.
  let grantRevenueTotal = ZERO;
  let grantRevenueOfActivities = ZERO;
  for (const stream of grantStreams) {
    grantRevenueTotal = grantRevenueTotal.plus(grantRevenueByCommitteeYear([stream], clocks).get(revenueKeyOf(committee, year)) ?? ZERO);
    const events = visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate);
    const facts = foldGrantFacts(events);
    if (facts.grant?.committee !== committee || facts.grant.kind !== 'riktat') continue;
    for (const event of events) {
      if (event.type !== 'FundsSpent' || yearOf(event.data.spentOn) !== year) continue;
      const allocation = facts.allocations.get(event.data.allocationId);
      if (!allocation) continue;
      const figures = figuresOf(allocation.activity);
      figures.grantRevenue = figures.grantRevenue.plus(money(event.data.amount));
      grantRevenueOfActivities = grantRevenueOfActivities.plus(money(event.data.amount));
    }
  }
  const committeeWide = figuresOf(null);
  committeeWide.grantRevenue = committeeWide.grantRevenue.plus(grantRevenueTotal.minus(grantRevenueOfActivities));

  const history = forecastHistoryOf(facts).map(forecastViewOf);
  for (const line of [...facts.forecasts.values()].sort((a, b) => (a.afterPeriod < b.afterPeriod ? -1 : 1))) {
    figuresOf(line.activity).forecast = { afterPeriod: line.afterPeriod, deviation: line.deviation };
  }

  // A closed year is reported in full, as the committee results show it.
  const closed = facts.closing !== null;
  const months = closed ? 12 : monthsReportedOf(facts, year, viewDate);
  const keys = [...byActivity.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const toDate = budgetsToDate(keys.map((key) => byActivity.get(key)!.budget), months);
  const total = { budget: ZERO, budgetToDate: ZERO, costs: ZERO, revenues: ZERO, grantRevenue: ZERO, deviation: ZERO };
  const rows: ActivityRow[] = keys.map((key, index) => {
    const figures = byActivity.get(key)!;
    const budgetToDate = toDate[index]!;
    const deviation = budgetToDate.minus(figures.costs).plus(figures.revenues).plus(figures.grantRevenue);
    total.budget = total.budget.plus(figures.budget);
    total.budgetToDate = total.budgetToDate.plus(budgetToDate);
    total.costs = total.costs.plus(figures.costs);
    total.revenues = total.revenues.plus(figures.revenues);
    total.grantRevenue = total.grantRevenue.plus(figures.grantRevenue);
    total.deviation = total.deviation.plus(deviation);
    return {
      activity: key === COMMITTEE ? null : key,
      budget: formatMoney(figures.budget),
      budgetToDate: formatMoney(budgetToDate),
      costs: formatMoney(figures.costs),
      revenues: formatMoney(figures.revenues),
      grantRevenue: formatMoney(figures.grantRevenue),
      deviation: formatMoney(deviation),
      forecast: figures.forecast ? { afterPeriod: figures.forecast.afterPeriod, deviation: formatMoney(figures.forecast.deviation) } : null,
    };
  });
  return {
    committee,
    year,
    viewDate,
    monthsReported: months,
    closed,
    rows,
    totals: {
      budget: formatMoney(total.budget),
      budgetToDate: formatMoney(total.budgetToDate),
      costs: formatMoney(total.costs),
      revenues: formatMoney(total.revenues),
      grantRevenue: formatMoney(total.grantRevenue),
      deviation: formatMoney(total.deviation),
    },
    latestForecast: history[history.length - 1] ?? null,
    forecastHistory: history,
  };
}
