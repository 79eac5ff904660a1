import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECTION_VERSION } from '../../src/app/readModel/index.js';
import { snapshotPathOf } from '../../src/app/readModel/snapshotFile.js';
import { segregationGrant, sqliteBackend, startTestServer, type ApiResponse, type Backend, type TestServer } from '../support/server.js';

/**
 * Rebuild without downtime (issue 13): a server whose snapshot cannot be used starts at once and
 * rebuilds the read model from the log in the background. A test hook holds the rebuild before
 * its first chunk, so "during the rebuild" is a state the test controls, not a race it hopes to win.
 */

const GRANT = segregationGrant.grantId;

interface Held {
  readonly hook: () => Promise<void>;
  /** Resolves once the rebuild is waiting at the hook. */
  readonly reached: Promise<void>;
  release(): void;
}

function holdRebuild(): Held {
  let release!: () => void;
  let reachedGate!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (reachedGate = resolve));
  return {
    hook: async () => {
      reachedGate();
      await released;
    },
    reached,
    release: () => release(),
  };
}

/** Polls until the public /health says ok: bounded, and waiting on the condition, not on time. */
async function untilHealthy(t: TestServer): Promise<void> {
  for (let attempt = 0; attempt < 20_000; attempt += 1) {
    const health = await t.api('GET', '/health', { as: null });
    if (health.body?.status === 'ok') return;
    expect(health.body?.status).toBe('rebuilding');
  }
  throw new Error('the rebuild never finished');
}

function expectRetryLater(response: ApiResponse): void {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe('READ_MODEL_REBUILDING');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 30).toBe(true);
}

describe('rebuild without downtime (SQLite file, HTTP on 127.0.0.1)', () => {
  let backend: Backend;
  let first: TestServer;
  let snapshotPath: string;
  let figures: { grant: unknown; unused: unknown; head: number };

  beforeEach(async () => {
    backend = sqliteBackend();
    first = await startTestServer(backend);
    expect((await first.api('POST', '/api/grants', { body: segregationGrant })).status).toBe(201);
    expect((await first.api('POST', `/api/grants/${GRANT}/allocations`, { body: { allocationId: 'a1', activity: 'IFO', amount: '3000000.00', allocatedOn: '2020-07-01' } })).status).toBe(201);
    expect((await first.api('POST', `/api/grants/${GRANT}/spending`, { body: { allocationId: 'a1', amount: '1250000.50', spentOn: '2020-08-01', voucher: 'V1' } })).status).toBe(200);
    figures = {
      grant: (await first.api('GET', `/api/grants/${GRANT}`)).body,
      unused: (await first.api('GET', '/api/reports/unused-grants')).body,
      head: await first.server.ledger.store.headPosition(),
    };
    snapshotPath = snapshotPathOf(first.server.ledger.store)!;
    await first.stop(); // writes the snapshot at stop
  });

  afterEach(async () => {
    await backend.dispose();
  });

  function rewriteSnapshotHeader(change: (header: Record<string, any>) => Record<string, any>): void {
    const lines = readFileSync(snapshotPath, 'utf8').split('\n');
    lines[0] = JSON.stringify(change(JSON.parse(lines[0]!) as Record<string, any>));
    writeFileSync(snapshotPath, lines.join('\n'));
  }

  it('answers from the last good read model (another version\'s snapshot) during the rebuild, refuses commands with 503 + Retry-After, then swaps', async () => {
    // Another version written by its own code is whole: the header keeps its length, as the
    // index's offsets count bytes from the file's start.
    const otherVersion = String(PROJECTION_VERSION + 1).length === String(PROJECTION_VERSION).length ? PROJECTION_VERSION + 1 : PROJECTION_VERSION - 1;
    rewriteSnapshotHeader((header) => ({ ...header, projectionVersion: otherVersion }));
    const held = holdRebuild();
    const t = await startTestServer(backend, { tokens: first.tokens, beforeRebuildChunk: held.hook });
    let released = false;
    try {
      await held.reached;
      // The new read model has applied nothing: every answer now comes from the previous one.
      const health = await t.api('GET', '/health', { as: 'admin' });
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'rebuilding', rebuild: { applied: 0, of: figures.head, serving: 'previous', reason: expect.stringMatching(/projection version/) } });
      const anonymous = await t.api('GET', '/health', { as: null });
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ status: 'rebuilding' });
      expect((await t.api('GET', `/api/grants/${GRANT}`)).body).toEqual(figures.grant);
      expect((await t.api('GET', '/api/reports/unused-grants')).body).toEqual(figures.unused);

      // Commands are never decided on a model that is about to be replaced: refused, nothing written.
      expectRetryLater(await t.api('POST', `/api/grants/${GRANT}/spending`, { body: { allocationId: 'a1', amount: '100.00', spentOn: '2020-08-02', voucher: 'V2' } }));
      expectRetryLater(await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'bo.ekonom', role: 'ekonom' } }));
      expect(await t.server.ledger.store.headPosition()).toBe(figures.head);

      held.release();
      released = true;
      await untilHealthy(t);
      const after = await t.api('GET', '/health', { as: 'admin' });
      expect(after.body).toMatchObject({ status: 'ok', position: figures.head });
      expect(after.body.rebuild).toBeUndefined();
      expect((await t.api('GET', `/api/grants/${GRANT}`)).body).toEqual(figures.grant);
      expect((await t.api('GET', '/api/reports/unused-grants')).body).toEqual(figures.unused);
      // Writable again, and the figures move with the write.
      expect((await t.api('POST', `/api/grants/${GRANT}/spending`, { body: { allocationId: 'a1', amount: '100.00', spentOn: '2020-08-02', voucher: 'V2' } })).status).toBe(200);
      const grant = (await t.api('GET', `/api/grants/${GRANT}`)).body;
      expect(grant).not.toEqual(figures.grant);
      expect(JSON.stringify(grant)).toContain('1250100.50');
      expect(t.logs.length).toBeGreaterThan(0);
    } finally {
      if (!released) held.release();
      await t.stop();
    }
    // The snapshot saved after the swap is this code's version again.
    expect(JSON.parse(readFileSync(snapshotPath, 'utf8').split('\n')[0]!).projectionVersion).toBe(PROJECTION_VERSION);
  }, 120_000);

  it('shows the rebuild\'s progress on the admin\'s /health, chunk by chunk, while the previous model answers', async () => {
    rewriteSnapshotHeader((header) => ({ ...header, projectionVersion: String(PROJECTION_VERSION + 1).length === String(PROJECTION_VERSION).length ? PROJECTION_VERSION + 1 : PROJECTION_VERSION - 1 }));
    // Held at the third chunk of 2 events: 4 applied, more to come.
    let release!: () => void;
    let reachedGate!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (reachedGate = resolve));
    const seen: number[] = [];
    const hook = async ({ applied }: { applied: number }) => {
      seen.push(applied);
      if (applied === 4) {
        reachedGate();
        await released;
      }
    };
    expect(figures.head).toBeGreaterThan(4);
    const t = await startTestServer(backend, { tokens: first.tokens, beforeRebuildChunk: hook, rebuildChunkEvents: 2 });
    let done = false;
    try {
      await reached;
      const health = await t.api('GET', '/health', { as: 'admin' });
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'rebuilding', position: figures.head, rebuild: { applied: 4, of: figures.head, serving: 'previous' } });
      expect((await t.api('GET', `/api/grants/${GRANT}`)).body).toEqual(figures.grant);
      release();
      done = true;
      await untilHealthy(t);
      expect(seen.slice(0, 3)).toEqual([0, 2, 4]);
      expect(seen.every((applied, index) => index === 0 || applied > seen[index - 1]!)).toBe(true);
      expect((await t.api('GET', '/health', { as: 'admin' })).body).toMatchObject({ status: 'ok', position: figures.head });
      expect((await t.api('GET', '/api/reports/unused-grants')).body).toEqual(figures.unused);
    } finally {
      if (!done) release();
      await t.stop();
    }
  }, 120_000);

  it('answers 503 + Retry-After to queries and commands when no usable read model exists, until the rebuild is done', async () => {
    rewriteSnapshotHeader((header) => ({ ...header, checkpoint: { ...header.checkpoint, lastHash: '0'.repeat(64) } }));
    const held = holdRebuild();
    const t = await startTestServer(backend, { tokens: first.tokens, beforeRebuildChunk: held.hook });
    let released = false;
    try {
      await held.reached;
      const anonymous = await t.api('GET', '/health', { as: null });
      expect(anonymous.status).toBe(503);
      expect(anonymous.body).toEqual({ status: 'rebuilding' });
      expect(Number(anonymous.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expectRetryLater(await t.api('GET', `/api/grants/${GRANT}`));
      expectRetryLater(await t.api('GET', '/api/reports/unused-grants'));
      expectRetryLater(await t.api('POST', `/api/grants/${GRANT}/spending`, { body: { allocationId: 'a1', amount: '100.00', spentOn: '2020-08-02', voucher: 'V2' } }));
      expect(await t.server.ledger.store.headPosition()).toBe(figures.head);

      held.release();
      released = true;
      await untilHealthy(t);
      expect((await t.api('GET', '/health', { as: 'admin' })).body).toMatchObject({ status: 'ok', position: figures.head });
      expect((await t.api('GET', `/api/grants/${GRANT}`)).body).toEqual(figures.grant);
      expect((await t.api('GET', '/api/reports/unused-grants')).body).toEqual(figures.unused);
    } finally {
      if (!released) held.release();
      await t.stop();
    }
  }, 120_000);
});
