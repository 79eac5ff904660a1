import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { DuplicateEventIdError, readStreamToArray, WrongExpectedVersionError } from '../../src/store/port.js';
import { TreeHeadSigner } from '../../src/store/treeHeads.js';
import { verifyLog } from '../../src/app/audit.js';
import { describeEventStoreContract } from './eventStoreContract.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-store-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(directory, `ledger-${++counter}.db`);

describeEventStoreContract('SQLite (temporary file)', {
  open: async () => {
    const store = new SqliteEventStore(freshPath(), { pollIntervalMs: 20 });
    return { store, dispose: () => store.close() };
  },
});

describe('SQLite store specifics', () => {
  const event = (n: number) => ({
    eventId: crypto.randomUUID(),
    type: 'ThingHappened',
    data: { n },
    metadata: { actor: 'anna', commandId: crypto.randomUUID(), correlationId: crypto.randomUUID() },
  });

  it('sets WAL with synchronous = FULL on the file', async () => {
    const path = freshPath();
    const store = new SqliteEventStore(path);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    // synchronous is per connection: read it through the store's own connection.
    expect((store as unknown as { session: { db: Database.Database } }).session.db.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
  });

  it('refuses to update or delete events, even through SQL', async () => {
    const path = freshPath();
    const store = new SqliteEventStore(path);
    await store.appendToStream('grant-x', [event(1)], { expectedRevision: 'no_stream' });
    await store.close();
    const db = new Database(path);
    expect(() => db.prepare("UPDATE events SET data = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    db.close();
  });

  it('keeps every event when the file is opened again', async () => {
    const path = freshPath();
    const first = new SqliteEventStore(path);
    await first.appendToStream('grant-x', [event(1), event(2)], { expectedRevision: 'no_stream' });
    await first.close();
    const second = new SqliteEventStore(path);
    expect((await readStreamToArray(second, 'grant-x')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    await second.close();
  });

  it('commits appends that arrive together in one durable transaction, failing only the conflicting one', async () => {
    const store = new SqliteEventStore(freshPath());
    await store.appendToStream('grant-busy', [event(0)], { expectedRevision: 'no_stream' });
    const commitsBefore = store.stats.commits;
    const appends = Array.from({ length: 50 }, (_, i) => store.appendToStream(`grant-${i}`, [event(i)], { expectedRevision: 'no_stream' }));
    const stale = store.appendToStream('grant-busy', [event(99)], { expectedRevision: 5 });
    const fresh = store.appendToStream('grant-busy', [event(100)], { expectedRevision: 0 });
    const outcomes = await Promise.allSettled([...appends, stale, fresh]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(51);
    expect(outcomes[50]!.status).toBe('rejected');
    expect((outcomes[50] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(store.stats.commits - commitsBefore).toBe(1);
    expect((await readStreamToArray(store, 'grant-busy')).map((e) => e.data)).toEqual([{ n: 0 }, { n: 100 }]);
    const positions = (await Promise.all(appends)).map((r) => r.position);
    expect(new Set(positions).size).toBe(50);
    await store.close();
  });

  it('rolls back a failing append inside a group without touching the others', async () => {
    const store = new SqliteEventStore(freshPath());
    const taken = event(1);
    await store.appendToStream('grant-a', [taken], { expectedRevision: 'no_stream' });
    const [ok, duplicate] = await Promise.allSettled([
      store.appendToStream('grant-b', [event(2), event(3)], { expectedRevision: 'no_stream' }),
      store.appendToStream('grant-c', [event(4), taken], { expectedRevision: 'no_stream' }),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(duplicate.status).toBe('rejected');
    expect(await readStreamToArray(store, 'grant-c')).toEqual([]);
    expect(await readStreamToArray(store, 'grant-b')).toHaveLength(2);
    await store.close();
  });

  it('leaves nothing of a refused one-event append in a signed group commit (no savepoint), and signs exactly what was stored', async () => {
    const store = new SqliteEventStore(freshPath(), { signer: TreeHeadSigner.generate() });
    const taken = event(1);
    await store.appendToStream('grant-a', [taken], { expectedRevision: 'no_stream' });
    const elsewhere = { ...event(2), metadata: { ...event(2).metadata, commandId: taken.metadata.commandId } };
    const commitsBefore = store.stats.commits;
    const outcomes = await Promise.allSettled([
      store.appendToStream('grant-b', [event(10)], { expectedRevision: 'no_stream' }),
      // An event id stored in another stream: its INSERT fails, SQLite undoes that statement alone.
      store.appendToStream('grant-c', [taken], { expectedRevision: 'no_stream' }),
      store.appendToStream('grant-d', [event(11)], { expectedRevision: 'no_stream' }),
      // A command id that wrote to another stream, and a stale revision: refused before writing.
      store.appendToStream('grant-e', [elsewhere], { expectedRevision: 'no_stream' }),
      store.appendToStream('grant-a', [event(12)], { expectedRevision: 7 }),
      // A re-sent append of the same event: done once, nothing new written.
      store.appendToStream('grant-a', [taken], { expectedRevision: 'no_stream' }),
      store.appendToStream('grant-a', [event(13)], { expectedRevision: 0 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
    expect((outcomes[4] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(store.stats.commits - commitsBefore).toBe(1);
    expect(await readStreamToArray(store, 'grant-c')).toEqual([]);
    expect(await readStreamToArray(store, 'grant-e')).toEqual([]);
    expect((await readStreamToArray(store, 'grant-a')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 13 }]);
    const log: number[] = [];
    for await (const stored of store.readAll()) log.push(stored.position);
    expect(log).toEqual([1, 2, 3, 4]);
    expect((await store.latestTreeHead!())?.size).toBe(4);
    expect(await verifyLog(store)).toMatchObject({ ok: true, events: 4, treeHead: { ok: true, rootMatches: true, unsignedEvents: 0 } });
    await store.appendToStream('grant-c', [event(14)], { expectedRevision: 'no_stream' });
    expect((await store.latestTreeHead!())?.size).toBe(5);
    await store.close();
  });

  it('fails a whole group, storing none of it, when an append fails for other than a refusal', async () => {
    const store = new SqliteEventStore(freshPath());
    // An event that cannot be written (here: data JSON cannot hold) stands for disk full or I/O.
    const broken = { ...event(2), data: { n: 1n } };
    const outcomes = await Promise.allSettled([
      store.appendToStream('grant-ok', [event(1)], { expectedRevision: 'no_stream' }),
      store.appendToStream('grant-broken', [broken], { expectedRevision: 'no_stream' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(await store.headPosition()).toBe(0);
    expect((await store.appendToStream('grant-ok', [event(1)], { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(0);
    await store.close();
  });

  it('sees events another process wrote to the same file through its subscription', async () => {
    const path = freshPath();
    const reader = new SqliteEventStore(path, { pollIntervalMs: 10 });
    const writer = new SqliteEventStore(path);
    const seen: number[] = [];
    const subscription = reader.subscribeToAll({}, (e) => void seen.push((e.data as { n: number }).n));
    await writer.appendToStream('grant-y', [event(7)], { expectedRevision: 'no_stream' });
    for (let i = 0; i < 100 && seen.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([7]);
    await subscription.stop();
    await writer.close();
    await reader.close();
  });

  it('reads the log as the rows say, column by column, from a file migrated from schema 1 (its later columns at the end)', async () => {
    const path = freshPath();
    const legacy = new Database(path);
    legacy.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL, data TEXT NOT NULL, actor TEXT NOT NULL, command_id TEXT NOT NULL, correlation_id TEXT NOT NULL, request_hash TEXT,
        recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream_id, revision));
      PRAGMA user_version = 1;`);
    const insert = legacy.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run('old', 0, 'e-0', 'ThingHappened', '{"n":0}', 'anna', 'c0', 'r0', null, '2024-01-01T00:00:00.000Z', '0'.repeat(64), 'a'.repeat(64));
    insert.run('old', 1, 'e-1', 'ThingHappened', '{"n":1}', 'bo', 'c1', 'r1', 'f'.repeat(64), '2024-01-02T00:00:00.000Z', 'a'.repeat(64), 'b'.repeat(64));
    legacy.close();
    const store = new SqliteEventStore(path, { pageSize: 2 });
    await store.appendToStream('new', [{ ...event(2), metadata: { actor: 'cia', commandId: 'c2', correlationId: 'r2', requestHash: 'e'.repeat(64), tokenId: 'tok', schemaVersion: 2 } }], { expectedRevision: 'no_stream' });
    await store.appendToStream('new', [{ ...event(3), metadata: { actor: 'dan', commandId: 'c3', correlationId: 'r3', tokenId: 'tok' } }], { expectedRevision: 0 });
    const all = [];
    for await (const recorded of store.readAll()) all.push(recorded);
    expect(all.map((recorded) => recorded.position)).toEqual([1, 2, 3, 4]);
    // Each the same, key for key and in the same order, as the named-column reading of its stream gives it.
    const byStream = [...(await readStreamToArray(store, 'old')), ...(await readStreamToArray(store, 'new'))];
    expect(all.map((recorded) => JSON.stringify(recorded))).toEqual(byStream.map((recorded) => JSON.stringify(recorded)));
    expect(all[0]).toStrictEqual({
      eventId: 'e-0',
      streamId: 'old',
      type: 'ThingHappened',
      revision: 0,
      position: 1,
      data: { n: 0 },
      metadata: { actor: 'anna', commandId: 'c0', correlationId: 'r0', recordedAt: '2024-01-01T00:00:00.000Z', prevHash: '0'.repeat(64), hash: 'a'.repeat(64) },
    });
    expect(Object.keys(all[1]!.metadata)).toEqual(['actor', 'commandId', 'correlationId', 'requestHash', 'recordedAt', 'prevHash', 'hash']);
    expect(all[2]!.metadata).toMatchObject({ actor: 'cia', requestHash: 'e'.repeat(64), tokenId: 'tok', schemaVersion: 2 });
    expect(Object.keys(all[3]!.metadata)).toEqual(['actor', 'commandId', 'correlationId', 'tokenId', 'recordedAt', 'prevHash', 'hash']);
    // maxCount and after cut the same rows, across pages.
    const window = [];
    for await (const recorded of store.readAll({ after: 1, maxCount: 2 })) window.push(recorded.position);
    expect(window).toEqual([2, 3]);
    await store.close();
  });
});
