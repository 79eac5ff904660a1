import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { Yielder, type Pauses } from './yielder.js';
import type { UnusedGrantsReport } from '../../projections/unusedGrants.js';
import type { CommitteeResultRow } from '../../projections/committeeResults.js';
import { statusWord, swedishMoney, yesNo } from './swedish.js';
import { formatOre } from '../domain/money.js';

export { swedishMoney } from './swedish.js';

/**
 * The reports in the formats people and their tools read:
 * - `table` for people: Swedish headings, 8 000 000,00, statuses in Swedish, ja/nej;
 * - `csv` in two dialects: `excel` (the default) for Swedish Excel — `;` between fields, decimal
 *   comma, UTF-8 BOM, CRLF, Swedish headings and words, every text field quoted — and `rfc4180` for
 *   machines — comma, decimal point, the JSON field names and codes;
 * - `xlsx` for Excel: numeric cells in kr, real date cells, ja/nej, Swedish statuses, frozen
 *   headings and totals as formulas, one sheet per section;
 * - `json`: the HTTP body, codes and decimal strings.
 */
export const REPORT_FORMATS = ['table', 'csv', 'json', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CSV_DIALECTS = ['excel', 'rfc4180'] as const;
export type CsvDialect = (typeof CSV_DIALECTS)[number];

export const CONTENT_TYPES: Record<Exclude<ReportFormat, 'table'>, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8; header=present',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export type Cell = string | number | boolean | null;

/**
 * text: free text (quoted in Excel CSV, defused when it looks like a formula); money: a decimal
 * string "8000000.00"; integer; boolean; date: YYYY-MM-DD; status: a status code shown in Swedish.
 */
export type ColumnKind = 'text' | 'money' | 'integer' | 'boolean' | 'date' | 'status';

export interface Column<Row> {
  /** The machine name: the rfc4180 CSV header, like the JSON field. */
  readonly key: string;
  /** The Swedish heading people see in the table, the workbook and the Excel CSV. */
  readonly label: string;
  readonly kind: ColumnKind;
  readonly value: (row: Row) => Cell;
  /** Summed in the totals row(s). */
  readonly total?: boolean;
}

/**
 * How a section is totalled: one "Summa" row (only for rows of one fiscal year or one view date),
 * one "Summa <value>" row per value of a column (per fiscal year), or none.
 */
export type Totals = { readonly kind: 'none' } | { readonly kind: 'all' } | { readonly kind: 'by'; readonly column: string };

export interface ReportSection {
  /** The sheet's name in the workbook (at most 31 characters). */
  readonly name: string;
  /** The section's heading, e.g. "Utbetalningar". */
  readonly title: string;
  readonly columns: ReadonlyArray<Column<never>>;
  readonly rows: readonly unknown[];
  readonly totals: Totals;
  /**
   * A record (one row, e.g. a grant's header figures) is shown as label–value lines rather than
   * as a one-row table.
   */
  readonly layout?: 'table' | 'record';
}

export interface ReportData {
  readonly name: string;
  /** The report's title line, e.g. "Outnyttjade riktade statsbidrag, per 2020-12-31". */
  readonly title: string;
  readonly sections: readonly ReportSection[];
  /** The JSON body, exactly as HTTP returns it. */
  readonly json: unknown;
}

/** Builds a column list with the row type checked, stored untyped in a section. */
export function columns<Row>(list: ReadonlyArray<Column<Row>>): ReadonlyArray<Column<never>> {
  return list as ReadonlyArray<Column<never>>;
}

export function titleOf(name: string, clocks: { asOf?: string | null | undefined; knownAt?: string | null | undefined }): string {
  const parts = [name];
  if (clocks.asOf) parts.push(`per ${clocks.asOf}`);
  if (clocks.knownAt) parts.push(`känt ${clocks.knownAt}`);
  return parts.join(', ');
}

export type ReportClocks = { asOf: string | null; knownAt: string | null };

type UnusedRow = UnusedGrantsReport['rows'][number];

const UNUSED_COLUMNS = columns<UnusedRow>([
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
  { key: 'useBy', label: 'Användas senast', kind: 'date', value: (row) => row.useBy },
  { key: 'reportDue', label: 'Återrapport', kind: 'date', value: (row) => row.reportDue },
  { key: 'status', label: 'Status', kind: 'status', value: (row) => row.status },
  { key: 'repaymentRequired', label: 'Återbetalningsskyldighet', kind: 'boolean', value: (row) => row.repaymentRequired },
  { key: 'repaymentOutstanding', label: 'Återkrav kvar', kind: 'money', value: (row) => row.repaymentOutstanding, total: true },
  { key: 'toRepay', label: 'Att återbetala', kind: 'money', value: (row) => row.toRepay, total: true },
]);

const RESULT_COLUMNS = columns<CommitteeResultRow>([
  { key: 'committee', label: 'Nämnd', kind: 'text', value: (row) => row.committee },
  { key: 'fiscalYear', label: 'År', kind: 'integer', value: (row) => row.fiscalYear },
  { key: 'budget', label: 'Budget', kind: 'money', value: (row) => row.budget, total: true },
  { key: 'monthsReported', label: 'Månader', kind: 'integer', value: (row) => row.monthsReported },
  { key: 'budgetToDate', label: 'Budget hittills', kind: 'money', value: (row) => row.budgetToDate, total: true },
  { key: 'costs', label: 'Kostnader', kind: 'money', value: (row) => row.costs, total: true },
  { key: 'revenues', label: 'Intäkter', kind: 'money', value: (row) => row.revenues, total: true },
  { key: 'grantRevenue', label: 'Bidragsintäkter', kind: 'money', value: (row) => row.grantRevenue, total: true },
  { key: 'result', label: 'Resultat', kind: 'money', value: (row) => row.result, total: true },
  { key: 'expectedResult', label: 'Prognos helår', kind: 'money', value: (row) => row.expectedResult, total: true },
  { key: 'carriedIn', label: 'Ingående resultatfond', kind: 'money', value: (row) => row.carriedIn, total: true },
  { key: 'carriedForward', label: 'Överfört', kind: 'money', value: (row) => row.carriedForward, total: true },
  { key: 'cumulativeResult', label: 'Ackumulerat resultat', kind: 'money', value: (row) => row.cumulativeResult, total: true },
  { key: 'closed', label: 'Bokslut', kind: 'boolean', value: (row) => row.closed },
  { key: 'closedOn', label: 'Bokslutsdag', kind: 'date', value: (row) => row.closedOn },
  { key: 'latestForecastAfter', label: 'Prognos efter', kind: 'text', value: (row) => row.latestForecast?.afterPeriod ?? null },
  { key: 'latestForecastDeviation', label: 'Prognosavvikelse', kind: 'money', value: (row) => row.latestForecast?.deviation ?? null, total: true },
  { key: 'latestForecastCommitteeLine', label: 'Prognos nämnd', kind: 'money', value: (row) => row.latestForecast?.committeeLine ?? null },
  { key: 'latestForecastActivitySum', label: 'Prognos verksamheter', kind: 'money', value: (row) => row.latestForecast?.activitySum ?? null },
  { key: 'latestForecastDifference', label: 'Prognos skillnad', kind: 'money', value: (row) => row.latestForecast?.difference ?? null },
]);

export function unusedGrantsData(report: UnusedGrantsReport, clocks: ReportClocks): ReportData {
  const title = titleOf('Outnyttjade riktade statsbidrag', clocks);
  // Every row is a stock at the same view date, so one total is meaningful.
  return {
    name: 'unused-grants',
    title,
    sections: [{ name: 'unused-grants', title, columns: UNUSED_COLUMNS, rows: report.rows, totals: { kind: 'all' } }],
    json: { ...clocks, ...report },
  };
}

export function committeeResultsData(report: { rows: readonly CommitteeResultRow[] }, clocks: ReportClocks): ReportData {
  const title = titleOf('Nämndernas resultat', clocks);
  // Budgets and results of different years never add up to anything: totals per fiscal year.
  return {
    name: 'committee-results',
    title,
    sections: [{ name: 'committee-results', title, columns: RESULT_COLUMNS, rows: report.rows, totals: { kind: 'by', column: 'fiscalYear' } }],
    json: { ...clocks, ...report },
  };
}

const cellsOf = (section: ReportSection, row: unknown): Cell[] => section.columns.map((column) => (column.value as (row: unknown) => Cell)(row));

/** A running exact decimal sum of two-decimal strings, in öre, so totals never suffer from floating point. */
class MoneySum {
  private ore = 0n;
  private any = false;

  add(value: Cell): void {
    if (typeof value !== 'string') return;
    this.any = true;
    const negative = value.startsWith('-');
    const [whole, fraction = ''] = (negative ? value.slice(1) : value).split('.');
    const amount = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
    this.ore += negative ? -amount : amount;
  }

  /** null when no row had an amount (an empty column stays empty in the totals). */
  get value(): string | null {
    return this.any ? formatOre(this.ore) : null;
  }
}

/**
 * Exact decimal sum of two-decimal strings, in öre, so totals never suffer from floating point;
 * null when no row has an amount (an empty column stays empty in the totals).
 */
export function sumMoney(values: ReadonlyArray<Cell>): string | null {
  const sum = new MoneySum();
  for (const value of values) sum.add(value);
  return sum.value;
}

interface TotalsRow {
  /** The row's cells: the label first, the sums in the totalled columns, null elsewhere. */
  readonly cells: Cell[];
  /** For 'by' totals: the column and the value the rows share (for SUMIF). */
  readonly group?: { readonly column: number; readonly value: Cell };
}

/**
 * The totals rows, summed as the rows go by: each row's cells are computed once, for the body
 * and the totals together. (They were computed again for every totalled column, all rows in one
 * synchronous pass after the body: 8 × 30 000 rows for the unused-grants report, hundreds of
 * milliseconds holding the event loop at the end of a workbook.)
 */
class RunningTotals {
  private readonly column: number;
  private readonly groups = new Map<string, { value: Cell; sums: MoneySum[] }>();

  constructor(private readonly section: ReportSection) {
    const totals = section.totals;
    this.column = totals.kind === 'by' ? section.columns.findIndex((candidate) => candidate.key === totals.column) : -1;
    if (totals.kind === 'by' && this.column < 0) throw new Error(`no column ${totals.column} to total by`);
    if (totals.kind === 'all') this.groupOf('', null);
  }

  private groupOf(key: string, value: Cell): { value: Cell; sums: MoneySum[] } {
    let group = this.groups.get(key);
    if (!group) {
      group = { value, sums: this.section.columns.map(() => new MoneySum()) };
      this.groups.set(key, group);
    }
    return group;
  }

  /** One body row's cells. */
  add(cells: readonly Cell[]): void {
    const kind = this.section.totals.kind;
    if (kind === 'none') return;
    const value = kind === 'by' ? cells[this.column]! : null;
    const group = this.groupOf(kind === 'by' ? String(value) : '', value);
    this.section.columns.forEach((column, index) => {
      if (column.total) group.sums[index]!.add(cells[index]!);
    });
  }

  /** "Summa" (also over no rows), or one "Summa <value>" per value in the order of the values' text; none for 'none'. */
  rows(): TotalsRow[] {
    const kind = this.section.totals.kind;
    if (kind === 'none') return [];
    const cellsOf = (label: string, sums: MoneySum[]): Cell[] =>
      this.section.columns.map((column, index) => (column.total ? sums[index]!.value : index === 0 ? label : null));
    if (kind === 'all') return [{ cells: cellsOf('Summa', this.groups.get('')!.sums) }];
    return [...this.groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, group]) => ({ cells: cellsOf(`Summa ${key}`, group.sums), group: { column: this.column, value: group.value } }));
  }
}

/** A cell as people read it: Swedish amounts, words and ja/nej. */
function humanCell(kind: ColumnKind, value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return yesNo(value);
  if (kind === 'money' && typeof value === 'string') return swedishMoney(value);
  if (kind === 'status') return statusWord(String(value));
  return String(value);
}

const rightAligned = (kind: ColumnKind) => kind === 'money' || kind === 'integer';

function sectionTable(section: ReportSection): string[] {
  if (section.layout === 'record') {
    const row = section.rows[0];
    if (row === undefined) return ['(inga uppgifter)'];
    const cells = cellsOf(section, row);
    const width = Math.max(...section.columns.map((column) => column.label.length));
    return section.columns.map((column, index) => `${column.label.padEnd(width)}  ${humanCell(column.kind, cells[index]!)}`.trimEnd());
  }
  const header = section.columns.map((column) => column.label);
  const sums = new RunningTotals(section);
  const body = section.rows.map((row) => {
    const cells = cellsOf(section, row);
    sums.add(cells);
    return cells.map((value, index) => humanCell(section.columns[index]!.kind, value));
  });
  const totals = sums.rows().map((total) => total.cells.map((value, index) => (index === 0 ? String(value) : humanCell(section.columns[index]!.kind, value))));
  const lines = [header, ...body, ...totals];
  const widths = section.columns.map((_, index) => Math.max(...lines.map((line) => line[index]!.length)));
  const render = (line: string[]) =>
    line
      .map((cell, index) => (index > 0 && rightAligned(section.columns[index]!.kind) ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const out = [render(header), rule, ...body.map(render)];
  if (section.rows.length === 0) out.push('(inga rader)');
  if (totals.length > 0) out.push(rule, ...totals.map(render));
  return out;
}

export function toTable(data: ReportData): string {
  const lines = [data.title, ''];
  const titled = data.sections.length > 1;
  for (const section of data.sections) {
    if (titled) lines.push(section.title, '');
    lines.push(...sectionTable(section), '');
  }
  return lines.join('\n');
}

/**
 * A text cell that begins like a formula (=, +, -, @, tab, CR) is evaluated by spreadsheets when
 * the file is opened, quoted or not; a leading apostrophe keeps it text (OWASP's CSV injection
 * advice). Only text: a negative amount stays a number.
 */
function defused(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;

function csvField(kind: ColumnKind, value: Cell, dialect: CsvDialect): string {
  if (value === null) return '';
  if (dialect === 'excel') {
    if (kind === 'money' && typeof value === 'string') return value.replace('.', ',');
    if (kind === 'integer' || kind === 'date') return String(value);
    // Text, words and ja/nej: always quoted, so `;`, line breaks and leading zeros stay in one text cell.
    return quoted(defused(humanCell(kind, value)));
  }
  if (kind === 'money' || kind === 'integer' || kind === 'date' || typeof value === 'boolean') return String(value);
  const text = defused(String(value));
  return /[",\r\n]/.test(text) ? quoted(text) : text;
}

function csvHeader(section: ReportSection, dialect: CsvDialect): string {
  const separator = dialect === 'excel' ? ';' : ',';
  return section.columns.map((column) => (dialect === 'excel' ? quoted(column.label) : column.key)).join(separator);
}

function csvRow(section: ReportSection, row: unknown, dialect: CsvDialect): string {
  const separator = dialect === 'excel' ? ';' : ',';
  return cellsOf(section, row).map((value, index) => csvField(section.columns[index]!.kind, value, dialect)).join(separator);
}

/** The lines of a CSV, section by section, each block under its name when there are several. */
function* csvLines(data: ReportData, dialect: CsvDialect): Generator<{ readonly line: string; readonly blockStart: boolean; readonly row: boolean }> {
  const titled = data.sections.length !== 1;
  for (const section of data.sections) {
    if (titled) yield { line: dialect === 'excel' ? quoted(section.title) : section.name, blockStart: true, row: false };
    yield { line: csvHeader(section, dialect), blockStart: !titled, row: false };
    for (const row of section.rows) yield { line: csvRow(section, row, dialect), blockStart: false, row: true };
  }
}

/**
 * CSV with CRLF line ends and a UTF-8 BOM (so Excel reads å, ä and ö). No totals rows: a
 * spreadsheet sums what it needs. A report of several sections (the grant statement) gives one
 * block per section, each under a line naming it, the blocks separated by an empty line.
 * In one piece: for small reports and tests; `toCsvInSlices` gives the same bytes without
 * holding the event loop.
 */
export function toCsv(data: ReportData, dialect: CsvDialect = 'excel'): string {
  const parts: string[] = [];
  for (const { line, blockStart } of csvLines(data, dialect)) parts.push(blockStart && parts.length > 0 ? `\r\n${line}` : line);
  return `\uFEFF${parts.join('\r\n')}\r\n`;
}

/**
 * The same bytes as `toCsv`, rendered a row at a time with the event loop given back whenever
 * `pauses` says the slice is used up (issue 12: a report of 30 000 rows held the loop for 60 ms
 * in one piece). The final join of the finished lines is one native call, a few milliseconds.
 */
export async function toCsvInSlices(data: ReportData, dialect: CsvDialect = 'excel', pauses: Pauses = new Yielder(10)): Promise<string> {
  const parts: string[] = [];
  for (const { line, blockStart, row } of csvLines(data, dialect)) {
    parts.push(blockStart && parts.length > 0 ? `\r\n${line}` : line);
    if (row && pauses.due()) await pauses.pause();
  }
  return `\uFEFF${parts.join('\r\n')}\r\n`;
}

export const SEK_FORMAT = '#,##0.00 "kr";-#,##0.00 "kr"';
export const DATE_FORMAT = 'yyyy-mm-dd';

function columnLetter(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** A business date as a date cell: midnight UTC of that day, which Excel shows as that day. */
function dateCell(text: string): Date {
  return new Date(Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10))));
}

function xlsxCell(kind: ColumnKind, value: Cell): ExcelJS.CellValue {
  if (value === null) return null;
  // Exact in the ledger, a double in the workbook: Excel has no other numbers, and every amount
  // below 10^13 with two decimals keeps its two decimals in a double.
  if (kind === 'money' || kind === 'integer') return Number(value);
  if (kind === 'date' && typeof value === 'string') return dateCell(value);
  return humanCell(kind, value);
}

const cellFormat = (kind: ColumnKind): string | undefined => (kind === 'money' ? SEK_FORMAT : kind === 'date' ? DATE_FORMAT : undefined);

type SheetWriter = ReturnType<ExcelJS.stream.xlsx.WorkbookWriter['addWorksheet']>;

async function addRecordSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, section: ReportSection, title: string): Promise<void> {
  const sheet: SheetWriter = workbook.addWorksheet(section.name);
  sheet.columns = [{ width: Math.max(12, ...section.columns.map((column) => column.label.length + 2)) }, { width: 40 }];
  const heading = sheet.addRow([title]);
  heading.font = { bold: true };
  heading.commit();
  const row = section.rows[0];
  if (row !== undefined) {
    const cells = cellsOf(section, row);
    section.columns.forEach((column, index) => {
      const added = sheet.addRow([column.label, xlsxCell(column.kind, cells[index]!)]);
      added.getCell(1).font = { bold: true };
      const format = cellFormat(column.kind);
      if (format) added.getCell(2).numFmt = format;
      added.commit();
    });
  }
  sheet.commit();
}

/**
 * A sheet a revisor can sort and sum at once: row 1 the title, row 2 the headings, frozen below
 * them, money as numbers in a SEK format, dates as date cells, and the totals rows as formulas
 * (SUM, or SUMIF per fiscal year) with their values cached for readers that do not calculate.
 * Rows are written out as they are added, giving the event loop back every few milliseconds: a
 * workbook of many thousand rows never holds up other requests.
 */
async function addTableSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, section: ReportSection, title: string, pauses: Pauses): Promise<void> {
  const sheet: SheetWriter = workbook.addWorksheet(section.name, {
    views: [{ state: 'frozen', xSplit: 1, ySplit: 2 }],
  });
  sheet.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: section.columns.length } };
  sheet.columns = section.columns.map((column) => {
    const format = cellFormat(column.kind);
    return {
      width: column.kind === 'money' ? 18 : column.kind === 'date' ? 12 : Math.max(10, Math.min(40, column.label.length + 2)),
      ...(format ? { style: { numFmt: format } } : {}),
    };
  });
  const heading = sheet.addRow([title]);
  heading.font = { bold: true };
  heading.commit();
  const labels = sheet.addRow(section.columns.map((column) => column.label));
  labels.font = { bold: true };
  labels.commit();
  const firstDataRow = 3;
  const sums = new RunningTotals(section);
  for (const row of section.rows) {
    const cells = cellsOf(section, row);
    sums.add(cells);
    sheet.addRow(cells.map((value, index) => xlsxCell(section.columns[index]!.kind, value))).commit();
    if (pauses.due()) await pauses.pause();
  }
  const lastDataRow = firstDataRow + section.rows.length - 1;
  for (const total of sums.rows()) {
    const values = total.cells;
    const added = sheet.addRow(
      section.columns.map((column, index) => {
        if (!column.total) return index === 0 ? values[0]! : null;
        if (section.rows.length === 0) return 0;
        if (values[index] === null) return null;
        const result = Number(values[index]);
        const letter = columnLetter(index);
        const range = `${letter}${firstDataRow}:${letter}${lastDataRow}`;
        if (!total.group) return { formula: `SUM(${range})`, result };
        const groupLetter = columnLetter(total.group.column);
        const criterion = typeof total.group.value === 'number' ? String(total.group.value) : `"${String(total.group.value).replace(/"/g, '""')}"`;
        return { formula: `SUMIF(${groupLetter}${firstDataRow}:${groupLetter}${lastDataRow},${criterion},${range})`, result };
      }),
    );
    added.font = { bold: true };
    added.commit();
    if (pauses.due()) await pauses.pause();
  }
  sheet.commit();
}

/**
 * The workbook: one sheet per section, written by exceljs's streaming writer into memory, so
 * its XML is produced row by row (between turns of the event loop) and compressed by zlib off
 * the main thread, rather than in one long synchronous pass at the end.
 */
export async function toXlsx(data: ReportData, pauses: Pauses = new Yielder(10)): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
  workbook.creator = 'grantledger';
  for (const section of data.sections) {
    const title = data.sections.length === 1 ? data.title : `${data.title}: ${section.title}`;
    if (section.layout === 'record') await addRecordSheet(workbook, section, title);
    else await addTableSheet(workbook, section, title, pauses);
  }
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks);
}

/** The report in a format: a string for text formats, a Buffer for xlsx. */
export async function renderReport(data: ReportData, format: ReportFormat, dialect: CsvDialect = 'excel'): Promise<string | Buffer> {
  switch (format) {
    case 'table':
      return toTable(data);
    case 'csv':
      return toCsvInSlices(data, dialect);
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
