import type { EarlyWarningReport, EarlyWarningRow } from '../../projections/earlyWarning.js';
import { columns, titleOf, type ReportClocks, type ReportData } from './reportFormats.js';

type PlanLine = EarlyWarningRow['plan'][number] & { readonly grantId: string };

const WARNING_COLUMNS = columns<EarlyWarningRow>([
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (row) => row.grantId },
  { key: 'grantor', label: 'Bidragsgivare', kind: 'text', value: (row) => row.grantor },
  { key: 'title', label: 'Benämning', kind: 'text', value: (row) => row.title },
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'useBy', label: 'Användas senast', kind: 'date', value: (row) => row.useBy },
  { key: 'unused', label: 'Outnyttjat', kind: 'money', value: (row) => row.unused, total: true },
  { key: 'pace', label: 'Takt per månad', kind: 'money', value: (row) => row.pace },
  { key: 'monthsLeft', label: 'Månader kvar', kind: 'integer', value: (row) => row.monthsLeft },
  { key: 'projectedSpending', label: 'Beräknad förbrukning', kind: 'money', value: (row) => row.projectedSpending, total: true },
  { key: 'projectedUnused', label: 'Beräknat outnyttjat', kind: 'money', value: (row) => row.projectedUnused, total: true },
  // The warning is a status: 'i riskzonen' in human formats, the code in rfc4180 CSV.
  { key: 'warning', label: 'Varning', kind: 'status', value: (row) => (row.warning ? 'at-risk' : null) },
  { key: 'toRepay', label: 'Att återbetala', kind: 'money', value: (row) => row.toRepay, total: true },
  { key: 'planCoverage', label: 'Plan täcker månader', kind: 'text', value: (row) => `${row.planCoverage.months}/${row.planCoverage.of}` },
]);

const PLAN_COLUMNS = columns<PlanLine>([
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (line) => line.grantId },
  { key: 'month', label: 'Månad', kind: 'text', value: (line) => line.month },
  { key: 'planned', label: 'Plan', kind: 'money', value: (line) => line.planned },
  { key: 'actual', label: 'Utfall', kind: 'money', value: (line) => line.actual },
]);

/**
 * The early-warning report for tables, CSV and workbooks: one section of grants, totalled per
 * committee, and one of plan against actual per month. JSON keeps the codes (warning: true).
 */
export function earlyWarningData(report: EarlyWarningReport, clocks: ReportClocks): ReportData {
  const title = titleOf('Tidig varning: beräknat outnyttjat vid användas senast', clocks);
  const plan = report.rows.flatMap((row) => row.plan.map((line) => ({ ...line, grantId: row.grantId })));
  return {
    name: 'early-warning',
    title,
    sections: [
      { name: 'early-warning', title, columns: WARNING_COLUMNS, rows: report.rows, totals: { kind: 'by', column: 'committee' } },
      { name: 'plan', title: 'Förbrukningsplan mot utfall', columns: PLAN_COLUMNS, rows: plan, totals: { kind: 'none' } },
    ],
    json: { ...clocks, ...report },
  };
}
