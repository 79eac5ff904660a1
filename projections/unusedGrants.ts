import { Decimal } from 'decimal.js';
import { formatMoney, ZERO } from '../src/domain/money.js';
import type { GrantView, GrantViewStatus } from './grantView.js';

/**
 * Unused earmarked funds (outnyttjade riktade statsbidrag): what a revisor asks first.
 * Riktade grants only; general grants are revenue when received.
 */
export interface UnusedGrantsFilter {
  readonly committee?: string;
  readonly grantor?: string;
  readonly status?: GrantViewStatus;
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
}

export interface UnusedGrantsReport {
  readonly rows: readonly UnusedGrantRow[];
  readonly totals: { readonly received: string; readonly spent: string; readonly returned: string; readonly unused: string };
}

export function unusedGrantsReport(views: Iterable<GrantView>, filter: UnusedGrantsFilter): UnusedGrantsReport {
  const rows: UnusedGrantRow[] = [];
  for (const view of views) {
    if (view.kind !== 'riktat') continue;
    if (filter.committee !== undefined && view.committee !== filter.committee) continue;
    if (filter.grantor !== undefined && view.grantor !== filter.grantor) continue;
    if (filter.status !== undefined && view.status !== filter.status) continue;
    rows.push({
      grantId: view.grantId,
      grantor: view.grantor,
      title: view.title,
      committee: view.committee,
      kind: 'riktat',
      received: view.received,
      spent: view.spent,
      returned: view.returned,
      unused: view.unused,
      unallocated: view.unallocated,
      allocatedRemaining: view.allocatedRemaining,
      useBy: view.useBy,
      reportDue: view.reportDue,
      status: view.status,
      repaymentRequired: view.repaymentRequired,
      repaymentOutstanding: view.repaymentOutstanding,
    });
  }
  rows.sort((a, b) => (a.useBy === b.useBy ? a.grantId.localeCompare(b.grantId) : a.useBy < b.useBy ? -1 : 1));
  const total = (field: 'received' | 'spent' | 'returned' | 'unused') =>
    formatMoney(rows.reduce((sum, row) => sum.plus(row[field]), ZERO as Decimal));
  return { rows, totals: { received: total('received'), spent: total('spent'), returned: total('returned'), unused: total('unused') } };
}
