import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { grantView, summaryOfView } from '../../projections/grantView.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import { committeeResultsReport } from '../../projections/committeeResults.js';
import { viewDateOf, type Clocks } from '../../projections/clocks.js';
import { generateLog, REPLAY_FILE } from '../../scripts/bench/replayWorkload.js';

const TODAY = new Date('2026-11-23T12:00:00Z');
const directory = mkdtempSync(join(tmpdir(), 'grantledger-views-'));
let ledger: Ledger;

beforeAll(async () => {
  await generateLog(directory, 12_000);
  ledger = new Ledger(new SqliteEventStore(join(directory, REPLAY_FILE)), { clock: () => TODAY });
  await ledger.start();
  // Recorded now, dated in the past: these grants straddle every historical cut, and one reversal
  // takes an early event out of views known after it.
  const context = () => ({ actor: 'test', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });
  const stream = ledger.readModel.grantStream('gen-3')!;
  const spent = stream.find((event) => event.type === 'FundsSpent')!;
  await ledger.executeGrant('gen-3', { type: 'ReverseEntry', data: { eventId: spent.eventId, reason: 'fel konto' } }, context());
  await ledger.executeGrant('gen-4', { type: 'ReturnFunds', data: { amount: '1000.00', returnedOn: '2020-06-01' } }, context());
  await ledger.executeBudget({ committee: 'kommun-1-socialnamnden', fiscalYear: 2017 }, {
    type: 'RecordOutcome', budget: { committee: 'kommun-1-socialnamnden', fiscalYear: 2017 }, data: { period: '2017-05', activity: 'AO', costs: '10.00', revenues: '0.00' },
  }, context());
});
afterAll(async () => {
  await ledger.stop();
  await ledger.store.close();
  rmSync(directory, { recursive: true, force: true });
});

const asOfs = [undefined, '2016-03-31', '2017-06-30', '2020-06-01', '2030-01-01'];
const knownAts = [undefined, '2016-01-01T00:00:00.000Z', '2017-08-15T00:00:00.000Z', '2025-12-31T23:59:59.999Z', '2026-11-23T11:00:00.000Z'];
const grid: Clocks[] = asOfs.flatMap((asOf) => knownAts.map((knownAt) => ({ ...(asOf ? { asOf } : {}), ...(knownAt ? { knownAt } : {}) })));

describe('report views served by the read model', () => {
  it.each(grid)('give the plain fold’s unused-grants report for %j', (clocks) => {
    const today = '2026-11-23';
    const views = [...ledger.readModel.grantIds()].map((id) => grantView(ledger.readModel.grantStream(id)!, clocks, today)).filter((view) => view !== null);
    for (const filter of [{}, { committee: 'kommun-3-socialnamnden' }, { status: 'expired' as const }, { status: 'at-risk' as const, within: 400 }]) {
      expect(ledger.unusedGrants(filter, clocks)).toEqual(unusedGrantsReport(views.map(summaryOfView), filter, viewDateOf(clocks, today)));
    }
  });

  it.each(grid)('give the plain fold’s committee results for %j', (clocks) => {
    const plain = committeeResultsReport(ledger.readModel.budgetStreams(), ledger.readModel.grantStreams(), clocks);
    expect(ledger.committeeResults({}, clocks)).toEqual(plain);
    const one = committeeResultsReport(ledger.readModel.budgetStreams(), ledger.readModel.grantStreams(), clocks, { committee: 'kommun-1-socialnamnden' });
    expect(ledger.committeeResults({ committee: 'kommun-1-socialnamnden' }, clocks)).toEqual(one);
  });

  it('answers a repeated current report from its memo until the read model moves on', async () => {
    const first = ledger.unusedGrants({}, {});
    expect(ledger.unusedGrants({}, {})).toBe(first);
    await ledger.executeGrant('gen-5', { type: 'ReturnFunds', data: { amount: '1.00', returnedOn: '2021-06-02' } }, { actor: 't', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });
    const after = ledger.unusedGrants({}, {});
    expect(after).not.toBe(first);
    expect(after.totals.returned).not.toBe(first.totals.returned);
  });
});
