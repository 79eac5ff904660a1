import { formatOre } from '../src/domain/money.js';
import { addDays, type IsoDate } from '../src/domain/dates.js';
import { textKey } from '../src/domain/schema.js';
import { oreOfSummary, totalOre, type GrantSummary, type GrantViewStatus } from './grantView.js';

/**
 * Unused earmarked funds (outnyttjade riktade statsbidrag): what a revisor asks first.
 * Riktade grants only; general grants are revenue when received.
 */
export interface UnusedGrantsFilter {
  readonly committee?: string;
  readonly grantor?: string;
  /**
   * A grant status, or 'at-risk': not closed, money unused, and useBy from the view date to
   * `within` days after it: what an ekonom must use or plan to repay before it is too late.
   */
  readonly status?: GrantViewStatus | 'at-risk';
  /** Days ahead for 'at-risk'. @defaultValue 90 */
  readonly within?: number;
}

export const AT_RISK_WITHIN_DAYS_DEFAULT = 90;

/**
 * Still open, money unused, and useBy within `within` days of the view date. A grant whose useBy
 * is the view date itself is already expired at the close of that day (see grantStatusOf), so
 * only an open one is at risk.
 */
export function isAtRisk(view: ReportableGrant, viewDate: IsoDate, within: number): boolean {
  return (
    view.kind === 'riktat' &&
    view.status === 'open' &&
    oreOfSummary(view).unused > 0n &&
    view.useBy >= viewDate &&
    view.useBy <= addDays(viewDate, within)
  );
}

export interface UnusedGrantRow {
  readonly grantId: string;
  readonly grantor: string;
  readonly title: string;
  readonly committee: string;
  readonly kind: 'riktat';
  readonly received: string;
  readonly spent: string;
  readonly returned: string;
  readonly unused: string;
  readonly unallocated: string;
  readonly allocatedRemaining: string;
  readonly useBy: string;
  readonly reportDue: string | null;
  readonly status: GrantViewStatus;
  readonly repaymentRequired: boolean;
  readonly repaymentOutstanding: string;
  readonly toRepay: string;
}

export interface UnusedGrantsReport {
  readonly rows: readonly UnusedGrantRow[];
  readonly totals: { readonly received: string; readonly spent: string; readonly returned: string; readonly unused: string; readonly toRepay: string };
}

/**
 * What the report reads of a grant: its summary, which becomes its row as it is (a whole
 * GrantView would bring its allocations along: pass summaryOfView(view)).
 */
export type ReportableGrant = GrantSummary;

/** A riktat grant's summary is its row in the report, as it is (summaries are immutable, and shared). */
function isRiktat(view: ReportableGrant): view is UnusedGrantRow {
  return view.kind === 'riktat';
}

/** localeCompare's order (the default locale's), with one collator made once rather than one per comparison. */
const byLocale = new Intl.Collator().compare;

/** @param viewDate the date the views are judged on (for 'at-risk'). */
export function unusedGrantsReport(views: Iterable<ReportableGrant>, filter: UnusedGrantsFilter, viewDate?: IsoDate): UnusedGrantsReport {
  const rows: UnusedGrantRow[] = [];
  // Grantors compare as normalised text: one typed with a decomposed "ä" (as older events may hold) is the same grantor.
  const grantorKey = filter.grantor === undefined ? undefined : textKey(filter.grantor);
  for (const view of views) {
    if (!isRiktat(view)) continue;
    if (filter.committee !== undefined && view.committee !== filter.committee) continue;
    if (grantorKey !== undefined && textKey(view.grantor) !== grantorKey) continue;
    if (filter.status === 'at-risk') {
      if (viewDate === undefined) throw new Error('the at-risk filter needs the view date');
      if (!isAtRisk(view, viewDate, filter.within ?? AT_RISK_WITHIN_DAYS_DEFAULT)) continue;
    } else if (filter.status !== undefined && view.status !== filter.status) continue;
    rows.push(view);
  }
  rows.sort((a, b) => (a.useBy === b.useBy ? byLocale(a.grantId, b.grantId) : a.useBy < b.useBy ? -1 : 1));
  // Whole öre: thousands of rows add up exactly, from amounts kept with their summaries.
  const { received, spent, returned, unused, toRepay } = totalOre(rows);
  return {
    rows,
    totals: { received: formatOre(received), spent: formatOre(spent), returned: formatOre(returned), unused: formatOre(unused), toRepay: formatOre(toRepay) },
  };
}
