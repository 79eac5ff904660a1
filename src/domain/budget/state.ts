import { Decimal } from 'decimal.js';
import { money, ZERO, type Money } from '../money.js';
import { assertNever } from '../errors.js';
import { lastDayOfPeriod, type IsoDate, type Period } from '../dates.js';
import type { BudgetEvent, BudgetEventOf } from './events.js';

export interface Forecast {
  readonly afterPeriod: Period;
  readonly activity: string | null;
  readonly deviation: Money;
}

/** The figures of one committee's fiscal year, folded from its effective events. */
export interface BudgetFacts {
  readonly exists: boolean;
  readonly granted: Money;
  readonly adjustments: Money;
  readonly costs: Money;
  readonly revenues: Money;
  /** Latest forecast per (afterPeriod, activity): a later record replaces an earlier one. */
  readonly forecasts: ReadonlyMap<string, Forecast>;
  /** The latest month with an outcome: how many months of the year are reported. */
  readonly lastOutcomePeriod: Period | null;
  readonly closing: BudgetEventOf<'FiscalYearClosed'>['data'] | null;
  /** The latest business date of any effective event; a year cannot be closed before it. */
  readonly lastBusinessDate: IsoDate | null;
}

export const INITIAL_BUDGET_FACTS: BudgetFacts = {
  exists: false,
  granted: ZERO,
  adjustments: ZERO,
  costs: ZERO,
  revenues: ZERO,
  forecasts: new Map(),
  lastOutcomePeriod: null,
  closing: null,
  lastBusinessDate: null,
};

/** budget = Σ granted + Σ adjustments */
export function budgetOf(facts: BudgetFacts): Money {
  return facts.granted.plus(facts.adjustments);
}

/** result = budget − costs + revenues + grantRevenue (positive is överskott, negative underskott). */
export function resultOf(facts: BudgetFacts, grantRevenue: Money): Money {
  return budgetOf(facts).minus(facts.costs).plus(facts.revenues).plus(grantRevenue);
}

/** The forecast lines of one period (prognos efter april): the committee's line and the activities'. */
export interface ForecastPeriod {
  readonly afterPeriod: Period;
  /** The line for the committee as a whole, if one was recorded. */
  readonly committeeLine: Money | null;
  readonly activities: ReadonlyArray<{ readonly activity: string; readonly deviation: Money }>;
  /** Σ of the activity lines. */
  readonly activitySum: Money;
  /** The forecast of the period: its committee line, else the sum of its activity lines. */
  readonly deviation: Money;
}

/**
 * Every period with forecast lines, oldest first: the forecast history (prognos efter februari,
 * april, augusti…). DOMAIN.md: a committee line is the forecast and the activity lines its
 * breakdown; without a committee line, the activity lines add up to the forecast.
 */
export function forecastHistoryOf(facts: BudgetFacts): ForecastPeriod[] {
  const byPeriod = new Map<Period, Forecast[]>();
  for (const forecast of facts.forecasts.values()) {
    const lines = byPeriod.get(forecast.afterPeriod) ?? [];
    lines.push(forecast);
    byPeriod.set(forecast.afterPeriod, lines);
  }
  return [...byPeriod.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([afterPeriod, lines]) => {
      const committeeLine = lines.find((line) => line.activity === null)?.deviation ?? null;
      const activities = lines
        .filter((line): line is Forecast & { activity: string } => line.activity !== null)
        .sort((a, b) => (a.activity < b.activity ? -1 : 1))
        .map(({ activity, deviation }) => ({ activity, deviation }));
      const activitySum = activities.reduce((total, line) => total.plus(line.deviation), ZERO);
      return { afterPeriod, committeeLine, activities, activitySum, deviation: committeeLine ?? activitySum };
    });
}

/** The forecast in force: the latest period with any line; lines of earlier periods never mix in. */
export function latestForecastOf(facts: BudgetFacts): ForecastPeriod | null {
  const history = forecastHistoryOf(facts);
  return history[history.length - 1] ?? null;
}

/**
 * Months of the year reported (DOMAIN.md, "An open year, mid-year"): all twelve once the view date
 * is on or after 31 December; before that, the latest month with an outcome in view.
 */
export function monthsReportedOf(facts: BudgetFacts, fiscalYear: number, viewDate: IsoDate): number {
  if (viewDate >= `${fiscalYear}-12-31`) return 12;
  const last = facts.lastOutcomePeriod;
  return last === null ? 0 : Number(last.slice(5, 7));
}

/**
 * budgetToDate = budget × m / 12: the budget spread evenly over the months, rounded half up to
 * the öre, so the result to date is exactly budgetToDate − costs + revenues + grantRevenue as shown.
 */
export function budgetToDateOf(facts: BudgetFacts, months: number): Money {
  const budget = budgetOf(facts);
  return months === 12 ? budget : budget.times(months).dividedBy(12).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

export function budgetBusinessDate(event: BudgetEvent): IsoDate | null {
  switch (event.type) {
    case 'AppropriationGranted':
    case 'AppropriationAdjusted':
      return event.data.decidedOn;
    case 'OutcomeRecorded':
      return lastDayOfPeriod(event.data.period);
    case 'ForecastRecorded':
      return lastDayOfPeriod(event.data.afterPeriod);
    case 'FiscalYearClosed':
      return event.data.closedOn;
    case 'EntryReversed':
      return null;
    default:
      return assertNever(event);
  }
}

export function applyBudgetEvent(facts: BudgetFacts, event: BudgetEvent): BudgetFacts {
  const date = budgetBusinessDate(event);
  const lastBusinessDate = date !== null && (facts.lastBusinessDate === null || date > facts.lastBusinessDate) ? date : facts.lastBusinessDate;
  // One new object an event, its amounts the shared Decimals of money(): a replay folds every budget view.
  switch (event.type) {
    case 'AppropriationGranted':
      return { ...facts, exists: true, lastBusinessDate, granted: facts.granted.plus(money(event.data.amount)) };
    case 'AppropriationAdjusted':
      return { ...facts, exists: true, lastBusinessDate, adjustments: facts.adjustments.plus(money(event.data.amount)) };
    case 'OutcomeRecorded':
      return {
        ...facts,
        exists: true,
        lastBusinessDate,
        costs: facts.costs.plus(money(event.data.costs)),
        revenues: facts.revenues.plus(money(event.data.revenues)),
        lastOutcomePeriod: facts.lastOutcomePeriod === null || event.data.period > facts.lastOutcomePeriod ? event.data.period : facts.lastOutcomePeriod,
      };
    case 'ForecastRecorded': {
      const activity = event.data.activity ?? null;
      const forecasts = new Map(facts.forecasts);
      forecasts.set(`${event.data.afterPeriod}/${activity ?? ''}`, {
        afterPeriod: event.data.afterPeriod,
        activity,
        deviation: new Decimal(event.data.deviation),
      });
      return { ...facts, exists: true, lastBusinessDate, forecasts };
    }
    case 'FiscalYearClosed':
      return { ...facts, exists: true, lastBusinessDate, closing: event.data };
    case 'EntryReversed':
      return facts;
    default:
      return assertNever(event);
  }
}
