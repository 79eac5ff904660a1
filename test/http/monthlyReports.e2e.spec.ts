import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Backend, type TestServer } from '../support/server.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';
import { runCli } from '../support/cli.js';

/**
 * The monthly reports of issue 9 over HTTP and through the CLI, on one real SQLite file.
 *
 * socialnämnden:
 * - 2021: AO budget 1 200 000; costs 1 000 000 (2021-12); grant g1 spent 120 000 + 80 000 = 200 000
 *   in 2021 → result 1 200 000 − 1 000 000 + 200 000 = 400 000; closed 2022-02-15 carrying 100 000.
 * - 2022: 600 000 for the committee as a whole, AO 1 200 000; AO costs 450 000, revenues 15 000
 *   (2022-03); grant g2 spent 100 000 on AO in February; forecast after April: +50 000 for the
 *   committee, AO −20 000.
 * - g1 (riktat, repaymentRequired, useBy 2021-12-31, reportDue 2022-03-31): 600 000 + 400 000.
 * - g2 (riktat, useBy 2022-12-31, reportDue 2023-03-31): 300 000.
 */
const directory = mkdtempSync(join(tmpdir(), 'grantledger-monthly-'));
const path = join(directory, 'ledger.db');
const backend: Backend = { name: 'SQLite', open: async () => new SqliteEventStore(path, { pollIntervalMs: 20, signer: loadSigningKey(`${path}.signing-key.pem`, { create: true }).signer }), dispose: async () => undefined };
let t: TestServer;

async function ok(method: string, url: string, body: unknown): Promise<void> {
  const response = await t.api(method, url, { body });
  expect(response.status, `${method} ${url}: ${response.text}`).toBeLessThan(300);
}

beforeAll(async () => {
  t = await startTestServer(backend);
  await ok('POST', '/api/budgets/socialnamnden/2021/appropriations', { activity: 'AO', amount: '1200000.00', decidedOn: '2020-11-20', decisionRef: 'KF 2020 §1' });
  await ok('POST', '/api/grants', {
    grantId: 'g1', grantor: 'Socialstyrelsen', title: 'Äldreomsorgslyftet', purpose: 'Kompetens', kind: 'riktat', committee: 'socialnamnden',
    amount: '600000.00', receivedOn: '2021-02-01', useBy: '2021-12-31', repaymentRequired: true, reportDue: '2022-03-31', reference: 'Dnr 1',
  });
  await ok('POST', '/api/grants/g1/allocations', { allocationId: 'a1', activity: 'AO', amount: '500000.00', allocatedOn: '2021-02-10' });
  await ok('POST', '/api/grants/g1/spending', { allocationId: 'a1', amount: '120000.00', spentOn: '2021-03-15', voucher: 'V-101' });
  await ok('POST', '/api/grants/g1/spending', { allocationId: 'a1', amount: '80000.00', spentOn: '2021-05-20', voucher: 'V-145' });
  await ok('POST', '/api/grants/g1/installments', { amount: '400000.00', receivedOn: '2021-08-01', reference: 'Rate 2' });
  await ok('POST', '/api/budgets/socialnamnden/2021/outcomes', { period: '2021-12', activity: 'AO', costs: '1000000.00', revenues: '0.00' });
  await ok('POST', '/api/budgets/socialnamnden/2021/close', { closedOn: '2022-02-15', carriedForward: '100000.00' });
  await ok('POST', '/api/budgets/socialnamnden/2022/appropriations', { amount: '600000.00', decidedOn: '2021-11-15', decisionRef: 'KF 2021 §9' });
  await ok('POST', '/api/budgets/socialnamnden/2022/appropriations', { activity: 'AO', amount: '1200000.00', decidedOn: '2021-11-15', decisionRef: 'KF 2021 §9' });
  await ok('POST', '/api/grants', {
    grantId: 'g2', grantor: 'x;=2+5;', title: 'Fler händer', purpose: 'Bemanning', kind: 'riktat', committee: 'socialnamnden',
    amount: '300000.00', receivedOn: '2022-01-10', useBy: '2022-12-31', repaymentRequired: true, reportDue: '2023-03-31',
  });
  await ok('POST', '/api/grants/g2/allocations', { allocationId: 'b1', activity: 'AO', amount: '300000.00', allocatedOn: '2022-01-11' });
  await ok('POST', '/api/grants/g2/spending', { allocationId: 'b1', amount: '100000.00', spentOn: '2022-02-15', voucher: 'V-301' });
  await ok('POST', '/api/budgets/socialnamnden/2022/outcomes', { period: '2022-03', activity: 'AO', costs: '450000.00', revenues: '15000.00' });
  await ok('POST', '/api/budgets/socialnamnden/2022/forecasts', { afterPeriod: '2022-04', deviation: '50000.00' });
  await ok('POST', '/api/budgets/socialnamnden/2022/forecasts', { afterPeriod: '2022-04', activity: 'AO', deviation: '-20000.00' });
}, 60_000);
afterAll(async () => {
  await t.stop();
  rmSync(directory, { recursive: true, force: true });
});

const workbookOf = async (response: Response) => {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await response.arrayBuffer());
  return workbook;
};
const fetchAs = (url: string) => fetch(`${t.url}${url}`, { headers: { Authorization: `Bearer ${t.tokens.revisor}` } });

describe('per verksamhet over HTTP', () => {
  it('gives each activity its budget to date, deviation and forecast, and the forecast history', async () => {
    const response = await t.api('GET', '/api/reports/activities?committee=socialnamnden&year=2022&asOf=2022-04-30', { as: 'revisor' });
    expect(response.status).toBe(200);
    // m = 3. The committee as a whole: 600 000 × 3/12 = 150 000. AO: 300 000 − 450 000 + 15 000 + 100 000 = −35 000.
    expect(response.body).toMatchObject({ committee: 'socialnamnden', year: 2022, monthsReported: 3, asOf: '2022-04-30', knownAt: null });
    expect(response.body.rows).toEqual([
      { activity: null, budget: '600000.00', budgetToDate: '150000.00', costs: '0.00', revenues: '0.00', grantRevenue: '0.00', deviation: '150000.00', forecast: { afterPeriod: '2022-04', deviation: '50000.00' } },
      { activity: 'AO', budget: '1200000.00', budgetToDate: '300000.00', costs: '450000.00', revenues: '15000.00', grantRevenue: '100000.00', deviation: '-35000.00', forecast: { afterPeriod: '2022-04', deviation: '-20000.00' } },
    ]);
    expect(response.body.totals.deviation).toBe('115000.00');
    // The committee line is the forecast; the AO line its breakdown: difference 50 000 − (−20 000) = 70 000.
    expect(response.body.forecastHistory).toEqual([
      { afterPeriod: '2022-04', committeeLine: '50000.00', activities: [{ activity: 'AO', deviation: '-20000.00' }], activitySum: '-20000.00', difference: '70000.00', deviation: '50000.00' },
    ]);
  });

  it('answers in Excel CSV, rfc4180 CSV and xlsx', async () => {
    const excel = await t.api('GET', '/api/reports/activities?committee=socialnamnden&year=2022&asOf=2022-04-30&format=csv');
    expect(excel.text).toContain('\r\n"AO";1200000,00;300000,00;450000,00;15000,00;100000,00;-35000,00;"2022-04";-20000,00\r\n');
    const machine = await t.api('GET', '/api/reports/activities?committee=socialnamnden&year=2022&asOf=2022-04-30&format=csv&dialect=rfc4180');
    expect(machine.text).toContain('\r\nAO,1200000.00,300000.00,450000.00,15000.00,100000.00,-35000.00,2022-04,-20000.00\r\n');
    const workbook = await workbookOf(await fetchAs('/api/reports/activities?committee=socialnamnden&year=2022&asOf=2022-04-30&format=xlsx'));
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['verksamheter', 'prognoser', 'prognosrader']);
    const sheet = workbook.getWorksheet('verksamheter')!;
    expect((sheet.getRow(4).values as unknown[]).slice(1, 8)).toEqual(['AO', 1200000, 300000, 450000, 15000, 100000, -35000]);
    expect(sheet.getRow(5).getCell(7).value).toMatchObject({ formula: 'SUM(G3:G4)', result: 115000 });
  });

  it('refuses a missing or bad year with 400 naming the field', async () => {
    for (const [query, field] of [['committee=socialnamnden', 'query.year'], ['committee=socialnamnden&year=22', 'query.year'], ['year=2022', 'query.committee'], ['committee=socialnamnden&year=2022&dialect=tab', 'query.dialect']]) {
      const response = await t.api('GET', `/api/reports/activities?${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors[0].path).toBe(field);
    }
  });
});

describe('grant statement over HTTP', () => {
  it('lists installments, allocations with their spending, reports, unused and toRepay', async () => {
    const response = await t.api('GET', '/api/reports/grant-statement/g1?asOf=2021-12-31', { as: 'revisor' });
    expect(response.status).toBe(200);
    // 1 000 000 received, 200 000 spent: 800 000 unused, all of it to repay once useBy has passed.
    expect(response.body.grant).toMatchObject({ grantId: 'g1', received: '1000000.00', spent: '200000.00', unused: '800000.00', toRepay: '800000.00', status: 'expired' });
    expect(response.body.installments).toEqual([
      { receivedOn: '2021-02-01', amount: '600000.00', reference: 'Dnr 1' },
      { receivedOn: '2021-08-01', amount: '400000.00', reference: 'Rate 2' },
    ]);
    expect(response.body.allocations[0].spending).toEqual([
      { spentOn: '2021-03-15', voucher: 'V-101', amount: '120000.00' },
      { spentOn: '2021-05-20', voucher: 'V-145', amount: '80000.00' },
    ]);
  });

  it('is a workbook of one sheet per section', async () => {
    const workbook = await workbookOf(await fetchAs('/api/reports/grant-statement/g1?asOf=2021-12-31&format=xlsx'));
    expect(workbook.worksheets.map((sheet) => sheet.name)).toContain('forbrukning');
    expect(workbook.getWorksheet('forbrukning')!.getRow(4).getCell(5).value).toBe(80000);
  });

  it('answers 404 for an unknown grant or one not yet in view, 400 for a bad id', async () => {
    expect((await t.api('GET', '/api/reports/grant-statement/nope')).body.code).toBe('GRANT_NOT_FOUND');
    const early = await t.api('GET', '/api/reports/grant-statement/g2?asOf=2021-12-31');
    expect(early.status).toBe(404);
    expect(early.body.code).toBe('GRANT_NOT_IN_VIEW');
    const bad = await t.api('GET', '/api/reports/grant-statement/g1?asOf=2021-13-01');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.asOf');
  });
});

describe('reports due, year-end balances and the result fund over HTTP', () => {
  it('lists the report due in 16 days, and none once it is further than within', async () => {
    const due = await t.api('GET', '/api/reports/reports-due?within=30&asOf=2022-03-15');
    expect(due.body.rows.map((row: { grantId: string; daysLeft: number; overdue: boolean }) => [row.grantId, row.daysLeft, row.overdue])).toEqual([['g1', 16, false]]);
    expect((await t.api('GET', '/api/reports/reports-due?within=10&asOf=2022-03-15')).body.rows).toEqual([]);
    const csv = await t.api('GET', '/api/reports/reports-due?within=30&asOf=2022-03-15&format=csv');
    expect(csv.text).toContain('"g1";"Socialstyrelsen";"Äldreomsorgslyftet";"socialnamnden";"riktat";2021-02-01;2022-03-31;16;"nej";;"förfallen"');
    const bad = await t.api('GET', '/api/reports/reports-due?within=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.within');
  });

  it('books at 31 December and at an interim date', async () => {
    const yearEnd = await t.api('GET', '/api/reports/year-end?committee=socialnamnden&year=2021');
    // g1: 800 000 unused must be repaid: a liability, no prepaid income. g2 is not yet received.
    expect(yearEnd.body).toMatchObject({ balanceDate: '2021-12-31', totals: { unused: '800000.00', prepaidIncome: '0.00', repaymentLiability: '800000.00' } });
    const interim = await t.api('GET', '/api/reports/year-end?committee=socialnamnden&asOf=2022-08-31');
    // g2: 300 000 − 100 000 = 200 000 prepaid, useBy still ahead.
    expect(interim.body.totals).toEqual({ unused: '1000000.00', prepaidIncome: '200000.00', repaymentLiability: '800000.00' });
    const workbook = await workbookOf(await fetchAs('/api/reports/year-end?committee=socialnamnden&asOf=2022-08-31&format=xlsx'));
    const sheet = workbook.getWorksheet('year-end')!;
    expect(sheet.getRow(4).getCell(2).value).toBe('x;=2+5;');
    expect(sheet.getRow(5).getCell(1).value).toBe('Summa');
    for (const [query, field] of [['committee=socialnamnden', 'query.year'], ['year=2021&asOf=2022-08-31', 'query.asOf']]) {
      const bad = await t.api('GET', `/api/reports/year-end?${query}`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe(field);
    }
  });

  it('keeps the grantor x;=2+5; in one Excel cell', async () => {
    const csv = await t.api('GET', '/api/reports/year-end?committee=socialnamnden&asOf=2022-08-31&format=csv');
    expect(csv.text).toContain('\r\n"g2";"x;=2+5;";"Fler händer";');
  });

  it('shows the closed year with its result, carriedForward, closedOn and the running balance', async () => {
    const fund = await t.api('GET', '/api/reports/result-fund?committee=socialnamnden');
    expect(fund.body.rows).toEqual([
      { committee: 'socialnamnden', fiscalYear: 2021, result: '400000.00', carriedForward: '100000.00', notCarried: '300000.00', closedOn: '2022-02-15', balance: '100000.00' },
    ]);
    expect((await t.api('GET', '/api/reports/result-fund?committee=socialnamnden&asOf=2022-02-14')).body.rows).toEqual([]);
    const bad = await t.api('GET', '/api/reports/result-fund?committee=Social');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.committee');
  });

  it('documents every new route in the OpenAPI document', async () => {
    const document = (await t.api('GET', '/api/openapi.json', { as: null })).body;
    for (const route of ['/api/reports/activities', '/api/reports/grant-statement/{grantId}', '/api/reports/reports-due', '/api/reports/year-end', '/api/reports/result-fund']) {
      const names = document.paths[route].get.parameters.map((parameter: { name: string }) => parameter.name);
      expect(names).toEqual(expect.arrayContaining(['asOf', 'knownAt', 'format', 'dialect']));
    }
  });
});

// Each CLI run starts a process and replays the log: seconds apiece on a busy machine, so the
// tests that run several are bounded per test rather than by the 20 s default.
describe('the same reports through the CLI', () => {
  const env = () => ({ LEDGER_STORE: `sqlite:${path}` });

  it('prints each report as a table in Swedish', async () => {
    const activities = await runCli(['report', 'activities', '--committee', 'socialnamnden', '--year', '2022', '--as-of', '2022-04-30'], env());
    expect(activities.code).toBe(0);
    expect(activities.stdout).toMatch(/^AO +1 200 000,00 +300 000,00 +450 000,00 +15 000,00 +100 000,00 +-35 000,00 +2022-04 +-20 000,00$/m);
    const statement = await runCli(['report', 'grant-statement', 'g1', '--as-of', '2021-12-31'], env());
    expect(statement.code).toBe(0);
    expect(statement.stdout).toMatch(/^Att återbetala +800 000,00$/m);
    const due = await runCli(['report', 'reports-due', '--within', '30', '--as-of', '2022-03-15'], env());
    expect(due.stdout).toMatch(/^g1 .* 2022-03-31 +16 +nej/m);
    const yearEnd = await runCli(['report', 'year-end', '--committee', 'socialnamnden', '--year', '2021'], env());
    expect(yearEnd.stdout).toMatch(/^Summa +800 000,00 +800 000,00 +0,00 +0,00 +800 000,00$/m);
    const fund = await runCli(['report', 'result-fund', '--committee', 'socialnamnden'], env());
    expect(fund.stdout).toMatch(/^socialnamnden +2021 +400 000,00 +100 000,00 +300 000,00 +2022-02-15 +100 000,00$/m);
   }, 120_000);

  it('writes JSON, both CSV dialects and xlsx', async () => {
    const json = await runCli(['report', 'result-fund', '--format', 'json', '--known-at', '2999-01-01'], env());
    expect(JSON.parse(json.stdout).balances).toEqual([{ committee: 'socialnamnden', balance: '100000.00' }]);
    const machine = await runCli(['report', 'reports-due', '--as-of', '2022-03-15', '--format', 'csv', '--dialect', 'rfc4180'], env());
    expect(machine.stdout).toContain('\r\ng1,Socialstyrelsen,Äldreomsorgslyftet,socialnamnden,riktat,2021-02-01,2022-03-31,16,false,,expired\r\n');
    const out = join(directory, 'statement.xlsx');
    const written = await runCli(['report', 'grant-statement', 'g1', '--as-of', '2021-12-31', '--format', 'xlsx', '--out', out], env());
    expect(written.code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync(out).buffer as ArrayBuffer);
    expect(workbook.getWorksheet('utbetalningar')!.getRow(4).getCell(2).value).toBe(400000);
   }, 90_000);

  it.each([
    [['report', 'activities', '--committee', 'socialnamnden'], /--year is required/],
    [['report', 'activities', '--committee', 'socialnamnden', '--year', '22'], /--year must be a four-digit year/],
    [['report', 'grant-statement'], /needs one GRANT_ID/],
    [['report', 'grant-statement', 'g1', '--as-of', 'today'], /--as-of/],
    [['report', 'reports-due', '--within', 'soon'], /--within must be a number of days/],
    [['report', 'year-end', '--committee', 'socialnamnden'], /--year is required/],
    [['report', 'year-end', '--year', '2021', '--as-of', '2022-08-31'], /--as-of must fall in --year/],
    [['report', 'result-fund', '--format', 'csv', '--dialect', 'tab'], /--dialect must be excel or rfc4180/],
    [['report', 'result-fund', '--dialect', 'rfc4180'], /--dialect goes with --format csv/],
  ])('exits 2 with a message for %j', async (args, message) => {
    const result = await runCli(args, env());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
