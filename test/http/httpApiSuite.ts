import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segregationGrant, startTestServer, type Backend, type TestServer } from '../support/server.js';

/**
 * The HTTP API end to end, written once and run on every store: the reports must be identical
 * whichever store holds the events.
 */
export function describeHttpApi(makeBackend: () => Promise<Backend>): void {
  let backend: Backend;
  let t: TestServer;

  const eventCount = async () => (await t.api('GET', '/api/events?limit=10000')).body.events.length as number;
  const newGrant = async (overrides: Record<string, unknown> = {}) => {
    const grantId = `g-${randomUUID()}`;
    const response = await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId, ...overrides } });
    expect(response.status).toBe(201);
    return grantId;
  };

  beforeAll(async () => {
    backend = await makeBackend();
    t = await startTestServer(backend);
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  describe(`HTTP API on ${'the store'}`, () => {
    it('answers /health without a token', async () => {
      const response = await t.api('GET', '/health', { as: null });
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
    });

    it("reproduces DOMAIN.md's worked example as of both dates and as known before the return", async () => {
      const committee = `soc-${randomUUID().slice(0, 8)}`;
      const grantId = `tvv-${committee}`;
      expect((await t.api('POST', `/api/budgets/${committee}/2020/appropriations`, { body: { amount: '1200000000.00', decidedOn: '2020-01-15', decisionRef: 'KF § 1' } })).status).toBe(201);
      expect((await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId, committee } })).status).toBe(201);
      expect((await t.api('POST', `/api/budgets/${committee}/2020/outcomes`, { body: { period: '2020-06', activity: 'IFO', costs: '1000000000.00', revenues: '15000000.00' } })).status).toBe(201);
      expect((await t.api('POST', `/api/budgets/${committee}/2020/outcomes`, { body: { period: '2020-12', activity: 'IFO', costs: '190000000', revenues: '5000000' } })).status).toBe(201);

      const yearEnd = await t.api('GET', `/api/reports/committee-results?committee=${committee}&asOf=2020-12-31`, { as: 'revisor' });
      expect(yearEnd.status).toBe(200);
      expect(yearEnd.body.rows).toEqual([
        expect.objectContaining({ committee, fiscalYear: 2020, budget: '1200000000.00', costs: '1190000000.00', revenues: '20000000.00', grantRevenue: '0.00', result: '30000000.00', cumulativeResult: '30000000.00', closed: false }),
      ]);
      const unused = await t.api('GET', `/api/reports/unused-grants?committee=${committee}&asOf=2020-12-31`, { as: 'revisor' });
      expect(unused.body.rows).toEqual([
        expect.objectContaining({ grantId, unused: '8000000.00', status: 'expired', repaymentRequired: true, received: '8000000.00' }),
      ]);
      expect(unused.body.totals).toEqual({ received: '8000000.00', spent: '0.00', returned: '0.00', unused: '8000000.00', toRepay: '8000000.00' });

      const beforeReturn = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await t.api('POST', `/api/grants/${grantId}/returns`, { body: { amount: '8000000.00', returnedOn: '2021-03-20' } })).status).toBe(200);
      const stillAtYearEnd = await t.api('GET', `/api/reports/unused-grants?committee=${committee}&asOf=2020-12-31`);
      expect(stillAtYearEnd.body.rows[0].unused).toBe('8000000.00');
      const afterReturn = await t.api('GET', `/api/reports/unused-grants?committee=${committee}&asOf=2021-03-31`);
      expect(afterReturn.body.rows[0]).toMatchObject({ unused: '0.00', returned: '8000000.00' });
      const knownBefore = await t.api('GET', `/api/reports/unused-grants?committee=${committee}&asOf=2021-03-31&knownAt=${encodeURIComponent(beforeReturn)}`);
      expect(knownBefore.body.rows[0].unused).toBe('8000000.00');
      expect((await t.api('POST', `/api/grants/${grantId}/close`, { body: { closedOn: '2021-03-31' } })).status).toBe(200);
      expect((await t.api('GET', `/api/grants/${grantId}`)).body).toMatchObject({ status: 'closed', unused: '0.00', retained: '0.00' });
    });

    it('closes a fiscal year with the result, carries it over, and builds the cumulative result', async () => {
      const committee = `kn-${randomUUID().slice(0, 8)}`;
      await t.api('POST', `/api/budgets/${committee}/2020/appropriations`, { body: { amount: '100.00', decidedOn: '2019-11-01', decisionRef: 'KF 1' } });
      await t.api('POST', `/api/budgets/${committee}/2020/outcomes`, { body: { period: '2020-03', activity: 'AO', costs: '90.00', revenues: '0' } });
      const closing = await t.api('POST', `/api/budgets/${committee}/2020/close`, { body: { closedOn: '2021-02-15', carriedForward: '4.00' } });
      expect(closing.status).toBe(200);
      expect(closing.body).toMatchObject({ result: '10.00', carriedForward: '4.00' });
      await t.api('POST', `/api/budgets/${committee}/2021/appropriations`, { body: { amount: '50.00', decidedOn: '2020-11-01', decisionRef: 'KF 2' } });
      await t.api('POST', `/api/budgets/${committee}/2021/forecasts`, { body: { afterPeriod: '2021-04', deviation: '-3.50' } });
      const report = await t.api('GET', `/api/reports/committee-results?committee=${committee}`);
      // A closed year counts with what the council carried forward (4.00), not its result (10.00).
      expect(report.body.rows.map((row: any) => [row.fiscalYear, row.result, row.carriedIn, row.carriedForward, row.cumulativeResult, row.closed])).toEqual([
        [2020, '10.00', '0.00', '4.00', '4.00', true],
        [2021, '50.00', '4.00', null, '54.00', false],
      ]);
      expect(report.body.rows[1]).toMatchObject({ monthsReported: 12, budgetToDate: '50.00', expectedResult: '-3.50' });
      expect(report.body.rows[1].latestForecast).toEqual({ afterPeriod: '2021-04', deviation: '-3.50', committeeLine: '-3.50', activities: [], activitySum: '0.00', difference: null });
      const refused = await t.api('POST', `/api/budgets/${committee}/2020/outcomes`, { body: { period: '2020-04', activity: 'AO', costs: '1', revenues: '0' } });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('FISCAL_YEAR_CLOSED');
    });

    describe('refuses bad input with 400 problem+json naming the field, and writes nothing', () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['amount as a JSON number', '/api/grants', { ...segregationGrant, amount: 8000000 }, 'body.amount'],
        ['amount with three decimals', '/api/grants', { ...segregationGrant, amount: '1.005' }, 'body.amount'],
        ['amount with an exponent', '/api/grants', { ...segregationGrant, amount: '8e6' }, 'body.amount'],
        ['negative amount', '/api/grants', { ...segregationGrant, amount: '-5.00' }, 'body.amount'],
        ['zero amount', '/api/grants', { ...segregationGrant, amount: '0.00' }, 'body.amount'],
        ['amount at 10^13', '/api/grants', { ...segregationGrant, amount: '10000000000000' }, 'body.amount'],
        ['unknown field', '/api/grants', { ...segregationGrant, color: 'red' }, 'body.color'],
        ['missing field', '/api/grants', { ...segregationGrant, grantor: undefined }, 'body.grantor'],
        ['unknown kind', '/api/grants', { ...segregationGrant, kind: 'bidrag' }, 'body.kind'],
        ['impossible date', '/api/grants', { ...segregationGrant, receivedOn: '2021-02-29' }, 'body.receivedOn'],
        ['useBy before receivedOn', '/api/grants', { ...segregationGrant, useBy: '2020-01-01' }, 'body.useBy'],
        ['bad committee slug', '/api/grants', { ...segregationGrant, committee: 'Social Nämnden' }, 'body.committee'],
        ['control characters in a title', '/api/grants', { ...segregationGrant, title: 'a\u0000b' }, 'body.title'],
        ['repaymentRequired as a string', '/api/grants', { ...segregationGrant, repaymentRequired: 'yes' }, 'body.repaymentRequired'],
        ['bad budget year in the path', '/api/budgets/socialnamnden/20x0/appropriations', { amount: '1', decidedOn: '2020-01-01', decisionRef: 'x' }, 'path.year'],
        ['bad committee in the path', '/api/budgets/S/2020/appropriations', { amount: '1', decidedOn: '2020-01-01', decisionRef: 'x' }, 'path.committee'],
        ['negative appropriation', '/api/budgets/socialnamnden/2020/appropriations', { amount: '-1', decidedOn: '2020-01-01', decisionRef: 'x' }, 'body.amount'],
        ['zero adjustment', '/api/budgets/socialnamnden/2020/adjustments', { amount: '0', decidedOn: '2020-01-01', reason: 'r', decisionRef: 'x' }, 'body.amount'],
        ['period outside the year', '/api/budgets/socialnamnden/2020/outcomes', { period: '2021-01', activity: 'IFO', costs: '1', revenues: '0' }, 'body.period'],
        ['malformed period', '/api/budgets/socialnamnden/2020/outcomes', { period: '2020-13', activity: 'IFO', costs: '1', revenues: '0' }, 'body.period'],
        ['lowercase activity', '/api/budgets/socialnamnden/2020/outcomes', { period: '2020-01', activity: 'ifo', costs: '1', revenues: '0' }, 'body.activity'],
        ['signed deviation with three decimals', '/api/budgets/socialnamnden/2020/forecasts', { afterPeriod: '2020-04', deviation: '-1.001' }, 'body.deviation'],
        ['reversal of a non-uuid', '/api/budgets/socialnamnden/2020/reversals', { eventId: 'abc', reason: 'fel' }, 'body.eventId'],
        ['token with an unknown role', '/api/tokens', { name: 'x', role: 'kung' }, 'body.role'],
      ];
      for (const [what, path, body, field] of cases) {
        it(`refuses ${what}`, async () => {
          const before = await eventCount();
          const response = await t.api('POST', path, { body, as: path === '/api/tokens' ? 'admin' : 'ekonom' });
          expect(response.status).toBe(400);
          expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(response.body).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
          expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(field);
          expect(await eventCount()).toBe(before);
        });
      }

      it('refuses malformed JSON and a body that is not an object', async () => {
        for (const rawBody of ['{"grantor": ', '"just a string"', '[1,2]', 'null']) {
          const response = await t.api('POST', '/api/grants', { rawBody });
          expect(response.status, rawBody).toBe(400);
          expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        }
      });

      it('refuses a malformed Idempotency-Key and If-Match', async () => {
        const key = await t.api('POST', '/api/grants', { body: segregationGrant, headers: { 'Idempotency-Key': 'not-a-uuid' } });
        expect(key.status).toBe(400);
        expect(key.body.errors[0].path).toBe('header.Idempotency-Key');
        const grantId = await newGrant();
        const ifMatch = await t.api('POST', `/api/grants/${grantId}/installments`, { body: { amount: '1', receivedOn: '2020-07-01' }, headers: { 'If-Match': 'W/"x"' } });
        expect(ifMatch.status).toBe(400);
        expect(ifMatch.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(ifMatch.body.errors[0].path).toBe('header.If-Match');
        // Every write route reads its headers through the router's one schema: budgets too.
        const budget = await t.api('POST', '/api/budgets/socialnamnden/2024/appropriations', { body: { amount: '1000.00', decidedOn: '2023-11-20', decisionRef: 'KF 1' }, headers: { 'Idempotency-Key': '1234' } });
        expect(budget.status).toBe(400);
        expect(budget.body.errors[0].path).toBe('header.Idempotency-Key');
      });

      it('refuses malformed and unknown query parameters on reports', async () => {
        for (const query of ['asOf=2020-02-30', 'knownAt=yesterday', 'status=lost', 'committee=A%20B', 'asof=2020-01-01', 'asOf=2020-01-01&asOf=2020-02-01']) {
          const response = await t.api('GET', `/api/reports/unused-grants?${query}`);
          expect(response.status, query).toBe(400);
          expect(response.body.errors[0].path).toMatch(/^query/);
        }
        expect((await t.api('GET', '/api/events?limit=0')).status).toBe(400);
        expect((await t.api('GET', '/api/events?after=-1')).status).toBe(400);
      });

      it('answers 413 to a body over the limit', async () => {
        const response = await t.api('POST', '/api/grants', { body: { ...segregationGrant, purpose: 'x'.repeat(70_000) } });
        expect(response.status).toBe(413);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      });
    });

    describe('access', () => {
      it('answers 401 without a token or with an unknown one', async () => {
        const none = await t.api('GET', '/api/reports/unused-grants', { as: null });
        expect(none.status).toBe(401);
        expect(none.headers.get('www-authenticate')).toBe('Bearer');
        expect((await t.api('GET', '/api/reports/unused-grants', { as: { token: 'glt_unknown-token' } })).status).toBe(401);
        expect((await t.api('POST', '/api/grants', { as: null, body: segregationGrant })).status).toBe(401);
      });

      it('answers 403 to a role that may not, and writes nothing', async () => {
        const before = await eventCount();
        expect((await t.api('POST', '/api/grants', { as: 'revisor', body: { ...segregationGrant, grantId: 'by-revisor' } })).status).toBe(403);
        expect((await t.api('POST', '/api/tokens', { as: 'ekonom', body: { name: 'x', role: 'admin' } })).status).toBe(403);
        expect((await t.api('GET', '/api/reports/unused-grants', { as: 'admin' })).status).toBe(403);
        expect(await eventCount()).toBe(before);
        expect((await t.api('GET', '/api/reports/unused-grants', { as: 'revisor' })).status).toBe(200);
      });

      it('records the actor behind the token on every event', async () => {
        const grantId = await newGrant();
        const events = await t.api('GET', `/api/grants/${grantId}/events`, { as: 'revisor' });
        expect(events.body.events[0]).toMatchObject({ type: 'GrantReceived', actor: 'anna.ekonom', revision: 0 });
      });
    });

    describe('not found and refused', () => {
      it('answers 404 for an unknown grant, budget or route', async () => {
        expect((await t.api('GET', '/api/grants/no-such-grant')).status).toBe(404);
        expect((await t.api('GET', '/api/grants/no-such-grant/events')).status).toBe(404);
        expect((await t.api('POST', '/api/grants/no-such-grant/installments', { body: { amount: '1', receivedOn: '2020-01-01' } })).status).toBe(404);
        expect((await t.api('POST', '/api/budgets/no-such/2020/close', { body: { closedOn: '2021-01-01' } })).status).toBe(404);
        expect((await t.api('GET', '/api/budgets/no-such/2020')).status).toBe(404);
        const route = await t.api('GET', '/api/nothing-here');
        expect(route.status).toBe(404);
        expect(route.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      });

      it('answers 409 naming the rule when a rule refuses, and writes nothing', async () => {
        const grantId = await newGrant();
        const before = await eventCount();
        const response = await t.api('POST', `/api/grants/${grantId}/allocations`, { body: { activity: 'IFO', amount: '8000000.01', allocatedOn: '2020-07-01' } });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('ALLOCATION_EXCEEDS_UNALLOCATED');
        expect(response.body.detail).toContain('8000000.00');
        expect(await eventCount()).toBe(before);
        const duplicate = await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId } });
        expect(duplicate.status).toBe(409);
        expect(duplicate.body.code).toBe('GRANT_ALREADY_EXISTS');
      });

      it('corrects a receipt with an amendment, and refuses one that names no field', async () => {
        const grantId = await newGrant();
        const amended = await t.api('POST', `/api/grants/${grantId}/amendments`, { body: { reason: 'Beslutet säger 7 000 000', amount: '7000000' } });
        expect(amended.status).toBe(200);
        expect(amended.body).toEqual({ revision: 1 });
        expect((await t.api('GET', `/api/grants/${grantId}`)).body).toMatchObject({ received: '7000000.00', unused: '7000000.00' });
        const events = (await t.api('GET', `/api/grants/${grantId}/events`)).body.events;
        expect(events[1]).toMatchObject({ type: 'GrantAmended', data: { reason: 'Beslutet säger 7 000 000', amount: '7000000.00' } });
        const before = await eventCount();
        const empty = await t.api('POST', `/api/grants/${grantId}/amendments`, { body: { reason: 'inget' } });
        expect(empty.status).toBe(400);
        expect(empty.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const unchanged = await t.api('POST', `/api/grants/${grantId}/amendments`, { body: { reason: 'samma', amount: '7000000.00' } });
        expect(unchanged.status).toBe(409);
        expect(unchanged.body.code).toBe('AMENDMENT_CHANGES_NOTHING');
        expect(await eventCount()).toBe(before);
      });

      it('reverses an entry and refuses a reversal that would break a rule', async () => {
        const grantId = await newGrant();
        const allocation = await t.api('POST', `/api/grants/${grantId}/allocations`, { body: { allocationId: 'a1', activity: 'IFO', amount: '100', allocatedOn: '2020-07-01' } });
        await t.api('POST', `/api/grants/${grantId}/spending`, { body: { allocationId: 'a1', amount: '40', spentOn: '2020-08-01', voucher: 'V1' } });
        const events = (await t.api('GET', `/api/grants/${grantId}/events`)).body.events;
        const [allocated, spent] = [events[1], events[2]];
        expect(allocation.status).toBe(201);
        const refused = await t.api('POST', `/api/grants/${grantId}/reversals`, { body: { eventId: allocated.eventId, reason: 'fel' } });
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('REVERSAL_WOULD_BREAK_RULE');
        const reversed = await t.api('POST', `/api/grants/${grantId}/reversals`, { body: { eventId: spent.eventId, reason: 'fel verifikation' } });
        expect(reversed.status).toBe(200);
        const view = (await t.api('GET', `/api/grants/${grantId}`)).body;
        expect(view).toMatchObject({ spent: '0.00', unused: '8000000.00' });
        expect(view.allocations[0].remaining).toBe('100.00');
      });
    });

    describe('revisions and idempotency', () => {
      it('sends the revision as ETag and refuses a stale If-Match with 412, writing nothing', async () => {
        const grantId = await newGrant();
        const read = await t.api('GET', `/api/grants/${grantId}`);
        expect(read.headers.get('etag')).toBe('"0"');
        const first = await t.api('POST', `/api/grants/${grantId}/installments`, { body: { amount: '1', receivedOn: '2020-07-01' }, headers: { 'If-Match': '"0"' } });
        expect(first.status).toBe(200);
        expect(first.headers.get('etag')).toBe('"1"');
        const before = await eventCount();
        const stale = await t.api('POST', `/api/grants/${grantId}/installments`, { body: { amount: '1', receivedOn: '2020-07-01' }, headers: { 'If-Match': '"0"' } });
        expect(stale.status).toBe(412);
        expect(stale.body.code).toBe('STALE_REVISION');
        expect(await eventCount()).toBe(before);
      });

      it('answers a repeated Idempotency-Key with the first answer and writes nothing new', async () => {
        const key = randomUUID();
        const { grantId: _omit, ...withoutId } = segregationGrant;
        const first = await t.api('POST', '/api/grants', { body: withoutId, headers: { 'Idempotency-Key': key } });
        expect(first.status).toBe(201);
        const before = await eventCount();
        const again = await t.api('POST', '/api/grants', { body: withoutId, headers: { 'Idempotency-Key': key } });
        expect(again.status).toBe(201);
        expect(again.body).toEqual(first.body);
        expect(await eventCount()).toBe(before);
        const other = await t.api('POST', '/api/grants', { body: { ...withoutId, amount: '1.00' }, headers: { 'Idempotency-Key': key } });
        expect(other.status).toBe(422);
        expect(await eventCount()).toBe(before);
        const grantId = first.body.grantId as string;
        const allocationKey = randomUUID();
        const allocate = () => t.api('POST', `/api/grants/${grantId}/allocations`, { body: { activity: 'IFO', amount: '10', allocatedOn: '2020-07-01' }, headers: { 'Idempotency-Key': allocationKey } });
        const [a, b] = await Promise.all([allocate(), allocate()]);
        expect(a.body).toEqual(b.body);
        expect((await t.api('GET', `/api/grants/${grantId}`)).body.allocations).toHaveLength(1);
        const elsewhere = await t.api('POST', `/api/grants/${await newGrant()}/installments`, { body: { amount: '1', receivedOn: '2020-07-01' }, headers: { 'Idempotency-Key': allocationKey } });
        expect(elsewhere.status).toBe(422);
      });

      it('lets 25 parallel allocations fill a grant exactly: 24 succeed, one is refused', async () => {
        const grantId = await newGrant({ amount: '2400000.00' });
        const responses = await Promise.all(
          Array.from({ length: 25 }, () => t.api('POST', `/api/grants/${grantId}/allocations`, { body: { activity: 'IFO', amount: '100000.00', allocatedOn: '2020-07-01' } })),
        );
        expect(responses.filter((r) => r.status === 201)).toHaveLength(24);
        const refused = responses.filter((r) => r.status !== 201);
        expect(refused.map((r) => [r.status, r.body.code])).toEqual([[409, 'ALLOCATION_EXCEEDS_UNALLOCATED']]);
        const view = (await t.api('GET', `/api/grants/${grantId}`)).body;
        expect(view.unallocated).toBe('0.00');
        expect(view.allocations).toHaveLength(24);
      });
    });

    describe('log, audit and documentation', () => {
      it('verifies every hash chain and pages through the whole log in global order', async () => {
        const verify = await t.api('GET', '/api/audit/verify', { as: 'revisor' });
        expect(verify.body).toMatchObject({ ok: true, failures: [] });
        expect(verify.body.events).toBe(await eventCount());
        const first = await t.api('GET', '/api/events?limit=3');
        expect(first.body.events).toHaveLength(3);
        const second = await t.api('GET', `/api/events?after=${first.body.next}&limit=3`);
        expect(second.body.events[0].position).toBeGreaterThan(first.body.events[2].position);
      });

      it('shows who got which token in the log, never a token hash', async () => {
        const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as Array<{ type: string; data: { tokenHash?: string; role?: string } }>;
        const issued = events.filter((event) => event.type === 'TokenIssued');
        expect(issued.map((event) => event.data.role)).toEqual(expect.arrayContaining(['admin', 'ekonom', 'revisor']));
        for (const event of issued) expect(event.data.tokenHash).toBe('redacted');
      });

      it('writes one log line per request with its id, never a token nor the caller\'s name', async () => {
        const response = await t.api('GET', '/api/reports/committee-results', { headers: { 'X-Request-Id': 'req-12345' } });
        expect(response.headers.get('x-request-id')).toBe('req-12345');
        expect(t.logs.filter((line) => line.requestId === 'req-12345')).toEqual([
          expect.objectContaining({ method: 'GET', path: '/api/reports/committee-results', status: 200, role: 'ekonom', actorRef: expect.stringMatching(/^[0-9a-f]{16}$/) }),
        ]);
        expect(JSON.stringify(t.logs)).not.toContain('anna.ekonom');
        const everything = JSON.stringify(t.logs);
        for (const token of Object.values(t.tokens)) expect(everything).not.toContain(token);
      });

      it('serves an OpenAPI document with every route', async () => {
        const response = await t.api('GET', '/api/openapi.json', { as: null });
        expect(response.status).toBe(200);
        expect(response.body.openapi).toBe('3.1.0');
        expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/api/grants', '/api/grants/{grantId}/allocations', '/api/reports/unused-grants', '/api/budgets/{committee}/{year}/close']));
        expect(response.body.paths['/api/grants'].post.requestBody.content['application/json'].schema.required).toContain('grantor');
      });
    });

    it('keeps every report identical after a restart on the same store', async () => {
      const paths = ['/api/reports/unused-grants', '/api/reports/unused-grants?asOf=2020-12-31', '/api/reports/committee-results', '/api/audit/verify'];
      const before = await Promise.all(paths.map((path) => t.api('GET', path)));
      await t.stop();
      t = await startTestServer(backend, { tokens: t.tokens });
      const after = await Promise.all(paths.map((path) => t.api('GET', path)));
      for (const [index, response] of after.entries()) {
        expect(response.status).toBe(200);
        expect(response.body).toEqual(before[index]!.body);
      }
    });
  });
}
