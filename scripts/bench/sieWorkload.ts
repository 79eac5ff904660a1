import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { parseMapping } from '../../src/sie/mapping.js';
import { encodePc8, SieReader } from '../../src/sie/reader.js';
import { importSie } from '../../src/sie/importService.js';
import { nowMs, peakRssMiB, round, type WorkloadResult } from './measure.js';

/**
 * A year of a large municipality's books as one SIE 4 file (PC8, CRLF): `size` verifications of
 * two to four transactions over 6 committees, 4 activities and 12 months; one in twenty books a
 * cost on one of 8 earmarked grants. Imported into a ledger that holds those grants, allocations
 * and appropriations. Three workloads, each in its own process so each peak RSS is its own:
 * generate (the file and the ledger), read (the reader alone: the ceiling) and import.
 */
export const SIE_FILE = 'municipality-2021.se';
export const SIE_LEDGER = 'sie.db';
const COMMITTEES = ['5100', '5200', '5300', '5400', '5500', '5600'];
const ACTIVITIES = ['410', '510', '350', '610'];
const GRANTS = 8;

export const BENCH_MAPPING = parseMapping({
  committee: { dimension: '1', objects: Object.fromEntries(COMMITTEES.map((object, index) => [object, `namnd-${index + 1}`])) },
  activity: { dimension: '20', objects: { '410': 'IFO', '510': 'AO', '350': 'FN', '610': 'EB' } },
  grant: { dimension: '6', objects: Object.fromEntries(Array.from({ length: GRANTS }, (_, index) => [`SB-${index}`, `sb-${index}`])) },
  accounts: { costs: ['4000-7999'], revenues: ['3000-3999'], ignore: ['1000-2999', '8000-8999'] },
});

function amount(seed: number): string {
  return `${1000 + (seed % 90_000)}.${String(seed % 100).padStart(2, '0')}`;
}

export async function generateSie(directory: string, size: number): Promise<WorkloadResult> {
  const started = nowMs();
  const out = createWriteStream(join(directory, SIE_FILE));
  const write = async (text: string) => {
    if (!out.write(encodePc8(text))) await once(out, 'drain');
  };
  await write(
    [
      '#FLAGGA 0', '#PROGRAM "Raindance" "5.4"', '#FORMAT PC8', '#GEN 20220110', '#SIETYP 4', '#FNAMN "Storå kommun"', '#ORGNR 212000-9999',
      '#RAR 0 20210101 20211231', '#KPTYP KOMMUNBAS', '#DIM 1 "Ansvar"', '#DIM 6 "Projekt"', '#DIM 20 "Verksamhet"', '',
    ].join('\r\n'),
  );
  let chunk = '';
  for (let number = 1; number <= size; number += 1) {
    const committee = COMMITTEES[number % COMMITTEES.length]!;
    const activity = ACTIVITIES[(number >> 3) % ACTIVITIES.length]!;
    const date = `2021${String(1 + (number % 12)).padStart(2, '0')}${String(1 + (number % 28)).padStart(2, '0')}`;
    const first = amount(number * 7);
    const second = amount(number * 13);
    const lines = [`#VER A ${number} ${date} "Faktura ${number} Åkesson & Öst"`, '{'];
    if (number % 20 === 0) {
      const grant = `SB-${number % GRANTS}`;
      lines.push(`#TRANS 7010 {1 "${committee}" 20 "410" 6 "${grant}"} ${first}`, `#TRANS 2440 {} -${first}`);
    } else if (number % 5 === 0) {
      lines.push(`#TRANS 3010 {1 "${committee}" 20 "${activity}"} -${first}`, `#TRANS 1930 {} ${first}`);
    } else {
      const total = (Number(first) * 100 + Number(second) * 100) / 100;
      lines.push(
        `#TRANS 5010 {1 "${committee}" 20 "${activity}"} ${first}`,
        `#TRANS 4010 {1 "${committee}" 20 "${activity}"} ${second} ${date} "Material"`,
        `#TRANS 2440 {} -${total.toFixed(2)}`,
      );
    }
    lines.push('}');
    chunk += `${lines.join('\r\n')}\r\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');

  const store = new SqliteEventStore(join(directory, SIE_LEDGER));
  const ledger = new Ledger(store);
  await ledger.start();
  const context = () => ({ actor: 'bench', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });
  for (let index = 0; index < GRANTS; index += 1) {
    const grantId = `sb-${index}`;
    await ledger.executeGrant(grantId, {
      type: 'ReceiveGrant',
      data: { grantId, grantor: 'Socialstyrelsen', title: `Statsbidrag ${index}`, purpose: 'Prestandamätning', kind: 'riktat', committee: 'namnd-1', amount: '900000000.00', receivedOn: '2021-01-01', useBy: '2021-12-31', repaymentRequired: true },
    }, context());
    await ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { allocationId: 'a-ifo', activity: 'IFO', amount: '900000000.00', allocatedOn: '2021-01-01' } }, context());
  }
  await ledger.stop();
  await store.close();
  const seconds = (nowMs() - started) / 1000;
  return {
    workload: 'sie',
    variant: `generate ${size} verifications (${Math.round(statSync(join(directory, SIE_FILE)).size / 2 ** 20)} MiB)`,
    throughputPerS: round(size / seconds, 0),
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: peakRssMiB(),
    operations: size,
    seconds: round(seconds, 2),
  };
}

/** The reader alone, streaming the file: what an import cannot beat. */
export async function readSie(directory: string): Promise<WorkloadResult> {
  const started = nowMs();
  const reader = new SieReader(createReadStream(join(directory, SIE_FILE), { highWaterMark: 1 << 16 }));
  let transactions = 0;
  for await (const verification of reader.verifications()) transactions += verification.transactions.length;
  const result = reader.result();
  if (result.problems.length > 0) throw new Error(`the generated file has problems: ${JSON.stringify(result.problems.slice(0, 3))}`);
  const seconds = (nowMs() - started) / 1000;
  return {
    workload: 'sie',
    variant: 'ceiling: read the file (verifications/s)',
    throughputPerS: round(result.verificationsRead / seconds, 0),
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: peakRssMiB(),
    operations: result.verificationsRead,
    seconds: round(seconds, 2),
    notes: `${transactions} transactions`,
  };
}

/** The whole import: read, decide every transaction, append in one transaction, wait for the read model. */
export async function importSieWorkload(directory: string): Promise<WorkloadResult> {
  const store = new SqliteEventStore(join(directory, SIE_LEDGER));
  const ledger = new Ledger(store);
  await ledger.start();
  const started = nowMs();
  const result = await importSie(ledger, () => createReadStream(join(directory, SIE_FILE), { highWaterMark: 1 << 16 }), BENCH_MAPPING, { actor: 'bench', tokenId: 'cli', dryRun: false });
  const seconds = (nowMs() - started) / 1000;
  await ledger.stop();
  await store.close();
  if (result.status !== 'imported') throw new Error(`the import was ${result.status}: ${JSON.stringify({ problems: result.problems.slice(0, 3), refused: result.refused.slice(0, 3) })}`);
  return {
    workload: 'sie',
    variant: 'grantledger: import-sie (verifications/s)',
    throughputPerS: round(result.counts.verificationsRead / seconds, 0),
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: peakRssMiB(),
    operations: result.counts.verificationsRead,
    seconds: round(seconds, 2),
    notes: `${result.counts.spendingEntries} spending and ${result.counts.outcomeEntries} outcome entries`,
  };
}
