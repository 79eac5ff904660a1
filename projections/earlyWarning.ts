import { Decimal } from 'decimal.js';
import { formatMoney, money, ZERO, type Money } from '../src/domain/money.js';
import { addMonths, lastDayOfPeriod, type IsoDate, type Period } from '../src/domain/dates.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import { grantBusinessDate, unusedOf, type GrantFacts } from '../src/domain/grant/state.js';
import { asCorrected, foldGrantFacts } from '../src/domain/grant/decide.js';
import { visibleEvents, type Clocks, type GrantStreamEvent } from './clocks.js';

/**
 * Early warning (tidig varning): which earmarked money will be left unused at useBy if spending
 * goes on as it has, or as the spending plan (förbrukningsplan) says. Issue 14 is the contract:
 * - pace = spending dated in the last three whole months ending on or before the view date, ÷ 3
 *   (a grant younger than that divides by the whole months it has);
 * - monthsLeft = month ends after the view date, up to and including useBy's month;
 * - projectedSpending = the plan where one covers a month, else pace, for each month left;
 * - projectedUnused = max(0, unused − Σ projectedSpending);
 * - warning when projectedUnused > 0 and useBy is within 12 months.
 */
export interface EarlyWarningRow {
  readonly grantId: string;
  readonly grantor: string;
  readonly title: string;
  readonly committee: string;
  readonly useBy: IsoDate;
  readonly unused: string;
  readonly pace: string;
  readonly monthsLeft: number;
  readonly projectedSpending: string;
  readonly projectedUnused: string;
  readonly warning: boolean;
  /** What would be repaid at useBy if nothing changes: projectedUnused when there is a duty to repay. */
  readonly toRepay: string;
  /** Months left that a plan covers, of monthsLeft. */
  readonly planCoverage: { readonly months: number; readonly of: number };
  /** Plan against actual spending per month, for every month some plan covers. */
  readonly plan: ReadonlyArray<{ readonly month: Period; readonly planned: string; readonly actual: string }>;
}

export interface EarlyWarningReport {
  readonly rows: readonly EarlyWarningRow[];
  readonly totals: ReadonlyArray<{ readonly committee: string; readonly unused: string; readonly projectedUnused: string; readonly toRepay: string; readonly warnings: number }>;
}

/** The months of a span, first and last included. */
function monthsFrom(first: Period, last: Period): Period[] {
  const months: Period[] = [];
  for (let month = first; month <= last; month = addMonths(month, 1)) months.push(month);
  return months;
}

/** The latest month whose last day is on or before the date. */
function lastWholeMonth(viewDate: IsoDate): Period {
  const month = viewDate.slice(0, 7);
  return lastDayOfPeriod(month) === viewDate ? month : addMonths(month, -1);
}

/** One grant's projection from its events in a view; null unless an open riktat grant. */
export function earlyWarningRowOf(stream: readonly GrantStreamEvent[], clocks: Clocks, viewDate: IsoDate): EarlyWarningRow | null {
  const events = asCorrected(visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate));
  const facts = foldGrantFacts(events);
  return earlyWarningFromFacts(facts, events, viewDate);
}

export function earlyWarningFromFacts(facts: GrantFacts, events: readonly GrantEvent[], viewDate: IsoDate): EarlyWarningRow | null {
  const grant = facts.grant;
  if (grant === null || grant.kind !== 'riktat' || facts.status !== 'open' || viewDate >= grant.useBy) return null;

  const spentByMonth = new Map<Period, Money>();
  for (const event of events) {
    if (event.type !== 'FundsSpent') continue;
    const month = event.data.spentOn.slice(0, 7);
    spentByMonth.set(month, (spentByMonth.get(month) ?? ZERO).plus(money(event.data.amount)));
  }
  const spentIn = (month: Period) => spentByMonth.get(month) ?? ZERO;

  const lastWhole = lastWholeMonth(viewDate);
  const received = grant.receivedOn.slice(0, 7);
  const window = monthsFrom(addMonths(lastWhole, -2) > received ? addMonths(lastWhole, -2) : received, lastWhole);
  const pace = window.length === 0 ? ZERO : window.reduce((total, month) => total.plus(spentIn(month)), ZERO as Decimal).dividedBy(window.length);

  const useByMonth = grant.useBy.slice(0, 7);
  const firstLeft = lastDayOfPeriod(viewDate.slice(0, 7)) > viewDate ? viewDate.slice(0, 7) : addMonths(viewDate.slice(0, 7), 1);
  const left = monthsFrom(firstLeft, useByMonth);

  const plannedByMonth = new Map<Period, Money>();
  for (const plan of facts.plans.values()) plannedByMonth.set(plan.month, (plannedByMonth.get(plan.month) ?? ZERO).plus(plan.amount));
  let projectedSpending: Money = ZERO;
  let covered = 0;
  for (const month of left) {
    const planned = plannedByMonth.get(month);
    if (planned !== undefined) covered += 1;
    projectedSpending = projectedSpending.plus(planned ?? pace);
  }

  const unused = unusedOf(facts);
  const remainder = unused.minus(projectedSpending);
  const projectedUnused = remainder.isNeg() ? ZERO : remainder.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const withinYear = grant.useBy <= `${Number(viewDate.slice(0, 4)) + 1}${viewDate.slice(4)}`;
  return {
    grantId: grant.grantId,
    grantor: grant.grantor,
    title: grant.title,
    committee: grant.committee,
    useBy: grant.useBy,
    unused: formatMoney(unused),
    pace: formatMoney(pace.toDecimalPlaces(2, Decimal.ROUND_HALF_UP)),
    monthsLeft: left.length,
    projectedSpending: formatMoney(projectedSpending.toDecimalPlaces(2, Decimal.ROUND_HALF_UP)),
    projectedUnused: formatMoney(projectedUnused),
    warning: projectedUnused.gt(0) && withinYear,
    toRepay: formatMoney(grant.repaymentRequired ? projectedUnused : ZERO),
    planCoverage: { months: covered, of: left.length },
    plan: [...plannedByMonth.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([month, planned]) => ({ month, planned: formatMoney(planned), actual: formatMoney(spentIn(month)) })),
  };
}

/** The report: rows sorted by projectedUnused, largest first, and totals per committee. */
export function earlyWarningReport(rows: Iterable<EarlyWarningRow>, filter: { readonly committee?: string } = {}): EarlyWarningReport {
  const selected = [...rows].filter((row) => filter.committee === undefined || row.committee === filter.committee);
  selected.sort((a, b) => {
    const order = new Decimal(b.projectedUnused).comparedTo(a.projectedUnused);
    return order !== 0 ? order : a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0;
  });
  const byCommittee = new Map<string, { unused: Money; projectedUnused: Money; toRepay: Money; warnings: number }>();
  for (const row of selected) {
    const total = byCommittee.get(row.committee) ?? { unused: ZERO, projectedUnused: ZERO, toRepay: ZERO, warnings: 0 };
    byCommittee.set(row.committee, {
      unused: total.unused.plus(row.unused),
      projectedUnused: total.projectedUnused.plus(row.projectedUnused),
      toRepay: total.toRepay.plus(row.toRepay),
      warnings: total.warnings + (row.warning ? 1 : 0),
    });
  }
  const totals = [...byCommittee.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([committee, total]) => ({
      committee,
      unused: formatMoney(total.unused),
      projectedUnused: formatMoney(total.projectedUnused),
      toRepay: formatMoney(total.toRepay),
      warnings: total.warnings,
    }));
  return { rows: selected, totals };
}
