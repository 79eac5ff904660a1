import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { swedishMoney, toCsv, toTable, toXlsx, unusedGrantsData } from '../../src/app/reportFormats.js';
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

  it('quotes CSV fields per RFC 4180 and keeps decimal points', () => {
    const csv = toCsv(data);
    expect(csv.startsWith('\uFEFFgrantId,')).toBe(true);
    expect(csv).toContain('\r\ng2,Skolverket,"Sommar, ""lov"" och\nskola",utbildning,0.10,0.00,');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('keeps text that looks like a formula as text in CSV, and negative amounts as numbers', () => {
    const hostile = unusedGrantsReport([view({ grantId: 'g3', title: '=HYPERLINK("http://x","klicka")', grantor: '@SUM(A1)', unallocated: '-3.50' })], {});
    const csv = toCsv(unusedGrantsData(hostile, { asOf: '2021-03-31', knownAt: null }));
    expect(csv).toContain(`g3,'@SUM(A1),"'=HYPERLINK(""http://x"",""klicka"")"`);
    expect(csv).toContain(',-3.50,');
  });

  it('totals the table exactly, without floating point drift', () => {
    const table = toTable(data);
    expect(table).toMatch(/^Summa +1 000,10 +250,50 +0,00 +749,60/m);
    expect(table.split('\n')[0]).toBe('Outnyttjade riktade statsbidrag, per 2021-03-31');
  });

  it('writes numbers, a SEK format and a SUM row into the workbook', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(arrayBufferOf(await toXlsx(data)));
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(3).getCell(5).value).toBe(0.1);
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
