import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { logDigest } from '../../src/app/audit.js';
import type { NewEvent } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';

// Issue 12: GET /api/audit/digest read the whole log on every call, side by side, and kept
// nothing; verify?digest= did the same outside any limit. Digests are now read as verify is:
// shared by callers asking at once, kept for the log position they were asked at, one read at a
// time. A log read is counted as a read of the log from its start (readAll after position 0).
let directory: string;
let store: SqliteEventStore;
let ledger: Ledger;
let logReads: number;

const event = (n: number): NewEvent => ({
  eventId: randomUUID(),
  type: 'ThingHappened',
  data: { n },
  metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID(), tokenId: 'cli' },
});
const append = (n: number) => store.appendToStream(`s-${n % 5}`, [event(n)], { expectedRevision: 'any' });

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'grantledger-digests-'));
  store = new SqliteEventStore(join(directory, 'ledger.db'));
  for (let n = 0; n < 40; n += 1) await append(n);
  ledger = new Ledger(store);
  logReads = 0;
  const readAll = store.readAll.bind(store);
  vi.spyOn(store, 'readAll').mockImplementation((options) => {
    if ((options?.after ?? 0) === 0) logReads += 1;
    return readAll(options);
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('digests shared and kept (issue 12)', () => {
  it('two callers asking at once share one read of the log, and get the digest of the whole log', async () => {
    const [first, second] = await Promise.all([ledger.digest(), ledger.digest()]);
    expect(logReads).toBe(1);
    expect(second).toBe(first);
    vi.restoreAllMocks();
    expect(first).toEqual(await logDigest(store));
    expect(first!.treeSize).toBe(40);
  });

  it('a repeat at the same log position is answered from the kept digest; after an append it is computed again', async () => {
    const before = await ledger.digest();
    expect(await ledger.digest()).toBe(before);
    expect(logReads).toBe(1);
    await append(40);
    const after = await ledger.digest();
    expect(logReads).toBe(2);
    expect(after!.treeSize).toBe(41);
    expect(after!.rootHex).not.toBe(before!.rootHex);
  });

  it('checks a digest of the whole log from the kept digest, without reading the log again', async () => {
    const digest = (await ledger.digest())!;
    const [check, again] = await Promise.all([ledger.checkDigest(digest), ledger.checkDigest(digest)]);
    expect(check.ok).toBe(true);
    expect(again.ok).toBe(true);
    expect(logReads).toBe(1);
  });

  it('shares and keeps the check of an older digest (a prefix), and still catches a wrong one', async () => {
    const old = (await logDigest(store, 25))!;
    logReads = 0;
    const checks = await Promise.all([ledger.checkDigest(old), ledger.checkDigest(old), ledger.checkDigest(old)]);
    expect(checks.map((check) => check.ok)).toEqual([true, true, true]);
    expect(logReads).toBe(1);
    expect((await ledger.checkDigest(old)).ok).toBe(true);
    expect(logReads).toBe(1);
    const forged = { ...old, rootHex: '0'.repeat(64) };
    const refused = await ledger.checkDigest(forged);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/the first 25 events differ/);
    const longer = await ledger.checkDigest({ ...old, treeSize: 999 });
    expect(longer.detail).toMatch(/fewer than the 999 events/);
  });

  it('reads the log for digests one at a time: a check and a digest asked together never read side by side', async () => {
    let reading = 0;
    let most = 0;
    vi.restoreAllMocks();
    const readAll = store.readAll.bind(store);
    vi.spyOn(store, 'readAll').mockImplementation((options) => {
      const inner = readAll(options);
      return (async function* () {
        reading += 1;
        most = Math.max(most, reading);
        try {
          for await (const recorded of inner) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            yield recorded;
          }
        } finally {
          reading -= 1;
        }
      })();
    });
    const old = (await logDigest(store, 10))!;
    most = 0;
    const [whole, check, other] = await Promise.all([ledger.digest(), ledger.checkDigest(old), ledger.checkDigest({ ...old, treeSize: 30 })]);
    expect(whole!.treeSize).toBe(40);
    expect(check.ok).toBe(true);
    expect(other.ok).toBe(false);
    expect(most).toBe(1);
  });

  it('a failed read is not kept: the next caller reads again', async () => {
    vi.spyOn(store, 'readAll').mockImplementationOnce(() => {
      throw new Error('disk gone');
    });
    await expect(ledger.digest()).rejects.toThrow('disk gone');
    vi.restoreAllMocks();
    expect((await ledger.digest())!.treeSize).toBe(40);
  });
});
