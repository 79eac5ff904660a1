import type { Ledger } from '../app/ledger.js';
import { viewDateOf, type Clocks } from '../../projections/clocks.js';
import { unusedGrantsReport, type UnusedGrantsFilter, type UnusedGrantsReport } from '../../projections/unusedGrants.js';
import type { CommitteeResultRow } from '../../projections/committeeResults.js';
import { grantSummaryOf, type GrantSummary } from '../../projections/grantView.js';
import { isAtRisk, AT_RISK_WITHIN_DAYS_DEFAULT } from '../../projections/unusedGrants.js';
import { formatMoney, ZERO } from '../domain/money.js';
import type { Decimal } from 'decimal.js';
import { earlyWarning } from '../app/earlyWarning.js';
import { activitiesOf } from '../app/ledgerReports.js';
import type { ActivitiesReport } from '../../projections/activities.js';
import { earlyWarningRowOf, type EarlyWarningReport, type EarlyWarningRow } from '../../projections/earlyWarning.js';

/** Every grant, riktat and generellt, as the Statsbidrag list shows them. */
export interface GrantListFilter {
  readonly committee?: string;
  readonly grantor?: string;
  readonly status?: string;
  readonly kind?: 'riktat' | 'generellt';
}

export interface GrantList {
  readonly rows: readonly GrantSummary[];
  readonly totals: { readonly received: string; readonly spent: string; readonly returned: string; readonly unused: string };
}

/** What the pages read of the ledger: its queries, with a historical view computed once per page view. */
export type PageLedger = Pick<Ledger, 'today' | 'grant' | 'grantEvents' | 'readModel'> & {
  unusedGrants(filter: UnusedGrantsFilter, clocks: Clocks): UnusedGrantsReport;
  committeeResults(filter: { committee?: string }, clocks: Clocks): { rows: CommitteeResultRow[] };
  grantList(filter: GrantListFilter, clocks: Clocks): GrantList;
  /** One grant's early warning in a view: null unless an open riktat grant. */
  earlyWarningRow(grantId: string, clocks: Clocks): EarlyWarningRow | null;
  /** The early warning of one committee's grants in a view. */
  earlyWarning(committee: string, clocks: Clocks): EarlyWarningReport;
  /** One committee's year per verksamhet (activity) in a view. */
  activities(committee: string, year: number, clocks: Clocks): ActivitiesReport;
};

function totalsOf(rows: readonly GrantSummary[]): GrantList['totals'] {
  const sum = (field: 'received' | 'spent' | 'returned' | 'unused') => formatMoney(rows.reduce((total: Decimal, row) => total.plus(row[field]), ZERO));
  return { received: sum('received'), spent: sum('spent'), returned: sum('returned'), unused: sum('unused') };
}

const HISTORICAL_VIEWS_KEPT = 16;

/**
 * The ledger's reports as the pages use them. A page shows one view (a Per datum and Känt vid) in
 * several ways: the filter's choices, the filtered table, its totals. The ledger memoises current
 * reports; a historical one folds every grant again, so here each historical view is folded once,
 * kept for the next pages of the same view (a revisor paging through 2020-12-31) until the log
 * moves, and filtered in memory. Filtering uses the projection's own function, so a filtered page
 * and the API's filtered report cannot differ.
 */
export function pageLedger(ledger: Ledger): PageLedger {
  let position = -1;
  const views = new Map<string, unknown>();
  const filtered = new WeakMap<UnusedGrantsReport, Map<string, UnusedGrantsReport>>();

  const kept = <T>(key: string, compute: () => T): T => {
    if (position !== ledger.readModel.position) {
      position = ledger.readModel.position;
      views.clear();
    }
    if (views.has(key)) return views.get(key) as T;
    const value = compute();
    if (views.size >= HISTORICAL_VIEWS_KEPT) views.delete(views.keys().next().value!);
    views.set(key, value);
    return value;
  };
  /** Early warnings by grant or committee and view: many and cheap, so apart from the views above. */
  const warnings = new Map<string, unknown>();
  const warned = <T>(key: string, compute: () => T): T => {
    if (position !== ledger.readModel.position) {
      position = ledger.readModel.position;
      views.clear();
    }
    if (warnings.size >= 1024 || (warnings.size > 0 && warningsAt !== position)) warnings.clear();
    warningsAt = position;
    if (warnings.has(key)) return warnings.get(key) as T;
    const value = compute();
    warnings.set(key, value);
    return value;
  };
  let warningsAt = -1;
  const isCurrent = (clocks: Clocks) => clocks.asOf === undefined && clocks.knownAt === undefined;

  const allUnused = (clocks: Clocks): UnusedGrantsReport =>
    isCurrent(clocks) ? ledger.unusedGrants({}, clocks) : kept(`unused ${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`, () => ledger.unusedGrants({}, clocks));

  let current: { key: string; list: GrantList } | null = null;
  const listed = new WeakMap<GrantList, Map<string, GrantList>>();

  /** Every grant's summary in a view: the read model's cached rows now, a fold of each grant in the past. */
  const allGrants = (clocks: Clocks): GrantList => {
    const viewDate = viewDateOf(clocks, ledger.today());
    const build = (row: (grantId: string) => GrantSummary | null): GrantList => {
      const rows: GrantSummary[] = [];
      for (const grantId of ledger.readModel.grantIds()) {
        const summary = row(grantId);
        if (summary) rows.push(summary);
      }
      return { rows, totals: totalsOf(rows) };
    };
    if (!isCurrent(clocks)) {
      return kept(`grants ${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`, () =>
        build((grantId) => {
          const facts = ledger.readModel.grantFacts(grantId, clocks);
          return facts ? grantSummaryOf(facts, viewDate) : null;
        }),
      );
    }
    const key = `${ledger.readModel.position} ${viewDate}`;
    if (current?.key !== key) current = { key, list: build((grantId) => ledger.readModel.currentGrantRow(grantId, viewDate)) };
    return current.list;
  };

  return {
    grantList(filter, clocks) {
      const all = allGrants(clocks);
      if (filter.committee === undefined && filter.grantor === undefined && filter.status === undefined && filter.kind === undefined) return all;
      let byFilter = listed.get(all);
      if (!byFilter) listed.set(all, (byFilter = new Map()));
      const key = JSON.stringify([filter.committee, filter.grantor, filter.status, filter.kind]);
      const cached = byFilter.get(key);
      if (cached) return cached;
      const viewDate = viewDateOf(clocks, ledger.today());
      const rows = all.rows.filter(
        (row) =>
          (filter.committee === undefined || row.committee === filter.committee) &&
          (filter.grantor === undefined || row.grantor === filter.grantor) &&
          (filter.kind === undefined || row.kind === filter.kind) &&
          (filter.status === undefined || (filter.status === 'at-risk' ? isAtRisk(row, viewDate, AT_RISK_WITHIN_DAYS_DEFAULT) : row.status === filter.status)),
      );
      const list = { rows, totals: totalsOf(rows) };
      if (byFilter.size >= 64) byFilter.clear();
      byFilter.set(key, list);
      return list;
    },
    // Early warnings fold each grant's events: the pages ask only for the grants they show (a page of
    // the list, the committees shown in detail), each kept for its view until the log moves.
    earlyWarningRow(grantId, clocks) {
      const viewDate = viewDateOf(clocks, ledger.today());
      return warned(`${grantId} ${viewDate} ${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`, () =>
        earlyWarningRowOf(ledger.readModel.grantStream(grantId) ?? [], clocks, viewDate),
      );
    },
    earlyWarning(committee, clocks) {
      const viewDate = viewDateOf(clocks, ledger.today());
      return warned(`committee ${committee} ${viewDate} ${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`, () => earlyWarning(ledger, { committee }, clocks));
    },
    activities(committee, year, clocks) {
      const viewDate = viewDateOf(clocks, ledger.today());
      return warned(`activities ${committee} ${year} ${viewDate} ${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`, () => activitiesOf(ledger, { committee, year }, clocks));
    },
    today: () => ledger.today(),
    grant: (grantId, clocks) => ledger.grant(grantId, clocks),
    grantEvents: (grantId) => ledger.grantEvents(grantId),
    get readModel() {
      return ledger.readModel;
    },
    unusedGrants(filter, clocks) {
      const all = allUnused(clocks);
      if (filter.committee === undefined && filter.grantor === undefined && filter.status === undefined) return all;
      let byFilter = filtered.get(all);
      if (!byFilter) filtered.set(all, (byFilter = new Map()));
      const key = JSON.stringify([filter.committee, filter.grantor, filter.status, filter.within]);
      const cached = byFilter.get(key);
      if (cached) return cached;
      const report = unusedGrantsReport(all.rows, filter, viewDateOf(clocks, ledger.today()));
      if (byFilter.size >= 64) byFilter.clear();
      byFilter.set(key, report);
      return report;
    },
    committeeResults(filter, clocks) {
      if (isCurrent(clocks)) return ledger.committeeResults(filter, clocks);
      const all = kept(`results ${clocks.asOf ?? ''} ${clocks.knownAt ?? ''}`, () => ledger.committeeResults({}, clocks));
      return filter.committee === undefined ? all : { rows: all.rows.filter((row) => row.committee === filter.committee) };
    },
  };
}
