import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { createHttpApp } from '../../src/http/app.js';
import { serve } from '../../src/server.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';
import { segregationGrant, sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';
import { startServerProcess, stopServerProcess } from '../support/serverProcess.js';

const DAY_MS = 86_400_000;

/** Polls until the condition holds, for at most `seconds` (generous: a busy machine must not fail it). */
async function eventually<T>(probe: () => Promise<T>, until: (value: T) => boolean, seconds = 15): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let value = await probe();
  while (!until(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await probe();
  }
  return value;
}

describe('token lifecycle over HTTP', () => {
  let backend: Backend;
  let t: TestServer;

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend);
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  it('issues a token for 90 days by default and at most 365, answering {tokenId, name, role, token, expiresAt}', async () => {
    const before = Date.now();
    const issued = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'greta.ekonom', role: 'ekonom' } });
    expect(issued.status).toBe(201);
    expect(Object.keys(issued.body).sort()).toEqual(['expiresAt', 'name', 'role', 'token', 'tokenId']);
    const lifetime = Date.parse(issued.body.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(90 * DAY_MS - 60_000);
    expect(lifetime).toBeLessThan(90 * DAY_MS + 60_000);
    const year = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'year.long', role: 'revisor', expiresInDays: 365 } });
    expect(year.status).toBe(201);
    expect(Date.parse(year.body.expiresAt) - before).toBeGreaterThan(364 * DAY_MS);
    for (const days of [366, 0, 1.5, '30']) {
      const refused = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: `too.long.${String(days)}`, role: 'revisor', expiresInDays: days } });
      expect(refused.status, String(days)).toBe(400);
      expect(refused.body.errors[0].path).toBe('body.expiresInDays');
    }
  });

  it('lists tokens to admins with their dates and never a secret or its hash', async () => {
    const issued = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'listed.person', role: 'revisor' } });
    const listed = await t.api('GET', '/api/tokens', { as: 'admin' });
    expect(listed.status).toBe(200);
    const entry = listed.body.tokens.find((token: { tokenId: string }) => token.tokenId === issued.body.tokenId);
    expect(entry).toEqual({ tokenId: issued.body.tokenId, name: 'listed.person', role: 'revisor', createdAt: expect.any(String), expiresAt: issued.body.expiresAt, revokedAt: null });
    expect(listed.text).not.toContain(issued.body.token);
    expect(listed.text).not.toMatch(/[0-9a-f]{64}/);
    expect((await t.api('GET', '/api/tokens', { as: 'ekonom' })).status).toBe(403);
  });

  it('revokes a token: 204, then 401 with a problem that says it was revoked; the name is free again', async () => {
    const issued = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'leaked.token', role: 'ekonom' } });
    expect((await t.api('GET', '/api/reports/unused-grants', { as: { token: issued.body.token } })).status).toBe(200);
    const revoked = await t.api('DELETE', `/api/tokens/${issued.body.tokenId}`, { as: 'admin' });
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
    const refused = await t.api('GET', '/api/reports/unused-grants', { as: { token: issued.body.token } });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'TOKEN_REVOKED', detail: expect.stringMatching(/revoked/) });
    const listed = await t.api('GET', '/api/tokens', { as: 'admin' });
    expect(listed.body.tokens.find((token: { tokenId: string }) => token.tokenId === issued.body.tokenId).revokedAt).toEqual(expect.any(String));
    expect((await t.api('DELETE', `/api/tokens/${issued.body.tokenId}`, { as: 'admin' })).status).toBe(204);
    expect((await t.api('DELETE', '/api/tokens/11111111-2222-4333-8444-555555555555', { as: 'admin' })).status).toBe(404);
    expect((await t.api('DELETE', `/api/tokens/${issued.body.tokenId}`, { as: 'ekonom' })).status).toBe(403);
    expect((await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'leaked.token', role: 'ekonom' } })).status).toBe(201);
  });

  it('refuses a name that a live token has (409, whatever its case) and the names the ledger itself uses (400)', async () => {
    expect((await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'unique.name', role: 'ekonom' } })).status).toBe(201);
    const again = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'Unique.Name', role: 'revisor' } });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].path).toBe('body.name');
    // Two admins at once: one token, one 409.
    const racing = await Promise.all([1, 2].map(() => t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'raced.name', role: 'ekonom' } })));
    expect(racing.map((response) => response.status).sort()).toEqual([201, 409]);
    for (const name of ['system', 'admin', 'Import', 'anonymous', 'cli']) {
      const reserved = await t.api('POST', '/api/tokens', { as: 'admin', body: { name, role: 'ekonom' } });
      expect(reserved.status, name).toBe(400);
      expect(reserved.body.errors[0]).toMatchObject({ path: 'body.name', message: expect.stringMatching(/reserved/) });
    }
  });

  it('writes the tokenId of the caller into every event, and the event hash covers it and the request hash', async () => {
    const created = await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g-token-meta' } });
    expect(created.status).toBe(201);
    const tokens = (await t.api('GET', '/api/tokens', { as: 'admin' })).body.tokens as Array<{ tokenId: string; name: string }>;
    const ekonomId = tokens.find((token) => token.name === 'anna.ekonom')!.tokenId;
    const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as Array<Record<string, unknown>>;
    const received = events.find((event) => event.streamId === 'grant-g-token-meta')!;
    expect(received).toMatchObject({ tokenId: ekonomId, actor: 'anna.ekonom', requestHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    for (const event of events) expect(event.tokenId, `${String(event.type)} at ${String(event.position)}`).toEqual(expect.any(String));
    expect((await t.api('GET', '/api/audit/verify', { as: 'revisor' })).body.ok).toBe(true);
  });
});

describe('the admin token from the environment', () => {
  it('revokes the previous LEDGER_ADMIN_TOKEN when it changes, and never revives a revoked one', async () => {
    const backend = sqliteBackend();
    const announced: string[] = [];
    const start = async (adminToken: string) =>
      serve(await backend.open(), { host: '127.0.0.1', port: 0, adminToken, log: () => undefined, announce: (line) => void announced.push(line) });
    const get = (url: string, token: string) => fetch(`${url}/api/tokens`, { headers: { Authorization: `Bearer ${token}` } });
    try {
      const first = await start('first-admin-token-0123456789');
      expect((await get(first.url, 'first-admin-token-0123456789')).status).toBe(200);
      await first.close();
      const second = await start('second-admin-token-0123456789');
      const old = await get(second.url, 'first-admin-token-0123456789');
      expect(old.status).toBe(401);
      expect(((await old.json()) as { detail: string }).detail).toMatch(/revoked/);
      expect((await get(second.url, 'second-admin-token-0123456789')).status).toBe(200);
      const listed = (await (await get(second.url, 'second-admin-token-0123456789')).json()) as { tokens: Array<{ name: string; revokedAt: string | null }> };
      expect(listed.tokens.filter((token) => token.name === 'admin' && token.revokedAt === null)).toHaveLength(1);
      await second.close();
      // Setting the old one again does not bring it back.
      const third = await start('first-admin-token-0123456789');
      expect((await get(third.url, 'first-admin-token-0123456789')).status).toBe(401);
      expect(announced.join('\n')).toMatch(/LEDGER_ADMIN_TOKEN was revoked and is not accepted/);
      expect(announced.join('\n')).not.toMatch(/admin-token-0123456789/);
      await third.close();
    } finally {
      await backend.dispose();
    }
  });
});

describe('an expired token', () => {
  it('is refused with 401 and a problem that says it expired', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grantledger-expiry-'));
    let now = Date.parse('2026-01-10T10:00:00.000Z');
    const path = join(directory, 'ledger.db');
    const store = new SqliteEventStore(path, { signer: loadSigningKey(`${path}.key`, { create: true }).signer });
    const ledger = new Ledger(store, { clock: () => new Date(now) });
    await ledger.start();
    const server: Server = createHttpApp(ledger, { log: () => undefined }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const issued = await ledger.tokens.issue('short.lived', 'revisor', 1, { actor: 'test', tokenId: 'cli' });
      expect(issued.expiresAt).toBe('2026-01-11T10:00:00.000Z');
      expect((await fetch(`${url}/api/reports/unused-grants`, { headers: { Authorization: `Bearer ${issued.token}` } })).status).toBe(200);
      now += DAY_MS;
      const refused = await fetch(`${url}/api/reports/unused-grants`, { headers: { Authorization: `Bearer ${issued.token}` } });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: 'TOKEN_EXPIRED', detail: expect.stringMatching(/expired/) });
      expect(await ledger.authenticate(issued.token)).toEqual({ ok: false, reason: 'expired' });
      expect(await ledger.authenticate('glt_never-issued')).toEqual({ ok: false, reason: 'unknown' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await ledger.stop();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('revocation across processes', () => {
  it('a token revoked on one server is refused by another server on the same store', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grantledger-revoke-'));
    const store = `sqlite:${join(directory, 'ledger.db')}`;
    const first = await startServerProcess(store);
    const second = await startServerProcess(store);
    try {
      const issued = await first.api('POST', '/api/tokens', { body: { name: 'shared.person', role: 'revisor' } });
      expect(issued.status).toBe(201);
      const seen = await eventually(() => second.api('GET', '/api/reports/unused-grants', { token: issued.body.token }), (response) => response.status === 200);
      expect(seen.status).toBe(200);
      expect((await first.api('DELETE', `/api/tokens/${issued.body.tokenId}`)).status).toBe(204);
      const started = Date.now();
      const refused = await eventually(() => second.api('GET', '/api/reports/unused-grants', { token: issued.body.token }), (response) => response.status === 401);
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toMatch(/revoked/);
      // The other process follows the store every 200 ms; on a quiet machine that is well inside a second.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await stopServerProcess(first);
      await stopServerProcess(second);
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('bad tokens, addresses and the log', () => {
  let backend: Backend;
  let t: TestServer;

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend, { http: { authFailureLimit: { failuresMax: 3, windowMs: 60_000, clientsMax: 100 }, trustProxy: 'loopback', logSecret: 'a-kept-secret-for-the-log-0123' } });
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  it('behind a trusted proxy, counts bad tokens per forwarded client address, logs each with that address, and serves valid tokens from it', async () => {
    const from = (address: string) => ({ 'X-Forwarded-For': address });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      statuses.push((await t.api('GET', '/api/reports/unused-grants', { as: { token: `glt_guess-${attempt}-000000000000` }, headers: from('203.0.113.7') })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await t.api('GET', '/api/reports/unused-grants', { as: { token: 'glt_guess-x-000000000000' }, headers: from('203.0.113.8') })).status).toBe(401);
    expect((await t.api('GET', '/api/reports/unused-grants', { as: 'revisor', headers: from('203.0.113.7') })).status).toBe(200);
    const failures = t.logs.filter((line) => line.event === 'authentication-failed');
    expect(failures.filter((line) => line.client === '203.0.113.7')).toHaveLength(5);
    expect(failures.filter((line) => line.client === '203.0.113.8')).toHaveLength(1);
    expect(JSON.stringify(failures)).not.toContain('glt_guess');
  });

  it('names callers in the log by an HMAC of their token id with the kept secret, not by a plain hash of their name', async () => {
    await t.api('GET', '/api/reports/unused-grants', { as: 'ekonom', headers: { 'X-Request-Id': 'hmac-check' } });
    const tokens = (await t.api('GET', '/api/tokens', { as: 'admin' })).body.tokens as Array<{ tokenId: string; name: string }>;
    const ekonomId = tokens.find((token) => token.name === 'anna.ekonom')!.tokenId;
    const line = t.logs.find((entry) => entry.requestId === 'hmac-check')!;
    expect(line.actorRef).toBe(createHmac('sha256', 'a-kept-secret-for-the-log-0123').update(`grantledger-log:${ekonomId}`).digest('hex').slice(0, 16));
  });
});
