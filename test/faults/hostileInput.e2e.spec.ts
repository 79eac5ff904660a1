import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/app.js';
import { segregationGrant, sqliteBackend, startTestServer, type ApiResponse, type Backend, type TestServer } from '../support/server.js';

/**
 * Property-based fuzzing of every write route and every report's query string against a real
 * server: hostile input gets a 4xx problem+json, never a 5xx, and never writes.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_601);
const PARAMS: Record<string, string> = { grantId: 'g-fuzz', allocationId: 'a-fuzz', committee: 'socialnamnden', year: '2021' };

/** A valid body per write route; a write route added without one fails the test. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  '/api/grants': { ...segregationGrant, grantId: 'g-fuzz-new' },
  '/api/grants/:grantId/installments': { amount: '100.00', receivedOn: '2021-03-01', reference: 'R1' },
  '/api/grants/:grantId/allocations': { activity: 'IFO', amount: '100.00', allocatedOn: '2021-03-01' },
  '/api/grants/:grantId/allocations/:allocationId/releases': { amount: '10.00', releasedOn: '2021-03-02' },
  '/api/grants/:grantId/spending': { allocationId: 'a-fuzz', amount: '10.00', spentOn: '2021-03-02', voucher: 'V1' },
  '/api/grants/:grantId/reports': { submittedOn: '2021-03-02', reference: 'Slutrapport' },
  '/api/grants/:grantId/repayment-demands': { amount: '10.00', demandedOn: '2021-03-02', dueOn: '2021-04-02', reference: 'Återkrav' },
  '/api/grants/:grantId/returns': { amount: '10.00', returnedOn: '2021-03-02', reference: 'Retur' },
  '/api/grants/:grantId/close': { closedOn: '2021-12-31' },
  '/api/grants/:grantId/allocations/:allocationId/plan': { month: '2021-06', amount: '10.00' },
  '/api/grants/:grantId/amendments': { reason: 'Fel belopp i beslutet', amount: '900.00', title: 'Rättad benämning' },
  '/api/grants/:grantId/reversals': { eventId: '00000000-0000-4000-8000-000000000000', reason: 'Felbokning' },
  '/api/budgets/:committee/:year/appropriations': { amount: '100.00', decidedOn: '2020-11-01', decisionRef: 'KF 1' },
  '/api/budgets/:committee/:year/adjustments': { amount: '-5.00', decidedOn: '2021-02-01', reason: 'Omfördelning', decisionRef: 'KF 2' },
  '/api/budgets/:committee/:year/outcomes': { period: '2021-03', activity: 'IFO', costs: '10.00', revenues: '0' },
  '/api/budgets/:committee/:year/forecasts': { afterPeriod: '2021-04', deviation: '-3.50' },
  '/api/budgets/:committee/:year/close': { closedOn: '2022-02-01' },
  '/api/budgets/:committee/:year/reversals': { eventId: '00000000-0000-4000-8000-000000000000', reason: 'Felbokning' },
  '/api/tokens': { name: 'fuzz.user', role: 'revisor' },
  // Takes a SIE file as application/octet-stream: every JSON body is refused with 415 before anything is read.
  '/api/imports/sie': { file: '#FLAGGA 0' },
};

const WRITE_ROUTES = ROUTES.filter((spec) => spec.method === 'post');
const QUERY_ROUTES = ROUTES.filter((spec) => spec.method === 'get' && spec.query !== undefined);
const pathOf = (path: string) => path.replace(/:([A-Za-z]+)/g, (_, name: string) => PARAMS[name]!);
const callerOf = (path: string) => (path === '/api/tokens' ? 'admin' : 'ekonom') as 'admin' | 'ekonom';

const SQL = ["' OR '1'='1", "'; DROP TABLE events; --", '" OR ""="', "1; DELETE FROM events WHERE 1=1", "') UNION SELECT * FROM events --", 'Robert\'); DROP TABLE students;--'];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];
const BAD_AMOUNTS = ['10000000000000', '10000000000000.00', '-10000000000000', '1e5', '0.001', '9999999999999.999', ' 1', '1 ', '+1', '１２', 'NaN', 'Infinity', '0x10', '', '-0.001', '1,5', '١٢٣'];
const NASTY_TEXT = ['\u0000', 'a\u0007b', 'line\nbreak', '\u007f', '\t', 'x'.repeat(5000), '\ud800', 'ab\u001b[31m', ...SQL.map((s) => `${s}\u0000`)];

/** A JSON value nested `depth` levels deep, as objects or arrays. */
const deep = (depth: number, asArray: boolean): unknown => {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = asArray ? [value] : { a: value };
  return value;
};

/** A value of the wrong type for a field whose valid value is `valid`. */
const wrongType = (valid: unknown) =>
  fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1e308, 1e21, 0.1 + 0.2),
    fc.constant(null),
    typeof valid === 'boolean' ? fc.string() : fc.boolean(),
    fc.array(fc.jsonValue(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
    fc.constantFrom(deep(200, true), deep(200, false)),
  );

/** A mutation of a valid body that is always invalid. */
const invalidBody = (valid: Record<string, unknown>) => {
  const keys = Object.keys(valid);
  const stringKeys = keys.filter((key) => typeof valid[key] === 'string');
  const amountKeys = keys.filter((key) => ['amount', 'costs', 'revenues', 'deviation', 'carriedForward'].includes(key));
  return fc.oneof(
    // An unknown or prototype-polluting key next to valid fields.
    fc.record({ key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ minLength: 1, maxLength: 20 }).filter((key) => !keys.includes(key))), value: fc.jsonValue() })
      .map(({ key, value }) => `{${JSON.stringify(key)}:${JSON.stringify(value)},${JSON.stringify(valid).slice(1)}`),
    fc.record({ key: fc.constantFrom(...keys), value: fc.constant(null) }).chain(({ key }) => wrongType(valid[key]).map((value) => JSON.stringify({ ...valid, [key]: value }))),
    ...(stringKeys.length > 0
      ? [fc.record({ key: fc.constantFrom(...stringKeys), text: fc.constantFrom(...NASTY_TEXT) }).map(({ key, text }) => JSON.stringify({ ...valid, [key]: key === 'reason' || key === 'title' || key === 'purpose' ? text : `${String(valid[key])}${text}` }))]
      : []),
    ...(amountKeys.length > 0 ? [fc.record({ key: fc.constantFrom(...amountKeys), amount: fc.constantFrom(...BAD_AMOUNTS) }).map(({ key, amount }) => JSON.stringify({ ...valid, [key]: amount }))] : []),
    // Not an object at all, or a random object, or not JSON.
    fc.jsonValue({ maxDepth: 4 }).filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)).map((value) => JSON.stringify(value)),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }).map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 200 }).map((text) => `{${text}`),
    fc.constantFrom('[', '{"a":', '{"amount": 1e999}', '\ufeff{}', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `{"x":"${'é'.repeat(70_000)}"}`),
  );
};

describe('hostile input', () => {
  let backend: Backend;
  let t: TestServer;
  const eventCount = async () => (await t.api('GET', '/api/events?limit=10000')).body.events.length as number;

  const expectProblem = (response: ApiResponse, what: string) => {
    expect([400, 404, 409, 413, 415, 422], `${what} → ${response.status} ${response.text.slice(0, 300)} (seed ${SEED})`).toContain(response.status);
    expect(response.headers.get('content-type'), `${what} (seed ${SEED})`).toMatch(/^application\/problem\+json/);
    expect(response.body, `${what} (seed ${SEED})`).toMatchObject({ status: response.status, title: expect.any(String), detail: expect.any(String) });
  };

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend);
    expect((await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g-fuzz', useBy: '2099-12-31' } })).status).toBe(201);
    expect((await t.api('POST', '/api/grants/g-fuzz/allocations', { body: { allocationId: 'a-fuzz', activity: 'IFO', amount: '1000.00', allocatedOn: '2020-07-01' } })).status).toBe(201);
    expect((await t.api('POST', '/api/budgets/socialnamnden/2021/appropriations', { body: { amount: '1000.00', decidedOn: '2020-11-01', decisionRef: 'KF 1' } })).status).toBe(201);
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  it('has a valid sample body for every write route, so every one is fuzzed', () => {
    expect(WRITE_ROUTES.map((spec) => spec.path).filter((path) => VALID_BODIES[path] === undefined)).toEqual([]);
  });

  it.each(WRITE_ROUTES.map((spec) => [spec.path] as const))('POST %s: hostile bodies get a 4xx problem and write nothing', async (path) => {
    const before = await eventCount();
    await fc.assert(
      fc.asyncProperty(invalidBody(VALID_BODIES[path]!), async (rawBody) => {
        const response = await t.api('POST', pathOf(path), { as: callerOf(path), rawBody, headers: { 'Idempotency-Key': randomUUID() } });
        expectProblem(response, `POST ${path} ${rawBody.slice(0, 200)}`);
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(await eventCount()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('stores SQL fragments in free text verbatim, as data, and the log stays intact', async () => {
    for (const [index, fragment] of SQL.entries()) {
      const grantId = `g-sql-${index}`;
      const created = await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId, title: fragment, purpose: fragment, grantor: fragment, reference: fragment } });
      expect(created.status).toBe(201);
      const stored = await t.api('GET', `/api/grants/${grantId}/events`);
      expect(stored.body.events[0].data).toMatchObject({ title: fragment, purpose: fragment, grantor: fragment, reference: fragment });
      for (const path of [`/api/grants/${encodeURIComponent(fragment)}`, `/api/budgets/${encodeURIComponent(fragment)}/2021`, `/api/reports/unused-grants?grantor=${encodeURIComponent(fragment)}`]) {
        const response = await t.api('GET', path);
        expect(response.status, path).toBeLessThan(500);
        if (response.status >= 400) expectProblem(response, path);
      }
    }
    expect((await t.api('GET', '/api/audit/verify')).body).toMatchObject({ ok: true });
  });

  const hostileQuery = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 60, unit: 'binary' }).map((text) => encodeURIComponent(text)),
    fc.constantFrom(
      'asOf=2021-02-30', 'asOf=2021-13-01', 'asOf[]=2021-01-01', 'asOf=2021-01-01&asOf=2021-02-01', 'asOf[x]=1', 'knownAt=%ZZ', 'knownAt=2021-01-01T25:00:00Z',
      'knownAt=9999999-01-01', '__proto__=x', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'status=open%00', 'committee=' + 'a'.repeat(5000),
      'after=-1', 'after=1e3', 'after=99999999999999999999', 'limit=0', 'limit=10001', 'limit=1.5', 'limit=%00', '%', '%%', '=&=&', '&&&', 'a=%E0%A4%A',
      "committee=' OR 1=1 --", 'grantor=%00', 'asOf=' + '%2525'.repeat(100),
    ),
  );

  it.each(QUERY_ROUTES.map((spec) => [spec.path] as const))('GET %s: malformed query strings get 200 or a 4xx problem, never a 5xx', async (path) => {
    const as = path === '/api/tokens' ? 'admin' : 'revisor';
    await fc.assert(
      fc.asyncProperty(hostileQuery, async (query) => {
        const response = await t.api('GET', `${pathOf(path)}?${query}`, { as });
        if (response.status !== 200) expectProblem(response, `GET ${path}?${query}`);
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('answers malformed percent-encoding in a path with 400, not 500', async () => {
    for (const path of ['/api/grants/%E0%A4%A', '/api/grants/%', '/api/budgets/%ZZ/2021', '/api/grants/g-fuzz/allocations/%C0%AF/releases']) {
      const response = await t.api(path.endsWith('releases') ? 'POST' : 'GET', path, path.endsWith('releases') ? { body: { amount: '1.00', releasedOn: '2021-03-02' } } : {});
      expectProblem(response, path);
    }
  });
});
