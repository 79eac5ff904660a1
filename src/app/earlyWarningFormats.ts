import type { EarlyWarningReport, EarlyWarningRow } from '../../projections/earlyWarning.js';
import { titleOf, type Column, type ReportData } from './reportFormats.js';
import { statusWord } from './swedish.js';

const COLUMNS: ReadonlyArray<Column<EarlyWarningRow>> = [
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (row) => row.grantId },
  { key: 'grantor', label: 'Bidragsgivare', kind: 'text', value: (row) => row.grantor },
  { key: 'title', label: 'Benämning', kind: 'text', value: (row) => row.title },
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'useBy', label: 'Användas senast', kind: 'text', value: (row) => row.useBy },
  { key: 'unused', label: 'Outnyttjat', kind: 'money', value: (row) => row.unused },
  { key: 'pace', label: 'Takt per månad', kind: 'money', value: (row) => row.pace },
  { key: 'monthsLeft', label: 'Månader kvar', kind: 'integer', value: (row) => String(row.monthsLeft) },
  { key: 'projectedUnused', label: 'Beräknat outnyttjat', kind: 'money', value: (row) => row.projectedUnused },
  { key: 'warning', label: 'Varning', kind: 'text', value: (row) => (row.warning ? statusWord('at-risk') : '') },
  { key: 'toRepay', label: 'Att återbetala', kind: 'money', value: (row) => row.toRepay },
  { key: 'planCoverage', label: 'Plan täcker', kind: 'text', value: (row) => `${row.planCoverage.months}/${row.planCoverage.of}` },
];

/** The early-warning report for tables, CSV and workbooks; JSON keeps the codes (warning: true). */
export function earlyWarningData(report: EarlyWarningReport, clocks: { asOf: string | null; knownAt: string | null }): ReportData {
  return {
    name: 'early-warning',
    title: titleOf('Tidig varning: beräknat outnyttjat vid användas senast', clocks),
    columns: COLUMNS as ReadonlyArray<Column<never>>,
    rows: report.rows,
    json: { ...clocks, ...report },
  };
}
