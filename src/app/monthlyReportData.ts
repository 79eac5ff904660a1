import type { ActivitiesReport, ActivityRow } from '../../projections/activities.js';
import type { ForecastView } from '../../projections/committeeResults.js';
import type { GrantStatement } from '../../projections/grantStatement.js';
import type { ReportDueRow, ReportsDueReport } from '../../projections/reportsDue.js';
import type { YearEndReport, YearEndRow } from '../../projections/yearEnd.js';
import type { ResultFundReport, ResultFundRow } from '../../projections/resultFund.js';
import { columns, titleOf, type ReportClocks, type ReportData, type ReportSection } from './reportFormats.js';

/** The monthly reports (issue 9) as report data: their sections, columns and Swedish headings. */

const COMMITTEE_AS_A_WHOLE = 'nämnden gemensamt';

const ACTIVITY_COLUMNS = columns<ActivityRow>([
  { key: 'activity', label: 'Verksamhet', kind: 'text', value: (row) => row.activity ?? COMMITTEE_AS_A_WHOLE },
  { key: 'budget', label: 'Budget', kind: 'money', value: (row) => row.budget, total: true },
  { key: 'budgetToDate', label: 'Budget hittills', kind: 'money', value: (row) => row.budgetToDate, total: true },
  { key: 'costs', label: 'Kostnader', kind: 'money', value: (row) => row.costs, total: true },
  { key: 'revenues', label: 'Intäkter', kind: 'money', value: (row) => row.revenues, total: true },
  { key: 'grantRevenue', label: 'Bidragsintäkter', kind: 'money', value: (row) => row.grantRevenue, total: true },
  { key: 'deviation', label: 'Avvikelse', kind: 'money', value: (row) => row.deviation, total: true },
  { key: 'forecastAfter', label: 'Senaste prognos efter', kind: 'text', value: (row) => row.forecast?.afterPeriod ?? null },
  // Not totalled: the lines may be of different periods (DOMAIN.md, "Forecasts").
  { key: 'forecastDeviation', label: 'Prognosavvikelse', kind: 'money', value: (row) => row.forecast?.deviation ?? null },
]);

const FORECAST_PERIOD_COLUMNS = columns<ForecastView>([
  { key: 'afterPeriod', label: 'Prognos efter', kind: 'text', value: (row) => row.afterPeriod },
  { key: 'committeeLine', label: 'Nämndens prognos', kind: 'money', value: (row) => row.committeeLine },
  { key: 'activitySum', label: 'Summa verksamheter', kind: 'money', value: (row) => row.activitySum },
  { key: 'difference', label: 'Skillnad', kind: 'money', value: (row) => row.difference },
  { key: 'deviation', label: 'Prognos', kind: 'money', value: (row) => row.deviation },
]);

type ForecastLine = { afterPeriod: string; activity: string | null; deviation: string };
const FORECAST_LINE_COLUMNS = columns<ForecastLine>([
  { key: 'afterPeriod', label: 'Prognos efter', kind: 'text', value: (row) => row.afterPeriod },
  { key: 'activity', label: 'Verksamhet', kind: 'text', value: (row) => row.activity ?? COMMITTEE_AS_A_WHOLE },
  { key: 'deviation', label: 'Avvikelse', kind: 'money', value: (row) => row.deviation },
]);

export function activitiesData(report: ActivitiesReport, clocks: ReportClocks): ReportData {
  const title = titleOf(`Per verksamhet: ${report.committee} ${report.year} (${report.monthsReported} av 12 månader)`, clocks);
  const lines: ForecastLine[] = report.forecastHistory.flatMap((period) => [
    ...(period.committeeLine === null ? [] : [{ afterPeriod: period.afterPeriod, activity: null, deviation: period.committeeLine }]),
    ...period.activities.map((line) => ({ afterPeriod: period.afterPeriod, activity: line.activity, deviation: line.deviation })),
  ]);
  return {
    name: 'activities',
    title,
    sections: [
      // One committee, one year: the total is the committee's year.
      { name: 'verksamheter', title: 'Per verksamhet', columns: ACTIVITY_COLUMNS, rows: report.rows, totals: { kind: 'all' } },
      { name: 'prognoser', title: 'Prognoser under året', columns: FORECAST_PERIOD_COLUMNS, rows: report.forecastHistory, totals: { kind: 'none' } },
      { name: 'prognosrader', title: 'Prognosrader', columns: FORECAST_LINE_COLUMNS, rows: lines, totals: { kind: 'none' } },
    ],
    json: { ...clocks, ...report },
  };
}

type StatementHeader = GrantStatement['grant'];
const STATEMENT_HEADER_COLUMNS = columns<StatementHeader>([
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (row) => row.grantId },
  { key: 'grantor', label: 'Bidragsgivare', kind: 'text', value: (row) => row.grantor },
  { key: 'title', label: 'Benämning', kind: 'text', value: (row) => row.title },
  { key: 'purpose', label: 'Ändamål', kind: 'text', value: (row) => row.purpose },
  { key: 'kind', label: 'Slag', kind: 'text', value: (row) => row.kind },
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'reference', label: 'Diarienummer', kind: 'text', value: (row) => row.reference },
  { key: 'receivedOn', label: 'Mottaget', kind: 'date', value: (row) => row.receivedOn },
  { key: 'useBy', label: 'Användas senast', kind: 'date', value: (row) => row.useBy },
  { key: 'reportDue', label: 'Återrapport senast', kind: 'date', value: (row) => row.reportDue },
  { key: 'repaymentRequired', label: 'Återbetalningsskyldighet', kind: 'boolean', value: (row) => row.repaymentRequired },
  { key: 'status', label: 'Status', kind: 'status', value: (row) => row.status },
  { key: 'closedOn', label: 'Avslutat', kind: 'date', value: (row) => row.closedOn },
  { key: 'received', label: 'Erhållet', kind: 'money', value: (row) => row.received },
  { key: 'spent', label: 'Förbrukat', kind: 'money', value: (row) => row.spent },
  { key: 'returned', label: 'Återbetalt', kind: 'money', value: (row) => row.returned },
  { key: 'retained', label: 'Behållet vid avslut', kind: 'money', value: (row) => row.retained },
  { key: 'unused', label: 'Outnyttjat', kind: 'money', value: (row) => row.unused },
  { key: 'unallocated', label: 'Ej fördelat', kind: 'money', value: (row) => row.unallocated },
  { key: 'allocatedRemaining', label: 'Fördelat kvar', kind: 'money', value: (row) => row.allocatedRemaining },
  { key: 'repaymentDemanded', label: 'Återkrävt', kind: 'money', value: (row) => row.repaymentDemanded },
  { key: 'repaymentOutstanding', label: 'Återkrav kvar', kind: 'money', value: (row) => row.repaymentOutstanding },
  { key: 'toRepay', label: 'Att återbetala', kind: 'money', value: (row) => row.toRepay },
]);

const INSTALLMENT_COLUMNS = columns<GrantStatement['installments'][number]>([
  { key: 'receivedOn', label: 'Mottaget', kind: 'date', value: (row) => row.receivedOn },
  { key: 'amount', label: 'Belopp', kind: 'money', value: (row) => row.amount },
  { key: 'reference', label: 'Referens', kind: 'text', value: (row) => row.reference },
]);

const ALLOCATION_COLUMNS = columns<GrantStatement['allocations'][number]>([
  { key: 'allocationId', label: 'Fördelning', kind: 'text', value: (row) => row.allocationId },
  { key: 'activity', label: 'Verksamhet', kind: 'text', value: (row) => row.activity },
  { key: 'allocatedOn', label: 'Fördelat den', kind: 'date', value: (row) => row.allocatedOn },
  { key: 'allocated', label: 'Fördelat', kind: 'money', value: (row) => row.allocated },
  { key: 'released', label: 'Frigjort', kind: 'money', value: (row) => row.released },
  { key: 'spent', label: 'Förbrukat', kind: 'money', value: (row) => row.spent },
  { key: 'remaining', label: 'Kvar', kind: 'money', value: (row) => row.remaining },
]);

type SpendingLine = { allocationId: string; activity: string; spentOn: string; voucher: string; amount: string };
const SPENDING_COLUMNS = columns<SpendingLine>([
  { key: 'allocationId', label: 'Fördelning', kind: 'text', value: (row) => row.allocationId },
  { key: 'activity', label: 'Verksamhet', kind: 'text', value: (row) => row.activity },
  { key: 'spentOn', label: 'Datum', kind: 'date', value: (row) => row.spentOn },
  { key: 'voucher', label: 'Verifikation', kind: 'text', value: (row) => row.voucher },
  { key: 'amount', label: 'Belopp', kind: 'money', value: (row) => row.amount },
]);

const RELEASE_COLUMNS = columns<GrantStatement['releases'][number]>([
  { key: 'allocationId', label: 'Fördelning', kind: 'text', value: (row) => row.allocationId },
  { key: 'activity', label: 'Verksamhet', kind: 'text', value: (row) => row.activity },
  { key: 'releasedOn', label: 'Datum', kind: 'date', value: (row) => row.releasedOn },
  { key: 'amount', label: 'Belopp', kind: 'money', value: (row) => row.amount },
]);

const DEMAND_COLUMNS = columns<GrantStatement['demands'][number]>([
  { key: 'demandedOn', label: 'Återkrävt den', kind: 'date', value: (row) => row.demandedOn },
  { key: 'dueOn', label: 'Förfaller', kind: 'date', value: (row) => row.dueOn },
  { key: 'amount', label: 'Belopp', kind: 'money', value: (row) => row.amount },
  { key: 'reference', label: 'Referens', kind: 'text', value: (row) => row.reference },
]);

const RETURN_COLUMNS = columns<GrantStatement['returns'][number]>([
  { key: 'returnedOn', label: 'Återbetalt den', kind: 'date', value: (row) => row.returnedOn },
  { key: 'amount', label: 'Belopp', kind: 'money', value: (row) => row.amount },
  { key: 'reference', label: 'Referens', kind: 'text', value: (row) => row.reference },
]);

const REPORT_COLUMNS = columns<GrantStatement['reports'][number]>([
  { key: 'submittedOn', label: 'Inlämnad', kind: 'date', value: (row) => row.submittedOn },
  { key: 'reference', label: 'Referens', kind: 'text', value: (row) => row.reference },
]);

const AMENDMENT_COLUMNS = columns<GrantStatement['amendments'][number]>([
  { key: 'reason', label: 'Skäl', kind: 'text', value: (row) => row.reason },
  { key: 'changed', label: 'Ändrat', kind: 'text', value: (row) => row.changed },
]);

export function grantStatementData(statement: GrantStatement, clocks: ReportClocks): ReportData {
  const spending: SpendingLine[] = statement.allocations.flatMap((allocation) =>
    allocation.spending.map((line) => ({ allocationId: allocation.allocationId, activity: allocation.activity, ...line })),
  );
  // Sections span the grant's years, so none is totalled: the grant's figures are in the header.
  const section = (name: string, title: string, cols: ReportSection['columns'], rows: readonly unknown[]): ReportSection => ({ name, title, columns: cols, rows, totals: { kind: 'none' } });
  return {
    name: 'grant-statement',
    title: titleOf(`Bidragsredovisning: ${statement.grant.grantId}`, clocks),
    sections: [
      { ...section('bidraget', 'Bidraget', STATEMENT_HEADER_COLUMNS, [statement.grant]), layout: 'record' },
      section('utbetalningar', 'Utbetalningar', INSTALLMENT_COLUMNS, statement.installments),
      section('fordelningar', 'Fördelningar per verksamhet', ALLOCATION_COLUMNS, statement.allocations),
      section('forbrukning', 'Förbrukning', SPENDING_COLUMNS, spending),
      section('frigjort', 'Frigjorda fördelningar', RELEASE_COLUMNS, statement.releases),
      section('aterkrav', 'Återkrav', DEMAND_COLUMNS, statement.demands),
      section('aterbetalningar', 'Återbetalningar', RETURN_COLUMNS, statement.returns),
      section('aterrapporter', 'Återrapporter', REPORT_COLUMNS, statement.reports),
      section('rattelser', 'Rättelser', AMENDMENT_COLUMNS, statement.amendments),
    ],
    json: { ...clocks, ...statement },
  };
}

const REPORTS_DUE_COLUMNS = columns<ReportDueRow>([
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (row) => row.grantId },
  { key: 'grantor', label: 'Bidragsgivare', kind: 'text', value: (row) => row.grantor },
  { key: 'title', label: 'Benämning', kind: 'text', value: (row) => row.title },
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'kind', label: 'Slag', kind: 'text', value: (row) => row.kind },
  { key: 'receivedOn', label: 'Mottaget', kind: 'date', value: (row) => row.receivedOn },
  { key: 'reportDue', label: 'Återrapport senast', kind: 'date', value: (row) => row.reportDue },
  { key: 'daysLeft', label: 'Dagar kvar', kind: 'integer', value: (row) => row.daysLeft },
  { key: 'overdue', label: 'Försenad', kind: 'boolean', value: (row) => row.overdue },
  { key: 'lastReportOn', label: 'Senaste rapport', kind: 'date', value: (row) => row.lastReportOn },
  { key: 'status', label: 'Status', kind: 'status', value: (row) => row.status },
]);

export function reportsDueData(report: ReportsDueReport, clocks: ReportClocks): ReportData {
  const title = titleOf(`Återrapporter att lämna inom ${report.within} dagar från ${report.viewDate}`, clocks);
  return {
    name: 'reports-due',
    title,
    sections: [{ name: 'reports-due', title, columns: REPORTS_DUE_COLUMNS, rows: report.rows, totals: { kind: 'none' } }],
    json: { ...clocks, ...report },
  };
}

const YEAR_END_COLUMNS = columns<YearEndRow>([
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (row) => row.grantId },
  { key: 'grantor', label: 'Bidragsgivare', kind: 'text', value: (row) => row.grantor },
  { key: 'title', label: 'Benämning', kind: 'text', value: (row) => row.title },
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'kind', label: 'Slag', kind: 'text', value: (row) => row.kind },
  { key: 'useBy', label: 'Användas senast', kind: 'date', value: (row) => row.useBy },
  { key: 'repaymentRequired', label: 'Återbetalningsskyldighet', kind: 'boolean', value: (row) => row.repaymentRequired },
  { key: 'closed', label: 'Avslutat', kind: 'boolean', value: (row) => row.closed },
  { key: 'unused', label: 'Outnyttjat', kind: 'money', value: (row) => row.unused, total: true },
  { key: 'toRepay', label: 'Att återbetala', kind: 'money', value: (row) => row.toRepay, total: true },
  { key: 'repaymentOutstanding', label: 'Återkrav kvar', kind: 'money', value: (row) => row.repaymentOutstanding, total: true },
  { key: 'prepaidIncome', label: 'Förutbetald intäkt', kind: 'money', value: (row) => row.prepaidIncome, total: true },
  { key: 'repaymentLiability', label: 'Skuld till bidragsgivare', kind: 'money', value: (row) => row.repaymentLiability, total: true },
]);

export function yearEndData(report: YearEndReport, clocks: ReportClocks): ReportData {
  const title = titleOf(`Bokslutsposter för statsbidrag per ${report.balanceDate}`, { knownAt: clocks.knownAt });
  // Every row is a balance at the same date: one total.
  return {
    name: 'year-end',
    title,
    sections: [{ name: 'year-end', title, columns: YEAR_END_COLUMNS, rows: report.rows, totals: { kind: 'all' } }],
    json: { ...clocks, ...report },
  };
}

const RESULT_FUND_COLUMNS = columns<ResultFundRow>([
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'fiscalYear', label: 'År', kind: 'integer', value: (row) => row.fiscalYear },
  { key: 'result', label: 'Resultat', kind: 'money', value: (row) => row.result },
  { key: 'carriedForward', label: 'Överfört', kind: 'money', value: (row) => row.carriedForward },
  { key: 'notCarried', label: 'Ej överfört', kind: 'money', value: (row) => row.notCarried },
  { key: 'closedOn', label: 'Bokslutsdag', kind: 'date', value: (row) => row.closedOn },
  { key: 'balance', label: 'Resultatfond', kind: 'money', value: (row) => row.balance },
]);

export function resultFundData(report: ResultFundReport, clocks: ReportClocks): ReportData {
  const title = titleOf('Resultatfond', clocks);
  // Each row is a different year; the running balance is the only sum that means anything.
  return {
    name: 'result-fund',
    title,
    sections: [{ name: 'result-fund', title, columns: RESULT_FUND_COLUMNS, rows: report.rows, totals: { kind: 'none' } }],
    json: { ...clocks, ...report },
  };
}
