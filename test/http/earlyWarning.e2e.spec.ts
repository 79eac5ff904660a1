import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type Backend, type TestServer } from '../support/server.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';
import { runCli } from '../support/cli.js';

/**
 * Issue 14's example through the API and the CLI: 1 200 000 received 2021-01-15, to be used by
 * 2021-12-31, 50 000 spent at the end of each of February, March and April: as of 2021-04-30 the
 * pace is 50 000 a month, eight months are left, and 650 000 is projected unused.
 */
let backend: Backend;
let t: TestServer;
let storePath: string;

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), 'grantledger-warning-'));
  storePath = join(directory, 'ledger.db');
  backend = {
    name: 'SQLite',
    open: async () => new SqliteEventStore(storePath, { pollIntervalMs: 20, signer: loadSigningKey(`${storePath}.signing-key.pem`, { create: true }).signer }),
    dispose: async () => rmSync(directory, { recursive: true, force: true }),
  };
  t = await startTestServer(backend);
  const post = async (path: string, body: unknown) => {
    const response = await t.api('POST', path, { body });
    expect(response.status, `${path} ${response.text}`).toBeLessThan(300);
  };
  await post('/api/grants', {
    grantId: 'seg-2021', grantor: 'Tillväxtverket', title: 'Minska och motverka segregation', purpose: 'Segregation', kind: 'riktat',
    committee: 'socialnamnden', amount: '1200000.00', receivedOn: '2021-01-15', useBy: '2021-12-31', repaymentRequired: true, reportDue: '2022-02-28',
  });
  await post('/api/grants/seg-2021/allocations', { allocationId: 'ifo', activity: 'IFO', amount: '1200000.00', allocatedOn: '2021-01-20' });
  for (const spentOn of ['2021-02-28', '2021-03-31', '2021-04-30']) {
    await post('/api/grants/seg-2021/spending', { allocationId: 'ifo', amount: '50000', spentOn, voucher: `V-${spentOn}` });
  }
  await post('/api/grants/seg-2021/repayment-demands', { amount: '100000', demandedOn: '2021-05-02', dueOn: '2021-06-30', reference: 'Återkrav 7' });
});
afterAll(async () => {
  await t.stop();
  await backend.dispose();
});

describe('early warning', () => {
  it('gives 650 000.00 projected unused as of 2021-04-30 through the API', async () => {
    const response = await t.api('GET', '/api/reports/early-warning?committee=socialnamnden&asOf=2021-04-30', { as: 'revisor' });
    expect(response.status).toBe(200);
    expect(response.body.rows).toEqual([
      expect.objectContaining({ grantId: 'seg-2021', unused: '1050000.00', pace: '50000.00', monthsLeft: 8, projectedUnused: '650000.00', warning: true, toRepay: '650000.00' }),
    ]);
    expect(response.body.totals).toEqual([{ committee: 'socialnamnden', unused: '1050000.00', projectedUnused: '650000.00', toRepay: '650000.00', warnings: 1 }]);
  });

  it('a spending plan changes the projection; a later plan for the same month replaces the earlier', async () => {
    const plan = (month: string, amount: string) => t.api('POST', '/api/grants/seg-2021/allocations/ifo/plan', { body: { month, amount } });
    expect((await plan('2021-12', '300000')).status).toBe(200);
    const replaced = await plan('2021-12', '400000.00');
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ revision: expect.any(Number) });
    const row = (await t.api('GET', '/api/reports/early-warning?asOf=2021-04-30')).body.rows[0];
    // Seven months at 50 000 = 350 000, December planned at 400 000: 1 050 000 − 750 000 = 300 000.
    expect(row).toMatchObject({ projectedSpending: '750000.00', projectedUnused: '300000.00', planCoverage: { months: 1, of: 8 } });
    expect(row.plan).toEqual([{ month: '2021-12', planned: '400000.00', actual: '0.00' }]);
    const outside = await plan('2022-01', '1');
    expect(outside.status).toBe(409);
    expect(outside.body.code).toBe('PLAN_OUTSIDE_USE_PERIOD');
    const malformed = await plan('2021-13', '1');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors.map((error: { path: string }) => error.path)).toContain('body.month');
  });

  it('serves every deadline as iCalendar that a calendar parser reads', async () => {
    const response = await t.api('GET', '/api/reports/deadlines.ics', { as: 'revisor' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/calendar/);
    const calendar = new ICAL.Component(ICAL.parse(response.text));
    const events = calendar.getAllSubcomponents('vevent').map((component) => new ICAL.Event(component));
    const byDate = Object.fromEntries(events.map((event) => [event.startDate.toString(), event.summary]));
    expect(byDate).toEqual({
      '2021-12-31': 'Användas senast: Minska och motverka segregation (Tillväxtverket)',
      '2022-02-28': 'Återrapportering: Minska och motverka segregation (Tillväxtverket)',
      '2021-06-30': 'Återbetalning förfaller: Minska och motverka segregation (Tillväxtverket)',
    });
    expect(events.every((event) => event.startDate.isDate)).toBe(true);
    expect(new Set(events.map((event) => event.uid)).size).toBe(3);
  });

  it('refuses a malformed committee with a problem naming the query field', async () => {
    const response = await t.api('GET', '/api/reports/early-warning?committee=Social%20N', { as: 'revisor' });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { path: string }) => error.path)).toContain('query.committee');
  });
});

describe('early warning in the CLI', () => {
  it('prints the table and exits 1 with --fail-on-warning when a grant warns', async () => {
    await t.stop();
    const env = { LEDGER_STORE: `sqlite:${storePath}` };
    const table = await runCli(['report', 'early-warning', '--as-of', '2021-04-30'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Tidig varning');
    expect(table.stdout).toMatch(/300 000,00/);
    expect(table.stdout).toContain('i riskzonen');
    const failing = await runCli(['report', 'early-warning', '--as-of', '2021-04-30', '--fail-on-warning'], env);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/1 grant\(s\) warn/);
    // As of 2022-01-01 the grant is past useBy: nothing to warn about.
    const quiet = await runCli(['report', 'early-warning', '--as-of', '2022-01-01', '--fail-on-warning', '--format', 'json'], env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout).rows).toEqual([]);
    const bad = await runCli(['report', 'early-warning', '--committee', 'X Y'], env);
    expect(bad.code).toBe(2);
  });
});
