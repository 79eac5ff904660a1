import { join } from 'node:path';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { Ledger } from '../../src/app/ledger.js';
import type { Clocks } from '../../projections/clocks.js';
import { Latencies, nowMs, peakRssMiB, round, type WorkloadResult } from './measure.js';
import { REPLAY_FILE } from './replayWorkload.js';

/**
 * The two reports over the generated log (10 000 grants in the full run), current and
 * historical: asOf and knownAt deep in the past, where every grant is folded again.
 */
export async function reportQueries(directory: string, queries: number): Promise<WorkloadResult[]> {
  const store = new SqliteEventStore(join(directory, REPLAY_FILE));
  const ledger = new Ledger(store);
  await ledger.start();
  const grants = [...ledger.readModel.grantIds()].length;
  const past: Clocks = { asOf: '2019-06-30', knownAt: '2019-09-30T00:00:00.000Z' };
  const cases: Array<[string, (i: number) => unknown]> = [
    ['unused-grants, current', (i) => ledger.unusedGrants(i % 2 === 0 ? {} : { committee: `kommun-${i % 290}-socialnamnden` }, {})],
    ['committee-results, current', (i) => ledger.committeeResults(i % 2 === 0 ? {} : { committee: `kommun-${i % 290}-socialnamnden` }, {})],
    ['unused-grants, historical', (i) => ledger.unusedGrants(i % 2 === 0 ? {} : { status: 'expired' }, past)],
    ['committee-results, historical', () => ledger.committeeResults({}, past)],
  ];
  const results: WorkloadResult[] = [];
  for (const [variant, query] of cases) {
    const historical = variant.endsWith('historical');
    const count = historical ? Math.max(10, Math.floor(queries / 4)) : queries;
    const latencies = new Latencies();
    query(-1); // the first query warms the code, not the caches: every query below computes its report anew
    const started = nowMs();
    for (let i = 0; i < count; i += 1) {
      const before = nowMs();
      query(i);
      latencies.record(nowMs() - before);
    }
    const seconds = (nowMs() - started) / 1000;
    results.push({ workload: 'reports', variant, throughputPerS: round(count / seconds, 0), ...latencies.summary(), peakRssMiB: peakRssMiB(), operations: count, seconds: round(seconds, 2), notes: `${grants} grants` });
  }
  await ledger.stop();
  await store.close();
  return results;
}
