import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { runCli } from '../support/cli.js';
import { copyStore, firstOfType, forgeAppend, loadDemo, rechain, rowAt, tamper } from './demoStore.js';
import { hashToken, newToken } from '../../src/app/tokens.js';
import { startServerProcess, stopServerProcess } from '../support/serverProcess.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-tamper-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let original: string;
/** Every copy is checked with the original's signing key, which the attacker does not hold. */
const env = (path: string) => ({ LEDGER_STORE: `sqlite:${path}`, LEDGER_SIGNING_KEY: `${original}.signing-key.pem` });

let digest: string;

beforeAll(async () => {
  original = loadDemo(join(directory, 'original.db'));
  const printed = await runCli(['digest'], env(original));
  expect(printed.code).toBe(0);
  digest = printed.stdout.trim();
}, 60_000);

function changeAmount(db: Database.Database): string {
  const row = firstOfType(db, 'FundsReturned');
  const data = JSON.parse(row.data) as { amount: string };
  db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ ...data, amount: '1.00' }), row.position);
  return row.event_id;
}

describe('tampering with the SQLite file directly is caught', () => {
  it('the untouched store verifies, with and without the digest, and its latest signed tree head covers it all', async () => {
    const result = await runCli(['verify', '--digest', digest], env(original));
    expect(result.stdout).toContain('hash chains: ok');
    expect(result.stdout).toContain('digest: ok');
    expect(result.stdout).toMatch(/signed tree head: ok: the signed tree head of \d+ events matches the log/);
    expect(result.code).toBe(0);
  });

  it('a changed amount: verify names the altered event', async () => {
    const path = copyStore(original, join(directory, 'amount.db'));
    const eventId = tamper(path, changeAmount);
    const result = await runCli(['verify'], env(path));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`first broken event: grant-tvv-segregation-2020 revision 1 \\(event ${eventId}\\): hash-mismatch`));
  });

  it('a deleted row in the middle of a stream: the chain shows the gap and the digest the loss', async () => {
    const path = copyStore(original, join(directory, 'deleted.db'));
    const deleted = tamper(path, (db) => {
      const row = firstOfType(db, 'FundsReturned');
      db.prepare('DELETE FROM events WHERE position = ?').run(row.position);
      return row;
    });
    const chains = await runCli(['verify'], env(path));
    expect(chains.code).toBe(1);
    expect(chains.stdout).toMatch(/first broken event: grant-tvv-segregation-2020 revision 2 .*revision-gap/);
    const withDigest = await runCli(['verify', '--digest', digest], env(path));
    expect(withDigest.code).toBe(1);
    expect(withDigest.stdout).toContain('digest: MISMATCH');
    expect(deleted.stream_id).toBe('grant-tvv-segregation-2020');
  });

  it('the last event removed, which no chain can show: the signed tree head catches it without a digest, and so does the digest', async () => {
    const path = copyStore(original, join(directory, 'truncated.db'));
    tamper(path, (db) => db.prepare('DELETE FROM events WHERE position = (SELECT max(position) FROM events)').run());
    const chains = await runCli(['verify'], env(path));
    expect(chains.stdout).toContain('hash chains: ok');
    expect(chains.stdout).toMatch(/signed tree head: FAILED: the log holds \d+ events, fewer than the \d+ its latest signed tree head covers: events were removed/);
    expect(chains.code).toBe(1);
    const withDigest = await runCli(['verify', '--digest', digest], env(path));
    expect(withDigest.code).toBe(1);
    expect(withDigest.stdout).toMatch(/digest: MISMATCH: the log holds fewer than the \d+ events the digest covers/);
  });

  it('two rows of different streams swapped in the global order: the digest catches it', async () => {
    const path = copyStore(original, join(directory, 'swapped.db'));
    tamper(path, (db) => {
      // Two neighbours of different streams recorded in the same order as before, so neither chain nor time order shows it.
      const a = firstOfType(db, 'GrantReceived');
      const b = rowAt(db, a.position + 1);
      expect(b.stream_id).not.toBe(a.stream_id);
      db.prepare('UPDATE events SET position = -1 WHERE position = ?').run(a.position);
      db.prepare('UPDATE events SET position = ? WHERE position = ?').run(a.position, b.position);
      db.prepare('UPDATE events SET position = ? WHERE position = -1').run(b.position);
    });
    const withDigest = await runCli(['verify', '--digest', digest], env(path));
    expect(withDigest.code).toBe(1);
    expect(withDigest.stdout).toMatch(/digest: MISMATCH: the first \d+ events differ/);
    const withoutDigest = await runCli(['verify'], env(path));
    expect(withoutDigest.code).toBe(1);
    expect(withoutDigest.stdout).toMatch(/signed tree head: FAILED: the first \d+ events do not have the root of the signed tree head/);
  });

  it('an amount changed and the chain recomputed: the chains pass, the digest does not', async () => {
    const path = copyStore(original, join(directory, 'rechained.db'));
    tamper(path, (db) => {
      changeAmount(db);
      rechain(db, 'grant-tvv-segregation-2020');
    });
    const chains = await runCli(['verify'], env(path));
    expect(chains.stdout).toContain('hash chains: ok');
    expect(chains.stdout).toMatch(/signed tree head: FAILED: the first \d+ events do not have the root of the signed tree head/);
    expect(chains.code).toBe(1);
    const withDigest = await runCli(['verify', '--digest', digest], env(path));
    expect(withDigest.code).toBe(1);
    expect(withDigest.stdout).toContain('digest: MISMATCH');
    // And no consistency proof joins the kept digest to the forged log.
    const forged = (await runCli(['digest'], env(path))).stdout.trim();
    const proof = await runCli(['prove', '--from', digest, '--to', forged], env(path));
    expect(proof.code).toBe(1);
    expect(proof.stderr).toMatch(/is not a digest of this log/);
  });

  it('an admin TokenIssued appended with a valid chain: verify reports it unsigned without a digest, and no server honours the token', async () => {
    const path = copyStore(original, join(directory, 'forged-admin.db'));
    const token = newToken();
    tamper(path, (db) =>
      forgeAppend(db, 'tokens', 'TokenIssued', { name: 'mallory', role: 'admin', tokenHash: hashToken(token), tokenId: '0b5e7b4e-3a5c-4d8e-9f10-2a3b4c5d6e7f', expiresAt: '2099-01-01T00:00:00.000Z' }),
    );
    const verified = await runCli(['verify'], env(path));
    expect(verified.stdout).toContain('hash chains: ok');
    expect(verified.stdout).toMatch(/signed tree head: FAILED: 1 event\(s\) beyond the latest signed tree head are unsigned/);
    expect(verified.stdout).toContain('unsigned events: 1');
    expect(verified.code).toBe(1);
    // A restart on the forged log: the forged admin gets nothing, and /health says why (to an admin).
    const server = await startServerProcess(`sqlite:${path}`, { LEDGER_SIGNING_KEY: `${original}.signing-key.pem`, LEDGER_ADMIN_TOKEN: 'demo-admin-token-0123456789' });
    try {
      const forged = await server.api('GET', '/api/tokens', { token });
      expect([401, 503]).toContain(forged.status);
      const health = await server.api('GET', '/health', { token: null });
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'failing' });
    } finally {
      await stopServerProcess(server);
    }
  });

  it('the product keeps refusing UPDATE and DELETE while the triggers are in place', () => {
    const path = copyStore(original, join(directory, 'guarded.db'));
    expect(() => tamperWithoutDroppingTriggers(path)).toThrow(/append-only/);
  });
});

function tamperWithoutDroppingTriggers(path: string): void {
  const db = new Database(path);
  try {
    db.prepare("UPDATE events SET actor = 'mallory' WHERE position = 1").run();
  } finally {
    db.close();
  }
}
