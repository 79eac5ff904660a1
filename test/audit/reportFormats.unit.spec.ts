import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { committeeResultsData, swedishMoney, toCsv, toTable, toXlsx, unusedGrantsData } from '../../src/app/reportFormats.js';
import { grantStatementData, resultFundData } from '../../src/app/monthlyReportData.js';
import type { CommitteeResultRow } from '../../projections/committeeResults.js';
import type { GrantStatement } from '../../projections/grantStatement.js';
import { isAtRisk, unusedGrantsReport } from '../../projections/unusedGrants.js';
import type { GrantView } from '../../projections/grantView.js';
import { compareSnapshots } from '../../src/app/replay.js';

const arrayBufferOf = (buffer: Buffer): ArrayBuffer => buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;

const view = (overrides: Partial<GrantView>): GrantView => ({
  grantId: 'g1',
  grantor: 'Skolverket',
  title: 'Läxhjälp',
  purpose: 'Läxhjälp',
  kind: 'riktat',
  committee: 'utbildning',
  receivedOn: '2021-01-10',
  useBy: '2021-12-31',
  reportDue: null,
  reference: null,
  repaymentRequired: true,
  received: '1000.00',
  spent: '250.50',
  returned: '0.00',
  unused: '749.50',
  unallocated: '749.50',
  allocatedRemaining: '0.00',
  retained: '0.00',
  repaymentDemanded: '0.00',
  repaymentOutstanding: '0.00',
  toRepay: '0.00',
  status: 'open',
  closedOn: null,
  reports: [],
  allocations: [],
  ...overrides,
});

describe('Swedish money in tables', () => {
  it.each([
    ['8000000.00', '8 000 000,00'],
    ['0.00', '0,00'],
    ['999.50', '999,50'],
    ['1000.00', '1 000,00'],
    ['-30000000.00', '-30 000 000,00'],
    ['9999999999999.99', '9 999 999 999 999,99'],
  ])('%s → %s', (amount, shown) => expect(swedishMoney(amount)).toBe(shown));
});

describe('report formats', () => {
  const report = unusedGrantsReport(
    [view({}), view({ grantId: 'g2', title: 'Sommar, "lov" och\nskola', received: '0.10', spent: '0.00', unused: '0.10', useBy: '2021-06-30' })],
    {},
  );
  const data = unusedGrantsData(report, { asOf: '2021-03-31', knownAt: null });

  it('quotes CSV fields per RFC 4180 and keeps decimal points in the rfc4180 dialect', () => {
    const csv = toCsv(data, 'rfc4180');
    expect(csv.startsWith('\uFEFFgrantId,')).toBe(true);
    expect(csv).toContain('\r\ng2,Skolverket,"Sommar, ""lov"" och\nskola",utbildning,0.10,0.00,');
    expect(csv).toContain(',2021-06-30,,open,true,0.00,0.00\r\n');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('writes CSV for Swedish Excel by default: semicolons, decimal comma, BOM, CRLF, every text quoted, Swedish words', () => {
    const csv = toCsv(data);
    expect(csv.startsWith('\uFEFF"Bidrag";"Bidragsgivare";"Benämning";')).toBe(true);
    // Text quoted (a line break stays in its cell), amounts with a decimal comma and no grouping,
    // dates bare so Excel reads them as dates, the status in Swedish, ja/nej.
    expect(csv).toContain('\r\n"g2";"Skolverket";"Sommar, ""lov"" och\nskola";"utbildning";0,10;0,00;0,00;0,10;749,50;0,00;2021-06-30;;"öppen";"ja";0,00;0,00\r\n');
    expect(csv).not.toContain('Summa');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('keeps a grantor full of separators in one text cell, and defuses formulas in both dialects', () => {
    const hostile = unusedGrantsReport([view({ grantId: 'g3', title: '=HYPERLINK("http://x","klicka")', grantor: 'x;=2+5;', committee: '@SUM(A1)', unallocated: '-3.50' })], {});
    const hostileData = unusedGrantsData(hostile, { asOf: '2021-03-31', knownAt: null });
    const excel = toCsv(hostileData);
    expect(excel).toContain(`"g3";"x;=2+5;";"'=HYPERLINK(""http://x"",""klicka"")";"'@SUM(A1)";`);
    expect(excel).toContain(';-3,50;');
    // Split the way Excel does, respecting quotes: the row still has exactly 16 fields.
    const row = excel.split('\r\n')[1]!;
    expect(row.match(/("([^"]|"")*"|[^;]*)(;|$)/g)!.filter((field) => field !== '').length).toBe(16);
    const machine = toCsv(hostileData, 'rfc4180');
    expect(machine).toContain(`g3,x;=2+5;,"'=HYPERLINK(""http://x"",""klicka"")",'@SUM(A1),`);
    expect(machine).toContain(',-3.50,');
  });

  it('totals the table exactly, without floating point drift', () => {
    const table = toTable(data);
    expect(table).toMatch(/^Summa +1 000,10 +250,50 +0,00 +749,60/m);
    expect(table.split('\n')[0]).toBe('Outnyttjade riktade statsbidrag, per 2021-03-31');
  });

  it('shows statuses in Swedish and ja/nej in the table', () => {
    const table = toTable(data);
    expect(table).toMatch(/^g1 .* 2021-12-31 +öppen +ja /m);
    expect(table).not.toMatch(/\bopen\b|\btrue\b/);
  });

  it('writes numbers, a SEK format, date cells, Swedish words and a SUM row into the workbook', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(await toXlsx(data)));
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(3).getCell(5).value).toBe(0.1);
    expect(sheet.getRow(3).getCell(11).value).toEqual(new Date(Date.UTC(2021, 5, 30)));
    expect(sheet.getRow(3).getCell(11).numFmt).toBe('yyyy-mm-dd');
    expect(sheet.getRow(3).getCell(13).value).toBe('öppen');
    expect(sheet.getRow(3).getCell(14).value).toBe('ja');
    expect(sheet.getRow(2).getCell(16).value).toBe('Att återbetala');
    expect(sheet.getRow(4).getCell(6).value).toBe(250.5);
    expect(sheet.getRow(4).getCell(6).numFmt).toBe('#,##0.00 "kr";-#,##0.00 "kr"');
    expect(sheet.getRow(5).getCell(5).value).toMatchObject({ formula: 'SUM(E3:E4)', result: 1000.1 });
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', xSplit: 1, ySplit: 2 });
  });

  it('gives an empty report a zero totals row rather than a formula over no rows', async () => {
    const empty = unusedGrantsData(unusedGrantsReport([], {}), { asOf: null, knownAt: null });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(await toXlsx(empty)));
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(3).getCell(1).value).toBe('Summa');
    expect(sheet.getRow(3).getCell(5).value).toBe(0);
  });
});

const resultRow = (overrides: Partial<CommitteeResultRow>): CommitteeResultRow => ({
    committee: 'socialnamnden',
    fiscalYear: 2021,
    budget: '1000.00',
    monthsReported: 12,
    budgetToDate: '1000.00',
    costs: '900.00',
    revenues: '0.00',
    grantRevenue: '0.00',
    result: '100.00',
    expectedResult: '100.00',
    carriedIn: '0.00',
    cumulativeResult: '100.00',
    closed: false,
    closedOn: null,
    carriedForward: null,
    latestForecast: null,
    ...overrides,
  });

describe('committee results in human formats', () => {
  const rows = [
    resultRow({}),
    resultRow({ fiscalYear: 2022, budget: '2000.00', result: '-50.00', closed: true, closedOn: '2023-02-15', carriedForward: '-50.00' }),
    resultRow({ committee: 'utbildning', budget: '500.00', result: '25.50' }),
  ];
  const data = committeeResultsData({ rows }, { asOf: null, knownAt: null });

  it('totals per fiscal year, never across years', () => {
    const table = toTable(data);
    // 2021: 1 000 + 500 = 1 500 budget, 100 + 25,50 = 125,50 result; 2022 alone: 2 000 and −50.
    expect(table).toMatch(/^Summa 2021 +1 500,00 /m);
    expect(table).toMatch(/^Summa 2022 +2 000,00 /m);
    expect(table).not.toMatch(/^Summa {2,}/m);
    expect(table).not.toContain('3 500,00');
  });

  it('writes SUMIF formulas per year and the closing date as a date cell in the workbook', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(await toXlsx(data)));
    const sheet = workbook.worksheets[0]!;
    const headings = (sheet.getRow(2).values as unknown[]).slice(1);
    const column = (label: string) => headings.indexOf(label) + 1;
    expect(sheet.getRow(6).getCell(1).value).toBe('Summa 2021');
    expect(sheet.getRow(6).getCell(column('Budget')).value).toMatchObject({ formula: 'SUMIF(B3:B5,2021,C3:C5)', result: 1500 });
    expect(sheet.getRow(7).getCell(column('Budget')).value).toMatchObject({ formula: 'SUMIF(B3:B5,2022,C3:C5)', result: 2000 });
    // A column the rows leave empty (no forecast anywhere) stays empty in the totals too.
    expect(sheet.getRow(6).getCell(column('Prognosavvikelse')).value).toBeNull();
    expect(sheet.getRow(4).getCell(column('Bokslutsdag')).value).toEqual(new Date(Date.UTC(2023, 1, 15)));
    expect(sheet.getRow(4).getCell(column('Bokslut')).value).toBe('ja');
    expect(sheet.getRow(4).getCell(column('Överfört')).value).toBe(-50);
  });

  it('has no totals row in the result fund: each row is another year', () => {
    const table = toTable(
      resultFundData(
        { rows: [{ committee: 'socialnamnden', fiscalYear: 2021, result: '120000.00', carriedForward: '100000.00', notCarried: '20000.00', closedOn: '2022-02-15', balance: '100000.00' }], balances: [] },
        { asOf: null, knownAt: null },
      ),
    );
    expect(table).toMatch(/^socialnamnden +2021 +120 000,00 +100 000,00 +20 000,00 +2022-02-15 +100 000,00$/m);
    expect(table).not.toContain('Summa');
  });
});

describe('the grant statement in every format', () => {
  const statement: GrantStatement = {
    grant: {
      grantId: 'g1', grantor: 'Socialstyrelsen', title: 'Bidrag', purpose: 'Ändamål', kind: 'riktat', committee: 'socialnamnden', receivedOn: '2021-02-01',
      useBy: '2021-12-31', reportDue: '2022-03-31', reference: 'Dnr 1', repaymentRequired: true, received: '1000000.00', spent: '350000.00', returned: '0.00',
      unused: '650000.00', unallocated: '250000.00', allocatedRemaining: '400000.00', retained: '0.00', repaymentDemanded: '0.00', repaymentOutstanding: '0.00',
      status: 'expired', closedOn: null, toRepay: '650000.00',
    },
    installments: [{ receivedOn: '2021-02-01', amount: '600000.00', reference: 'Dnr 1' }, { receivedOn: '2021-08-01', amount: '400000.00', reference: null }],
    allocations: [{ allocationId: 'a1', activity: 'AO', allocatedOn: '2021-02-10', allocated: '500000.00', released: '0.00', spent: '350000.00', remaining: '150000.00', spending: [{ spentOn: '2021-03-15', voucher: 'V-101', amount: '350000.00' }] }],
    releases: [],
    demands: [],
    returns: [],
    reports: [{ submittedOn: '2021-09-30', reference: 'Delrapport' }],
    amendments: [],
  };
  const data = grantStatementData(statement, { asOf: '2021-12-31', knownAt: null });

  it('has one workbook sheet per section, the header as label and value', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(await toXlsx(data)));
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['bidraget', 'utbetalningar', 'fordelningar', 'forbrukning', 'frigjort', 'aterkrav', 'aterbetalningar', 'aterrapporter', 'rattelser']);
    const header = workbook.getWorksheet('bidraget')!;
    const valueOf = (label: string) => header.getRows(2, header.rowCount - 1)!.find((row) => row.getCell(1).value === label)!.getCell(2);
    expect(valueOf('Att återbetala').value).toBe(650000);
    expect(valueOf('Att återbetala').numFmt).toContain('"kr"');
    expect(valueOf('Status').value).toBe('förfallen');
    expect(valueOf('Återbetalningsskyldighet').value).toBe('ja');
    expect(valueOf('Användas senast').value).toEqual(new Date(Date.UTC(2021, 11, 31)));
    const spending = workbook.getWorksheet('forbrukning')!;
    expect((spending.getRow(3).values as unknown[]).slice(1)).toEqual(['a1', 'AO', new Date(Date.UTC(2021, 2, 15)), 'V-101', 350000]);
  });

  it('prints each section under its heading in the table, and one block per section in CSV', () => {
    const table = toTable(data);
    expect(table).toMatch(/^Att återbetala +650 000,00$/m);
    expect(table).toMatch(/^Status +förfallen$/m);
    expect(table).toContain('Förbrukning\n\nFördelning  Verksamhet  Datum       Verifikation');
    const csv = toCsv(data);
    expect(csv).toContain('\r\n\r\n"Förbrukning"\r\n"Fördelning";"Verksamhet";"Datum";"Verifikation";"Belopp"\r\n"a1";"AO";2021-03-15;"V-101";350000,00\r\n');
    expect(toCsv(data, 'rfc4180')).toContain('\r\n\r\nforbrukning\r\nallocationId,activity,spentOn,voucher,amount\r\na1,AO,2021-03-15,V-101,350000.00\r\n');
  });
});

describe('at-risk grants', () => {
  it('are riktade, not closed, with money unused and useBy from the view date to within days after it', () => {
    expect(isAtRisk(view({ useBy: '2021-03-31' }), '2021-03-31', 90)).toBe(true);
    expect(isAtRisk(view({ useBy: '2021-06-29' }), '2021-03-31', 90)).toBe(true);
    expect(isAtRisk(view({ useBy: '2021-06-30' }), '2021-03-31', 90)).toBe(false);
    expect(isAtRisk(view({ useBy: '2021-03-30' }), '2021-03-31', 90)).toBe(false);
    expect(isAtRisk(view({ useBy: '2021-04-30', unused: '0.00' }), '2021-03-31', 90)).toBe(false);
    expect(isAtRisk(view({ useBy: '2021-04-30', status: 'closed' }), '2021-03-31', 90)).toBe(false);
    expect(isAtRisk(view({ useBy: '2021-03-31', status: 'expired' }), '2021-03-31', 90)).toBe(false);
    expect(isAtRisk(view({ useBy: '2021-04-30', kind: 'generellt' }), '2021-03-31', 90)).toBe(false);
  });

  it('filter the report, 90 days by default', () => {
    const views = [view({ grantId: 'soon', useBy: '2021-05-01' }), view({ grantId: 'later', useBy: '2021-09-01' })];
    expect(unusedGrantsReport(views, { status: 'at-risk' }, '2021-03-31').rows.map((row) => row.grantId)).toEqual(['soon']);
    expect(unusedGrantsReport(views, { status: 'at-risk', within: 180 }, '2021-03-31').rows.map((row) => row.grantId)).toEqual(['soon', 'later']);
  });
});

describe('replay comparison', () => {
  it('names every differing field and every missing row', () => {
    const live = new Map<string, unknown>([
      ['grants/a', { unused: '1.00', status: 'open' }],
      ['grants/b', { unused: '2.00' }],
    ]);
    const replayed = new Map<string, unknown>([
      ['grants/a', { unused: '1.00', status: 'expired' }],
      ['grants/c', { unused: '3.00' }],
    ]);
    expect(compareSnapshots(replayed, live)).toEqual([
      { where: 'grants/a', field: 'status', replayed: 'expired', live: 'open' },
      { where: 'grants/b', field: '(row)', replayed: 'missing', live: 'present' },
      { where: 'grants/c', field: '(row)', replayed: 'present', live: 'missing' },
    ]);
    expect(compareSnapshots(live, live)).toEqual([]);
  });
});
