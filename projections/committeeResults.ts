import { Decimal } from 'decimal.js';
import { formatMoney, money, ZERO, type Money } from '../src/domain/money.js';
import { yearOf } from '../src/domain/dates.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import { grantBusinessDate } from '../src/domain/grant/state.js';
import type { BudgetEvent, BudgetKey } from '../src/domain/budget/events.js';
import { budgetBusinessDate, budgetOf, latestForecastOf, resultOf, type BudgetFacts } from '../src/domain/budget/state.js';
import { foldBudgetFacts } from '../src/domain/budget/decide.js';
import { asCorrected } from '../src/domain/grant/decide.js';
import { visibleEvents, type Clocks, type ProjectedEvent } from './clocks.js';

/**
 * Committee results (resultat, budgetavvikelse) per fiscal year, and the cumulative result
 * (ackumulerat resultat) built from the results carried over (resultatöverföring).
 */
export interface CommitteeResultRow {
  readonly committee: string;
  readonly fiscalYear: number;
  readonly budget: string;
  readonly costs: string;
  readonly revenues: string;
  readonly grantRevenue: string;
  readonly result: string;
  readonly cumulativeResult: string;
  readonly closed: boolean;
  readonly closedOn: string | null;
  readonly carriedForward: string | null;
  readonly latestForecast: { readonly afterPeriod: string; readonly deviation: string } | null;
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
  const add = (committee: string, date: string, amount: string) => {
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
        if (event.type === 'GrantReceived' || event.type === 'GrantInstallmentReceived') add(committee, event.data.receivedOn, event.data.amount);
        else if (event.type === 'FundsReturned') add(committee, event.data.returnedOn, `-${event.data.amount}`);
      } else if (event.type === 'FundsSpent') {
        add(committee, event.data.spentOn, event.data.amount);
      } else if (event.type === 'GrantClosed' && !money(event.data.retained).isZero()) {
        // Earmarked money becomes revenue as it is used, and what is kept at closing then.
        add(committee, event.data.closedOn, event.data.retained);
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

/**
 * The whole report folded from the streams alone: the reference the read model's cached views
 * are tested against, and the way to report on any set of streams.
 */
export function committeeResultsReport(
  budgets: Iterable<BudgetStream>,
  grantStreams: Iterable<readonly ProjectedEvent[]>,
  clocks: Clocks,
  filter: { readonly committee?: string } = {},
): { rows: CommitteeResultRow[] } {
  const inView: BudgetInView[] = [];
  for (const { key, events } of budgets) inView.push({ key, facts: budgetFactsAt(events, clocks) });
  return committeeResultsOf(inView, grantRevenueByCommitteeYear(grantStreams, clocks), filter);
}

/** The committee results from budgets already folded and grant revenue already summed. */
export function committeeResultsOf(
  budgets: Iterable<BudgetInView>,
  revenue: ReadonlyMap<string, Money>,
  filter: { readonly committee?: string } = {},
): { rows: CommitteeResultRow[] } {
  const years: Array<Omit<CommitteeResultRow, 'cumulativeResult'> & { carried: Money | null; resultValue: Money }> = [];
  for (const { key, facts } of budgets) {
    if (filter.committee !== undefined && key.committee !== filter.committee) continue;
    if (!facts.exists) continue;
    const closing = facts.closing;
    // A closed year shows the result as adopted at closing; an open one, as the figures stand.
    const grantRevenue = closing ? money(closing.grantRevenue) : (revenue.get(revenueKeyOf(key.committee, key.fiscalYear)) ?? ZERO);
    const result = closing ? money(closing.result) : resultOf(facts, grantRevenue);
    const forecast = latestForecastOf(facts);
    years.push({
      committee: key.committee,
      fiscalYear: key.fiscalYear,
      budget: formatMoney(budgetOf(facts)),
      costs: formatMoney(facts.costs),
      revenues: formatMoney(facts.revenues),
      grantRevenue: formatMoney(grantRevenue),
      result: formatMoney(result),
      closed: closing !== null,
      closedOn: closing?.closedOn ?? null,
      carriedForward: closing ? closing.carriedForward : null,
      latestForecast: forecast ? { afterPeriod: forecast.afterPeriod, deviation: formatMoney(forecast.deviation) } : null,
      carried: closing ? money(closing.carriedForward) : null,
      resultValue: result,
    });
  }
  years.sort((a, b) => (a.committee === b.committee ? a.fiscalYear - b.fiscalYear : a.committee < b.committee ? -1 : 1));
  // Sorted by committee and year, one row per committee-year: a running sum of the results
  // carried over by earlier years gives each year's cumulative result in one pass.
  let committee: string | null = null;
  let carriedBefore: Decimal = ZERO;
  const rows = years.map(({ carried, resultValue, ...row }) => {
    if (row.committee !== committee) {
      committee = row.committee;
      carriedBefore = ZERO;
    }
    const cumulative = resultValue.plus(carriedBefore);
    if (carried !== null) carriedBefore = carriedBefore.plus(carried);
    return { ...row, cumulativeResult: formatMoney(cumulative) };
  });
  return { rows };
}
