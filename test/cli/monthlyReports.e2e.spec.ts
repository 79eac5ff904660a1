import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { loadDemo } from '../audit/demoStore.js';

/**
 * The monthly reports through the CLI on the demo (scripts/demo.ts), figures by hand:
 *
 * socialnämnden 2021 as of 2021-04-30: outcomes January–April, so m = 4.
 * - as a whole: frame 1 230 000 000 × 4/12 = 410 000 000; Migrationsverket's generellt
 *   1 000 000 (2021-03-15) → deviation 411 000 000; forecast after April +2 000 000.
 * - EB: adjustment 5 000 000 × 4/12 = 1 666 666,67 (rounded so the rows add up).
 * - IFO: costs 101 000 000 + 99 500 000 + 102 300 000 + 100 100 000 = 402 900 000, revenues
 *   6 300 000, sos-barn-unga spent 750 000 on 2021-04-30 → 0 − 402 900 000 + 6 300 000 + 750 000
 *   = −395 850 000.
 * - total: 411 000 000 + 1 666 666,67 − 395 850 000 = 16 816 666,67.
 * Year-end 2021: sos-barn-unga 2 500 000 − 1 230 000 = 1 270 000 and Äldreomsorgslyftet
 * 3 400 000 − 3 100 000 = 300 000, both to repay after useBy 2021-12-31: 1 570 000 of liabilities.
 */
const directory = mkdtempSync(join(tmpdir(), 'grantledger-monthly-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let demo: Record<string, string>;

beforeAll(() => {
  demo = { LEDGER_STORE: `sqlite:${loadDemo(join(directory, 'demo.db'))}` };
}, 60_000);

describe('grantledger report on the demo', () => {
  it('per verksamhet as a table and as a workbook with the forecast history', async () => {
    const table = await runCli(['report', 'activities', '--committee', 'socialnamnden', '--year', '2021', '--as-of', '2021-04-30'], demo);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Per verksamhet: socialnamnden 2021 (4 av 12 månader), per 2021-04-30');
    expect(table.stdout).toMatch(/^nämnden gemensamt +1 230 000 000,00 +410 000 000,00 +0,00 +0,00 +1 000 000,00 +411 000 000,00 +2021-04 +2 000 000,00$/m);
    expect(table.stdout).toMatch(/^EB +5 000 000,00 +1 666 666,67 /m);
    expect(table.stdout).toMatch(/^IFO +0,00 +0,00 +402 900 000,00 +6 300 000,00 +750 000,00 +-395 850 000,00$/m);
    expect(table.stdout).toMatch(/^Summa +1 235 000 000,00 +411 666 666,67 +402 900 000,00 +6 300 000,00 +1 750 000,00 +16 816 666,67$/m);
    const out = join(directory, 'activities.xlsx');
    expect((await runCli(['report', 'activities', '--committee', 'socialnamnden', '--year', '2021', '--as-of', '2021-04-30', '--format', 'xlsx', '--out', out], demo)).code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const history = workbook.getWorksheet('prognoser')!;
    // After April: the committee line +2 000 000, no activity lines (sum 0, no difference to show).
    const cells = [1, 2, 3, 4, 5].map((column) => history.getRow(3).getCell(column).value);
    expect(cells).toEqual(['2021-04', 2000000, 0, null, 2000000]);
  }, 60_000);

  it('the grant statement in machine CSV and the year-end balances in JSON', async () => {
    const statement = await runCli(['report', 'grant-statement', 'sos-barn-unga-2021', '--as-of', '2021-12-31', '--format', 'csv', '--dialect', 'rfc4180'], demo);
    expect(statement.code).toBe(0);
    // The header is one record: its field names, then its values.
    const [names, values] = statement.stdout.replace(/^\uFEFF/, '').split('\r\n').slice(1, 3).map((line) => line.split(','));
    const field = (name: string) => values![names!.indexOf(name)];
    expect([field('unused'), field('toRepay'), field('status'), field('repaymentRequired')]).toEqual(['1270000.00', '1270000.00', 'expired', 'true']);
    expect(statement.stdout).toContain('\r\nifo-familjecentral,IFO,2021-04-30,V2021-04-0187,750000.00\r\nifo-familjecentral,IFO,2021-06-30,V2021-06-0342,480000.00\r\n');
    const yearEnd = await runCli(['report', 'year-end', '--year', '2021', '--format', 'json'], demo);
    expect(JSON.parse(yearEnd.stdout).totals).toEqual({ unused: '1570000.00', prepaidIncome: '0.00', repaymentLiability: '1570000.00' });
  }, 60_000);

  it('reports due and the result fund in Excel CSV', async () => {
    const due = await runCli(['report', 'reports-due', '--within', '60', '--as-of', '2022-02-15', '--format', 'csv'], demo);
    const rows = due.stdout.replace(/^\uFEFF/, '').split('\r\n').slice(1).filter((line) => line !== '');
    // Äldreomsorgslyftet due 2022-02-28 (13 days), barn och unga 2022-03-31 (44 days); neither reported.
    expect(rows.map((line) => line.split(';').slice(0, 1).concat(line.split(';').slice(6, 9)))).toEqual([
      ['"sos-aldreomsorgslyftet-2021"', '2022-02-28', '13', '"nej"'],
      ['"sos-barn-unga-2021"', '2022-03-31', '44', '"nej"'],
    ]);
    // The segregation grant's report of 2021-03-25 answers its due date 2021-03-31.
    expect((await runCli(['report', 'reports-due', '--within', '10', '--as-of', '2021-03-25', '--format', 'json'], demo)).stdout).not.toContain('tvv-segregation-2020');
    const fund = await runCli(['report', 'result-fund', '--committee', 'socialnamnden', '--format', 'csv'], demo);
    // 2020: result 30 000 000, the council carried 12 000 000 (1 % of the frame), closed 2021-03-09.
    expect(fund.stdout).toContain('\r\n"socialnamnden";2020;30000000,00;12000000,00;18000000,00;2021-03-09;12000000,00\r\n');
  }, 60_000);
});
