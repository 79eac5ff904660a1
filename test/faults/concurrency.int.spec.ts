import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { ContentionError } from '../../src/app/errors.js';
import { DomainError } from '../../src/domain/errors.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { interleaving } from '../support/interleavingStore.js';
import { committeeResultsReport } from '../../projections/committeeResults.js';
import { prng, seedFrom } from '../support/prng.js';

/**
 * Many writers on the same grants and budgets through two ledgers (two processes' worth of
 * command handlers, each with its own locks and cache): allocations, releases, spending, returns,
 * installments and reversals interleaved. Afterwards every grant, folded independently here from
 * its events, conserves its money, no allocation is overdrawn, and the ledger's views agree.
 */
const SEED = seedFrom('CONCURRENCY_SEED');
const GRANTS = ['g-a', 'g-b', 'g-c'];
const BUDGET = { committee: 'socialnamnden', fiscalYear: 2021 };
const context = () => ({ actor: 'test', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });

/** The figures of DOMAIN.md, folded from the events still in force, without the ledger's code. */
function foldGrant(events: readonly RecordedEvent[]) {
  const reversed = new Set(events.filter((event) => event.type === 'EntryReversed').map((event) => (event.data as { reversedEventId: string }).reversedEventId));
  let received = new Decimal(0);
  let spent = new Decimal(0);
  let returned = new Decimal(0);
  const allocations = new Map<string, { allocated: Decimal; released: Decimal; spent: Decimal }>();
  for (const event of events) {
    if (reversed.has(event.eventId) || event.type === 'EntryReversed') continue;
    const data = event.data as { amount?: string; allocationId?: string };
    const amount = new Decimal(data.amount ?? 0);
    const allocation = data.allocationId === undefined ? undefined : allocations.get(data.allocationId);
    switch (event.type) {
      case 'GrantReceived':
      case 'GrantInstallmentReceived':
        received = received.plus(amount);
        break;
      case 'FundsAllocated':
        allocations.set(data.allocationId!, { allocated: amount, released: new Decimal(0), spent: new Decimal(0) });
        break;
      case 'AllocationReleased':
        allocation!.released = allocation!.released.plus(amount);
        break;
      case 'FundsSpent':
        allocation!.spent = allocation!.spent.plus(amount);
        spent = spent.plus(amount);
        break;
      case 'FundsReturned':
        returned = returned.plus(amount);
        break;
      default:
        throw new Error(`unexpected ${event.type}`);
    }
  }
  let netAllocated = new Decimal(0);
  let remaining = new Decimal(0);
  const overdrawn: string[] = [];
  for (const [id, allocation] of allocations) {
    const left = allocation.allocated.minus(allocation.released).minus(allocation.spent);
    if (left.isNegative()) overdrawn.push(id);
    netAllocated = netAllocated.plus(allocation.allocated.minus(allocation.released));
    remaining = remaining.plus(left);
  }
  const unallocated = received.minus(netAllocated).minus(returned);
  const unused = received.minus(spent).minus(returned);
  return { received, spent, returned, unallocated, unused, remaining, overdrawn };
}

async function mixedLoad(ledgers: readonly Ledger[], seed: number): Promise<{ succeeded: number; refused: number }> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const amount = (max: number) => `${1 + Math.floor(random() * max)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
  for (const grantId of GRANTS) {
    await ledgers[0]!.executeGrant(grantId, {
      type: 'ReceiveGrant',
      data: { grantId, grantor: 'Socialstyrelsen', title: 't', purpose: 'p', kind: 'riktat', committee: 'socialnamnden', amount: '3000.00', receivedOn: '2021-01-04', useBy: '2021-12-31', repaymentRequired: true },
    }, context());
  }
  await ledgers[0]!.executeBudget(BUDGET, { type: 'GrantAppropriation', budget: BUDGET, data: { amount: '10000.00', decidedOn: '2020-11-01', decisionRef: 'KF 1' } }, context());
  let succeeded = 0;
  let refused = 0;
  for (let wave = 0; wave < 6; wave += 1) {
    const commands = Array.from({ length: 40 }, (_, index) => {
      const ledger = ledgers[index % ledgers.length]!;
      const grantId = pick(GRANTS);
      const known = ledger.readModel.grantStream(grantId) ?? [];
      const allocationIds = known.filter((event) => event.type === 'FundsAllocated').map((event) => (event.data as { allocationId: string }).allocationId);
      const allocationId = allocationIds.length > 0 ? pick(allocationIds) : 'none';
      const roll = random();
      if (roll < 0.25) return ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { allocationId: `a-${wave}-${index}`, activity: 'IFO', amount: amount(700), allocatedOn: '2021-02-01' } }, context());
      if (roll < 0.45) return ledger.executeGrant(grantId, { type: 'SpendFunds', data: { allocationId, amount: amount(250), spentOn: '2021-03-01', voucher: `V${wave}-${index}` } }, context());
      if (roll < 0.55) return ledger.executeGrant(grantId, { type: 'ReleaseAllocation', data: { allocationId, amount: amount(150), releasedOn: '2021-03-02' } }, context());
      if (roll < 0.65) return ledger.executeGrant(grantId, { type: 'ReturnFunds', data: { amount: amount(200), returnedOn: '2021-03-03' } }, context());
      if (roll < 0.72) return ledger.executeGrant(grantId, { type: 'ReceiveInstallment', data: { amount: amount(300), receivedOn: '2021-03-04' } }, context());
      if (roll < 0.85) {
        const candidates = known.filter((event) => event.type !== 'GrantReceived' && event.type !== 'EntryReversed');
        if (candidates.length > 0) return ledger.executeGrant(grantId, { type: 'ReverseEntry', data: { eventId: pick(candidates).eventId, reason: 'rättelse' } }, context());
      }
      if (roll < 0.93) return ledger.executeBudget(BUDGET, { type: 'RecordOutcome', budget: BUDGET, data: { period: '2021-03', activity: pick(['IFO', 'AO']), costs: amount(500), revenues: amount(50) } }, context());
      const budgetEvents = ledger.readModel.budgetStream(`budget-${BUDGET.committee}-${BUDGET.fiscalYear}`)?.events.filter((event) => event.type === 'OutcomeRecorded') ?? [];
      if (budgetEvents.length > 0) return ledger.executeBudget(BUDGET, { type: 'ReverseEntry', budget: BUDGET, data: { eventId: pick(budgetEvents).eventId, reason: 'rättelse' } }, context());
      return ledger.executeBudget(BUDGET, { type: 'AdjustAppropriation', budget: BUDGET, data: { amount: `-${amount(100)}`, decidedOn: '2021-03-01', reason: 'omfördelning', decisionRef: 'KS 2' } }, context());
    });
    const outcomes = await Promise.allSettled(commands);
    // Reports between waves fill the ledgers' cached views, which the next wave must invalidate.
    for (const ledger of ledgers) ledger.committeeResults({}, {});
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') succeeded += 1;
      else {
        refused += 1;
        const reason = outcome.reason as unknown;
        expect(reason instanceof DomainError || reason instanceof ContentionError, `${String(reason)} (CONCURRENCY_SEED=${seed})`).toBe(true);
      }
    }
  }
  return { succeeded, refused };
}

async function expectConserved(ledgers: readonly Ledger[], seed: number): Promise<void> {
  for (const ledger of ledgers) await ledger.catchUp();
  for (const grantId of GRANTS) {
    const events: RecordedEvent[] = [];
    for await (const event of ledgers[0]!.store.readStream(`grant-${grantId}`)) events.push(event);
    const folded = foldGrant(events);
    const at = `${grantId} (CONCURRENCY_SEED=${seed})`;
    expect(folded.overdrawn, at).toEqual([]);
    expect(folded.unallocated.isNegative(), `${at}: unallocated ${folded.unallocated}`).toBe(false);
    expect(folded.received.toFixed(2), at).toBe(folded.spent.plus(folded.returned).plus(folded.unused).toFixed(2));
    expect(folded.unused.toFixed(2), at).toBe(folded.unallocated.plus(folded.remaining).toFixed(2));
    for (const ledger of ledgers) {
      expect(ledger.grant(grantId, {})!.view, at).toMatchObject({
        received: folded.received.toFixed(2),
        spent: folded.spent.toFixed(2),
        returned: folded.returned.toFixed(2),
        unused: folded.unused.toFixed(2),
        unallocated: folded.unallocated.toFixed(2),
        allocatedRemaining: folded.remaining.toFixed(2),
      });
    }
  }
  const budgets = ledgers.map((ledger) => ledger.committeeResults({ committee: BUDGET.committee }, {}).rows);
  for (const rows of budgets) expect(rows).toEqual(budgets[0]);
  // The cached current report equals one folded afresh from every stream.
  const model = ledgers[0]!.readModel;
  expect(budgets[0]).toEqual(committeeResultsReport(model.budgetStreams(), model.grantStreams(), {}, { committee: BUDGET.committee }).rows);
  expect(budgets[0]![0]!.grantRevenue).not.toBe('0.00');
}

describe(`concurrency: many writers, money conserved (CONCURRENCY_SEED=${SEED})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('on one SQLite file through two ledgers', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grantledger-concurrency-'));
    cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
    const ledgers = [0, 1].map((index) => new Ledger(interleaving(new SqliteEventStore(join(directory, 'ledger.db'), { pollIntervalMs: 5 }), SEED + index)));
    for (const ledger of ledgers) {
      await ledger.start();
      cleanups.push(async () => {
        await ledger.stop();
        await ledger.store.close();
      });
    }
    const { succeeded, refused } = await mixedLoad(ledgers, SEED);
    expect(succeeded).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(0);
    await expectConserved(ledgers, SEED);
  });

  it('on the EventStoreDB double through two ledgers', async () => {
    const double = await EsdbDouble.start();
    cleanups.push(() => double.stop());
    const ledgers = [0, 1].map((index) => new Ledger(interleaving(new EsdbEventStore(double.connectionString), SEED + index)));
    for (const ledger of ledgers) {
      await ledger.start();
      cleanups.push(async () => {
        await ledger.stop();
        await ledger.store.close();
      });
    }
    const { succeeded, refused } = await mixedLoad(ledgers, SEED);
    expect(succeeded).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(0);
    await expectConserved(ledgers, SEED);
  }, 60_000);
});
