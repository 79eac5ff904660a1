import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedEventOf, verifyLog, type ExportedEvent } from '../../src/app/audit.js';
import { Ledger } from '../../src/app/ledger.js';
import { snapshotOf } from '../../src/app/replay.js';
import { decodeGrantEvent } from '../../src/domain/storedEvent.js';
import { currentSchemaVersion } from '../../src/domain/storedEvent.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { readStreamToArray } from '../../src/store/port.js';

/**
 * A log written before events had schema versions (test/fixtures/v1-ledger: no schemaVersion in
 * any metadata, a GrantReportSubmitted without `final`) must still load, verify, replay and report
 * what the ledger that wrote it reported, while deciders and projections see only the current shape.
 */
const fixture = join(import.meta.dirname, '../fixtures/v1-ledger');
const exported = readFileSync(join(fixture, 'events.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ExportedEvent);
const figures = JSON.parse(readFileSync(join(fixture, 'figures.json'), 'utf8')) as Record<string, { clocks: { asOf?: string; knownAt?: string }; rows: Record<string, unknown> }>;

const directory = mkdtempSync(join(tmpdir(), 'grantledger-v1-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function loadedStore(name: string): Promise<SqliteEventStore> {
  const store = new SqliteEventStore(join(directory, name), { pollIntervalMs: 5 });
  expect(await store.importRecorded(exported.map(recordedEventOf))).toBe(exported.length);
  return store;
}

describe('a log written in schema version 1', () => {
  it('is really of the old shape: no schema versions, a report without final', () => {
    expect(exported.every((event) => !('schemaVersion' in event))).toBe(true);
    const report = exported.find((event) => event.type === 'GrantReportSubmitted')!;
    expect(report.data).toEqual({ submittedOn: '2022-08-20', reference: 'Slutrapport TVV' });
    expect(currentSchemaVersion('GrantReportSubmitted')).toBe(2);
  });

  it('loads into a store, and every hash chain verifies over the bytes as stored', async () => {
    const store = await loadedStore('verify.db');
    try {
      const report = await verifyLog(store);
      expect(report.failures).toEqual([]);
      expect(report).toMatchObject({ ok: true, events: exported.length });
      const [stored] = await readStreamToArray(store, 'grant-A', { fromRevision: 9, maxCount: 1 });
      expect(stored!.type).toBe('GrantReportSubmitted');
      expect(stored!.data).toEqual({ submittedOn: '2022-08-20', reference: 'Slutrapport TVV' });
      expect(stored!.metadata.schemaVersion).toBeUndefined();
      // The domain sees the current shape: an old report was a final report.
      expect(decodeGrantEvent(stored!)).toMatchObject({ type: 'GrantReportSubmitted', data: { submittedOn: '2022-08-20', reference: 'Slutrapport TVV', final: true } });
    } finally {
      await store.close();
    }
  });

  it('replays into the same figures the old ledger reported, for every pair of clocks', async () => {
    // "Today" as the old ledger had it when it reported (its script's clock), for the views without asOf.
    const ledger = new Ledger(await loadedStore('replay.db'), { clock: () => new Date('2023-03-15T09:00:00.000Z') });
    try {
      await ledger.start();
      for (const [name, { clocks, rows }] of Object.entries(figures)) {
        expect(JSON.parse(JSON.stringify(Object.fromEntries(snapshotOf(ledger, clocks)))), name).toEqual(rows);
      }
    } finally {
      await ledger.stop();
      await ledger.store.close();
    }
  });

  it('takes new commands on old streams: the decider folds the upcast history, new events carry their version, old bytes stay', async () => {
    const path = join(directory, 'continue.db');
    const ledger = new Ledger(await loadedStore('continue.db'));
    try {
      await ledger.start();
      const context = () => ({ actor: 'ekonom', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });
      const interim = await ledger.executeGrant('C', { type: 'SubmitGrantReport', data: { submittedOn: '2023-03-20', reference: 'Delrapport PH', final: false } }, context());
      expect(interim.events[0]!.metadata.schemaVersion).toBe(2);
      expect(interim.events[0]!.data).toEqual({ submittedOn: '2023-03-20', reference: 'Delrapport PH', final: false });
      const spent = await ledger.executeGrant('C', { type: 'SpendFunds', data: { allocationId: 'C-FN', amount: '1000.00', spentOn: '2023-03-21', voucher: 'V-401' } }, context());
      expect(spent.events[0]!.metadata.schemaVersion).toBe(1);
      expect((await verifyLog(ledger.store)).ok).toBe(true);
    } finally {
      await ledger.stop();
      await ledger.store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare("SELECT data, schema_version FROM events WHERE type = 'GrantReportSubmitted' ORDER BY position").all() as Array<{ data: string; schema_version: number | null }>;
      expect(rows).toEqual([
        { data: '{"submittedOn":"2022-08-20","reference":"Slutrapport TVV"}', schema_version: null },
        { data: '{"submittedOn":"2023-03-20","reference":"Delrapport PH","final":false}', schema_version: 2 },
      ]);
    } finally {
      db.close();
    }
  });
});
