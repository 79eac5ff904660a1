import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import type { EventHandler, EventStore, ReadAllOptions, RecordedEvent, SubscribeOptions } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { TreeHeadSigner } from '../../src/store/treeHeads.js';
import { cliContext } from '../support/grantWithSpendings.js';
import { rechain, tamper } from '../audit/demoStore.js';

/**
 * A signing server restarts from its read-model snapshot plus the tail (issue 13 with issue 12's
 * signed tree heads): the snapshot carries the log's Merkle frontier, so the start checks only
 * the tail against the latest signed head instead of hashing the whole log. What that start
 * cannot see (a row edited before the snapshot's position) the full verify still catches.
 */
const directory = mkdtempSync(join(tmpdir(), 'grantledger-signed-restart-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const signer = TreeHeadSigner.generate();

/** The store, counting every event read from it: by readAll (verify, checks) and by the subscription that folds it. */
function counted(store: SqliteEventStore): { store: EventStore; eventsRead: () => number } {
  let read = 0;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'readAll') {
        return (options?: ReadAllOptions) =>
          (async function* (): AsyncIterable<RecordedEvent> {
            for await (const event of target.readAll(options)) {
              read += 1;
              yield event;
            }
          })();
      }
      if (key === 'subscribeToAll') {
        return (options: SubscribeOptions, handler: EventHandler) =>
          target.subscribeToAll(options, (event) => {
            read += 1;
            return handler(event);
          });
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, eventsRead: () => read };
}

async function grants(ledger: Ledger, ids: readonly string[], spendings: number): Promise<void> {
  for (const grantId of ids) {
    await ledger.executeGrant(grantId, {
      type: 'ReceiveGrant',
      data: { grantId, grantor: 'Skolverket', title: `Läxhjälp ${grantId}`, purpose: 'Läxhjälp', kind: 'riktat', committee: 'utbildning', amount: '1000.00', receivedOn: '2021-01-10', useBy: '2021-12-31', repaymentRequired: true },
    }, cliContext());
    await ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { allocationId: 'a1', activity: 'IFO', amount: '800.00', allocatedOn: '2021-01-11' } }, cliContext());
    for (let index = 0; index < spendings; index += 1) {
      await ledger.executeGrant(grantId, { type: 'SpendFunds', data: { allocationId: 'a1', amount: '1.00', spentOn: '2021-02-01', voucher: `V${index}` } }, cliContext());
    }
  }
}

async function startedLedger(path: string, snapshot: boolean, log: string[] = []) {
  const { store, eventsRead } = counted(new SqliteEventStore(path, { signer, pollIntervalMs: 20 }));
  const ledger = new Ledger(store, { snapshotPath: snapshot ? `${path}.snapshot` : null, log: (message) => log.push(message) });
  await ledger.start();
  return { ledger, eventsRead, log };
}

async function stopped(ledger: Ledger): Promise<void> {
  await ledger.stop();
  await ledger.store.close();
}

describe('a signing server restarts from the snapshot and its Merkle frontier', () => {
  const path = join(directory, 'ledger.db');
  let total = 0;

  it('checks only the tail against the latest signed head, without reading the log before the snapshot', async () => {
    const first = await startedLedger(path, true);
    // g0's stream lies wholly before the snapshot: the tamper below edits it.
    await grants(first.ledger, ['g0', 'g1', 'g2', 'g3'], 12);
    await stopped(first.ledger);
    const header = JSON.parse(readFileSync(`${path}.snapshot`, 'utf8').split('\n')[0]!) as { checkpoint: { position: number }; merkle?: { size: number; hashes: string[] } };
    expect(header.merkle?.size).toBe(56);
    expect(header.merkle?.hashes.length).toBe(3); // 56 = 32 + 16 + 8
    // A tail after the snapshot, written by a ledger that saves none.
    const writer = await startedLedger(path, false);
    await grants(writer.ledger, ['g4'], 2);
    await stopped(writer.ledger);
    total = 60;

    const restarted = await startedLedger(path, true);
    expect(restarted.ledger.quickStatus()).toBe('ok');
    expect((await restarted.ledger.health()).status).toBe('ok');
    expect(restarted.ledger.readModel.position).toBe(total);
    expect(restarted.log.join('\n')).toMatch(/the log's 4 event\(s\) after the snapshot, with its Merkle frontier, match the signed tree head of 60 events/);
    // The snapshot's last event, and the four of the tail folded and hashed: never all 60.
    expect(restarted.eventsRead()).toBeGreaterThanOrEqual(2 * 4);
    expect(restarted.eventsRead()).toBeLessThanOrEqual(1 + 2 * 4);
    // A command after the fast start is signed over the whole log as always.
    await grants(restarted.ledger, ['g5'], 0);
    expect((await restarted.ledger.latestTreeHead())?.size).toBe(total + 2);
    const report = await restarted.ledger.verify();
    expect(report.ok).toBe(true);
    total += 2;
    await stopped(restarted.ledger);
    const saved = JSON.parse(readFileSync(`${path}.snapshot`, 'utf8').split('\n')[0]!) as { merkle?: { size: number } };
    expect(saved.merkle?.size).toBe(total);
  });

  it('a frontier edited in the snapshot file is not trusted: the start verifies the whole log', async () => {
    const snapshotPath = `${path}.snapshot`;
    const original = readFileSync(snapshotPath);
    const text = original.toString('latin1');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { merkle: { hashes: string[] } };
    const forged = header.merkle.hashes[0]!.replace(/^./, (digit) => (digit === '0' ? '1' : '0'));
    // Same length, so every offset in the file still holds.
    writeFileSync(snapshotPath, Buffer.from(text.replace(header.merkle.hashes[0]!, forged), 'latin1'));
    try {
      const restarted = await startedLedger(path, true);
      expect(restarted.log.join('\n')).toMatch(/whole log is verified against its signed tree head at start: the snapshot's Merkle frontier does not have the root of the signed tree head of 62 events/);
      expect(restarted.eventsRead()).toBeGreaterThanOrEqual(total);
      expect(restarted.ledger.readModel.position).toBe(total);
      expect(restarted.ledger.quickStatus()).toBe('ok');
      await restarted.ledger.stop();
      await restarted.ledger.store.close();
    } finally {
      writeFileSync(snapshotPath, original);
    }
  });

  it('an event edited before the snapshot, its chain recomputed, passes the fast start but not verify', async () => {
    tamper(path, (db) => {
      const row = db.prepare("SELECT position, data FROM events WHERE stream_id = 'grant-g0' AND type = 'FundsSpent' ORDER BY position LIMIT 1").get() as { position: number; data: string };
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ ...(JSON.parse(row.data) as object), amount: '700.00' }), row.position);
      rechain(db, 'grant-g0');
    });
    const restarted = await startedLedger(path, true);
    // The fast path's trade-off (docs/security.md, "A signing server's start"): the start
    // reads no event before the snapshot, so it cannot see this one...
    expect(restarted.log.join('\n')).toMatch(/match the signed tree head of 62 events/);
    expect(restarted.eventsRead()).toBeLessThanOrEqual(1);
    // ...and verify, over the whole log, does.
    const report = await restarted.ledger.verify();
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(false);
    expect(report.treeHead).toMatchObject({ ok: false, rootMatches: false, signatureValid: true });
    expect(report.treeHead?.detail).toMatch(/do not have the root of the signed tree head/);
    await stopped(restarted.ledger);
  });
});

describe('a snapshot without a Merkle frontier (written unsigned, or by older code)', () => {
  it('makes the signing start verify the whole log once, then saves one with the frontier, and the next start checks only the tail', async () => {
    const path = join(directory, 'upgraded.db');
    const writer = await startedLedger(path, false);
    await grants(writer.ledger, ['u1', 'u2'], 5);
    await stopped(writer.ledger);
    // A server without the key saves the snapshot (it reads the log, it writes nothing into it).
    const unsigned = new Ledger(new SqliteEventStore(path, { pollIntervalMs: 20 }), { snapshotPath: `${path}.snapshot`, log: () => undefined });
    await unsigned.start();
    await stopped(unsigned);
    const header = () => JSON.parse(readFileSync(`${path}.snapshot`, 'utf8').split('\n')[0]!) as { merkle?: { size: number } };
    expect(header().merkle).toBeUndefined();

    const first = await startedLedger(path, true);
    expect(first.eventsRead()).toBeGreaterThanOrEqual(14);
    expect(first.log.join('\n')).not.toMatch(/match the signed tree head/);
    await stopped(first.ledger);
    expect(header().merkle?.size).toBe(14);

    const second = await startedLedger(path, true);
    expect(second.log.join('\n')).toMatch(/the log's 0 event\(s\) after the snapshot, with its Merkle frontier, match the signed tree head of 14 events/);
    expect(second.eventsRead()).toBeLessThanOrEqual(1);
    await stopped(second.ledger);
  });
});
