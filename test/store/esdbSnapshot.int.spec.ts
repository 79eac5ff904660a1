import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { compareSnapshots, snapshotOf } from '../../src/app/replay.js';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import type { EventHandler, ReadAllOptions, RecordedEvent, SubscribeOptions, Subscription } from '../../src/store/port.js';
import type { Clocks } from '../../projections/clocks.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { checkProof, logDigest, proveInclusion } from '../../src/app/audit.js';

/**
 * The read-model snapshot on EventStoreDB (issue 13), on the double: its checkpoint is the $all
 * position of the last event folded (with that event's hash), a start loads it and folds only the
 * events after it, and a snapshot whose position or hash no longer matches the log is ignored
 * with a log line that says why. Either way the figures equal a full rebuild's, field by field.
 */

const directory = mkdtempSync(join(tmpdir(), 'grantledger-esdb-snapshot-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The EventStoreDB store, counting the events it hands the read model. */
class CountingStore extends EsdbEventStore {
  eventsRead = 0;

  override readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    const events = super.readAll(options);
    const counting = this;
    return (async function* () {
      for await (const event of events) {
        counting.eventsRead += 1;
        yield event;
      }
    })();
  }

  override subscribeToAll(options: SubscribeOptions, handler: EventHandler): Subscription {
    return super.subscribeToAll(options, (event) => {
      this.eventsRead += 1;
      return handler(event);
    });
  }
}

const VIEWS: readonly Clocks[] = [{}, { asOf: '2021-06-30' }, { knownAt: '2021-01-01T00:00:00.000Z' }, { asOf: '2022-12-31' }];
const context = () => {
  const commandId = randomUUID();
  return { actor: 'anna.ekonom', tokenId: 'cli', commandId, correlationId: commandId };
};

async function started(double: EsdbDouble, snapshotPath: string | null, log: string[] = []): Promise<Ledger & { store: CountingStore }> {
  const ledger = new Ledger(new CountingStore(double.connectionString), { snapshotPath, log: (message) => void log.push(message) });
  await ledger.start();
  return ledger as Ledger & { store: CountingStore };
}

async function stopped(ledger: Ledger): Promise<void> {
  await ledger.stop();
  await ledger.store.close();
}

/** Records grants with allocations and spendings (and a reversal): `grants` commands × 3 or 4 events. */
async function record(ledger: Ledger, prefix: string, grants: number): Promise<number> {
  let events = 0;
  for (let index = 0; index < grants; index += 1) {
    const grantId = `${prefix}-${index}`;
    await ledger.executeGrant(grantId, {
      type: 'ReceiveGrant',
      data: { grantId, grantor: 'Skolverket', title: 'Läxhjälp', purpose: 'Läxhjälp', kind: 'riktat', committee: 'utbildning', amount: '100000.00', receivedOn: '2021-01-10', useBy: '2021-12-31', repaymentRequired: true },
    }, context());
    await ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { allocationId: 'a1', activity: 'IFO', amount: '80000.00', allocatedOn: '2021-01-11' } }, context());
    const spent = await ledger.executeGrant(grantId, { type: 'SpendFunds', data: { allocationId: 'a1', amount: '1250.50', spentOn: '2021-02-01', voucher: `V-${index}` } }, context());
    events += 3;
    if (index % 2 === 1) {
      await ledger.executeGrant(grantId, { type: 'ReverseEntry', data: { eventId: spent.events![0]!.eventId, reason: 'Fel belopp' } }, context());
      events += 1;
    }
  }
  return events;
}

async function expectSameAsRebuild(double: EsdbDouble, ledger: Ledger): Promise<void> {
  const rebuilt = await started(double, null);
  try {
    expect(ledger.readModel.position).toBe(rebuilt.readModel.position);
    expect(ledger.readModel.eventsApplied).toBe(rebuilt.readModel.eventsApplied);
    expect(ledger.readModel.allTokens()).toEqual(rebuilt.readModel.allTokens());
    // Now, every grant is in the views (known at 2021-01-01, none is).
    expect(snapshotOf(ledger, {}).size).toBeGreaterThan([...ledger.readModel.grantIds()].length);
    for (const clocks of VIEWS) {
      const views = [snapshotOf(ledger, clocks), snapshotOf(rebuilt, clocks)] as const;
      expect(compareSnapshots(...views), `differences in view ${JSON.stringify(clocks)}`).toEqual([]);
    }
  } finally {
    await stopped(rebuilt);
  }
}

/** The $all position (commit, prepare) of the last ledger event the double holds. */
function lastLedgerPosition(double: EsdbDouble): { commit: bigint; prepare: bigint } {
  const last = double.log.events.filter((event) => !event.streamId.startsWith('$')).at(-1)!;
  return { commit: last.logPosition, prepare: last.logPosition };
}

describe('read-model snapshot on EventStoreDB (double)', () => {
  it('checkpoints at the $all position of the last event folded; a restart loads it and folds only the tail', async () => {
    const double = await EsdbDouble.start();
    const snapshotPath = join(directory, 'restart.snapshot');
    try {
      const first = await started(double, snapshotPath);
      await record(first, 'g', 6);
      const covered = lastLedgerPosition(double);
      await stopped(first);
      expect(existsSync(snapshotPath)).toBe(true);

      const writer = await started(double, null);
      const tail = await record(writer, 'tail', 2);
      await stopped(writer);

      const log: string[] = [];
      const second = await started(double, snapshotPath, log);
      try {
        // The checkpoint is the $all position of the last event folded: there commit = prepare.
        expect(covered.commit).toBe(covered.prepare);
        expect(log.join('\n')).toContain(`loaded the read-model snapshot ${snapshotPath} at position ${covered.prepare}`);
        expect(second.store.eventsRead).toBe(tail);
        expect(second.readModel.position).toBe(Number(lastLedgerPosition(double).prepare));
        await expectSameAsRebuild(double, second);
      } finally {
        await stopped(second);
      }
    } finally {
      await double.stop();
    }
  });

  it('ignores a snapshot whose last event has another hash in this log, says why, and rebuilds', async () => {
    const source = await EsdbDouble.start();
    const other = await EsdbDouble.start();
    const snapshotPath = join(directory, 'other-log.snapshot');
    try {
      const first = await started(source, snapshotPath);
      await record(first, 'g', 3);
      await stopped(first);
      // The same commands on another server: the same $all positions, other ids and so other hashes.
      const writer = await started(other, null);
      await record(writer, 'g', 3);
      await stopped(writer);
      expect(lastLedgerPosition(other)).toEqual(lastLedgerPosition(source));

      const log: string[] = [];
      const ledger = await started(other, snapshotPath, log);
      try {
        expect(log.join('\n')).toMatch(/snapshot .* is ignored, the read model is rebuilt from the log: the log's event at position \d+ has another hash than the one it covers/);
        expect(ledger.store.eventsRead).toBe(ledger.readModel.eventsApplied);
        await expectSameAsRebuild(other, ledger);
      } finally {
        await stopped(ledger);
      }
    } finally {
      await source.stop();
      await other.stop();
    }
  });

  it('ignores a snapshot whose position is no event of this log (inside a record, or past its end)', async () => {
    const source = await EsdbDouble.start();
    const shifted = await EsdbDouble.start();
    const shorter = await EsdbDouble.start();
    const snapshotPath = join(directory, 'shifted.snapshot');
    try {
      const first = await started(source, snapshotPath);
      await record(first, 'g', 3);
      await stopped(first);
      // Another grant id length moves every record: the checkpoint falls inside one of them.
      const writer = await started(shifted, null);
      await record(writer, 'grant-with-a-longer-id', 4);
      await stopped(writer);
      const few = await started(shorter, null);
      await record(few, 'g', 1);
      await stopped(few);

      for (const [double, reason] of [
        [shifted, /the log has no event at its last position \d+/],
        [shorter, /the log ends before its last position \d+/],
      ] as const) {
        // A copy per log: a ledger saves its own snapshot when it stops.
        const copy = `${snapshotPath}.${double.port}`;
        copyFileSync(snapshotPath, copy);
        const log: string[] = [];
        const ledger = await started(double, copy, log);
        try {
          expect(log.join('\n')).toMatch(reason);
          await expectSameAsRebuild(double, ledger);
        } finally {
          await stopped(ledger);
        }
      }
    } finally {
      await source.stop();
      await shifted.stop();
      await shorter.stop();
    }
  });
});

describe('inclusion proofs on EventStoreDB (double)', () => {
  it('reads the proven event at its own $all position (a read from inside a record is refused, as by a server)', async () => {
    const double = await EsdbDouble.start();
    try {
      const ledger = await started(double, null);
      await record(ledger, 'prove', 3);
      const digest = (await logDigest(ledger.store))!;
      const events: RecordedEvent[] = [];
      for await (const event of ledger.store.readAll()) events.push(event);
      // Every event of the log, first, middle and last, has a proof that checks.
      for (const wanted of [events[0]!, events[Math.floor(events.length / 2)]!, events.at(-1)!]) {
        const proof = await proveInclusion(ledger.store, wanted.eventId, digest);
        expect(proof.event.eventId).toBe(wanted.eventId);
        expect(checkProof(proof)).toMatchObject({ ok: true });
      }
      await stopped(ledger);
    } finally {
      await double.stop();
    }
  });
});
