import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { verifyLog } from '../../src/app/audit.js';
import { Ledger } from '../../src/app/ledger.js';
import { hashOf } from '../../src/store/hashChain.js';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { TREE_HEADS_STREAM } from '../../src/store/esdb/ledgerEvents.js';
import { openStore } from '../../src/store/openStore.js';
import { StoreUnavailableError, readStreamToArray, type NewEvent, type RecordedEvent } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { TreeHeadSigner } from '../../src/store/treeHeads.js';
import { EsdbDouble, type StoredEvent } from '../esdb-double/esdbDouble.js';
import { describeTreeHeadContract } from './treeHeadContract.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-heads-contract-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;

describeTreeHeadContract('SQLite (temporary file)', {
  open: async (signer) => {
    const path = join(directory, `ledger-${++counter}.db`);
    const store = new SqliteEventStore(path, { signer });
    return {
      store,
      reopen: async () => new SqliteEventStore(path, { signer }),
      replaceStored: async (event) => {
        const db = new Database(path);
        db.exec('DROP TRIGGER events_are_never_updated');
        db.prepare('UPDATE events SET data = ?, hash = ? WHERE event_id = ?').run(JSON.stringify(event.data), event.metadata.hash, event.eventId);
        db.close();
      },
      forgeAppend: async (event) => {
        const db = new Database(path);
        const m = event.metadata;
        db.prepare(
          'INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, token_id, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(event.streamId, event.revision, event.eventId, event.type, JSON.stringify(event.data), m.actor, m.commandId, m.correlationId, m.tokenId ?? null, m.recordedAt, m.prevHash, m.hash);
        db.close();
      },
      dispose: () => store.close(),
    };
  },
});

/** Writes an event into the double's log as the ledger would have stored it, bypassing the adapter. */
async function forgeOnServer(connectionString: string, event: RecordedEvent): Promise<void> {
  const client = EventStoreDBClient.connectionString(connectionString);
  try {
    await client.appendToStream(event.streamId, jsonEvent({ id: event.eventId, type: event.type, data: event.data as Record<string, unknown>, metadata: { ...event.metadata } }), {
      expectedRevision: BigInt(event.revision - 1),
    });
  } finally {
    await client.dispose();
  }
}

// A fresh double per test: a head covers the whole log, so the log must be the test's alone.
describeTreeHeadContract('EventStoreDB (gRPC conformance double)', {
  open: async (signer) => {
    const double = await EsdbDouble.start();
    const store = new EsdbEventStore(double.connectionString, { signer, unsignedGraceMs: 200 });
    return {
      store,
      reopen: async () => new EsdbEventStore(double.connectionString, { signer, unsignedGraceMs: 200 }),
      // What someone with the server's files could do; the server itself never changes an event.
      replaceStored: async (event) => {
        const index = double.log.events.findIndex((stored) => stored.eventId === event.eventId);
        const old = double.log.events[index]!;
        const replacement: StoredEvent = { ...old, data: Buffer.from(JSON.stringify(event.data)), customMetadata: Buffer.from(JSON.stringify(event.metadata)) };
        double.log.events[index] = replacement;
        const stream = double.log.stream(event.streamId) as StoredEvent[];
        stream[old.revision] = replacement;
      },
      forgeAppend: (event) => forgeOnServer(double.connectionString, event),
      dispose: async () => {
        await store.close();
        await double.stop();
      },
    };
  },
});

describe('signed tree heads on EventStoreDB (double)', () => {
  const event = (n: number): NewEvent => ({
    eventId: randomUUID(),
    type: 'ThingHappened',
    data: { n },
    metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID(), tokenId: 'cli' },
  });
  const signer = TreeHeadSigner.generate();

  it('keeps the heads in grantledger-tree-heads, a stream outside the log that needs no $ rights', async () => {
    const double = await EsdbDouble.start();
    const store = new EsdbEventStore(double.connectionString, { signer });
    try {
      await store.appendToStream('grant-a', [event(1)], { expectedRevision: 'no_stream' });
      await store.appendToStream('grant-a', [event(2)], { expectedRevision: 0 });
      expect(TREE_HEADS_STREAM.startsWith('$')).toBe(false);
      const heads = double.log.stream(TREE_HEADS_STREAM)!;
      expect(heads.map((stored) => JSON.parse(Buffer.from(stored.data).toString('utf8')).size)).toEqual([1, 2]);
      expect(heads.every((stored) => stored.type === 'TreeHeadSigned')).toBe(true);
      const logged: string[] = [];
      for await (const recorded of store.readAll()) logged.push(recorded.streamId);
      expect(logged).toEqual(['grant-a', 'grant-a']);
      const [, second] = await readStreamToArray(store, 'grant-a');
      expect(await store.headPosition()).toBe(second!.position);
      const delivered: string[] = [];
      const subscription = store.subscribeToAll({}, (recorded) => void delivered.push(recorded.streamId));
      await store.appendToStream('grant-b', [event(3)], { expectedRevision: 'no_stream' });
      for (let attempt = 0; attempt < 500 && delivered.length < 3; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await subscription.stop();
      expect(delivered).toEqual(['grant-a', 'grant-a', 'grant-b']);
    } finally {
      await store.close();
      await double.stop();
    }
  });

  it('lets two processes write one store at once: every head is valid and verify passes', async () => {
    const double = await EsdbDouble.start();
    // Appends in flight overtake each other, so each process meets the other's events before its own.
    double.appendJitterMs = 10;
    const first = new EsdbEventStore(double.connectionString, { signer });
    const second = new EsdbEventStore(double.connectionString, { signer });
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? first : second).appendToStream(`grant-${n % 5}-${n % 2}`, [event(n)], { expectedRevision: 'any' })),
      );
      const report = await verifyLog(first);
      expect(report).toMatchObject({ events: 40, treeHead: { ok: true, signatureValid: true, rootMatches: true, unsignedEvents: 0 } });
      // Two processes keep recordedAt in log order only by their clocks (session.ts), and the
      // jitter lets appends overtake: that chain check may fail here, nothing else may.
      expect(report.failures.filter((failure) => failure.problem !== 'recorded-before-previous-event')).toEqual([]);
      const sizes = double.log.stream(TREE_HEADS_STREAM)!.map((stored) => JSON.parse(Buffer.from(stored.data).toString('utf8')).size as number);
      expect([...sizes].sort((a, b) => a - b)).toEqual(sizes);
      expect(new Set(sizes).size).toBe(sizes.length);
      for (const size of sizes) expect(signer.verify((await first.treeHeadOfSize(size))!)).toBe(true);
    } finally {
      await first.close();
      await second.close();
      await double.stop();
    }
  });

  it('stops writing once an event lies unsigned beyond the latest head past the grace period', async () => {
    const double = await EsdbDouble.start();
    const store = new EsdbEventStore(double.connectionString, { signer, unsignedGraceMs: 100 });
    try {
      await store.appendToStream('grant-a', [event(1)], { expectedRevision: 'no_stream' });
      const [last] = await readStreamToArray(store, 'grant-a');
      await forgeOnServer(double.connectionString, { ...last!, eventId: randomUUID(), revision: 1, metadata: { ...last!.metadata, actor: 'mallory', prevHash: last!.metadata.hash } });
      await expect(store.appendToStream('grant-b', [event(2)], { expectedRevision: 'no_stream' })).rejects.toThrow(/1 event\(s\) lie beyond the latest signed tree head/);
      await expect(store.appendToStream('grant-c', [event(3)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(double.log.stream('grant-c')).toBeUndefined();
      expect((await store.latestTreeHead())?.size).toBe(1);
    } finally {
      await store.close();
      await double.stop();
    }
  });

  it('refuses to write to a log whose signed head no longer matches it', async () => {
    const double = await EsdbDouble.start();
    const writer = new EsdbEventStore(double.connectionString, { signer });
    await writer.appendToStream('grant-a', [event(1), event(2)], { expectedRevision: 'no_stream' });
    await writer.close();
    // A head over another log, signed with the key: what a head copied from elsewhere looks like.
    const stray = new EsdbEventStore(double.connectionString, { signer });
    const client = EventStoreDBClient.connectionString(double.connectionString);
    const forgedHead = signer.sign({ size: 2, root: 'ab'.repeat(32), time: new Date().toISOString() });
    await client.appendToStream(TREE_HEADS_STREAM, jsonEvent({ type: 'TreeHeadSigned', data: { ...forgedHead } }));
    await client.dispose();
    try {
      await expect(stray.appendToStream('grant-b', [event(3)], { expectedRevision: 'no_stream' })).rejects.toThrow(/does not match its latest signed tree head/);
      expect(double.log.stream('grant-b')).toBeUndefined();
    } finally {
      await stray.close();
      await double.stop();
    }
  });

  it('signs a copy loaded into the store with one head', async () => {
    const source = await EsdbDouble.start();
    const target = await EsdbDouble.start();
    const from = new EsdbEventStore(source.connectionString, { signer });
    const to = new EsdbEventStore(target.connectionString, { signer });
    try {
      await from.appendToStream('grant-a', [event(1), event(2)], { expectedRevision: 'no_stream' });
      await from.appendToStream('grant-b', [event(3)], { expectedRevision: 'no_stream' });
      expect(await to.importRecorded(from.readAll())).toBe(3);
      expect(target.log.stream(TREE_HEADS_STREAM)).toHaveLength(1);
      expect(await verifyLog(to)).toMatchObject({ ok: true, events: 3, treeHead: { ok: true, head: { size: 3 } } });
    } finally {
      await from.close();
      await to.close();
      await source.stop();
      await target.stop();
    }
  });

  it('costs two round trips more per command: one read of the log\'s tail, one head appended', async () => {
    const cost = async (withSigner: boolean) => {
      const double = await EsdbDouble.start();
      const store = new EsdbEventStore(double.connectionString, withSigner ? { signer } : {});
      try {
        await store.appendToStream('grant-a', [event(1)], { expectedRevision: 'no_stream' });
        const before = { ...double.calls };
        await store.appendToStream('grant-a', [event(2)], { expectedRevision: 0 });
        return { reads: double.calls.reads - before.reads, appends: double.calls.appends - before.appends };
      } finally {
        await store.close();
        await double.stop();
      }
    };
    const unsigned = await cost(false);
    const signed = await cost(true);
    console.log(`round trips per one-event append on EventStoreDB (double): unsigned ${JSON.stringify(unsigned)}, signed ${JSON.stringify(signed)}`);
    expect(signed).toEqual({ reads: unsigned.reads + 1, appends: unsigned.appends + 1 });
  });

  it('refuses, after a restart, a TokenIssued appended behind its back with a valid chain', async () => {
    const double = await EsdbDouble.start();
    const first = new Ledger(new EsdbEventStore(double.connectionString, { signer }), { log: () => undefined });
    await first.start();
    await first.tokens.ensureToken('revisor-anna', 'revisor', `token-${randomUUID()}`, { actor: 'test', tokenId: 'cli' });
    await first.stop();
    await first.store.close();
    // Mallory can write to the server but has no key: an admin token chained to the last TokenIssued.
    const issued = [...double.log.events].reverse().find((stored) => stored.type === 'TokenIssued')!;
    const reader = new EsdbEventStore(double.connectionString);
    const [original] = await readStreamToArray(reader, issued.streamId, { fromRevision: issued.revision, maxCount: 1 });
    await reader.close();
    const secret = `forged-${randomUUID()}`;
    const data = { ...(original!.data as Record<string, unknown>), name: 'mallory', role: 'admin', tokenHash: createHash('sha256').update(secret).digest('hex'), tokenId: randomUUID() };
    const unchained = { ...original!, eventId: randomUUID(), revision: original!.revision + 1, data, metadata: { ...original!.metadata, prevHash: original!.metadata.hash, hash: '' } };
    await forgeOnServer(double.connectionString, { ...unchained, metadata: { ...unchained.metadata, hash: hashOf(unchained) } });
    const again = new Ledger(new EsdbEventStore(double.connectionString, { signer }), { log: () => undefined });
    try {
      await again.start();
      const health = await again.health();
      expect(health.status).toBe('failing');
      expect(health.problem).toMatch(/does not match its signed tree head: 1 event\(s\) beyond the latest signed tree head are unsigned/);
      const report = await verifyLog(again.store);
      expect(report.failures).toEqual([]);
      expect(report.treeHead).toMatchObject({ ok: false, unsignedEvents: 1 });
    } finally {
      await again.stop();
      await again.store.close();
      await double.stop();
    }
  });

  it('opens EventStoreDB through openStore with the signing key LEDGER_SIGNING_KEY names', async () => {
    const keyPath = join(directory, 'esdb-key.pem');
    const created = await openStore(`sqlite:${join(directory, 'key-maker.db')}`, { signingKey: undefined, announce: () => undefined });
    await created.close();
    const double = await EsdbDouble.start();
    const store = await openStore(double.connectionString, { signingKey: `${join(directory, 'key-maker.db')}.signing-key.pem` });
    try {
      expect(store.signer).toBeDefined();
      await store.appendToStream('grant-a', [event(1)], { expectedRevision: 'no_stream' });
      expect((await verifyLog(store)).treeHead).toMatchObject({ ok: true, head: { size: 1, keyId: store.signer!.keyId } });
      await expect(openStore(double.connectionString, { signingKey: keyPath })).rejects.toThrow(/does not exist/);
    } finally {
      await store.close();
      await double.stop();
    }
  });
});
