import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_SQL } from '../../src/store/sqlite/schema.js';
import { EVENT_COLUMNS } from '../../src/store/sqlite/rows.js';
import { eventHash, GENESIS_HASH } from '../../src/store/hashChain.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { LedgerReadModel } from '../../src/app/readModel.js';
import { grantViewOf } from '../../projections/grantView.js';
import { RevenueTotals, committeeResultsOf } from '../../projections/committeeResults.js';
import { dateOfMoment } from '../../src/domain/dates.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import { nowMs, peakRssMiB, round, type WorkloadResult } from './measure.js';

export const REPLAY_FILE = 'replay.db';
const COMMITTEES = 290;
const FIRST_YEAR = 2016;
const YEARS = 10;
/** Events per grant in the generated log: received, 9 allocations, 80 spendings. */
const EVENTS_PER_GRANT = 90;

interface Planned {
  readonly streamId: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

function* grantEvents(index: number): Generator<Planned> {
  const year = FIRST_YEAR + (index % YEARS);
  const grantId = `gen-${index}`;
  const streamId = `grant-${grantId}`;
  const committee = `kommun-${index % COMMITTEES}-socialnamnden`;
  yield {
    streamId,
    type: 'GrantReceived',
    data: {
      grantId, grantor: ['Socialstyrelsen', 'Tillväxtverket', 'Migrationsverket'][index % 3]!, title: `Statsbidrag ${index}`,
      purpose: 'Genererat för prestandamätning', kind: 'riktat', committee, amount: '9000000.00',
      receivedOn: `${year}-01-15`, useBy: `${year}-12-31`, repaymentRequired: index % 2 === 0,
    },
  };
  for (let a = 0; a < 9; a += 1) {
    yield { streamId, type: 'FundsAllocated', data: { allocationId: `a${a}`, activity: ['IFO', 'AO', 'FN'][a % 3]!, amount: '900000.00', allocatedOn: `${year}-02-01` } };
  }
  for (let s = 0; s < EVENTS_PER_GRANT - 10; s += 1) {
    const month = String(3 + (s % 9)).padStart(2, '0');
    yield { streamId, type: 'FundsSpent', data: { allocationId: `a${s % 9}`, amount: '10000.00', spentOn: `${year}-${month}-15`, voucher: `V${index}-${s}` } };
  }
}

function* budgetEvents(committeeIndex: number, year: number): Generator<Planned> {
  const committee = `kommun-${committeeIndex}-socialnamnden`;
  const streamId = `budget-${committee}-${year}`;
  yield { streamId, type: 'AppropriationGranted', data: { committee, fiscalYear: year, amount: '1200000000.00', decidedOn: `${year - 1}-11-20`, decisionRef: `KF ${year - 1}` } };
  for (let month = 1; month <= 12; month += 1) {
    yield { streamId, type: 'OutcomeRecorded', data: { period: `${year}-${String(month).padStart(2, '0')}`, activity: 'IFO', costs: '99000000.00', revenues: '1600000.00' } };
  }
}

/**
 * Writes a realistic log of about `size` events straight into a store file, with valid hash
 * chains and recordedAt spread over ten years, as grantledger itself would have written them.
 */
export async function generateLog(directory: string, size: number): Promise<WorkloadResult> {
  const started = nowMs();
  const db = new Database(join(directory, REPLAY_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // generating test data, not ledger entries
  db.exec(SCHEMA_SQL);
  const insert = db.prepare(
    `INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, recorded_at, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  );
  const budgetEventCount = COMMITTEES * YEARS * 13;
  const grants = Math.max(1, Math.round((size - Math.min(size / 10, budgetEventCount)) / EVENTS_PER_GRANT));
  // Year by year, round-robin over that year's streams: the global order interleaves streams as
  // real use does, and a grant's events are recorded within its own year, as real grants are.
  const budgetStreams = Math.min(COMMITTEES * YEARS, Math.ceil(Math.min(size / 10, budgetEventCount) / 13));
  const cohorts: Array<Array<Generator<Planned>>> = Array.from({ length: YEARS }, () => []);
  for (let g = 0; g < grants; g += 1) cohorts[g % YEARS]!.push(grantEvents(g));
  for (let b = 0; b < budgetStreams; b += 1) cohorts[Math.floor(b / COMMITTEES) % YEARS]!.push(budgetEvents(b % COMMITTEES, FIRST_YEAR + Math.floor(b / COMMITTEES)));
  const heads = new Map<string, { revision: number; hash: string }>();
  const startMs = Date.UTC(FIRST_YEAR, 0, 10);
  const stepMs = Math.floor((Date.UTC(FIRST_YEAR + YEARS, 0, 1) - startMs) / Math.max(1, size));
  let written = 0;
  const writeBatch = db.transaction((rows: Planned[]) => {
    for (const planned of rows) {
      const head = heads.get(planned.streamId);
      const revision = head ? head.revision + 1 : 0;
      const prevHash = head ? head.hash : GENESIS_HASH;
      const eventId = `00000000-0000-4000-8000-${String(written).padStart(12, '0')}`;
      const recordedAt = new Date(startMs + written * stepMs).toISOString();
      const hash = eventHash(prevHash, { streamId: planned.streamId, revision, eventId, type: planned.type, recordedAt, actor: 'generator', commandId: eventId, correlationId: eventId, data: planned.data });
      insert.run(planned.streamId, revision, eventId, planned.type, JSON.stringify(planned.data), 'generator', eventId, eventId, recordedAt, prevHash, hash);
      heads.set(planned.streamId, { revision, hash });
      written += 1;
    }
  });
  for (const cohort of cohorts) {
    let live = cohort;
    while (live.length > 0 && written < size) {
      const rows: Planned[] = [];
      const next: Array<Generator<Planned>> = [];
      for (const source of live) {
        const item = source.next();
        if (!item.done) {
          rows.push(item.value);
          next.push(source);
        }
      }
      writeBatch(rows.slice(0, size - written));
      live = next;
    }
  }
  db.close();
  const seconds = (nowMs() - started) / 1000;
  return { workload: 'replay', variant: 'generate log (setup)', throughputPerS: round(written / seconds, 0), p50Ms: null, p99Ms: null, peakRssMiB: peakRssMiB(), operations: written, seconds: round(seconds, 2), notes: `${grants} grants, ${budgetStreams} budget years` };
}

/** Rebuilds every projection from position 0: the read model, then each grant's figures and both reports. */
export async function replayLedger(directory: string): Promise<WorkloadResult> {
  const store = new SqliteEventStore(join(directory, REPLAY_FILE), { pageSize: 5000 });
  const readModel = new LedgerReadModel();
  const started = nowMs();
  let events = 0;
  for await (const event of store.readAll()) {
    readModel.apply(event);
    events += 1;
  }
  const today = dateOfMoment(new Date());
  const views = [];
  for (const grantId of readModel.grantIds()) views.push(grantViewOf(readModel.currentGrantFacts(grantId)!, today)!);
  const unused = unusedGrantsReport(views, {});
  const revenue = new RevenueTotals();
  for (const grantId of readModel.grantIds()) revenue.add(readModel.grantRevenue(grantId, {}));
  const results = committeeResultsOf(readModel.budgetsIn({}), revenue.inOre(), today);
  const seconds = (nowMs() - started) / 1000;
  await store.close();
  return {
    workload: 'replay',
    variant: 'grantledger: rebuild every projection',
    throughputPerS: round(events / seconds, 0),
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: peakRssMiB(),
    operations: events,
    seconds: round(seconds, 2),
    notes: `${unused.rows.length} grants, ${results.rows.length} committee-years`,
  };
}

/** The ceiling: read the same rows in the same pages and JSON.parse their data, nothing else. */
export async function parseCeiling(directory: string): Promise<WorkloadResult> {
  const db = new Database(join(directory, REPLAY_FILE), { readonly: true });
  const page = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 5000');
  const started = nowMs();
  let events = 0;
  let after = 0;
  let checksum = 0;
  for (;;) {
    const rows = page.all(after) as Array<{ position: number; data: string }>;
    if (rows.length === 0) break;
    for (const row of rows) {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      checksum += Object.keys(data).length;
      events += 1;
    }
    after = rows[rows.length - 1]!.position;
  }
  const seconds = (nowMs() - started) / 1000;
  db.close();
  return { workload: 'replay', variant: 'ceiling: read rows + JSON.parse', throughputPerS: round(events / seconds, 0), p50Ms: null, p99Ms: null, peakRssMiB: peakRssMiB(), operations: events, seconds: round(seconds, 2), notes: `checksum ${checksum}` };
}

/**
 * The same ceiling with each row read as an array (better-sqlite3's raw mode), the way the store's
 * readAll reads the log since 30 November: the cheaper of the two reads, so the stricter ceiling.
 */
export async function parseCeilingRaw(directory: string): Promise<WorkloadResult> {
  const db = new Database(join(directory, REPLAY_FILE), { readonly: true });
  const page = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT 5000`).raw(true);
  const started = nowMs();
  let events = 0;
  let after = 0;
  let checksum = 0;
  for (;;) {
    const rows = page.all(after) as unknown[][];
    if (rows.length === 0) break;
    for (const row of rows) {
      const data = JSON.parse(row[5] as string) as Record<string, unknown>;
      checksum += Object.keys(data).length;
      events += 1;
    }
    after = rows[rows.length - 1]![0] as number;
  }
  const seconds = (nowMs() - started) / 1000;
  db.close();
  return { workload: 'replay', variant: 'raw ceiling: read rows as arrays + JSON.parse', throughputPerS: round(events / seconds, 0), p50Ms: null, p99Ms: null, peakRssMiB: peakRssMiB(), operations: events, seconds: round(seconds, 2), notes: `checksum ${checksum}` };
}
