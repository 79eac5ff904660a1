import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, ROUTES } from '../../src/http/app.js';
import type { Ledger } from '../../src/app/ledger.js';
import { AuthFailureLimiter } from '../../src/http/authFailureLimiter.js';
import { sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';

/**
 * Who may call what, generated from the route table: every route × every kind of caller. A route
 * added without an access rule, or served outside the table, fails here.
 */
type Caller = 'none' | 'bad token' | 'ekonom' | 'revisor' | 'admin';
const CALLERS: readonly Caller[] = ['none', 'bad token', 'ekonom', 'revisor', 'admin'];
const SAMPLE_PARAMS: Record<string, string> = { tokenId: '5d0c6f7e-1b2a-4c3d-8e9f-0a1b2c3d4e5f', grantId: 'g-access', allocationId: 'a-access', committee: 'socialnamnden', year: '2020' };

function concretePath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = SAMPLE_PARAMS[name];
    if (value === undefined) throw new Error(`no sample value for path parameter :${name} of ${path}; add one to SAMPLE_PARAMS`);
    return value;
  });
}

function expectedOf(access: (typeof ROUTES)[number]['access'], caller: Caller): 'allowed' | 401 | 403 {
  if (access === 'public') return 'allowed';
  if (caller === 'none' || caller === 'bad token') return 401;
  return access.includes(caller) ? 'allowed' : 403;
}

describe('access: every route for every caller', () => {
  let backend: Backend;
  let t: TestServer;
  const eventCount = async () => (await t.api('GET', '/api/events?limit=10000')).body.events.length as number;

  beforeAll(async () => {
    backend = sqliteBackend();
    // The table sends many bad tokens from one address; the limit itself is tested below.
    t = await startTestServer(backend, { http: { authFailureLimit: { failuresMax: 10_000, windowMs: 60_000, clientsMax: 100 } } });
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  it('declares an access rule for every route, and the router serves no route outside the table', () => {
    for (const spec of ROUTES) {
      expect(spec.access === 'public' || (Array.isArray(spec.access) && spec.access.length > 0), `${spec.method} ${spec.path}`).toBe(true);
    }
    const app = createHttpApp({} as Ledger, { log: () => undefined });
    const served = (app.router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack
      .filter((layer) => layer.route !== undefined)
      .flatMap((layer) => Object.keys(layer.route!.methods).map((method) => `${method} ${layer.route!.path}`));
    expect(served.sort()).toEqual(ROUTES.map((spec) => `${spec.method} ${spec.path}`).sort());
  });

  const cases = ROUTES.flatMap((spec) => CALLERS.map((caller) => ({ spec, caller, expected: expectedOf(spec.access, caller) })));
  it.each(cases.map((c) => [`${c.spec.method.toUpperCase()} ${c.spec.path} as ${c.caller}`, c] as const))('%s', async (_name, { spec, caller, expected }) => {
    const before = await eventCount();
    const as = caller === 'none' ? null : caller === 'bad token' ? { token: 'glt_not-a-real-token-000000000000000000' } : caller;
    // An empty body: an allowed caller gets past access and is stopped by validation, so nothing is written.
    const response = await t.api(spec.method.toUpperCase(), concretePath(spec.path), spec.method === 'post' ? { as, body: {} } : { as });
    if (expected === 'allowed') {
      expect([401, 403]).not.toContain(response.status);
      expect(response.status).toBeLessThan(500);
    } else {
      expect(response.status).toBe(expected);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      if (expected === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(await eventCount()).toBe(before);
  });

  it('sets the security headers on successes, refusals and unknown routes alike', async () => {
    for (const [path, as] of [['/health', null], ['/api/reports/committee-results', 'revisor'], ['/api/events', null], ['/nowhere', null]] as const) {
      const response = await t.api('GET', path, { as });
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('cache-control'), path).toBe('no-store');
      expect(response.headers.get('content-security-policy'), path).toBe(
        "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;form-action 'self';frame-ancestors 'none';base-uri 'self'",
      );
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('x-powered-by'), path).toBeNull();
    }
  });
});

describe('tokens: hashed, rate-limited, never logged', () => {
  let backend: Backend;
  let t: TestServer;

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend, { http: { authFailureLimit: { failuresMax: 5, windowMs: 60_000, clientsMax: 100 } } });
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  it('stores tokens only as hashes: no issued token appears in the log of events nor in the database file', async () => {
    const issued = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'karin.lindqvist', role: 'revisor' } });
    expect(issued.status).toBe(201);
    const events = JSON.stringify((await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body);
    await t.stop();
    const store = await backend.open();
    const path = (store as unknown as { path: string }).path;
    await store.close();
    const file = readFileSync(path).toString('latin1') + readFileSync(`${path}-wal`, { flag: 'a+' }).toString('latin1');
    for (const token of [issued.body.token as string, ...Object.values(t.tokens)]) {
      expect(events).not.toContain(token);
      expect(file).not.toContain(token);
    }
    t = await startTestServer(backend, { tokens: t.tokens, http: { authFailureLimit: { failuresMax: 5, windowMs: 60_000, clientsMax: 100 } } });
  });

  it('writes no token, amount or personal name to the log', async () => {
    const person = await t.api('POST', '/api/tokens', { as: 'admin', body: { name: 'sven.svensson', role: 'ekonom' } });
    const amount = '7654321.98';
    const grant = await t.api('POST', '/api/grants', {
      as: { token: person.body.token },
      body: { grantor: 'Socialstyrelsen', title: 'Personligt ombud', purpose: 'Stöd', kind: 'riktat', committee: 'socialnamnden', amount, receivedOn: '2021-01-04', useBy: '2021-12-31', repaymentRequired: true },
    });
    expect(grant.status).toBe(201);
    await t.api('POST', `/api/grants/${grant.body.grantId}/allocations`, { as: { token: person.body.token }, body: { activity: 'IFO', amount: '9999999999.99', allocatedOn: '2021-01-05' } });
    await t.api('GET', `/api/grants/${grant.body.grantId}?asOf=2021-01-05`, { as: { token: person.body.token } });
    await t.api('GET', '/api/reports/unused-grants', { as: { token: 'glt_wrong-token-but-still-secret-123456' } });
    const logs = JSON.stringify(t.logs);
    expect(t.logs.length).toBeGreaterThan(3);
    for (const secret of [person.body.token, 'glt_wrong-token-but-still-secret-123456', ...Object.values(t.tokens), 'sven.svensson', 'anna.ekonom', amount, '7654321', '9999999999.99']) {
      expect(logs).not.toContain(secret);
    }
  });

  it('answers 429 with Retry-After once an address has presented too many bad tokens, and still serves a valid token from it', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      statuses.push((await t.api('GET', '/api/reports/unused-grants', { as: { token: `glt_guess-${attempt}-0000000000000000` } })).status);
    }
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(4);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    // A colleague behind the same address is not locked out by someone else's guessing.
    expect((await t.api('GET', '/api/reports/unused-grants', { as: 'revisor' })).status).toBe(200);
    const limited = await t.api('GET', '/api/reports/unused-grants', { as: { token: 'glt_guess-8-0000000000000000' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await t.api('GET', '/health', { as: null })).status).toBe(200);
  });

  it('remembers a bounded number of client addresses and forgets a window once it has passed', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter({ failuresMax: 2, windowMs: 1000, clientsMax: 50 }, () => now);
    for (let client = 0; client < 10_000; client += 1) limiter.recordFailure(`10.0.${client >> 8}.${client & 255}`);
    expect(limiter.size).toBe(50);
    limiter.recordFailure('x');
    limiter.recordFailure('x');
    expect(limiter.retryAfterSeconds('x')).toBe(1);
    now = 1000;
    expect(limiter.retryAfterSeconds('x')).toBe(0);
  });
});
