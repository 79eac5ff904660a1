import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handOver, startServerProcess, stopServerProcess, type ServerProcess } from '../support/serverProcess.js';

/**
 * The store's file fails under a running server: read-only, its directory gone, the disk full,
 * locked by another process. Each time a write gets a clear 503 problem, /health names the fault,
 * nothing is corrupted, and the same write succeeds once the fault is gone.
 */
describe('store faults on the SQLite file', () => {
  let directory: string;
  let dbPath: string;
  let server: ServerProcess | null = null;
  let ekonom = '';

  const grantBody = (grantId: string) => ({
    grantId, grantor: 'Socialstyrelsen', title: 'Stimulansmedel '.padEnd(180, 'x'), purpose: 'Äldreomsorg', kind: 'riktat',
    committee: 'aldrenamnden', amount: '125000.00', receivedOn: '2021-02-01', useBy: '2021-12-31', repaymentRequired: true,
  });
  const post = (key: string, grantId: string) => server!.api('POST', '/api/grants', { token: ekonom, body: grantBody(grantId), headers: { 'Idempotency-Key': key } });

  async function start(): Promise<ServerProcess> {
    server = await startServerProcess(`sqlite:${dbPath}`);
    if (ekonom === '') ekonom = (await server.api('POST', '/api/tokens', { body: { name: 'ekonom-1', role: 'ekonom' } })).body.token;
    return server;
  }

  /** The fault is visible as a 503 problem to writers and on /health. */
  async function expectFault(response: { status: number; headers: Headers; body: any }, words: RegExp): Promise<void> {
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toMatch(words);
    // Anyone learns that it fails; only an admin learns what fails.
    const anonymous = await server!.api('GET', '/health', { token: null });
    expect(anonymous.status).toBe(503);
    expect(anonymous.body).toEqual({ status: 'failing' });
    const health = await server!.api('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'failing', storeProblem: expect.stringMatching(words) });
  }

  /** The write refused during the fault goes through once, with the same key; nothing is damaged. */
  async function expectRecovered(key: string, grantId: string, eventsBefore: number): Promise<void> {
    const retried = await post(key, grantId);
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect((await post(key, grantId)).status).toBe(201);
    const health = await server!.api('GET', '/health');
    expect(health.body).toMatchObject({ status: 'ok' });
    expect(health.status).toBe(200);
    const events = (await server!.api('GET', '/api/events?limit=10000', { token: ekonom })).body.events as Array<{ commandId: string }>;
    expect(events).toHaveLength(eventsBefore + 1);
    expect(events.filter((event) => event.commandId === key)).toHaveLength(1);
    expect((await server!.api('GET', '/api/audit/verify', { token: ekonom })).body).toMatchObject({ ok: true, failures: [] });
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }

  const eventCount = async () => ((await server!.api('GET', '/api/events?limit=10000', { token: ekonom })).body.events as unknown[]).length;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'grantledger-faults-'));
    mkdirSync(join(directory, 'store'));
    handOver(directory);
    handOver(join(directory, 'store'));
    dbPath = join(directory, 'store', 'ledger.db');
    ekonom = '';
  });
  afterEach(async () => {
    if (server) await stopServerProcess(server, 'SIGKILL');
    server = null;
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses writes on a read-only file with 503, reports it, and writes again once it is writable', async () => {
    await start();
    expect((await post(randomUUID(), 'g-before')).status).toBe(201);
    await stopServerProcess(server!);
    for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(file)) chmodSync(file, 0o444);
    await start();
    const before = await eventCount();
    const key = randomUUID();
    await expectFault(await post(key, 'g-readonly'), /read-only/);
    expect(await eventCount()).toBe(before);
    for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(file)) chmodSync(file, 0o644);
    await expectRecovered(key, 'g-readonly', before);
  });

  it('refuses writes while the directory is missing instead of writing into a removed file, and resumes when it is back', async () => {
    await start();
    expect((await post(randomUUID(), 'g-before')).status).toBe(201);
    const before = await eventCount();
    renameSync(join(directory, 'store'), join(directory, 'moved'));
    const key = randomUUID();
    await expectFault(await post(key, 'g-missing'), /missing/);
    renameSync(join(directory, 'moved'), join(directory, 'store'));
    await expectRecovered(key, 'g-missing', before);
    // What was written survives a restart: nothing went into a file that no longer had a name.
    await stopServerProcess(server!);
    await start();
    expect(await eventCount()).toBe(before + 1);
  });

  it('refuses writes when the file may not grow (disk full), reports it, and writes again once there is room', async () => {
    await start();
    expect((await post(randomUUID(), 'g-before')).status).toBe(201);
    const sizes = [dbPath, `${dbPath}-wal`].filter(existsSync).map((file) => statSync(file).size);
    // A file-size limit on the running server: the next pages SQLite appends do not fit.
    execFileSync('prlimit', ['--pid', String(server!.pid), `--fsize=${Math.max(...sizes) + 1024}:unlimited`]);
    let refused: { key: string; grantId: string; response: Awaited<ReturnType<typeof post>> } | null = null;
    for (let attempt = 0; attempt < 50 && refused === null; attempt += 1) {
      const key = randomUUID();
      const response = await post(key, `g-full-${attempt}`);
      if (response.status !== 201) refused = { key, grantId: `g-full-${attempt}`, response };
    }
    expect(refused).not.toBeNull();
    await expectFault(refused!.response, /disk is full|may not grow/);
    const stored = await eventCount();
    execFileSync('prlimit', ['--pid', String(server!.pid), '--fsize=unlimited:unlimited']);
    await expectRecovered(refused!.key, refused!.grantId, stored);
    expect(server!.child.exitCode).toBeNull();
  });

  it('refuses writes while another process holds the write lock past the busy timeout, and resumes when it lets go', async () => {
    await start();
    expect((await post(randomUUID(), 'g-before')).status).toBe(201);
    const before = await eventCount();
    const other = new Database(dbPath, { timeout: 1000 });
    try {
      other.exec('BEGIN IMMEDIATE');
      const health = await server!.api('GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.storeProblem).toMatch(/locked/);
      const key = randomUUID();
      await expectFault(await post(key, 'g-locked'), /locked/);
      other.exec('ROLLBACK');
      await expectRecovered(key, 'g-locked', before);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  }, 30_000);
});
