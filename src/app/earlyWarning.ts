import type { ReadSide } from './ledger/readSide.js';
import { earlyWarningReport, earlyWarningRowOf, type EarlyWarningReport, type EarlyWarningRow } from '../../projections/earlyWarning.js';
import { viewDateOf, type Clocks } from '../../projections/clocks.js';

/** The early-warning report of the ledger in a view (issue 14): per open riktat grant, projected unused at useBy. */
export function earlyWarning(ledger: ReadSide, filter: { readonly committee?: string }, clocks: Clocks): EarlyWarningReport {
  ledger.readModel.assertRunning();
  const viewDate = viewDateOf(clocks, ledger.today());
  const grantIds = filter.committee === undefined ? ledger.readModel.grantIds() : ledger.readModel.grantIdsOfCommittee(filter.committee);
  const rows: EarlyWarningRow[] = [];
  for (const grantId of grantIds) {
    const row = earlyWarningRowOf(ledger.readModel.grantStream(grantId) ?? [], clocks, viewDate);
    if (row) rows.push(row);
  }
  return earlyWarningReport(rows, filter);
}

