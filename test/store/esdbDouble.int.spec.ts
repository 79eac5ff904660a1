import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { StoreUnavailableError, readStreamToArray, type NewEvent } from '../../src/store/port.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { Ledger } from '../../src/app/ledger.js';
import { commandEventIdFor } from '../../src/app/ids.js';
import { describeEventStoreContract } from './eventStoreContract.js';

// One double serves the contract; each test gets a fresh client and fresh stream names, and the
// contract's readAll and subscription checks start from the head, as they would on a shared server.
let double: EsdbDouble;
beforeAll(async () => {
  double = await EsdbDouble.start();
});
afterAll(async () => {
  await double.stop();
});

describeEventStoreContract('EventStoreDB (gRPC conformance double)', {
  open: async () => {
    const store = new EsdbEventStore(double.connectionString);
    return { store, dispose: () => store.close() };
  },
});

describe('EventStoreDB store specifics (double)', () => {
  const event = (n: number): NewEvent => ({
    eventId: randomUUID(),
    type: 'ThingHappened',
    data: { n },
    metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID() },
  });

  it('keeps delivering every event exactly once when the server drops the connection', async () => {
    const store = new EsdbEventStore(double.connectionString, { resubscribeDelayMs: 20 });
    const stream = `grant-${randomUUID()}`;
    const start = await store.headPosition();
    const seen: number[] = [];
    const opened = double.subscriptionsOpened;
    const subscription = store.subscribeToAll({ after: start }, (e) => {
      if (e.streamId === stream) seen.push((e.data as { n: number }).n);
    });
    await store.appendToStream(stream, [event(1), event(2)], { expectedRevision: 'no_stream' });
    await waitFor(() => seen.length === 2);
    await double.restart(100);
    await store.appendToStream(stream, [event(3)], { expectedRevision: 1 });
    await store.appendToStream(stream, [event(4), event(5)], { expectedRevision: 2 });
    await waitFor(() => seen.length === 5);
    await double.restart();
    await store.appendToStream(stream, [event(6)], { expectedRevision: 4 });
    await waitFor(() => seen.length === 6);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(double.subscriptionsOpened - opened).toBeGreaterThanOrEqual(3);
    await subscription.stop();
    await store.close();
  });

  it('reports an unreachable server as StoreUnavailableError', async () => {
    const gone = await EsdbDouble.start();
    const store = new EsdbEventStore(gone.connectionString, { unavailableRetriesMax: 1 });
    await gone.stop();
    await expect(store.appendToStream(`grant-${randomUUID()}`, [event(1)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(readStreamToArray(store, 'grant-x')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('stops a subscription at once while it waits for the server to come back', async () => {
    const away = await EsdbDouble.start();
    // A minute between resubscriptions: a stop that waited for the next attempt would take that long.
    const store = new EsdbEventStore(away.connectionString, { resubscribeDelayMs: 60_000, unavailableRetriesMax: 0 });
    const subscription = store.subscribeToAll({}, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await away.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppingAt = Date.now();
    await subscription.stop();
    expect(Date.now() - stoppingAt).toBeLessThan(30_000);
    await expect(subscription.done).resolves.toBeUndefined();
    await store.close();
  });

  it('gives up with StoreUnavailableError after a bounded number of failed resubscriptions', async () => {
    const away = await EsdbDouble.start();
    const store = new EsdbEventStore(away.connectionString, { resubscribeDelayMs: 10, resubscribeAttemptsMax: 2 });
    await away.stop();
    const subscription = store.subscribeToAll({}, () => undefined);
    await expect(subscription.done).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('hides system events from readAll and subscriptions, and writes nothing but the ledger\'s own events', async () => {
    const store = new EsdbEventStore(double.connectionString);
    const stream = `grant-${randomUUID()}`;
    const start = await store.headPosition();
    await store.appendToStream(stream, [event(1)], { expectedRevision: 'no_stream' });
    double.log.appendSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
    const all: string[] = [];
    for await (const e of store.readAll({ after: start })) all.push(e.streamId);
    expect(all).toEqual([stream]);
    expect(await store.headPosition()).toBe((await readStreamToArray(store, stream))[0]!.position);
    expect(double.log.events.some((e) => e.streamId.startsWith('$grantledger-event-id-'))).toBe(false);
    expect(double.log.events.some((e) => e.streamId.startsWith('$grantledger-command-'))).toBe(true);
    await store.close();
  });

  it('leaves other applications\' events on a shared server out of the ledger\'s log', async () => {
    const store = new EsdbEventStore(double.connectionString);
    const other = EventStoreDBClient.connectionString(double.connectionString);
    const stream = `grant-${randomUUID()}`;
    const start = await store.headPosition();
    const seen: string[] = [];
    const subscription = store.subscribeToAll({ after: start }, (e) => void seen.push(e.streamId));
    await other.appendToStream(`orders-${randomUUID()}`, jsonEvent({ type: 'OrderPlaced', data: { n: 1 } }));
    await store.appendToStream(stream, [event(1)], { expectedRevision: 'no_stream' });
    await other.appendToStream(`orders-${randomUUID()}`, jsonEvent({ type: 'OrderPlaced', data: { n: 2 }, metadata: { actor: 'x' } }));
    await waitFor(() => seen.length === 1);
    const all: string[] = [];
    for await (const e of store.readAll({ after: start })) all.push(e.streamId);
    expect(all).toEqual([stream]);
    expect(await store.headPosition()).toBe((await readStreamToArray(store, stream))[0]!.position);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([stream]);
    await subscription.stop();
    await other.dispose();
    await store.close();
  });

  it('finds the leader through gossip for a cluster connection string with nodePreference=leader', async () => {
    const follower = await EsdbDouble.start();
    follower.clusterMembers = [
      { port: follower.port, state: 'follower' },
      { port: double.port, state: 'leader' },
    ];
    const store = new EsdbEventStore(`esdb://127.0.0.1:${follower.port},127.0.0.1:${double.port}?tls=false&nodePreference=leader`);
    const stream = `grant-${randomUUID()}`;
    await store.appendToStream(stream, [event(1)], { expectedRevision: 'no_stream' });
    expect(double.log.stream(stream)).toHaveLength(1);
    expect(follower.log.stream(stream)).toBeUndefined();
    await store.close();
    await follower.stop();
  });

  it('follows a leader change: a refused append goes to the new leader the refusal names', async () => {
    const first = await EsdbDouble.start();
    const second = await EsdbDouble.start({ log: first.log });
    const store = new EsdbEventStore(`esdb://127.0.0.1:${first.port},127.0.0.1:${second.port}?tls=false&nodePreference=leader`);
    first.clusterMembers = second.clusterMembers = [
      { port: first.port, state: 'leader' },
      { port: second.port, state: 'follower' },
    ];
    const stream = `grant-${randomUUID()}`;
    await store.appendToStream(stream, [event(1)], { expectedRevision: 'no_stream' });
    // An election: the first node now refuses leader-only calls and names the second.
    first.leaderPort = second.port;
    first.clusterMembers = second.clusterMembers = [
      { port: first.port, state: 'follower' },
      { port: second.port, state: 'leader' },
    ];
    const appended = await store.appendToStream(stream, [event(2)], { expectedRevision: 0 });
    expect(appended.nextExpectedRevision).toBe(1);
    expect(first.refusedAsFollower).toBeGreaterThan(0);
    expect((await readStreamToArray(store, stream)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    await store.close();
    await first.stop();
    await second.stop();
  });

  it('keeps recordedAt in log order when one process appends to many streams at once', async () => {
    const jittery = await EsdbDouble.start();
    jittery.appendJitterMs = 20;
    let tick = Date.parse('2026-03-01T10:00:00.000Z');
    const store = new EsdbEventStore(jittery.connectionString, { clock: () => new Date((tick += 1000)) });
    const start = await store.headPosition();
    const prefix = `grant-${randomUUID()}`;
    await Promise.all(Array.from({ length: 20 }, (_, n) => store.appendToStream(`${prefix}-${n}`, [event(n)], { expectedRevision: 'no_stream' })));
    const times: string[] = [];
    for await (const e of store.readAll({ after: start })) if (e.streamId.startsWith(prefix)) times.push(e.metadata.recordedAt);
    expect(times).toHaveLength(20);
    expect([...times].sort()).toEqual(times);
    await store.close();
    await jittery.stop();
  });

  it('passes the event ids through, so the server sees the ids the application derived', async () => {
    const store = new EsdbEventStore(double.connectionString);
    const stream = `grant-${randomUUID()}`;
    const sent = event(1);
    await store.appendToStream(stream, [sent], { expectedRevision: 'no_stream' });
    expect(double.log.stream(stream)?.map((e) => e.eventId)).toEqual([sent.eventId]);
    await store.close();
  });

  it('recognises a re-sent append with expectation any as done once', async () => {
    const store = new EsdbEventStore(double.connectionString);
    const stream = `grant-${randomUUID()}`;
    await store.appendToStream(stream, [event(1)], { expectedRevision: 'no_stream' });
    const resent = [event(2), event(3)];
    const first = await store.appendToStream(stream, resent, { expectedRevision: 'any' });
    const second = await store.appendToStream(stream, resent, { expectedRevision: 'any' });
    expect(second).toEqual(first);
    expect(await readStreamToArray(store, stream)).toHaveLength(3);
    await store.close();
  });

  it('accepts the ids of an append that lost a race when it is sent again at the new revision', async () => {
    const store = new EsdbEventStore(double.connectionString);
    const stream = `grant-${randomUUID()}`;
    await store.appendToStream(stream, [event(0)], { expectedRevision: 'no_stream' });
    const [winner, loser] = [event(1), event(2)];
    const outcomes = await Promise.allSettled([
      store.appendToStream(stream, [winner], { expectedRevision: 0 }),
      store.appendToStream(stream, [loser], { expectedRevision: 0 }),
    ]);
    const lost = outcomes[0].status === 'rejected' ? winner : loser;
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    const retried = await store.appendToStream(stream, [lost], { expectedRevision: 1 });
    expect(retried.nextExpectedRevision).toBe(2);
    const stored = (await readStreamToArray(store, stream)).map((e) => e.eventId);
    expect(stored).toHaveLength(3);
    expect(stored.slice(1)).toEqual(lost === winner ? [loser.eventId, winner.eventId] : [winner.eventId, loser.eventId]);
    await store.close();
  });

  it('stores a command re-sent after its stream moved on once: ids from the command and the stream, an exact revision, no reservation', async () => {
    // A writes the installment, but its answer is lost (simulated by appending A's events directly),
    // B records another installment on top, and A sends its command again from its stale state.
    const stream = `grant-g-${randomUUID()}`;
    const grantId = stream.slice('grant-'.length);
    // A server of its own: the ledger's read model refuses the contract's made-up events.
    const own = await EsdbDouble.start();
    const a = new Ledger(new EsdbEventStore(own.connectionString));
    const b = new Ledger(new EsdbEventStore(own.connectionString));
    const context = (commandId = randomUUID()) => ({ actor: 'anna', tokenId: 'cli', commandId, correlationId: commandId, requestHash: 'h1' });
    try {
      await Promise.all([a.start(), b.start()]);
      await a.executeGrant(grantId, {
        type: 'ReceiveGrant',
        data: { grantId, grantor: 'Skolverket', title: 'T', purpose: 'P', kind: 'riktat', committee: 'utbildning', amount: '1000.00', receivedOn: '2021-01-10', useBy: '2021-12-31', repaymentRequired: true },
      }, context());
      const installment = { type: 'ReceiveInstallment' as const, data: { amount: '1.00', receivedOn: '2021-02-01' } };
      const lost = context();
      await a.store.appendToStream(stream, [{
        eventId: commandEventIdFor(lost.commandId, stream, 0),
        type: 'GrantInstallmentReceived',
        data: installment.data,
        metadata: { actor: 'anna', commandId: lost.commandId, correlationId: lost.correlationId, tokenId: 'cli', requestHash: 'h1', schemaVersion: 1 },
      }], { expectedRevision: 0 });
      await b.executeGrant(grantId, installment, context());
      const appendsBefore = own.calls.appends;
      const again = await a.executeGrant(grantId, installment, lost);
      expect(again.events.map((e) => e.revision)).toEqual([1]);
      expect(own.calls.appends - appendsBefore).toBe(1);
      const stored = await readStreamToArray(a.store, stream);
      expect(stored.map((e) => e.metadata.commandId)).toEqual([stored[0]!.metadata.commandId, lost.commandId, stored[2]!.metadata.commandId]);
    } finally {
      for (const ledger of [a, b]) {
        await ledger.stop();
        await ledger.store.close();
      }
      await own.stop();
    }
  });

  it('answers a re-sent exact append with the first attempt\'s stored events, not new hashes', async () => {
    let now = Date.parse('2026-03-01T10:00:00.000Z');
    const store = new EsdbEventStore(double.connectionString, { clock: () => new Date((now += 60_000)) });
    const stream = `grant-${randomUUID()}`;
    const sent = [event(1), event(2)];
    const first = await store.appendToStream(stream, sent, { expectedRevision: 'no_stream' });
    await store.appendToStream(stream, [event(3)], { expectedRevision: 1 });
    const again = await store.appendToStream(stream, sent, { expectedRevision: 'no_stream' });
    expect(again).toEqual(first);
    await store.close();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}
