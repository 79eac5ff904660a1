import { randomUUID } from 'node:crypto';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';

export const cliContext = () => {
  const commandId = randomUUID();
  return { actor: 'anna.ekonom', tokenId: 'cli', commandId, correlationId: commandId };
};

/** A started ledger on a SQLite file with grant g1 (1 000 kr), allocation a1 (800 kr) and one spending per amount. */
export async function ledgerWithGrant(path: string, spend: readonly string[]): Promise<Ledger> {
  const ledger = new Ledger(new SqliteEventStore(path, { pollIntervalMs: 20 }));
  await ledger.start();
  await ledger.executeGrant('g1', {
    type: 'ReceiveGrant',
    data: { grantId: 'g1', grantor: 'Skolverket', title: 'Läxhjälp', purpose: 'Läxhjälp', kind: 'riktat', committee: 'utbildning', amount: '1000.00', receivedOn: '2021-01-10', useBy: '2021-12-31', repaymentRequired: true },
  }, cliContext());
  await ledger.executeGrant('g1', { type: 'AllocateFunds', data: { allocationId: 'a1', activity: 'IFO', amount: '800.00', allocatedOn: '2021-01-11' } }, cliContext());
  for (const [index, amount] of spend.entries()) {
    await ledger.executeGrant('g1', { type: 'SpendFunds', data: { allocationId: 'a1', amount, spentOn: '2021-02-01', voucher: `V${index}` } }, cliContext());
  }
  return ledger;
}
