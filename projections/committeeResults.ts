import { Decimal } from 'decimal.js';
import type { RecordedEvent } from '../src/store/port.js';
import { formatMoney, money, ZERO, type Money } from '../src/domain/money.js';
import { yearOf } from '../src/domain/dates.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import { grantBusinessDate } from '../src/domain/grant/state.js';
import type { BudgetEvent, BudgetKey } from '../src/domain/budget/events.js';
import { budgetBusinessDate, budgetOf, latestForecastOf, resultOf } from '../src/domain/budget/state.js';
import { foldBudgetFacts } from '../src/domain/budget/decide.js';
import { visibleEvents, type Clocks } from './clocks.js';

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
  readonly events: readonly RecordedEvent[];
}

const revenueKey = (committee: string, year: number) => `${committee}/${year}`;

/**
 * grantRevenue per committee and year: Σ FundsSpent of riktade grants spent in the year,
 * + retained of grants closed in the year, + Σ generella grants received in the year.
 */
export function grantRevenueByCommitteeYear(grantStreams: Iterable<readonly RecordedEvent[]>, clocks: Clocks): Map<string, Money> {
  const revenue = new Map<string, Money>();
  const add = (committee: string, date: string, amount: string) => {
    const key = revenueKey(committee, yearOf(date));
    revenue.set(key, (revenue.get(key) ?? ZERO).plus(amount));
  };
  for (const stream of grantStreams) {
    const events = visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate);
    const received = events[0];
    if (received?.type !== 'GrantReceived') continue;
    const { committee, kind } = received.data;
    for (const event of events) {
      if (kind === 'generellt' && (event.type === 'GrantReceived' || event.type === 'GrantInstallmentReceived')) {
        add(committee, event.data.receivedOn, event.data.amount);
      } else if (kind === 'riktat' && event.type === 'FundsSpent') {
        add(committee, event.data.spentOn, event.data.amount);
      } else if (kind === 'riktat' && event.type === 'GrantClosed' && !money(event.data.retained).isZero()) {
        // Earmarked money becomes revenue as it is used, and what is kept at closing then; a
        // general grant was revenue in full when received.
        add(committee, event.data.closedOn, event.data.retained);
      }
    }
  }
  return revenue;
}

export function committeeResultsReport(
  budgets: Iterable<BudgetStream>,
  grantStreams: Iterable<readonly RecordedEvent[]>,
  clocks: Clocks,
  filter: { readonly committee?: string } = {},
  /** grantRevenueByCommitteeYear(grantStreams, clocks), when the caller already holds it. */
  knownRevenue?: ReadonlyMap<string, Money>,
): { rows: CommitteeResultRow[] } {
  const revenue = knownRevenue ?? grantRevenueByCommitteeYear(grantStreams, clocks);
  const years: Array<Omit<CommitteeResultRow, 'cumulativeResult'> & { carried: Money | null; resultValue: Money }> = [];
  for (const { key, events } of budgets) {
    if (filter.committee !== undefined && key.committee !== filter.committee) continue;
    const facts = foldBudgetFacts(visibleEvents<BudgetEvent>(events, clocks, budgetBusinessDate));
    if (!facts.exists) continue;
    const closing = facts.closing;
    // A closed year shows the result as adopted at closing; an open one, as the figures stand.
    const grantRevenue = closing ? money(closing.grantRevenue) : (revenue.get(revenueKey(key.committee, key.fiscalYear)) ?? ZERO);
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
  const rows = years.map(({ carried: _carried, resultValue, ...row }) => {
    let cumulative: Decimal = resultValue;
    for (const earlier of years) {
      if (earlier.committee === row.committee && earlier.fiscalYear < row.fiscalYear && earlier.carried !== null) {
        cumulative = cumulative.plus(earlier.carried);
      }
    }
    return { ...row, cumulativeResult: formatMoney(cumulative) };
  });
  return { rows };
}
