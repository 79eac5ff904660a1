import { join } from 'node:path';
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { Ledger } from '../../src/app/ledger.js';
import { nowMs, peakRssMiB, round, type WorkloadResult } from './measure.js';
import { REPLAY_FILE } from './replayWorkload.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';

const snapshotOf = (directory: string) => join(directory, `${REPLAY_FILE}.snapshot`);

/**
 * A start of the ledger on the generated log until it answers (what /health waits for), from
 * position 0: no snapshot. Removes any snapshot first, then saves one at stop (timed apart), for
 * the next workload to start from.
 */
export async function restartFromLog(directory: string): Promise<WorkloadResult[]> {
  rmSync(snapshotOf(directory), { force: true });
  const store = new SqliteEventStore(join(directory, REPLAY_FILE), { pageSize: 5000 });
  const ledger = new Ledger(store, { snapshotPath: snapshotOf(directory), log: () => undefined });
  const started = nowMs();
  await ledger.start();
  const seconds = (nowMs() - started) / 1000;
  const events = ledger.readModel.eventsApplied;
  const rss = peakRssMiB();
  const writeStarted = nowMs();
  await ledger.stop();
  const writeSeconds = (nowMs() - writeStarted) / 1000;
  await store.close();
  const bytes = statSync(snapshotOf(directory)).size;
  return [
    { workload: 'restart', variant: 'start from the log (no snapshot)', throughputPerS: round(events / seconds, 0), p50Ms: null, p99Ms: null, peakRssMiB: rss, operations: events, seconds: round(seconds, 2), notes: 'until the read model holds the whole log (/health ok)' },
    { workload: 'restart', variant: 'snapshot write at stop (setup)', throughputPerS: round(events / writeSeconds, 0), p50Ms: null, p99Ms: null, peakRssMiB: peakRssMiB(), operations: events, seconds: round(writeSeconds, 2), notes: `${round(bytes / 2 ** 20, 1)} MiB` },
  ];
}

/** A start from the snapshot the workload before saved, plus the tail (none here): until it answers. */
export async function restartFromSnapshot(directory: string): Promise<WorkloadResult> {
  const store = new SqliteEventStore(join(directory, REPLAY_FILE), { pageSize: 5000 });
  const messages: string[] = [];
  const ledger = new Ledger(store, { snapshotPath: snapshotOf(directory), log: (message) => messages.push(message) });
  const started = nowMs();
  await ledger.start();
  const seconds = (nowMs() - started) / 1000;
  const events = ledger.readModel.eventsApplied;
  const loaded = messages.some((message) => message.includes('loaded the read-model snapshot'));
  if (!loaded) throw new Error(`the snapshot was not loaded: ${messages.join('; ')}`);
  const rss = peakRssMiB();
  const loadSeconds = Number(/in ([\d.]+) s/.exec(messages.join(' '))?.[1]);
  // Then every grant's events, read in the background, and the first current report.
  const reportStarted = nowMs();
  ledger.queries.unusedGrants({}, {});
  const firstReportSeconds = (nowMs() - reportStarted) / 1000;
  await ledger.stop();
  await store.close();
  return {
    workload: 'restart',
    variant: 'start from the snapshot',
    throughputPerS: round(events / seconds, 0),
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: rss,
    operations: events,
    seconds: round(seconds, 2),
    notes: `until the read model holds the whole log (/health ok), of which reading and checking the snapshot ${loadSeconds} s; target ≤ 1 s at 1 000 000 events; then the first current report (reading every grant's events) ${round(firstReportSeconds, 2)} s, peak RSS after it ${peakRssMiB()} MiB`,
    metrics: { loadSeconds, firstReportSeconds: round(firstReportSeconds, 2), peakRssAfterFirstReportMiB: peakRssMiB() },
  };
}

/**
 * Both starts for bench:scale: from the log (here), then from the snapshot it saved (in a child
 * process, so its peak RSS is its own). The snapshot start comes first in the result.
 */
export async function restart(directory: string): Promise<WorkloadResult[]> {
  const fromLog = await restartFromLog(directory);
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./workload.js', import.meta.url)), 'restart-snapshot', directory, '0', '0'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`restart-snapshot failed with ${child.status ?? child.signal}`);
  const fromSnapshot = JSON.parse(child.stdout.trim().split('\n').pop()!) as WorkloadResult;
  return [fromSnapshot, ...fromLog];
}

/** The signed variant's copy of the generated log, its key and its snapshot. */
const SIGNED_FILE = 'replay-signed.db';
const signedPaths = (directory: string) => {
  const path = join(directory, SIGNED_FILE);
  return { path, key: `${path}.signing-key.pem`, snapshot: `${path}.snapshot` };
};

/**
 * As a signing server runs: a copy of the generated log opened with an Ed25519 key (the first
 * open signs a head over the whole log, as for any log from before signed heads: setup, timed
 * apart), then a start from the log with no snapshot, which folds it and verifies all of it
 * against the signed head; the snapshot saved at stop carries the log's Merkle frontier.
 */
export async function restartSignedFromLog(directory: string): Promise<WorkloadResult[]> {
  const paths = signedPaths(directory);
  for (const file of [paths.path, `${paths.path}-wal`, `${paths.path}-shm`, paths.key, paths.snapshot]) rmSync(file, { force: true });
  const source = join(directory, REPLAY_FILE);
  if (existsSync(`${source}-wal`)) {
    const db = new Database(source);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  copyFileSync(source, paths.path);
  const { signer } = loadSigningKey(paths.key, { create: true });
  const adoptStarted = nowMs();
  const store = new SqliteEventStore(paths.path, { pageSize: 5000, signer });
  const adoptSeconds = (nowMs() - adoptStarted) / 1000;
  const ledger = new Ledger(store, { snapshotPath: paths.snapshot, log: () => undefined });
  const started = nowMs();
  await ledger.start();
  const seconds = (nowMs() - started) / 1000;
  const events = ledger.readModel.eventsApplied;
  if (ledger.quickStatus() !== 'ok') throw new Error(`the signed start is not ok: ${(await ledger.health()).problem ?? ''}`);
  const rss = peakRssMiB();
  await ledger.stop();
  await store.close();
  return [
    {
      workload: 'restart',
      variant: 'signed: start from the log (no snapshot)',
      throughputPerS: round(events / seconds, 0),
      p50Ms: null,
      p99Ms: null,
      peakRssMiB: rss,
      operations: events,
      seconds: round(seconds, 2),
      notes: `until /health ok: the whole log folded and verified against its signed tree head; setup: the first open signed a head over the ${events} events in ${round(adoptSeconds, 2)} s`,
    },
  ];
}

/**
 * A signing server's start from the snapshot the workload before saved: the snapshot's Merkle
 * frontier is bound to the signed head of its size and the tail (none here) checked against the
 * latest head, instead of hashing the whole log. Until /health answers ok.
 */
export async function restartSignedFromSnapshot(directory: string): Promise<WorkloadResult> {
  const paths = signedPaths(directory);
  const { signer } = loadSigningKey(paths.key, { create: false });
  const store = new SqliteEventStore(paths.path, { pageSize: 5000, signer });
  const messages: string[] = [];
  const ledger = new Ledger(store, { snapshotPath: paths.snapshot, log: (message) => messages.push(message) });
  const started = nowMs();
  await ledger.start();
  const seconds = (nowMs() - started) / 1000;
  const events = ledger.readModel.eventsApplied;
  const fast = messages.find((message) => message.includes('match the signed tree head'));
  if (!messages.some((message) => message.includes('loaded the read-model snapshot')) || fast === undefined) throw new Error(`the snapshot and its Merkle frontier were not used: ${messages.join('; ')}`);
  if (ledger.quickStatus() !== 'ok') throw new Error(`the signed start is not ok: ${(await ledger.health()).problem ?? ''}`);
  const rss = peakRssMiB();
  const checkSeconds = Number(/checked in ([\d.]+) s/.exec(fast)?.[1]);
  await ledger.stop();
  await store.close();
  return {
    workload: 'restart',
    variant: 'signed: start from the snapshot',
    throughputPerS: round(events / seconds, 0),
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: rss,
    operations: events,
    seconds: round(seconds, 2),
    notes: `until /health ok with a signing key, of which checking the tail against the latest signed head from the snapshot's Merkle frontier ${checkSeconds} s; target ≤ 1 s at 1 000 000 events; the full verify still reads every event`,
    metrics: { tailCheckSeconds: checkSeconds },
  };
}
