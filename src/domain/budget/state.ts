import { Decimal } from 'decimal.js';
import { ZERO, type Money } from '../money.js';
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

/** The latest forecast: the latest period forecast for, summed over its activities. */
export function latestForecastOf(facts: BudgetFacts): { afterPeriod: Period; deviation: Money } | null {
  let latest: Period | null = null;
  for (const forecast of facts.forecasts.values()) if (latest === null || forecast.afterPeriod > latest) latest = forecast.afterPeriod;
  if (latest === null) return null;
  let deviation = ZERO;
  for (const forecast of facts.forecasts.values()) if (forecast.afterPeriod === latest) deviation = deviation.plus(forecast.deviation);
  return { afterPeriod: latest, deviation };
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
  const next = { ...facts, exists: true, lastBusinessDate };
  switch (event.type) {
    case 'AppropriationGranted':
      return { ...next, granted: facts.granted.plus(event.data.amount) };
    case 'AppropriationAdjusted':
      return { ...next, adjustments: facts.adjustments.plus(event.data.amount) };
    case 'OutcomeRecorded':
      return { ...next, costs: facts.costs.plus(event.data.costs), revenues: facts.revenues.plus(event.data.revenues) };
    case 'ForecastRecorded': {
      const activity = event.data.activity ?? null;
      const forecasts = new Map(facts.forecasts);
      forecasts.set(`${event.data.afterPeriod}/${activity ?? ''}`, {
        afterPeriod: event.data.afterPeriod,
        activity,
        deviation: new Decimal(event.data.deviation),
      });
      return { ...next, forecasts };
    }
    case 'FiscalYearClosed':
      return { ...next, closing: event.data };
    case 'EntryReversed':
      return facts;
    default:
      return assertNever(event);
  }
}
