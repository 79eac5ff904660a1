import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerReadModel } from '../../src/app/readModel.js';
import { dateOfMoment } from '../../src/domain/dates.js';
import { checkLink } from '../../src/store/hashChain.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { grantView, summaryOfView, type GrantView } from '../../projections/grantView.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import { committeeResultsReport } from '../../projections/committeeResults.js';
import { prng, seedFrom } from '../support/prng.js';
import { handOver, startServerProcess, stopServerProcess, type ServerProcess } from '../support/serverProcess.js';

/**
 * Crash safety: the server on a file store takes concurrent commands and is killed with SIGKILL
 * at a random moment, round after round; after every restart each command that got a 2xx is in
 * the log exactly once, no event is half-written, every hash chain verifies, and the reports equal
 * a full replay of the log. Some rounds kill the server while it starts and replays the log.
 * The read model lives in memory and is rebuilt from the log at start: its checkpoint is the
 * log's position, so resuming from it and replaying afresh must give the same reports.
 */
const SEED = seedFrom('CRASH_SEED');
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 50);
const COMMANDS_PER_ROUND = 10;

interface Sent {
  readonly key: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  status: number | 'no answer';
}

describe(`crash safety: SIGKILL during concurrent commands (CRASH_SEED=${SEED})`, () => {
  const directory = mkdtempSync(join(tmpdir(), 'grantledger-crash-'));
  handOver(directory);
  const dbPath = join(directory, 'ledger.db');
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const amount = (max: number) => `${1 + Math.floor(random() * max)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
  let server: ServerProcess | null = null;
  let ekonom = '';

  afterAll(async () => {
    if (server) await stopServerProcess(server, 'SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  });

  const readLog = async (): Promise<RecordedEvent[]> => {
    const store = new SqliteEventStore(dbPath);
    try {
      const events: RecordedEvent[] = [];
      for await (const event of store.readAll()) events.push(event);
      return events;
    } finally {
      await store.close();
    }
  };

  /** A command against what exists in the log: most succeed, some are refused by a rule. */
  function nextCommand(round: number, index: number, grants: string[], allocations: Array<[string, string]>): Sent {
    const key = randomUUID();
    const roll = random();
    const day = `2021-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
    if (grants.length === 0 || roll < 0.2) {
      const grantId = `g-${round}-${index}`;
      return { key, status: 'no answer', path: '/api/grants', body: { grantId, grantor: 'Socialstyrelsen', title: 'Stimulans', purpose: 'Äldreomsorg', kind: 'riktat', committee: pick(['socialnamnden', 'aldrenamnden']), amount: amount(5000), receivedOn: '2021-01-04', useBy: '2021-12-31', repaymentRequired: random() < 0.5 } };
    }
    const grantId = pick(grants);
    if (roll < 0.4) return { key, status: 'no answer', path: `/api/grants/${grantId}/allocations`, body: { allocationId: `a-${round}-${index}`, activity: pick(['IFO', 'AO', 'FN']), amount: amount(400), allocatedOn: day } };
    if (roll < 0.55 && allocations.length > 0) {
      const [onGrant, allocationId] = pick(allocations);
      return { key, status: 'no answer', path: `/api/grants/${onGrant}/spending`, body: { allocationId, amount: amount(60), spentOn: day, voucher: `V${round}-${index}` } };
    }
    if (roll < 0.65) return { key, status: 'no answer', path: `/api/grants/${grantId}/installments`, body: { amount: amount(300), receivedOn: day } };
    if (roll < 0.75) return { key, status: 'no answer', path: `/api/grants/${grantId}/returns`, body: { amount: amount(20), returnedOn: day } };
    if (roll < 0.9) return { key, status: 'no answer', path: `/api/budgets/${pick(['socialnamnden', 'aldrenamnden'])}/2021/outcomes`, body: { period: day.slice(0, 7), activity: pick(['IFO', 'AO']), costs: amount(900), revenues: amount(90) } };
    return { key, status: 'no answer', path: `/api/budgets/${pick(['socialnamnden', 'aldrenamnden'])}/2021/appropriations`, body: { amount: amount(100_000), decidedOn: '2020-11-20', decisionRef: `KF ${round}` } };
  }

  const send = (command: Sent) =>
    fetch(`${server!.url}${command.path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ekonom}`, 'Content-Type': 'application/json', 'Idempotency-Key': command.key },
      body: JSON.stringify(command.body),
      signal: AbortSignal.timeout(10_000),
    }).then(
      (response) => {
        command.status = response.status;
        return response.body?.cancel();
      },
      () => undefined,
    );

  /** Every check after a restart; `sent` are all commands sent so far. */
  async function verify(sent: readonly Sent[], round: number): Promise<void> {
    const at = `round ${round}, CRASH_SEED=${SEED}`;
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true }), at).toBe('ok');
      // No half-written event: every row is whole JSON with its hash (checked below).
      for (const row of db.prepare('SELECT position, data, hash FROM events').all() as Array<{ position: number; data: string; hash: string }>) {
        expect(() => JSON.parse(row.data), `${at}: event at ${row.position}`).not.toThrow();
        expect(row.hash, at).toMatch(/^[0-9a-f]{64}$/);
      }
    } finally {
      db.close();
    }
    const log = await readLog();
    const byCommand = new Map<string, number>();
    for (const event of log) byCommand.set(event.metadata.commandId, (byCommand.get(event.metadata.commandId) ?? 0) + 1);
    for (const command of sent) {
      const stored = byCommand.get(command.key) ?? 0;
      if (typeof command.status === 'number' && command.status < 300) expect(stored, `${at}: ${command.path} answered ${command.status}`).toBe(1);
      else expect(stored, `${at}: ${command.path} (${command.status})`).toBeLessThanOrEqual(1);
    }
    const heads = new Map<string, RecordedEvent>();
    for (const event of log) {
      expect(checkLink(heads.get(event.streamId) ?? null, event), `${at}: chain of ${event.streamId}`).toBeNull();
      heads.set(event.streamId, event);
    }
    const audit = await server!.api('GET', '/api/audit/verify', { token: ekonom });
    expect(audit.body, at).toMatchObject({ ok: true, events: log.length });

    // The server's read model, resumed from the log at start, equals a fresh fold of the log.
    const replayed = new LedgerReadModel();
    for (const event of log) replayed.apply(event);
    const today = dateOfMoment(new Date());
    const views = [...replayed.grantStreams()].map((stream) => grantView(stream, {}, today)).filter((view): view is GrantView => view !== null);
    const unused = await server!.api('GET', '/api/reports/unused-grants', { token: ekonom });
    expect(unused.body, at).toEqual({ asOf: null, knownAt: null, ...unusedGrantsReport(views.map(summaryOfView), {}) });
    const results = await server!.api('GET', '/api/reports/committee-results', { token: ekonom });
    expect(results.body, at).toEqual({ asOf: null, knownAt: null, ...committeeResultsReport(replayed.budgetStreams(), replayed.grantStreams(), {}, {}) });
    const health = await server!.api('GET', '/health');
    expect(health.body, at).toMatchObject({ status: 'ok', position: log.length > 0 ? log[log.length - 1]!.position : 0 });
  }

  it(`keeps every acknowledged command exactly once over ${ROUNDS} SIGKILLs`, async () => {
    server = await startServerProcess(`sqlite:${dbPath}`);
    const issued = await server.api('POST', '/api/tokens', { body: { name: 'ekonom-crash', role: 'ekonom' } });
    expect(issued.status).toBe(201);
    ekonom = issued.body.token;
    const sent: Sent[] = [];
    let acknowledged = 0;
    let killedDuringStart = 0;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const log = await readLog();
      const grants = log.filter((event) => event.type === 'GrantReceived').map((event) => event.streamId.slice('grant-'.length));
      const allocations = log
        .filter((event) => event.type === 'FundsAllocated')
        .map((event) => [event.streamId.slice('grant-'.length), (event.data as { allocationId: string }).allocationId] as [string, string]);
      const commands = Array.from({ length: COMMANDS_PER_ROUND }, (_, index) => nextCommand(round, index, grants, allocations));
      sent.push(...commands);
      const sending = commands.map(send);
      const inFlight = Promise.all(sending);
      // Killed while commands are in flight, but only once one has been answered: on a busy
      // machine a fixed delay could kill every round before any answer (a test of timing, not of safety).
      await Promise.race(sending);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
      await stopServerProcess(server, 'SIGKILL');
      await inFlight;
      acknowledged += commands.filter((command) => typeof command.status === 'number' && command.status < 300).length;

      if (round % 10 === 5) {
        // Killed again while it starts: loading, replaying the log, or just listening.
        let child: import('node:child_process').ChildProcess | undefined;
        const starting = startServerProcess(`sqlite:${dbPath}`, {}, 20_000, (spawned) => (child = spawned)).catch(() => null);
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(random() * 400)));
        child!.kill('SIGKILL');
        const started = await starting;
        if (started) await started.exited;
        else killedDuringStart += 1;
      }
      server = await startServerProcess(`sqlite:${dbPath}`);
      await verify(sent, round);
      // A command whose answer was lost is sent again with its key: it lands once, whatever happened.
      for (const command of commands.filter((candidate) => candidate.status === 'no answer')) await send(command);
      await verify(sent, round);
    }
    expect(acknowledged, `CRASH_SEED=${SEED}`).toBeGreaterThanOrEqual(ROUNDS);
    console.log(`crash safety: ${ROUNDS} rounds, ${sent.length} commands, ${acknowledged} acknowledged before a kill, ${killedDuringStart} kills during start (CRASH_SEED=${SEED})`);
  }, 1_200_000); // a bound, not a speed test: 50 restarts on a busy machine take minutes
});
