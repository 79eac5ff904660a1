import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { buildReadModel, type RebuildProgress } from '../../src/app/readModel/rebuild.js';
import { compareSnapshots, replay, snapshotOf } from '../../src/app/replay.js';
import { ledgerWithGrant } from '../support/grantWithSpendings.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-build-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A grant with an allocation and 20 spendings: 22 events, several chunks of 5. */
const ledgerWithSpendings = (path: string) => ledgerWithGrant(path, Array.from({ length: 20 }, () => '10.05'));

describe('buildReadModel (the one path of the background rebuild and replay)', () => {
  it('builds the read model a chunk at a time, reporting rising progress up to the head, with the live figures', async () => {
    const live = await ledgerWithSpendings(join(directory, 'chunks.db'));
    try {
      const head = await live.store.headPosition();
      const progress: RebuildProgress[] = [];
      const before: RebuildProgress[] = [];
      const built = await buildReadModel(live.store, { chunkEvents: 5, onProgress: (reached) => progress.push(reached), betweenChunks: (reached) => void before.push(reached) });
      expect(built).toMatchObject({ events: head, of: head, cancelled: false });
      expect(progress.map((reached) => reached.applied)).toEqual([5, 10, 15, 20, head]);
      expect(progress.every((reached) => reached.of === head)).toBe(true);
      expect(before.map((reached) => reached.applied)).toEqual([0, 5, 10, 15, 20]);
      const rebuilt = new Ledger(live.store);
      rebuilt.readModel.adopt(built.readModel);
      expect(compareSnapshots(snapshotOf(rebuilt, {}), snapshotOf(live, {}))).toEqual([]);
      expect(JSON.stringify(snapshotOf(rebuilt, {}).get('grants/g1'))).toContain('201.00');
    } finally {
      await live.stop();
      await live.store.close();
    }
  });

  it('stops before the first event a filter refuses, and when cancelled', async () => {
    const live = await ledgerWithSpendings(join(directory, 'cut.db'));
    try {
      const cut = await buildReadModel(live.store, { chunkEvents: 5, includes: (event) => event.position <= 7 });
      expect(cut).toMatchObject({ events: 7, cancelled: false });
      expect(cut.readModel.position).toBe(7);
      let chunks = 0;
      const cancelled = await buildReadModel(live.store, { chunkEvents: 5, cancelled: () => ++chunks > 2 });
      expect(cancelled).toMatchObject({ events: 10, cancelled: true });
    } finally {
      await live.stop();
      await live.store.close();
    }
  });

  it('replay goes the same way: progress up to the head, and identical to the live read model', async () => {
    const live = await ledgerWithSpendings(join(directory, 'replay.db'));
    try {
      const calls: Array<[number, number]> = [];
      const result = await replay(live.store, live, { onProgress: (done, total) => calls.push([done, total]) });
      const head = await live.store.headPosition();
      expect(result).toMatchObject({ events: head, position: head, differences: [] });
      expect(calls.at(-1)).toEqual([head, head]);
    } finally {
      await live.stop();
      await live.store.close();
    }
  });
});
