import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../../src/app/ledger.js';
import type { EventStore } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { parseMappingText } from '../../src/sie/mapping.js';
import { encodePc8 } from '../../src/sie/reader.js';

/** What the SIE specs share: the fixture files, the mapping, and a ledger with grants and allocations. */
export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));
export const MAPPING = parseMappingText(readFileSync(new URL('mapping.json', FIXTURES), 'utf8'));
/** After the year 2021, so a view of today sees all twelve months of 2021. */
export const TODAY = new Date('2022-01-15T10:00:00Z');

export const context = () => ({ actor: 'test', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });

export interface SieLedger {
  readonly ledger: Ledger;
  readonly directory: string;
  eventCount(): Promise<number>;
  close(): Promise<void>;
}

/** A SQLite file under a fresh directory; wrap lets a spec put a store in front of it. */
export async function sieLedger(wrap: (store: EventStore) => EventStore = (store) => store): Promise<SieLedger> {
  const directory = mkdtempSync(join(tmpdir(), 'grantledger-sie-'));
  const store = new SqliteEventStore(join(directory, 'ledger.db'), { pollIntervalMs: 20 });
  const ledger = new Ledger(wrap(store), { clock: () => TODAY });
  await ledger.start();
  await seed(ledger);
  return {
    ledger,
    directory,
    eventCount: () => store.headPosition(),
    close: async () => {
      await ledger.stop();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Two earmarked grants of socialnämnden with allocations per activity, and its 2021 appropriation. */
export async function seed(ledger: Ledger): Promise<void> {
  await ledger.executeGrant('tvv-seg-2021', {
    type: 'ReceiveGrant',
    data: {
      grantId: 'tvv-seg-2021', grantor: 'Tillväxtverket', title: 'Minska och motverka segregation', purpose: 'Motverka segregation', kind: 'riktat',
      committee: 'socialnamnden', amount: '8000000.00', receivedOn: '2021-01-15', useBy: '2021-12-31', repaymentRequired: true,
    },
  }, context());
  await ledger.executeGrant('tvv-seg-2021', { type: 'AllocateFunds', data: { allocationId: 'a-ifo', activity: 'IFO', amount: '5000000.00', allocatedOn: '2021-01-20' } }, context());
  await ledger.executeGrant('tvv-seg-2021', { type: 'AllocateFunds', data: { allocationId: 'a-ao', activity: 'AO', amount: '2000000.00', allocatedOn: '2021-01-20' } }, context());
  await ledger.executeGrant('sos-po-2021', {
    type: 'ReceiveGrant',
    data: {
      grantId: 'sos-po-2021', grantor: 'Socialstyrelsen', title: 'Personligt ombud', purpose: 'Stöd till personer med psykisk funktionsnedsättning', kind: 'riktat',
      committee: 'socialnamnden', amount: '1500000.00', receivedOn: '2021-02-01', useBy: '2021-12-31', repaymentRequired: true,
    },
  }, context());
  await ledger.executeGrant('sos-po-2021', { type: 'AllocateFunds', data: { allocationId: 'a-po', activity: 'IFO', amount: '1500000.00', allocatedOn: '2021-02-01' } }, context());
  const budget = { committee: 'socialnamnden', fiscalYear: 2021 };
  await ledger.executeBudget(budget, { type: 'GrantAppropriation', budget, data: { amount: '1200000000.00', decidedOn: '2020-11-20', decisionRef: 'KF 2020-11-20 § 120' } }, context());
}

/** A small file of the same organisation and year, in PC8 with CRLF. */
export function sieFile(verifications: string[][], head: string[] = ['#FLAGGA 0', '#FORMAT PC8', '#SIETYP 4', '#ORGNR 212000-1355', '#RAR 0 20210101 20211231']): Buffer {
  return encodePc8(`${[...head, ...verifications.flat()].join('\r\n')}\r\n`);
}

export function verification(series: string, number: number, date: string, text: string, transactions: string[]): string[] {
  return [`#VER ${series} ${number} ${date} "${text}"`, '{', ...transactions.map((t) => `   #TRANS ${t}`), '}'];
}
