import { formatMoney, money, ZERO, type Money } from '../src/domain/money.js';
import type { IsoDate } from '../src/domain/dates.js';
import type { BudgetInView } from './committeeResults.js';

/**
 * The result fund (resultatfond): each closed year of a committee with its adopted result, what
 * the council carried forward (resultatöverföring), when it was closed, and the fund's running
 * balance: Σ carriedForward of the closed years up to and including the row's.
 */
export interface ResultFundRow {
  readonly committee: string;
  readonly fiscalYear: number;
  readonly result: string;
  readonly carriedForward: string;
  /** result − carriedForward: what the council chose not to carry over. */
  readonly notCarried: string;
  readonly closedOn: IsoDate;
  readonly balance: string;
}

export interface ResultFundReport {
  readonly rows: readonly ResultFundRow[];
  /** The fund's balance per committee after its latest closed year. */
  readonly balances: ReadonlyArray<{ readonly committee: string; readonly balance: string }>;
}

export function resultFundReport(budgets: Iterable<BudgetInView>, filter: { readonly committee?: string } = {}): ResultFundReport {
  const closed: Array<{ committee: string; fiscalYear: number; result: Money; carriedForward: Money; closedOn: IsoDate }> = [];
  for (const { key, facts } of budgets) {
    if (filter.committee !== undefined && key.committee !== filter.committee) continue;
    if (!facts.exists || facts.closing === null) continue;
    closed.push({
      committee: key.committee,
      fiscalYear: key.fiscalYear,
      result: money(facts.closing.result),
      carriedForward: money(facts.closing.carriedForward),
      closedOn: facts.closing.closedOn,
    });
  }
  closed.sort((a, b) => (a.committee === b.committee ? a.fiscalYear - b.fiscalYear : a.committee < b.committee ? -1 : 1));
  const balances = new Map<string, Money>();
  const rows = closed.map((year) => {
    const balance = (balances.get(year.committee) ?? ZERO).plus(year.carriedForward);
    balances.set(year.committee, balance);
    return {
      committee: year.committee,
      fiscalYear: year.fiscalYear,
      result: formatMoney(year.result),
      carriedForward: formatMoney(year.carriedForward),
      notCarried: formatMoney(year.result.minus(year.carriedForward)),
      closedOn: year.closedOn,
      balance: formatMoney(balance),
    };
  });
  return { rows, balances: [...balances.entries()].map(([committee, balance]) => ({ committee, balance: formatMoney(balance) })) };
}
