import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { followStore, LedgerReadModel } from '../../src/app/readModel.js';
import { dateOfMoment } from '../../src/domain/dates.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { committeeResultsReport } from '../../projections/committeeResults.js';
import { grantView, summaryOfView, type GrantView } from '../../projections/grantView.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import { segregationGrant, sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';

/**
 * Projection recovery: a read model resumed from its checkpoint (its position in the log) ends
 * identical to a fresh replay; an event it cannot apply stops it loudly instead of being skipped.
 * Killing the process mid-replay is covered by the crash test, which restarts after SIGKILLs
 * during start.
 */
const reportsOf = (model: LedgerReadModel) => {
  const today = dateOfMoment(new Date());
  const views = [...model.grantStreams()].map((stream) => grantView(stream, {}, today)).filter((view): view is GrantView => view !== null);
  return { unused: unusedGrantsReport(views.map(summaryOfView), {}), results: committeeResultsReport(model.budgetStreams(), model.grantStreams(), {}, {}) };
};

describe('projection recovery', () => {
  let backend: Backend;
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
    await backend.dispose();
  });

  async function seed(): Promise<void> {
    backend = sqliteBackend();
    t = await startTestServer(backend);
    expect((await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g1' } })).status).toBe(201);
    expect((await t.api('POST', '/api/grants/g1/allocations', { body: { allocationId: 'a1', activity: 'IFO', amount: '1000.00', allocatedOn: '2020-07-01' } })).status).toBe(201);
    expect((await t.api('POST', '/api/grants/g1/spending', { body: { allocationId: 'a1', amount: '250.00', spentOn: '2020-08-01', voucher: 'V1' } })).status).toBe(200);
    expect((await t.api('POST', '/api/budgets/socialnamnden/2020/appropriations', { body: { amount: '500.00', decidedOn: '2019-11-01', decisionRef: 'KF 1' } })).status).toBe(201);
  }

  it('resumes from its checkpoint, following live, and ends identical to a fresh replay', async () => {
    await seed();
    const log: RecordedEvent[] = [];
    for await (const event of t.server.ledger.store.readAll()) log.push(event);
    const checkpoint = log[Math.floor(log.length / 2)]!.position;
    const resumed = new LedgerReadModel();
    for (const event of log) if (event.position <= checkpoint) resumed.apply(event);
    const subscription = followStore(t.server.ledger.store, resumed);
    try {
      expect((await t.api('POST', '/api/grants/g1/returns', { body: { amount: '100.00', returnedOn: '2020-09-01' } })).status).toBe(200);
      const head = await t.server.ledger.store.headPosition();
      await resumed.waitFor(head);
      const fresh = new LedgerReadModel();
      for await (const event of t.server.ledger.store.readAll()) fresh.apply(event);
      expect(resumed.position).toBe(fresh.position);
      expect(reportsOf(resumed)).toEqual(reportsOf(fresh));
      expect((await t.api('GET', '/api/reports/unused-grants')).body).toEqual({ asOf: null, knownAt: null, ...reportsOf(fresh).unused });
    } finally {
      await subscription.stop();
    }
  });

  const meta = { actor: 'intruder', commandId: randomUUID(), correlationId: randomUUID() };
  const BAD: Array<[string, string, string, unknown, RegExp]> = [
    ['an unknown event type', 'grant-g1', 'FundsMagicked', { amount: '1.00' }, /is not an event of this stream|does not fit/],
    ['a spending on an allocation that does not exist', 'grant-g1', 'FundsSpent', { allocationId: 'nope', amount: '5.00', spentOn: '2020-08-02', voucher: 'V9' }, /allocation nope/],
    ['an amount that is a number', 'grant-g1', 'GrantInstallmentReceived', { amount: 5, receivedOn: '2020-08-02' }, /does not fit/],
    ['a reversal of an event that is not there', 'grant-g1', 'EntryReversed', { reversedEventId: randomUUID(), reason: 'x' }, /not earlier in this stream/],
    ['an event before the grant exists', 'grant-g-none', 'FundsReturned', { amount: '1.00', returnedOn: '2020-08-02' }, /starts with GrantReceived/],
    ['a budget event with unknown fields', 'budget-socialnamnden-2020', 'OutcomeRecorded', { period: '2020-03', activity: 'IFO', costs: '1.00', revenues: '0.00', hidden: true }, /does not fit/],
  ];

  it.each(BAD)('stops on %s, shows it on /health and answers 503 instead of skipping it', async (_what, streamId, type, data, reason) => {
    await seed();
    const before = t.server.ledger.readModel.position;
    const reportBefore = (await t.api('GET', '/api/reports/unused-grants')).body;
    const appended = await t.server.ledger.store.appendToStream(streamId, [{ eventId: randomUUID(), type, data, metadata: meta }], { expectedRevision: 'any' });
    let health = await t.api('GET', '/health', { as: 'admin' });
    // Waits on the condition, for up to 15 s: the store is polled, and a busy machine may be slow.
    for (let attempt = 0; attempt < 1500 && health.status === 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      health = await t.api('GET', '/health', { as: 'admin' });
    }
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'failing', position: before, problem: expect.stringMatching(reason) });
    expect(health.body.problem).toContain(`position ${appended.position}`);
    for (const path of ['/api/reports/unused-grants', '/api/reports/committee-results', '/api/grants/g1', '/api/budgets/socialnamnden/2020']) {
      const response = await t.api('GET', path);
      expect(response.status, path).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.detail).toMatch(reason);
    }
    const headBefore = await t.server.ledger.store.headPosition();
    const write = await t.api('POST', '/api/budgets/socialnamnden/2021/forecasts', { body: { afterPeriod: '2021-04', deviation: '-3.50' } });
    expect(write.status).toBe(503);
    expect(await t.server.ledger.store.headPosition()).toBe(headBefore);
    // The log itself stays readable, for the repair.
    expect((await t.api('GET', '/api/events?limit=10000')).status).toBe(200);
    expect(reportBefore.rows).toHaveLength(1);
    // A restart does not skip it either: the server refuses to start, naming the event.
    await t.stop();
    await expect(startTestServer(backend, { tokens: t.tokens })).rejects.toThrow(new RegExp(`position ${appended.position}`));
  });
});
