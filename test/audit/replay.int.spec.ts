import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../src/app/replay.js';
import { ledgerWithGrant } from '../support/grantWithSpendings.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-replay-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

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
