import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { DomainError } from '../../src/domain/errors.js';
import { interleaving } from '../support/interleavingStore.js';
import { IdempotencyKeyReusedError, StaleRevisionError } from '../../src/app/errors.js';

const context = () => ({ actor: 'test', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });

describe('concurrent writers on one SQLite file', () => {
  let directory: string;
  let ledgers: Ledger[];

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'grantledger-writers-'));
    const path = join(directory, 'ledger.db');
    // Two ledgers on one file stand for two processes: each has its own lock table, so only
    // optimistic concurrency keeps them from overdrawing.
    ledgers = [0, 1].map((seed) => new Ledger(interleaving(new SqliteEventStore(path, { pollIntervalMs: 5 }), seed + 1)));
    for (const ledger of ledgers) await ledger.start();
  });
  afterEach(async () => {
    for (const ledger of ledgers) {
      await ledger.stop();
      await ledger.store.close();
    }
    rmSync(directory, { recursive: true, force: true });
  });

  it('never over-allocates: 40 racing allocations fill a grant exactly and not one more', async () => {
    await ledgers[0]!.executeGrant(
      'g1',
      {
        type: 'ReceiveGrant',
        data: {
          grantId: 'g1', grantor: 'Socialstyrelsen', title: 't', purpose: 'p', kind: 'riktat', committee: 'socialnamnden',
          amount: '3000.00', receivedOn: '2021-01-01', useBy: '2021-12-31', repaymentRequired: true,
        },
      },
      context(),
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        ledgers[index % 2]!.executeGrant(
          'g1',
          { type: 'AllocateFunds', data: { allocationId: `a${index}`, activity: 'IFO', amount: '100.00', allocatedOn: '2021-02-01' } },
          context(),
        ),
      ),
    );
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason);
    expect(outcomes.length - refused.length).toBe(30);
    for (const reason of refused) expect((reason as DomainError).rule).toBe('ALLOCATION_EXCEEDS_UNALLOCATED');
    await ledgers[1]!.catchUp();
    for (const ledger of ledgers) {
      await ledger.catchUp();
      expect(ledger.grant('g1', {})!.view).toMatchObject({ unallocated: '0.00' });
      expect(ledger.grant('g1', {})!.view.allocations).toHaveLength(30);
    }
  });

  it('never spends more than an allocation holds when spending races from both writers', async () => {
    const [first] = ledgers as [Ledger, Ledger];
    await first.executeGrant('g2', {
      type: 'ReceiveGrant',
      data: {
        grantId: 'g2', grantor: 'Tillväxtverket', title: 't', purpose: 'p', kind: 'riktat', committee: 'socialnamnden',
        amount: '1000.00', receivedOn: '2021-01-01', useBy: '2021-12-31', repaymentRequired: false,
      },
    }, context());
    await first.executeGrant('g2', { type: 'AllocateFunds', data: { allocationId: 'a', activity: 'AO', amount: '1000.00', allocatedOn: '2021-01-02' } }, context());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) =>
        ledgers[index % 2]!.executeGrant('g2', { type: 'SpendFunds', data: { allocationId: 'a', amount: '37.00', spentOn: '2021-03-01', voucher: `V${index}` } }, context()),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(27); // 27 × 37 = 999 ≤ 1000 < 28 × 37
    await first.catchUp();
    expect(first.grant('g2', {})!.view).toMatchObject({ spent: '999.00', allocatedRemaining: '1.00' });
  });

  describe('a ledger whose cached state trails another process', () => {
    const receive = (grantId: string) => ({
      type: 'ReceiveGrant' as const,
      data: {
        grantId, grantor: 'Socialstyrelsen', title: 't', purpose: 'p', kind: 'riktat' as const, committee: 'socialnamnden',
        amount: '1000.00', receivedOn: '2021-01-01', useBy: '2021-12-31', repaymentRequired: true,
      },
    });
    const installment = { type: 'ReceiveInstallment' as const, data: { amount: '1.00', receivedOn: '2021-02-01' } };

    it('accepts an If-Match that is right on the store though not in its cache', async () => {
      const [a, b] = ledgers as [Ledger, Ledger];
      await a.executeGrant('g3', receive('g3'), context());
      await b.executeGrant('g3', installment, context()); // revision 1, unseen by a's cache
      const outcome = await a.executeGrant('g3', installment, { ...context(), expectedRevision: 1 });
      expect(outcome.revision).toBe(2);
      await expect(a.executeGrant('g3', installment, { ...context(), expectedRevision: 1 })).rejects.toBeInstanceOf(StaleRevisionError);
    });

    it('answers a repeated Idempotency-Key first used by another process with the first answer', async () => {
      const [a, b] = ledgers as [Ledger, Ledger];
      await a.executeGrant('g4', receive('g4'), context());
      const key = { ...context(), requestHash: 'h1' };
      const first = await b.executeGrant('g4', installment, key);
      const again = await a.executeGrant('g4', installment, key);
      expect(again.revision).toBe(first.revision);
      expect(again.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId));
      await a.catchUp();
      expect(a.grant('g4', {})!.view.received).toBe('1001.00');
    });

    it('refuses a key another process used with another request (422), writing nothing', async () => {
      const [a, b] = ledgers as [Ledger, Ledger];
      await a.executeGrant('g5', receive('g5'), context());
      const commandId = randomUUID();
      await b.executeGrant('g5', installment, { actor: 't', tokenId: 'cli', commandId, correlationId: commandId, requestHash: 'h1' });
      await expect(
        a.executeGrant('g5', installment, { actor: 't', tokenId: 'cli', commandId, correlationId: commandId, requestHash: 'h2' }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await a.catchUp();
      expect(a.grant('g5', {})!.view.received).toBe('1001.00');
    });
  });
});
