import { Decimal } from 'decimal.js';
import { formatMoney, ZERO, type Money } from '../src/domain/money.js';
import type { IsoDate } from '../src/domain/dates.js';
import { repaymentOutstandingOf, toRepayOf, unusedOf, type GrantFacts } from '../src/domain/grant/state.js';

/**
 * Year-end balances (bokslutsposter) of grants, as of a date (31 December, or a delårsbokslut
 * date): what an ekonom books at the closing.
 *
 * - repaymentLiability (skuld till bidragsgivaren): the larger of toRepay (unused money of a grant
 *   that must be repaid once useBy has passed) and repaymentOutstanding (the grantor's claims not
 *   yet paid, which may come before useBy, and on a generellt grant too).
 * - prepaidIncome (förutbetald intäkt): unused money of riktade grants still open that is not
 *   such a liability: unused − repaymentLiability, at least 0. The same krona is never both.
 *
 * Rows: every grant of the view with either figure above zero.
 */
export interface YearEndRow {
  readonly grantId: string;
  readonly grantor: string;
  readonly title: string;
  readonly committee: string;
  readonly kind: 'riktat' | 'generellt';
  readonly useBy: IsoDate;
  readonly repaymentRequired: boolean;
  readonly closed: boolean;
  readonly unused: string;
  readonly toRepay: string;
  readonly repaymentOutstanding: string;
  readonly prepaidIncome: string;
  readonly repaymentLiability: string;
}

export interface YearEndReport {
  readonly balanceDate: IsoDate;
  readonly rows: readonly YearEndRow[];
  readonly totals: { readonly unused: string; readonly prepaidIncome: string; readonly repaymentLiability: string };
}

const larger = (a: Money, b: Money): Money => (a.gt(b) ? a : b);

export function yearEndReport(grants: Iterable<GrantFacts>, balanceDate: IsoDate, filter: { readonly committee?: string } = {}): YearEndReport {
  const rows: YearEndRow[] = [];
  let unusedTotal: Decimal = ZERO;
  let prepaidTotal: Decimal = ZERO;
  let liabilityTotal: Decimal = ZERO;
  for (const facts of grants) {
    const grant = facts.grant;
    if (grant === null) continue;
    if (filter.committee !== undefined && grant.committee !== filter.committee) continue;
    const riktat = grant.kind === 'riktat';
    const open = facts.status !== 'closed';
    const unused = larger(unusedOf(facts), ZERO);
    const toRepay = larger(toRepayOf(facts, balanceDate), ZERO);
    const outstanding = repaymentOutstandingOf(facts);
    const liability = larger(toRepay, outstanding);
    const prepaid = riktat && open ? larger(unused.minus(liability), ZERO) : ZERO;
    if (prepaid.isZero() && liability.isZero()) continue;
    unusedTotal = unusedTotal.plus(unused);
    prepaidTotal = prepaidTotal.plus(prepaid);
    liabilityTotal = liabilityTotal.plus(liability);
    rows.push({
      grantId: grant.grantId,
      grantor: grant.grantor,
      title: grant.title,
      committee: grant.committee,
      kind: grant.kind,
      useBy: grant.useBy,
      repaymentRequired: grant.repaymentRequired,
      closed: !open,
      unused: formatMoney(unused),
      toRepay: formatMoney(toRepay),
      repaymentOutstanding: formatMoney(outstanding),
      prepaidIncome: formatMoney(prepaid),
      repaymentLiability: formatMoney(liability),
    });
  }
  rows.sort((a, b) => (a.committee === b.committee ? (a.grantId < b.grantId ? -1 : 1) : a.committee < b.committee ? -1 : 1));
  return {
    balanceDate,
    rows,
    totals: { unused: formatMoney(unusedTotal), prepaidIncome: formatMoney(prepaidTotal), repaymentLiability: formatMoney(liabilityTotal) },
  };
}
