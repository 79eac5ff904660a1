import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-out-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const store = join(directory, 'ledger.db');
const env = { LEDGER_STORE: `sqlite:${store}` };

describe('the CLI never writes --out over the ledger or an existing file', () => {
  beforeAll(async () => {
    expect((await runCli(['token', 'create', '--name', 'out.tester', '--role', 'revisor'], env)).code).toBe(0);
  }, 60_000);

  it.each(['', '-wal', '-shm', '.signing-key.pem'])('refuses the store file%s itself, with exit 2, and the store still verifies', async (suffix) => {
    const target = `${store}${suffix}`;
    const before = existsSync(target) ? readFileSync(target) : null;
    const result = await runCli(['export', '--out', target, '--force'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is the ledger's own file/);
    if (before) expect(readFileSync(target).equals(before)).toBe(true);
    const verified = await runCli(['verify'], env);
    expect(verified.code).toBe(0);
  });

  it('refuses another spelling of the store path too', async () => {
    const result = await runCli(['report', 'unused-grants', '--format', 'csv', '--out', join(directory, '.', 'sub', '..', 'ledger.db')], env);
    expect(result.code).toBe(2);
  });

  it('refuses an existing file without --force and replaces it with --force, mode 0600, leaving no temporary file', async () => {
    const target = join(directory, 'export.ndjson');
    writeFileSync(target, 'precious');
    const refused = await runCli(['export', '--out', target], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/exists; add --force/);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    const forced = await runCli(['export', '--out', target, '--force'], env);
    expect(forced.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toContain('TokenIssued');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('writes a new file with mode 0600', async () => {
    const target = join(directory, 'report.csv');
    const result = await runCli(['report', 'unused-grants', '--format', 'csv', '--out', target], env);
    expect(result.code).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('never follows a symbolic link: refused without --force, replaced (not written through) with it', async () => {
    const victim = join(directory, 'victim.txt');
    writeFileSync(victim, 'do not touch');
    const link = join(directory, 'link.json');
    symlinkSync(victim, link);
    const refused = await runCli(['export', '--out', link], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/symbolic link/);
    expect((await runCli(['export', '--out', link, '--force'], env)).code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('do not touch');
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
  });
});
