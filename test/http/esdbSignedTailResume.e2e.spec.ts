import { afterEach, describe, expect, it, vi } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { reviewUnsignedTail } from '../../src/app/tailReview.js';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { TreeHeadSigner } from '../../src/store/treeHeads.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { cliContext } from '../support/grantWithSpendings.js';
import { segregationGrant, startTestServer, type Backend, type TestServer } from '../support/server.js';

/**
 * A server on 127.0.0.1 restarted while its EventStoreDB log (the gRPC double) had an unsigned
 * tail: it answers 503 for health, queries and commands while the tail is unsigned, and serves
 * again, with no restart, once the operator has signed the reviewed tail.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('HTTP on EventStoreDB (double): a server restarted over an unsigned tail', () => {
  it('answers 503 while the tail is unsigned, and serves again once it is signed, without a restart', async () => {
    const double = await EsdbDouble.start();
    cleanups.push(() => double.stop());
    const signer = TreeHeadSigner.generate();
    const backend: Backend = {
      name: 'EventStoreDB double, signed',
      open: async () => new EsdbEventStore(double.connectionString, { signer, unsignedGraceMs: 100 }),
      dispose: async () => undefined,
    };
    const first = await startTestServer(backend);
    const tokens = first.tokens;
    expect((await first.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g1' } })).status).toBe(201);
    await first.stop();

    // A writer without the key (what a process killed before its head leaves): one grant, no head.
    const killedStore = new EsdbEventStore(double.connectionString);
    const killed = new Ledger(killedStore, { log: () => undefined });
    await killed.start();
    await killed.executeGrant('g9', { type: 'ReceiveGrant', data: { ...segregationGrant, grantId: 'g9', amount: '8000000.00' } }, cliContext());
    await killed.stop();
    await killedStore.close();

    const restarted = await startTestServer(backend, { tokens });
    cleanups.push(() => restarted.stop());
    const publicHealth = await restarted.api('GET', '/health', { as: null });
    expect(publicHealth.status).toBe(503);
    expect(publicHealth.body).toEqual({ status: 'failing' });
    const adminHealth = await restarted.api('GET', '/health', { as: 'admin' });
    expect(adminHealth.status).toBe(503);
    expect(adminHealth.body.problem).toMatch(/1 event\(s\) beyond the latest signed tree head are unsigned.*sign-tail/);
    const report = await restarted.api('GET', '/api/reports/unused-grants', { as: 'revisor' });
    expect(report.status).toBe(503);
    expect(report.body).toMatchObject({ code: 'READ_MODEL_STOPPED' });
    const refused = await restarted.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g2' } });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'READ_MODEL_STOPPED' });
    expect(double.log.stream('grant-g2')).toBeUndefined();

    // The operator reviews and signs the tail (grantledger tree-head sign-tail does this).
    const operator = await backend.open();
    cleanups.push(() => operator.close());
    const review = await reviewUnsignedTail(operator);
    expect(review.events.map((event) => event.streamId)).toEqual(['grant-g9']);
    await (operator as EsdbEventStore).signReviewedTail({ fromSize: review.head.size, size: review.size, root: review.root, by: 'cli:ops', reason: 'writer killed; reviewed' });

    // The admin's /health notices the bigger head; the public one turns 200 once the log is verified and the read model swapped in.
    await vi.waitFor(
      async () => {
        expect((await restarted.api('GET', '/health', { as: 'admin' })).status).toBe(200);
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(await restarted.api('GET', '/health', { as: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await restarted.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g2' } })).status).toBe(201);
    expect((await restarted.api('GET', '/api/audit/verify', { as: 'revisor' })).body).toMatchObject({ ok: true, treeHead: { ok: true, unsignedEvents: 0 } });

    // It answers as a server started now does.
    const fresh: TestServer = await startTestServer(backend, { tokens });
    cleanups.push(() => fresh.stop());
    for (const path of ['/api/reports/unused-grants', '/api/reports/committee-results', '/api/grants/g9']) {
      const resumed = await restarted.api('GET', path, { as: 'revisor' });
      expect(resumed.status).toBe(200);
      expect(resumed.body).toEqual((await fresh.api('GET', path, { as: 'revisor' })).body);
    }
    expect((await restarted.api('GET', '/api/reports/unused-grants', { as: 'revisor' })).body.rows.map((row: { grantId: string }) => row.grantId).sort()).toEqual(['g1', 'g2', 'g9']);
  });
});
