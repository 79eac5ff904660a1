import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EsdbDouble } from './esdbDouble.js';

/**
 * What the double promises about EventStoreDB, checked through the real client. The same cases run
 * against a real server when ESDB_TEST_URL is set, which is how the double's answers are kept
 * honest: a case that passes on the double and fails on the server is a bug in the double.
 */
interface Target {
  readonly name: string;
  readonly connect: () => Promise<{ connectionString: string; release: () => Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'the double',
    connect: async () => {
      const double = await EsdbDouble.start();
      return { connectionString: double.connectionString, release: () => double.stop() };
    },
  },
];
const realUrl = process.env.ESDB_TEST_URL;
if (realUrl) targets.push({ name: 'the real server (ESDB_TEST_URL)', connect: async () => ({ connectionString: realUrl, release: async () => undefined }) });

const thing = (n: number, id: string = randomUUID()) => jsonEvent({ id, type: 'ThingHappened', data: { n } });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

async function lastPosition(client: EventStoreDBClient): Promise<Position> {
  const [last] = await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }));
  return last!.event!.position;
}

describe.each(targets)('EventStoreDB streams service: $name', (target) => {
  let connection: { connectionString: string; release: () => Promise<void> };
  let client: EventStoreDBClient;
  let stream: string;

  beforeAll(async () => {
    connection = await target.connect();
  });
  afterAll(async () => {
    await connection.release();
  });
  beforeEach(() => {
    client = EventStoreDBClient.connectionString(connection.connectionString);
    stream = `double-${randomUUID()}`;
  });
  afterEach(async () => {
    await client.dispose();
  });

  describe('append', () => {
    it('creates a stream with no_stream and refuses no_stream once it exists, naming the current revision', async () => {
      const created = await client.appendToStream(stream, [thing(1), thing(2)], { expectedRevision: NO_STREAM });
      expect(created.nextExpectedRevision).toBe(1n);
      expect(created.position).toBeDefined();
      const error = await caught(client.appendToStream(stream, thing(3), { expectedRevision: NO_STREAM }));
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect((error as WrongExpectedVersionError).actualVersion).toBe(1n);
      expect((error as WrongExpectedVersionError).expectedVersion).toBe(NO_STREAM);
    });

    it('appends at the exact revision and refuses another, also on a missing stream', async () => {
      const missing = await caught(client.appendToStream(stream, thing(1), { expectedRevision: 0n }));
      expect((missing as WrongExpectedVersionError).actualVersion).toBe(NO_STREAM);
      await client.appendToStream(stream, thing(1), { expectedRevision: NO_STREAM });
      expect((await client.appendToStream(stream, thing(2), { expectedRevision: 0n })).nextExpectedRevision).toBe(1n);
      const stale = await caught(client.appendToStream(stream, thing(3), { expectedRevision: 0n }));
      expect((stale as WrongExpectedVersionError).actualVersion).toBe(1n);
      expect((stale as WrongExpectedVersionError).expectedVersion).toBe(0n);
    });

    it('checks stream_exists and lets any through', async () => {
      const error = await caught(client.appendToStream(stream, thing(1), { expectedRevision: STREAM_EXISTS }));
      expect((error as WrongExpectedVersionError).actualVersion).toBe(NO_STREAM);
      await client.appendToStream(stream, thing(1), { expectedRevision: ANY });
      expect((await client.appendToStream(stream, thing(2), { expectedRevision: STREAM_EXISTS })).nextExpectedRevision).toBe(1n);
    });

    it('succeeds without writing when the same event ids are re-sent at the same expected revision', async () => {
      await client.appendToStream(stream, thing(0), { expectedRevision: NO_STREAM });
      const events = [thing(1), thing(2)];
      const first = await client.appendToStream(stream, events, { expectedRevision: 0n });
      await client.appendToStream(stream, thing(3), { expectedRevision: 2n });
      const again = await client.appendToStream(stream, events, { expectedRevision: 0n });
      expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
      expect(await collect(client.readStream(stream))).toHaveLength(4);
    });

    it('recognises a re-sent first append with no_stream', async () => {
      const events = [thing(1), thing(2)];
      await client.appendToStream(stream, events, { expectedRevision: NO_STREAM });
      const again = await client.appendToStream(stream, events, { expectedRevision: NO_STREAM });
      expect(again.nextExpectedRevision).toBe(1n);
      expect(await collect(client.readStream(stream))).toHaveLength(2);
    });
  });

  describe('read a stream', () => {
    it('throws StreamNotFoundError while iterating a missing stream', async () => {
      await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('reads forwards from a revision at most maxCount, and backwards from the end', async () => {
      await client.appendToStream(stream, [thing(0), thing(1), thing(2), thing(3)], { expectedRevision: NO_STREAM });
      const page = await collect(client.readStream(stream, { fromRevision: 1n, maxCount: 2, direction: FORWARDS }));
      expect(page.map((e) => e.event?.revision)).toEqual([1n, 2n]);
      const tail = await collect(client.readStream(stream, { fromRevision: END, maxCount: 2, direction: BACKWARDS }));
      expect(tail.map((e) => e.event?.revision)).toEqual([3n, 2n]);
      const event = page[0]!.event!;
      expect(event).toMatchObject({ streamId: stream, type: 'ThingHappened', isJson: true, data: { n: 1 } });
      expect(event.created).toBeInstanceOf(Date);
      expect(Math.abs(event.created.getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  describe('read $all', () => {
    it('reads forwards from a position, including the event at it, in log order', async () => {
      await client.appendToStream(stream, [thing(1), thing(2)], { expectedRevision: NO_STREAM });
      await client.appendToStream(`${stream}-b`, thing(3), { expectedRevision: NO_STREAM });
      const [first] = await collect(client.readStream(stream, { maxCount: 1 }));
      const from = first!.event!.position!;
      const read = (await collect(client.readAll({ fromPosition: from, maxCount: 3 }))).map((e) => e.event?.data);
      expect(read).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    });

    it('gives every event of one append its own, growing prepare position', async () => {
      await client.appendToStream(stream, [thing(1), thing(2), thing(3)], { expectedRevision: NO_STREAM });
      const events = await collect(client.readStream(stream));
      const prepares = events.map((e) => e.event!.position!.prepare);
      expect(new Set(prepares).size).toBe(3);
      expect([...prepares].sort((a, b) => (a < b ? -1 : 1))).toEqual(prepares);
    });

    it('contains the server’s own system events, which the ledger must skip', async () => {
      const all = await collect(client.readAll({ fromPosition: START, maxCount: 100 }));
      expect(all.some((e) => e.event?.type.startsWith('$'))).toBe(true);
    });
  });

  describe('subscribe to $all', () => {
    async function subscribeUntil(
      options: Parameters<EventStoreDBClient['subscribeToAll']>[0],
      count: number,
      accept: (event: AllStreamResolvedEvent) => boolean,
    ): Promise<{ events: AllStreamResolvedEvent[]; caughtUp: boolean }> {
      const subscription = client.subscribeToAll(options);
      let caughtUp = false;
      subscription.on('caughtUp', () => {
        caughtUp = true;
      });
      const events: AllStreamResolvedEvent[] = [];
      const deadline = setTimeout(() => subscription.destroy(new Error('timed out')), 30_000);
      try {
        for await (const resolved of subscription) {
          if (accept(resolved)) events.push(resolved);
          if (events.length === count) break;
        }
      } finally {
        clearTimeout(deadline);
        await subscription.unsubscribe();
      }
      return { events, caughtUp };
    }

    it('starts after its position (exclusive), filters out system events, then delivers live ones', async () => {
      await client.appendToStream(stream, [thing(1), thing(2)], { expectedRevision: NO_STREAM });
      const [first] = await collect(client.readStream(stream, { maxCount: 1 }));
      const ours = (e: AllStreamResolvedEvent) => e.event?.streamId === stream;
      const live = setTimeout(() => void client.appendToStream(stream, thing(3), { expectedRevision: 1n }), 200);
      const { events } = await subscribeUntil({ fromPosition: first!.event!.position!, filter: excludeSystemEvents() }, 2, (e) => {
        expect(e.event?.type.startsWith('$')).toBe(false);
        return ours(e);
      });
      clearTimeout(live);
      expect(events.map((e) => e.event?.data)).toEqual([{ n: 2 }, { n: 3 }]);
    });

    it('filters on a stream-name prefix', async () => {
      const from = await lastPosition(client);
      await client.appendToStream(`${stream}-other`, thing(1), { expectedRevision: NO_STREAM });
      await client.appendToStream(stream, thing(2), { expectedRevision: NO_STREAM });
      const { events } = await subscribeUntil({ fromPosition: from, filter: streamNameFilter({ prefixes: [`${stream}`] }) }, 2, () => true);
      expect(events.map((e) => e.event?.streamId)).toEqual([`${stream}-other`, stream]);
      const { events: exact } = await subscribeUntil(
        { fromPosition: from, filter: streamNameFilter({ regex: `^${stream}$` }) },
        1,
        () => true,
      );
      expect(exact.map((e) => e.event?.streamId)).toEqual([stream]);
    });
  });
});
