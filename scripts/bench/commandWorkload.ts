import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { TreeHeadSigner } from '../../src/store/treeHeads.js';
import { SCHEMA_SQL } from '../../src/store/sqlite/schema.js';
import type { GrantCommand } from '../../src/domain/grant/commands.js';
import { Latencies, nowMs, peakRssMiB, round, type WorkloadResult } from './measure.js';

/**
 * The command workload: 64 concurrent writers issuing allocate/spend commands on 1 000 grants.
 * Writers own disjoint grants, so no system pays for conflicts; every command is one event.
 */
export const WRITERS = 64;
export const GRANTS = 1000;

export function grantIdOf(index: number): string {
  return `bench-${String(index).padStart(5, '0')}`;
}

export function receiveGrant(index: number): GrantCommand {
  return {
    type: 'ReceiveGrant',
    data: {
      grantId: grantIdOf(index),
      grantor: 'Socialstyrelsen',
      title: `Riktat statsbidrag ${index}`,
      purpose: 'Benchmark',
      kind: 'riktat',
      committee: `namnd-${index % 290}`,
      amount: '9000000000.00',
      receivedOn: '2021-01-04',
      useBy: '2030-12-31',
      repaymentRequired: true,
    },
  };
}

/**
 * The n-th command of a writer on a grant: every fourth allocates 100.00, the others spend 1.00
 * from the grant's latest allocation.
 */
export function nthCommand(writer: number, n: number, grantIndex: number): GrantCommand {
  const allocationId = `w${writer}-g${grantIndex}-a${Math.floor(n / 4)}`;
  if (n % 4 === 0) {
    return { type: 'AllocateFunds', data: { allocationId, activity: 'IFO', amount: '100.00', allocatedOn: '2021-02-01' } };
  }
  return { type: 'SpendFunds', data: { allocationId, amount: '1.00', spentOn: '2021-03-01', voucher: `V${writer}-${n}` } };
}

/** Runs every writer until the deadline; returns the completed count and latencies. */
export async function driveWriters(seconds: number, execute: (writer: number, n: number, grantIndex: number) => Promise<void>) {
  const latencies = new Latencies();
  let completed = 0;
  const started = nowMs();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const owned = Array.from({ length: Math.ceil(GRANTS / WRITERS) }, (_, k) => writer + k * WRITERS).filter((g) => g < GRANTS);
      const perGrant = new Map<number, number>();
      for (let step = 0; nowMs() < deadline; step += 1) {
        const grantIndex = owned[step % owned.length]!;
        const n = perGrant.get(grantIndex) ?? 0;
        perGrant.set(grantIndex, n + 1);
        const before = nowMs();
        await execute(writer, n, grantIndex);
        latencies.record(nowMs() - before);
        completed += 1;
      }
    }),
  );
  return { completed, elapsedS: (nowMs() - started) / 1000, latencies: latencies.summary() };
}

/** grantledger's application layer: decide, group-committed durable append, read model updated. */
export async function ledgerCommands(directory: string, seconds: number): Promise<WorkloadResult> {
  // As served: every group commit signs a tree head of the whole log with an Ed25519 key.
  const store = new SqliteEventStore(join(directory, 'ledger-commands.db'), { signer: TreeHeadSigner.generate() });
  const ledger = new Ledger(store);
  await ledger.start();
  const context = () => {
    const commandId = randomUUID();
    return { actor: 'bench', tokenId: 'cli', commandId, correlationId: commandId };
  };
  for (let index = 0; index < GRANTS; index += 1) await ledger.executeGrant(grantIdOf(index), receiveGrant(index), context());
  const commitsBefore = store.stats.commits;
  const appendsBefore = store.stats.appends;
  const cpuBefore = process.cpuUsage();
  const run = await driveWriters(seconds, async (writer, n, grantIndex) => {
    await ledger.executeGrant(grantIdOf(grantIndex), nthCommand(writer, n, grantIndex), context());
  });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerCommand = round((cpu.user + cpu.system) / 1000 / Math.max(1, run.completed), 3);
  const groupSize = (store.stats.appends - appendsBefore) / Math.max(1, store.stats.commits - commitsBefore);
  await ledger.stop();
  await store.close();
  return {
    workload: 'commands',
    variant: 'grantledger (application layer)',
    throughputPerS: round(run.completed / run.elapsedS, 0),
    ...run.latencies,
    peakRssMiB: peakRssMiB(),
    operations: run.completed,
    seconds: round(run.elapsedS, 2),
    notes: `${WRITERS} writers; mean group commit ${round(groupSize, 1)} appends per fsync; CPU ${cpuMsPerCommand} ms per command`,
    metrics: { cpuMsPerOperation: cpuMsPerCommand },
  };
}

/** Rows shaped as the ledger stores them: same columns, same JSON, hashes precomputed. */
function rawRow(index: number) {
  const writer = index % WRITERS;
  const grantIndex = index % GRANTS;
  const command = nthCommand(writer, Math.floor(index / GRANTS), grantIndex);
  const type = command.type === 'AllocateFunds' ? 'FundsAllocated' : 'FundsSpent';
  const id = randomUUID();
  return [
    `grant-${grantIdOf(grantIndex)}-${index}`,
    0,
    id,
    type,
    JSON.stringify(command.data),
    'bench',
    id,
    id,
    null,
    new Date().toISOString(),
    '0'.repeat(64),
    'f'.repeat(64),
  ];
}

/**
 * The ceiling: raw better-sqlite3 inserts of the same rows into the same table, with the same
 * durability (WAL, synchronous = FULL), either one transaction per event or batches of as many
 * rows as there are writers (the most a group commit of 64 writers can gather).
 */
export function rawInserts(directory: string, seconds: number, rowsPerTransaction: number): WorkloadResult {
  const db = new Database(join(directory, `raw-${rowsPerTransaction}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA_SQL);
  const insert = db.prepare(
    `INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, recorded_at, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const batch = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(...row);
  });
  const latencies = new Latencies();
  let completed = 0;
  const started = nowMs();
  const deadline = started + seconds * 1000;
  while (nowMs() < deadline) {
    const rows = Array.from({ length: rowsPerTransaction }, (_, k) => rawRow(completed + k));
    const before = nowMs();
    batch.immediate(rows);
    latencies.record(nowMs() - before);
    completed += rowsPerTransaction;
  }
  const elapsedS = (nowMs() - started) / 1000;
  db.close();
  return {
    workload: 'commands',
    variant: rowsPerTransaction === 1 ? 'ceiling: raw inserts, 1 per transaction' : `ceiling: raw inserts, ${rowsPerTransaction} per transaction`,
    throughputPerS: round(completed / elapsedS, 0),
    ...latencies.summary(),
    peakRssMiB: peakRssMiB(),
    operations: completed,
    seconds: round(elapsedS, 2),
    notes: 'latency is per transaction',
  };
}
