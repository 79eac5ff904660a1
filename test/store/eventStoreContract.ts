import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLink, GENESIS_HASH } from '../../src/store/hashChain.js';
import {
  DuplicateEventIdError,
  WrongExpectedVersionError,
  readStreamToArray,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../../src/store/port.js';

/**
 * The event store contract, written once and run against every adapter. An adapter passes it
 * unchanged; differences between adapters are options, not forks.
 */
export interface ContractSubject {
  readonly store: EventStore;
  /** Releases the store and its files or servers. */
  readonly dispose: () => Promise<void>;
}

export interface ContractOptions {
  /** Opens a fresh, empty store. */
  readonly open: () => Promise<ContractSubject>;
}

function newEvent(type = 'ThingHappened', data: unknown = { n: 1 }): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    data,
    metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID() },
  };
}

async function readAll(store: EventStore, options?: { after?: number; maxCount?: number }): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll(options)) events.push(event);
  return events;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function describeEventStoreContract(adapterName: string, options: ContractOptions): void {
  describe(`event store contract: ${adapterName}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    let stream: string;

    beforeEach(async () => {
      subject = await options.open();
      store = subject.store;
      stream = `grant-${randomUUID()}`;
    });
    afterEach(async () => {
      await subject.dispose();
    });

    describe('appending', () => {
      it('creates a stream at revision 0 when no stream is expected', async () => {
        const result = await store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(0);
        expect(result.position).toBeGreaterThan(0);
        expect(result.events).toHaveLength(1);
      });

      it('refuses no_stream when the stream exists, naming the actual revision', async () => {
        await store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
        const error = await store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actualRevision).toBe(0);
        expect((error as WrongExpectedVersionError).streamId).toBe(stream);
      });

      it('appends at the exact expected revision and refuses a stale one', async () => {
        await store.appendToStream(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        const next = await store.appendToStream(stream, [newEvent()], { expectedRevision: 1 });
        expect(next.nextExpectedRevision).toBe(2);
        await expect(store.appendToStream(stream, [newEvent()], { expectedRevision: 1 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
        await expect(store.appendToStream(stream, [newEvent()], { expectedRevision: 5 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await readStreamToArray(store, stream)).toHaveLength(3);
      });

      it('refuses an exact revision on a missing stream', async () => {
        const error = await store.appendToStream(stream, [newEvent()], { expectedRevision: 0 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actualRevision).toBe('no_stream');
      });

      it('checks stream_exists and lets any append anywhere', async () => {
        await expect(store.appendToStream(stream, [newEvent()], { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        await store.appendToStream(stream, [newEvent()], { expectedRevision: 'any' });
        const again = await store.appendToStream(stream, [newEvent()], { expectedRevision: 'stream_exists' });
        expect(again.nextExpectedRevision).toBe(1);
      });

      it('stores data and the ledger metadata exactly, with recordedAt and the hash chain', async () => {
        const data = { amount: '8000000.00', title: 'Minska och motverka segregation – Södertälje', nested: { ok: true, n: 3 } };
        const sent = newEvent('GrantReceived', data);
        await store.appendToStream(stream, [sent], { expectedRevision: 'no_stream' });
        const [stored] = await readStreamToArray(store, stream);
        expect(stored).toMatchObject({ eventId: sent.eventId, streamId: stream, type: 'GrantReceived', revision: 0, data });
        expect(stored!.metadata).toMatchObject(sent.metadata);
        expect(stored!.metadata.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(stored!.metadata.prevHash).toBe(GENESIS_HASH);
        expect(stored!.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
      });

      it('chains every event of a stream to the one before it', async () => {
        await store.appendToStream(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, [newEvent()], { expectedRevision: 1 });
        const events = await readStreamToArray(store, stream);
        let previous: RecordedEvent | null = null;
        for (const event of events) {
          expect(checkLink(previous, event)).toBeNull();
          previous = event;
        }
        expect(events[2]!.metadata.prevHash).toBe(events[1]!.metadata.hash);
      });

      it('keeps an event\'s schema version, under its hash, and leaves it out where none was given', async () => {
        const versioned = { ...newEvent(), metadata: { ...newEvent().metadata, schemaVersion: 2 } };
        await store.appendToStream(stream, [versioned, newEvent()], { expectedRevision: 'no_stream' });
        const [withVersion, withoutVersion] = await readStreamToArray(store, stream);
        expect(withVersion!.metadata.schemaVersion).toBe(2);
        expect(withoutVersion!.metadata).not.toHaveProperty('schemaVersion');
        expect(checkLink(null, withVersion!)).toBeNull();
        expect(checkLink(null, { ...withVersion!, metadata: { ...withVersion!.metadata, schemaVersion: 1 } })?.problem).toBe('hash-mismatch');
        expect(checkLink(null, { ...withVersion!, metadata: { ...withVersion!.metadata, schemaVersion: undefined } })?.problem).toBe('hash-mismatch');
      });

      it('treats a re-sent append with the same event ids and expectation as done once', async () => {
        const events = [newEvent(), newEvent()];
        const first = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        const second = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        expect(second.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(second.position).toBe(first.position);
        expect(await readStreamToArray(store, stream)).toHaveLength(2);
      });

      it('refuses an event id that is stored in another stream', async () => {
        const event = newEvent();
        await store.appendToStream(stream, [event], { expectedRevision: 'no_stream' });
        await expect(store.appendToStream(`${stream}-other`, [event], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        expect(await readStreamToArray(store, `${stream}-other`)).toEqual([]);
      });

      it('writes all events of an append or none', async () => {
        const taken = newEvent();
        await store.appendToStream(`${stream}-x`, [taken], { expectedRevision: 'no_stream' });
        await expect(store.appendToStream(stream, [newEvent(), taken], { expectedRevision: 'no_stream' })).rejects.toThrow();
        expect(await readStreamToArray(store, stream)).toEqual([]);
      });

      it('refuses an append of a command that already wrote to another stream (an Idempotency-Key reused elsewhere)', async () => {
        const first = newEvent();
        await store.appendToStream(stream, [first], { expectedRevision: 'no_stream' });
        const again = { ...newEvent(), metadata: { ...newEvent().metadata, commandId: first.metadata.commandId } };
        await expect(store.appendToStream(`${stream}-other`, [again], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventIdError);
        expect(await readStreamToArray(store, `${stream}-other`)).toEqual([]);
        await store.appendToStream(stream, [{ ...again, eventId: randomUUID() }], { expectedRevision: 0 });
      });

      it('lets exactly one of many concurrent appends at the same revision win', async () => {
        await store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 12 }, () => store.appendToStream(stream, [newEvent()], { expectedRevision: 0 })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        }
        expect(await readStreamToArray(store, stream)).toHaveLength(2);
      });
    });

    describe('reading', () => {
      it('reads a missing stream as empty', async () => {
        expect(await readStreamToArray(store, `${stream}-missing`)).toEqual([]);
      });

      it('reads a stream forwards from a revision, at most maxCount events', async () => {
        await store.appendToStream(stream, [newEvent(), newEvent(), newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        const page = await readStreamToArray(store, stream, { fromRevision: 1, maxCount: 2 });
        expect(page.map((e) => e.revision)).toEqual([1, 2]);
      });

      it('reads the whole log in global order, after a position, at most maxCount', async () => {
        const start = await store.headPosition();
        const other = `${stream}-b`;
        await store.appendToStream(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        await store.appendToStream(other, [newEvent('B')], { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, [newEvent('C')], { expectedRevision: 0 });
        const events = await readAll(store, { after: start });
        expect(events.map((e) => e.type)).toEqual(['A', 'B', 'C']);
        const positions = events.map((e) => e.position);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(3);
        expect(await store.headPosition()).toBe(positions[2]);
        expect((await readAll(store, { after: positions[0] })).map((e) => e.type)).toEqual(['B', 'C']);
        expect((await readAll(store, { after: start, maxCount: 2 })).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('never lets recordedAt go backwards along the log', async () => {
        for (let i = 0; i < 5; i += 1) await store.appendToStream(`${stream}-${i}`, [newEvent()], { expectedRevision: 'no_stream' });
        const times = (await readAll(store)).map((e) => e.metadata.recordedAt);
        expect([...times].sort()).toEqual(times);
      });
    });

    describe('subscribing', () => {
      it('catches up from a position, then delivers new events live, in order', async () => {
        await store.appendToStream(stream, [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' });
        const [first] = await readStreamToArray(store, stream);
        const seen: string[] = [];
        const subscription = store.subscribeToAll({ after: first!.position }, (event) => {
          if (event.streamId === stream) seen.push(event.type);
        });
        await until(() => seen.length === 1, 'catch-up');
        await store.appendToStream(stream, [newEvent('C')], { expectedRevision: 1 });
        await until(() => seen.length === 2, 'the live event');
        await subscription.stop();
        await store.appendToStream(stream, [newEvent('D')], { expectedRevision: 2 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(seen).toEqual(['B', 'C']);
      });

      it('ends the subscription with the error when a handler throws', async () => {
        await store.appendToStream(stream, [newEvent()], { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({}, () => {
          throw new Error('projection cannot apply this');
        });
        await expect(subscription.done).rejects.toThrow('projection cannot apply this');
      });
    });
  });
}
