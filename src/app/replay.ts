import type { EventStore, RecordedEvent } from '../store/port.js';
import { buildReadModel } from './readModel/rebuild.js';
import type { Clocks } from '../../projections/clocks.js';
import { Ledger } from './ledger.js';

/**
 * Replay: rebuilds every projection from position 0 (or up to a moment) in a fresh read model,
 * fed straight from the log rather than by the subscription, and compares what it answers with
 * what the live read models answer. A difference means a projection depends on something other
 * than the log (or the log changed under it).
 */

export interface ReplayDifference {
  /** Which report and which row, e.g. "unused-grants/tvv-segregation-2020". */
  readonly where: string;
  readonly field: string;
  readonly replayed: unknown;
  readonly live: unknown;
}

export interface ReplayResult {
  readonly events: number;
  readonly position: number;
  readonly seconds: number;
  readonly differences: readonly ReplayDifference[];
}

/** Everything the read side answers, keyed per row, for one pair of clocks. */
export function snapshotOf(ledger: Ledger, clocks: Clocks): Map<string, unknown> {
  const snapshot = new Map<string, unknown>();
  for (const row of ledger.unusedGrants({}, clocks).rows) snapshot.set(`unused-grants/${row.grantId}`, row);
  snapshot.set('unused-grants/totals', ledger.unusedGrants({}, clocks).totals);
  for (const row of ledger.committeeResults({}, clocks).rows) snapshot.set(`committee-results/${row.committee}/${row.fiscalYear}`, row);
  for (const grantId of [...ledger.readModel.grantIds()].sort()) {
    const grant = ledger.grant(grantId, clocks);
    if (grant) snapshot.set(`grants/${grantId}`, grant.view);
  }
  return snapshot;
}

/** Field-level differences between two snapshots, capped so a wholly different one stays readable. */
export function compareSnapshots(replayed: Map<string, unknown>, live: Map<string, unknown>, differencesMax = 100): ReplayDifference[] {
  const differences: ReplayDifference[] = [];
  const keys = [...new Set([...replayed.keys(), ...live.keys()])].sort();
  for (const where of keys) {
    if (differences.length >= differencesMax) break;
    const a = replayed.get(where);
    const b = live.get(where);
    if (a === undefined || b === undefined) {
      differences.push({ where, field: '(row)', replayed: a === undefined ? 'missing' : 'present', live: b === undefined ? 'missing' : 'present' });
      continue;
    }
    const fields = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const field of fields) {
      const x = JSON.stringify((a as Record<string, unknown>)[field]);
      const y = JSON.stringify((b as Record<string, unknown>)[field]);
      if (x !== y) differences.push({ where, field, replayed: (a as Record<string, unknown>)[field] ?? null, live: (b as Record<string, unknown>)[field] ?? null });
    }
  }
  return differences;
}

export interface ReplayOptions {
  /** Replay only events recorded at or before this moment; the live side is asked as known at it. */
  readonly knownAt?: string;
  /** Called after every chunk of a few thousand events and at the end, with the position reached and the log's head. */
  readonly onProgress?: (done: number, total: number) => void;
  /** The clock both sides judge "today" by; injectable so a test is not at the mercy of midnight. */
  readonly clock?: () => Date;
}

export async function replay(store: EventStore, live: Ledger, options: ReplayOptions = {}): Promise<ReplayResult> {
  const started = process.hrtime.bigint();
  const rebuilt = new Ledger(store, options.clock ? { clock: options.clock } : {});
  // The same path as the server's background rebuild (./readModel/rebuild.ts).
  const knownAt = options.knownAt;
  const built = await buildReadModel(store, {
    // recordedAt never decreases along the log, so "known at" cuts it at one position.
    ...(knownAt === undefined ? {} : { includes: (event: RecordedEvent) => event.metadata.recordedAt <= knownAt }),
    onProgress: ({ applied, of }) => options.onProgress?.(applied, of),
  });
  rebuilt.readModel.adopt(built.readModel);
  const events = built.events;
  const clocks: Clocks = options.knownAt === undefined ? {} : { knownAt: options.knownAt };
  await live.catchUp();
  const differences = compareSnapshots(snapshotOf(rebuilt, clocks), snapshotOf(live, clocks));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { events, position: rebuilt.readModel.position, seconds, differences };
}
