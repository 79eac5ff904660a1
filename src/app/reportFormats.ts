import ExcelJS from 'exceljs';
import { swedishMoney } from './swedish.js';

export { swedishMoney } from './swedish.js';
import type { UnusedGrantsReport } from '../../projections/unusedGrants.js';
import type { CommitteeResultRow } from '../../projections/committeeResults.js';

/**
 * The reports in the formats auditors' tools read: `table` for people (Swedish number formats,
 * 8 000 000,00), `csv` for machines (RFC 4180, comma, decimal point, UTF-8 with a BOM so Excel
 * reads å, ä and ö), `xlsx` for Excel (real numeric cells in a SEK format, a header row, frozen
 * panes and a totals row of SUM formulas) and `json` (the HTTP body).
 */
export const REPORT_FORMATS = ['table', 'csv', 'json', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<Exclude<ReportFormat, 'table'>, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8; header=present',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

type Cell = string | boolean | null;

interface Column<Row> {
  /** The machine name: the CSV header and the JSON field. */
  readonly key: string;
  /** The Swedish heading people see in the table and the workbook. */
  readonly label: string;
  readonly kind: 'text' | 'money' | 'integer' | 'boolean';
  readonly value: (row: Row) => Cell;
  /** Summed in the totals row. */
  readonly total?: boolean;
}

export interface ReportData {
  readonly name: string;
  /** The sheet's title line, e.g. "Outnyttjade riktade statsbidrag per 2020-12-31". */
  readonly title: string;
  readonly columns: ReadonlyArray<Column<never>>;
  readonly rows: readonly unknown[];
  /** The JSON body, exactly as HTTP returns it. */
  readonly json: unknown;
}

type UnusedRow = UnusedGrantsReport['rows'][number];

const UNUSED_COLUMNS: ReadonlyArray<Column<UnusedRow>> = [
  { key: 'grantId', label: 'Bidrag', kind: 'text', value: (row) => row.grantId },
  { key: 'grantor', label: 'Bidragsgivare', kind: 'text', value: (row) => row.grantor },
  { key: 'title', label: 'Benämning', kind: 'text', value: (row) => row.title },
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'received', label: 'Erhållet', kind: 'money', value: (row) => row.received, total: true },
  { key: 'spent', label: 'Förbrukat', kind: 'money', value: (row) => row.spent, total: true },
  { key: 'returned', label: 'Återbetalt', kind: 'money', value: (row) => row.returned, total: true },
  { key: 'unused', label: 'Outnyttjat', kind: 'money', value: (row) => row.unused, total: true },
  { key: 'unallocated', label: 'Ej fördelat', kind: 'money', value: (row) => row.unallocated, total: true },
  { key: 'allocatedRemaining', label: 'Fördelat kvar', kind: 'money', value: (row) => row.allocatedRemaining, total: true },
  { key: 'useBy', label: 'Användas senast', kind: 'text', value: (row) => row.useBy },
  { key: 'reportDue', label: 'Återrapport', kind: 'text', value: (row) => row.reportDue },
  { key: 'status', label: 'Status', kind: 'text', value: (row) => row.status },
  { key: 'repaymentRequired', label: 'Återbetalningsskyldighet', kind: 'boolean', value: (row) => row.repaymentRequired },
  { key: 'repaymentOutstanding', label: 'Återkrav kvar', kind: 'money', value: (row) => row.repaymentOutstanding, total: true },
];

const RESULT_COLUMNS: ReadonlyArray<Column<CommitteeResultRow>> = [
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'fiscalYear', label: 'År', kind: 'integer', value: (row) => String(row.fiscalYear) },
  { key: 'budget', label: 'Budget', kind: 'money', value: (row) => row.budget, total: true },
  { key: 'costs', label: 'Kostnader', kind: 'money', value: (row) => row.costs, total: true },
  { key: 'revenues', label: 'Intäkter', kind: 'money', value: (row) => row.revenues, total: true },
  { key: 'grantRevenue', label: 'Bidragsintäkter', kind: 'money', value: (row) => row.grantRevenue, total: true },
  { key: 'result', label: 'Resultat', kind: 'money', value: (row) => row.result, total: true },
  { key: 'cumulativeResult', label: 'Ackumulerat resultat', kind: 'money', value: (row) => row.cumulativeResult },
  { key: 'closed', label: 'Bokslut', kind: 'boolean', value: (row) => row.closed },
  { key: 'latestForecastAfter', label: 'Prognos efter', kind: 'text', value: (row) => row.latestForecast?.afterPeriod ?? null },
  { key: 'latestForecastDeviation', label: 'Prognos', kind: 'money', value: (row) => row.latestForecast?.deviation ?? null },
];

function titleOf(name: string, clocks: { asOf: string | null; knownAt: string | null }): string {
  const parts = [name];
  if (clocks.asOf) parts.push(`per ${clocks.asOf}`);
  if (clocks.knownAt) parts.push(`känt ${clocks.knownAt}`);
  return parts.join(', ');
}

export function unusedGrantsData(report: UnusedGrantsReport, clocks: { asOf: string | null; knownAt: string | null }): ReportData {
  return {
    name: 'unused-grants',
    title: titleOf('Outnyttjade riktade statsbidrag', clocks),
    columns: UNUSED_COLUMNS as ReadonlyArray<Column<never>>,
    rows: report.rows,
    json: { ...clocks, ...report },
  };
}

export function committeeResultsData(report: { rows: CommitteeResultRow[] }, clocks: { asOf: string | null; knownAt: string | null }): ReportData {
  return {
    name: 'committee-results',
    title: titleOf('Nämndernas resultat', clocks),
    columns: RESULT_COLUMNS as ReadonlyArray<Column<never>>,
    rows: report.rows,
    json: { ...clocks, ...report },
  };
}

const cellsOf = (data: ReportData, row: unknown) => data.columns.map((column) => (column.value as (row: unknown) => Cell)(row));

/** Exact decimal sum of two-decimal strings, in öre, so totals never suffer from floating point. */
function sumMoney(values: ReadonlyArray<Cell>): string {
  let ore = 0n;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const negative = value.startsWith('-');
    const [whole, fraction = ''] = (negative ? value.slice(1) : value).split('.');
    const amount = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
    ore += negative ? -amount : amount;
  }
  const sign = ore < 0n ? '-' : '';
  const absolute = ore < 0n ? -ore : ore;
  return `${sign}${absolute / 100n}.${String(absolute % 100n).padStart(2, '0')}`;
}

function tableCell(kind: Column<never>['kind'], value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'ja' : 'nej';
  return kind === 'money' ? swedishMoney(value) : value;
}

export function toTable(data: ReportData): string {
  const header = data.columns.map((column) => column.label);
  const body = data.rows.map((row) => cellsOf(data, row).map((value, index) => tableCell(data.columns[index]!.kind, value)));
  const totals = data.columns.map((column, index) =>
    column.total ? swedishMoney(sumMoney(data.rows.map((row) => cellsOf(data, row)[index]!))) : index === 0 ? 'Summa' : '',
  );
  const lines = [header, ...body, totals];
  const widths = data.columns.map((_, index) => Math.max(...lines.map((line) => line[index]!.length)));
  const render = (line: string[]) =>
    line
      .map((cell, index) => (data.columns[index]!.kind === 'money' || data.columns[index]!.kind === 'integer' ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [data.title, '', render(header), rule, ...body.map(render), rule, render(totals), ''].join('\n');
}

/**
 * A text cell that begins like a formula (=, +, -, @, tab, CR) is evaluated by spreadsheets when
 * the file is opened; a leading apostrophe keeps it text (OWASP's CSV injection advice). Only text
 * columns: a negative amount stays a number.
 */
function defused(kind: Column<unknown>['kind'], text: string): string {
  return kind === 'text' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvField(kind: Column<unknown>['kind'], value: Cell): string {
  const text = defused(kind, value === null ? '' : String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line break. */
export function toCsv(data: ReportData): string {
  const header = data.columns.map((column) => column.key).join(',');
  const body = data.rows.map((row) => cellsOf(data, row).map((value, index) => csvField(data.columns[index]!.kind, value)).join(','));
  return `\uFEFF${[header, ...body].join('\r\n')}\r\n`;
}

export const SEK_FORMAT = '#,##0.00 "kr";-#,##0.00 "kr"';

function columnLetter(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/**
 * A workbook a revisor can sort and sum at once: row 1 the title, row 2 the headings, frozen
 * below them, money as numbers with a SEK format and a totals row of SUM formulas (with their
 * values cached, so a reader that does not calculate still sees them).
 */
export async function toXlsx(data: ReportData): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'grantledger';
  const sheet = workbook.addWorksheet(data.name, { views: [{ state: 'frozen', xSplit: 1, ySplit: 2 }] });
  sheet.addRow([data.title]).font = { bold: true };
  const header = sheet.addRow(data.columns.map((column) => column.label));
  header.font = { bold: true };
  data.columns.forEach((column, index) => {
    const sheetColumn = sheet.getColumn(index + 1);
    sheetColumn.width = column.kind === 'money' ? 18 : Math.max(10, Math.min(40, column.label.length + 2));
    if (column.kind === 'money') sheetColumn.numFmt = SEK_FORMAT;
  });
  const firstDataRow = 3;
  for (const row of data.rows) {
    sheet.addRow(
      cellsOf(data, row).map((value, index) => {
        const kind = data.columns[index]!.kind;
        // Exact in the ledger, a double in the workbook: Excel has no other numbers, and every
        // amount below 10^13 with two decimals keeps its two decimals in a double.
        if ((kind === 'money' || kind === 'integer') && typeof value === 'string') return Number(value);
        return value;
      }),
    );
  }
  const lastDataRow = firstDataRow + data.rows.length - 1;
  const totals = sheet.addRow(
    data.columns.map((column, index) => {
      if (!column.total) return index === 0 ? 'Summa' : null;
      const letter = columnLetter(index);
      const result = Number(sumMoney(data.rows.map((row) => cellsOf(data, row)[index]!)));
      return data.rows.length === 0 ? 0 : { formula: `SUM(${letter}${firstDataRow}:${letter}${lastDataRow})`, result };
    }),
  );
  totals.font = { bold: true };
  sheet.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: data.columns.length } };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The report in a format: a string for text formats, a Buffer for xlsx. */
export async function renderReport(data: ReportData, format: ReportFormat): Promise<string | Buffer> {
  switch (format) {
    case 'table':
      return toTable(data);
    case 'csv':
      return toCsv(data);
    case 'json':
      return `${JSON.stringify(data.json, null, 2)}\n`;
    case 'xlsx':
      return toXlsx(data);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
