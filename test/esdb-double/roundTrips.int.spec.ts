import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { EsdbDouble } from './esdbDouble.js';

/**
 * What a command costs on EventStoreDB, counted on the double: every read and append the adapter
 * sends. Each event id used to be claimed in a `$grantledger-event-id-<id>` stream first (one
 * more append per event); ids derived from the command and the stream need no claim, and only the
 * command is claimed for its stream, once.
 */
let double: EsdbDouble;
let ledger: Ledger;
beforeAll(async () => {
  double = await EsdbDouble.start();
  ledger = new Ledger(new EsdbEventStore(double.connectionString));
  await ledger.start();
});
afterAll(async () => {
  await ledger.stop();
  await ledger.store.close();
  await double.stop();
});

const context = () => {
  const commandId = randomUUID();
  return { actor: 'anna.ekonom', tokenId: 'cli', commandId, correlationId: commandId };
};

async function roundTrips(run: () => Promise<unknown>): Promise<{ reads: number; appends: number; total: number }> {
  await ledger.catchUp();
  const before = { ...double.calls };
  await run();
  const reads = double.calls.reads - before.reads;
  const appends = double.calls.appends - before.appends;
  return { reads, appends, total: reads + appends };
}

describe('round trips per command on EventStoreDB (double)', () => {
  it('counts what one-event commands cost', async () => {
    const grantId = `g-${randomUUID()}`;
    const receive = await roundTrips(() =>
      ledger.executeGrant(grantId, {
        type: 'ReceiveGrant',
        data: { grantId, grantor: 'Skolverket', title: 'Läxhjälp', purpose: 'Läxhjälp', kind: 'riktat', committee: 'utbildning', amount: '1000.00', receivedOn: '2021-01-10', useBy: '2021-12-31', repaymentRequired: true },
      }, context()),
    );
    const allocate = await roundTrips(() => ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { allocationId: 'a1', activity: 'IFO', amount: '800.00', allocatedOn: '2021-01-11' } }, context()));
    const spends: Array<{ reads: number; appends: number; total: number }> = [];
    for (let index = 0; index < 5; index += 1) {
      spends.push(await roundTrips(() => ledger.executeGrant(grantId, { type: 'SpendFunds', data: { allocationId: 'a1', amount: '10.00', spentOn: '2021-02-01', voucher: `V${index}` } }, context())));
    }
    console.log(`round trips per command (reads + appends): receive ${JSON.stringify(receive)}, allocate ${JSON.stringify(allocate)}, spend ${spends.map((spend) => spend.total).join(', ')}`);
    expect(double.log.events.some((event) => event.streamId.startsWith('$grantledger-event-id-'))).toBe(false);
    // Before issue 13: 4 per one-event command and 2 + 2n for n events (a read of the event chained
    // to, one reservation append per event, the append, a read back). Now 3 whatever n: the
    // command's claim for its stream (an Idempotency-Key reused on another stream is refused), the
    // append, and the read back of what it stored; the event chained to is known from the last write.
    for (const cost of [allocate, ...spends]) expect(cost).toEqual({ reads: 1, appends: 2, total: 3 });
    expect(receive.appends).toBe(2);
    expect(double.log.events.filter((event) => event.streamId.startsWith('$grantledger-command-'))).toHaveLength(7);
  });
});
