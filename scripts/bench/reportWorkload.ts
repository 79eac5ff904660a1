import { join } from 'node:path';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { Ledger } from '../../src/app/ledger.js';
import type { Clocks } from '../../projections/clocks.js';
import { Latencies, nowMs, peakRssMiB, round, timedQueries, type WorkloadResult } from './measure.js';
import { REPLAY_FILE } from './replayWorkload.js';

/**
 * The two reports over the generated log (10 000 grants in the full run), current and
 * historical: asOf and knownAt deep in the past, where every grant is folded again.
 */
export async function reportQueries(directory: string, queries: number): Promise<WorkloadResult[]> {
  const store = new SqliteEventStore(join(directory, REPLAY_FILE));
  const ledger = new Ledger(store);
  await ledger.start();
  // Steady state: the background warm-up after a start (current facts, figures) is measured on its own.
  const warmStarted = nowMs();
  await ledger.whenWarm();
  const warmUpMs = nowMs() - warmStarted;
  const grants = [...ledger.readModel.grantIds()].length;
  // Deep in the past, a different cut for every query: no memo can answer these.
  const past = (i: number): Clocks => {
    const day = new Date(Date.UTC(2018, 0, 1) + (i % 700) * 86_400_000).toISOString();
    return { asOf: day.slice(0, 10), knownAt: day };
  };
  const cases: Array<[string, (i: number) => unknown]> = [
    ['unused-grants, current', (i) => ledger.unusedGrants(i % 2 === 0 ? {} : { committee: `kommun-${i % 290}-socialnamnden` }, {})],
    ['committee-results, current', (i) => ledger.committeeResults(i % 2 === 0 ? {} : { committee: `kommun-${i % 290}-socialnamnden` }, {})],
    ['unused-grants, historical', (i) => ledger.unusedGrants(i % 2 === 0 ? {} : { status: 'expired' }, past(i))],
    ['committee-results, historical', (i) => ledger.committeeResults({}, past(i))],
  ];
  const results: WorkloadResult[] = [];
  for (const [variant, query] of cases) {
    const historical = variant.endsWith('historical');
    const count = historical ? Math.max(10, Math.floor(queries / 4)) : queries;
    // The first query folds every grant once (a cold read model); it is reported on its own.
    const coldStarted = nowMs();
    query(0);
    const coldMs = nowMs() - coldStarted;
    const { latencies, seconds, throughputPerS } = await timedQueries(count, query);
    results.push({ workload: 'reports', variant, throughputPerS, ...latencies.summary(), peakRssMiB: peakRssMiB(), operations: count, seconds: round(seconds, 2), notes: `${grants} grants; warm-up after start ${round(warmUpMs, 0)} ms; first query ${round(coldMs, 1)} ms${historical ? '; every query a different asOf/knownAt' : '; current reports are kept per read-model position'}` });
  }
  // Issue 12: served, a historical view is readied in slices (Ledger.ready) before its report is
  // made, so it holds the event loop for one slice at a time. Each query's longest turn of the
  // loop is what another request would have waited at most; metrics.maxMs is the longest of all.
  const served: Array<[string, (i: number) => Promise<unknown>]> = [
    ['unused-grants, historical, served in slices: longest event-loop turn', async (i) => {
      await ledger.ready(past(i + 1_000), 'summaries');
      return ledger.unusedGrants(i % 2 === 0 ? {} : { status: 'expired' }, past(i + 1_000));
    }],
    ['committee-results, historical, served in slices: longest event-loop turn', async (i) => {
      await ledger.ready(past(i + 1_000), 'revenue');
      return ledger.committeeResults({}, past(i + 1_000));
    }],
  ];
  for (const [variant, query] of served) {
    const count = Math.max(10, Math.floor(queries / 4));
    const turns = new Latencies();
    const started = nowMs();
    for (let i = 0; i < count; i += 1) turns.record(await longestTurnDuring(() => query(i)));
    const seconds = (nowMs() - started) / 1000;
    results.push({ workload: 'reports', variant, throughputPerS: round(count / seconds, 0), ...turns.summary(), peakRssMiB: peakRssMiB(), operations: count, seconds: round(seconds, 2), metrics: { maxMs: round(turns.max()) }, notes: `${grants} grants; p50/p99/max of each query's longest turn of the event loop (target ≤ 50 ms); other days than above` });
  }
  await ledger.stop();
  await store.close();
  return results;
}

/**
 * Runs work while a probe takes every turn of the event loop it can, and resolves the longest
 * time between two of its turns: how long the work held the loop at a time, at most.
 */
async function longestTurnDuring(work: () => Promise<unknown>): Promise<number> {
  let longest = 0;
  let last = nowMs();
  let running = true;
  const probe = () => {
    const now = nowMs();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(probe);
  };
  setImmediate(probe);
  await work();
  // One more turn of the probe counts the synchronous end of the work.
  await new Promise<void>((resolve) => setImmediate(resolve));
  probe();
  running = false;
  return longest;
}
