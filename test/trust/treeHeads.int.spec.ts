import { createHash, randomUUID, verify as verifySignature } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { logDigest, verifyLog } from '../../src/app/audit.js';
import { canonicalJson, checkLink, eventHash, GENESIS_HASH } from '../../src/store/hashChain.js';
import { StoreUnavailableError, type NewEvent } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey, signedBytes, TreeHeadSigner } from '../../src/store/treeHeads.js';
import { openStore } from '../../src/store/openStore.js';
import { describeEventStoreContract } from '../store/eventStoreContract.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-heads-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(directory, `ledger-${++counter}.db`);
const signer = TreeHeadSigner.generate();

const event = (n: number, tokenId: string | undefined = 'cli'): NewEvent => ({
  eventId: randomUUID(),
  type: 'ThingHappened',
  data: { n },
  metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID(), ...(tokenId === undefined ? {} : { tokenId }) },
});

// Signing in every commit changes nothing the port promises.
describeEventStoreContract('SQLite with signed tree heads', {
  open: async () => {
    const store = new SqliteEventStore(freshPath(), { pollIntervalMs: 20, signer });
    return { store, dispose: () => store.close() };
  },
});

describe('signed tree heads in the SQLite store', () => {
  it('signs one head per group commit, not per event, each over the whole log', async () => {
    const path = freshPath();
    const store = new SqliteEventStore(path, { signer });
    await Promise.all(Array.from({ length: 60 }, (_, index) => store.appendToStream(`s-${index % 7}`, [event(index)], { expectedRevision: 'any' })));
    await store.appendToStream('s-last', [event(60), event(61)], { expectedRevision: 'any' });
    const head = (await store.latestTreeHead())!;
    expect(head.size).toBe(62);
    expect(head.keyId).toBe(signer.keyId);
    const digest = (await logDigest(store))!;
    expect(head.root).toBe(digest.rootHex);
    expect(head.time).toBe(digest.time);
    expect(verifySignature(null, signedBytes(head), signer.publicKey, Buffer.from(head.signature, 'base64'))).toBe(true);
    expect(store.stats.commits).toBeLessThan(61);
    await store.close();
    const db = new Database(path, { readonly: true });
    const heads = db.prepare('SELECT size FROM tree_heads ORDER BY size').all() as Array<{ size: number }>;
    db.close();
    expect(heads.length).toBe(store.stats.commits);
    expect(heads[heads.length - 1]!.size).toBe(62);
  });

  it('refuses to sign over an event inserted behind its back, while reads go on', async () => {
    const path = freshPath();
    const store = new SqliteEventStore(path, { signer });
    await store.appendToStream('s', [event(1)], { expectedRevision: 'no_stream' });
    // INSERT is not guarded by the triggers: anyone with the file can append a well-chained row.
    const intruder = new Database(path);
    const head = intruder.prepare("SELECT * FROM events WHERE stream_id = 's'").get() as { hash: string; recorded_at: string };
    const forged = { streamId: 's', revision: 1, eventId: randomUUID(), type: 'ThingHappened', recordedAt: head.recorded_at, actor: 'mallory', commandId: 'c', correlationId: 'c', tokenId: 'cli', data: { n: 666 } };
    intruder
      .prepare('INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, token_id, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('s', 1, forged.eventId, forged.type, JSON.stringify(forged.data), 'mallory', 'c', 'c', 'cli', forged.recordedAt, head.hash, eventHash(head.hash, forged));
    intruder.close();
    await expect(store.appendToStream('s', [event(2)], { expectedRevision: 'any' })).rejects.toThrow(StoreUnavailableError);
    await expect(store.appendToStream('t', [event(3)], { expectedRevision: 'any' })).rejects.toThrow(/1 event\(s\) lie beyond the latest signed tree head/);
    const report = await verifyLog(store);
    expect(report.failures).toEqual([]);
    expect(report.treeHead).toMatchObject({ ok: false, unsignedEvents: 1, signatureValid: true });
    expect(report.ok).toBe(false);
    expect(await store.headPosition()).toBe(2);
    await store.close();
  });

  it('two processes on one file take turns: each checks the head the other signed, and every head is over the whole log', async () => {
    const path = freshPath();
    const first = new SqliteEventStore(path, { signer });
    const second = new SqliteEventStore(path, { signer });
    for (let round = 0; round < 6; round += 1) {
      const writer = round % 3 === 2 ? second : first;
      await writer.appendToStream(`s-${round}`, [event(round), event(round + 100)], { expectedRevision: 'any' });
    }
    const head = (await second.latestTreeHead())!;
    expect(head.size).toBe(12);
    expect(head.root).toBe((await logDigest(first))!.rootHex);
    const report = await verifyLog(first);
    expect(report.treeHead).toMatchObject({ ok: true, unsignedEvents: 0 });
    await first.close();
    await second.close();
  });

  it('refuses to sign on when the head it signed itself was edited in the file (the fast path compares every field)', async () => {
    const path = freshPath();
    const store = new SqliteEventStore(path, { signer });
    await store.appendToStream('s', [event(1)], { expectedRevision: 'no_stream' });
    await store.appendToStream('s', [event(2)], { expectedRevision: 'any' });
    const intruder = new Database(path);
    intruder.exec('DROP TRIGGER tree_heads_are_never_updated');
    // The root of the head this process signed last is replaced by that of a shorter log.
    const earlier = intruder.prepare('SELECT root FROM tree_heads WHERE size = 1').get() as { root: string };
    intruder.prepare('UPDATE tree_heads SET root = ? WHERE size = 2').run(earlier.root);
    intruder.close();
    await expect(store.appendToStream('s', [event(3)], { expectedRevision: 'any' })).rejects.toThrow(/does not match its latest signed tree head/);
    expect(await store.headPosition()).toBe(2);
    await store.close();
  });

  it('adopts a log written before tokenIds and heads existed (schema 1), and its old hashes still verify', async () => {
    const path = freshPath();
    const legacy = new Database(path);
    legacy.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL, data TEXT NOT NULL, actor TEXT NOT NULL, command_id TEXT NOT NULL, correlation_id TEXT NOT NULL, request_hash TEXT,
        recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream_id, revision));
      PRAGMA user_version = 1;`);
    let prevHash = GENESIS_HASH;
    for (let revision = 0; revision < 3; revision += 1) {
      const fields = { streamId: 'old', revision, eventId: randomUUID(), type: 'ThingHappened', recordedAt: `2024-01-0${revision + 1}T00:00:00.000Z`, actor: 'anna', commandId: 'c', correlationId: 'c', data: { revision } };
      // The hash exactly as version 1 computed it: no tokenId, no requestHash (which old rows did carry).
      const hash = createHash('sha256').update(prevHash).update(canonicalJson(fields)).digest('hex');
      expect(eventHash(prevHash, fields)).toBe(hash);
      legacy
        .prepare('INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run('old', revision, fields.eventId, fields.type, JSON.stringify(fields.data), 'anna', 'c', 'c', 'f'.repeat(64), fields.recordedAt, prevHash, hash);
      prevHash = hash;
    }
    legacy.close();
    const store = new SqliteEventStore(path, { signer });
    expect((await store.latestTreeHead())?.size).toBe(3);
    await store.appendToStream('old', [event(3)], { expectedRevision: 2 });
    const report = await verifyLog(store);
    expect(report).toMatchObject({ ok: true, events: 4, failures: [], treeHead: { ok: true, unsignedEvents: 0 } });
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.close();
  });

  it('covers tokenId and requestHash with the hash: changing either breaks the chain', () => {
    const fields = { streamId: 's', revision: 0, eventId: randomUUID(), type: 'T', recordedAt: '2026-01-01T00:00:00.000Z', actor: 'a', commandId: 'c', correlationId: 'c', data: {} };
    const signed = { ...fields, tokenId: 'tok-1', requestHash: 'a'.repeat(64) };
    const hash = eventHash(GENESIS_HASH, signed);
    const stored = (metadata: Record<string, unknown>) => ({ streamId: 's', revision: 0, eventId: fields.eventId, type: 'T', data: {}, metadata: { recordedAt: fields.recordedAt, actor: 'a', commandId: 'c', correlationId: 'c', prevHash: GENESIS_HASH, hash, ...metadata } });
    expect(checkLink(null, stored({ tokenId: 'tok-1', requestHash: 'a'.repeat(64) }))).toBeNull();
    expect(checkLink(null, stored({ tokenId: 'tok-2', requestHash: 'a'.repeat(64) }))?.problem).toBe('hash-mismatch');
    expect(checkLink(null, stored({ tokenId: 'tok-1', requestHash: 'b'.repeat(64) }))?.problem).toBe('hash-mismatch');
    expect(checkLink(null, stored({ tokenId: 'tok-1' }))?.problem).toBe('hash-mismatch');
    expect(checkLink(null, stored({ requestHash: 'a'.repeat(64) }))?.problem).toBe('hash-mismatch');
  });
});

describe('the signing key', () => {
  it('is created beside the store with mode 0600, announced once, and read again afterwards', async () => {
    const path = freshPath();
    const announced: string[] = [];
    const store = await openStore(`sqlite:${path}`, { announce: (line) => void announced.push(line) });
    const keyPath = `${path}.signing-key.pem`;
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(announced).toEqual([expect.stringMatching(/created the tree-head signing key .*signing-key\.pem \(mode 0600\)/)]);
    await store.appendToStream('s', [event(1)], { expectedRevision: 'any' });
    await store.close();
    const again = await openStore(`sqlite:${path}`, { announce: (line) => void announced.push(line) });
    expect(announced).toHaveLength(1);
    expect((await verifyLog(again)).treeHead?.ok).toBe(true);
    await again.close();
    // The key is never in the log.
    const pem = readFileSync(keyPath, 'utf8');
    const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('');
    expect(readFileSync(path).toString('latin1')).not.toContain(body);
  });

  it('must exist when LEDGER_SIGNING_KEY names it: a typo does not start a second key', async () => {
    const path = freshPath();
    await expect(openStore(`sqlite:${path}`, { signingKey: join(directory, 'no-such-key.pem') })).rejects.toThrow(/does not exist/);
    expect(existsSync(join(directory, 'no-such-key.pem'))).toBe(false);
    const key = loadSigningKey(join(directory, `given-${counter}.pem`), { create: true });
    expect(key.created).toBe(true);
    expect(loadSigningKey(key.path, { create: false }).signer.keyId).toBe(key.signer.keyId);
  });
});
