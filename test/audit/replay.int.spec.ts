import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { replay } from '../../src/app/replay.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-replay-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const context = () => {
  const commandId = randomUUID();
  return { actor: 'anna.ekonom', tokenId: 'cli', commandId, correlationId: commandId };
};

async function ledgerWithGrant(path: string, spend: string[]): Promise<Ledger> {
  const ledger = new Ledger(new SqliteEventStore(path, { pollIntervalMs: 20 }));
  await ledger.start();
  await ledger.executeGrant('g1', {
    type: 'ReceiveGrant',
    data: { grantId: 'g1', grantor: 'Skolverket', title: 'Läxhjälp', purpose: 'Läxhjälp', kind: 'riktat', committee: 'utbildning', amount: '1000.00', receivedOn: '2021-01-10', useBy: '2021-12-31', repaymentRequired: true },
  }, context());
  await ledger.executeGrant('g1', { type: 'AllocateFunds', data: { allocationId: 'a1', activity: 'IFO', amount: '800.00', allocatedOn: '2021-01-11' } }, context());
  for (const [index, amount] of spend.entries()) {
    await ledger.executeGrant('g1', { type: 'SpendFunds', data: { allocationId: 'a1', amount, spentOn: '2021-02-01', voucher: `V${index}` } }, context());
  }
  return ledger;
}

describe('replay', () => {
  it('finds the rebuilt projections identical to a live read model of the same log', async () => {
    const live = await ledgerWithGrant(join(directory, 'same.db'), ['100.00', '50.00']);
    try {
      const result = await replay(live.store, live);
      expect(result.events).toBe(4);
      expect(result.differences).toEqual([]);
    } finally {
      await live.stop();
      await live.store.close();
    }
  });

  it('names the differences when the live read models do not match the log', async () => {
    const log = await ledgerWithGrant(join(directory, 'log.db'), ['100.00']);
    const live = await ledgerWithGrant(join(directory, 'live.db'), ['100.00', '50.00']);
    try {
      const result = await replay(log.store, live);
      expect(result.differences).toEqual(
        expect.arrayContaining([
          { where: 'grants/g1', field: 'spent', replayed: '100.00', live: '150.00' },
          { where: 'unused-grants/g1', field: 'unused', replayed: '900.00', live: '850.00' },
        ]),
      );
    } finally {
      for (const ledger of [log, live]) {
        await ledger.stop();
        await ledger.store.close();
      }
    }
  });
});
