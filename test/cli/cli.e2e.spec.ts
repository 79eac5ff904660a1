import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../support/cli.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const storeEnv = (name: string) => ({ LEDGER_STORE: `sqlite:${join(directory, name)}` });

describe('grantledger CLI', () => {
  it('issues a token that the server then accepts', async () => {
    const env = { ...storeEnv('tokens.db'), LEDGER_ADMIN_TOKEN: 'cli-admin-token-0123456789' };
    const created = await runCli(['token', 'create', '--name', 'eva.ekonom', '--role', 'ekonom'], env);
    expect(created.code).toBe(0);
    const issued = JSON.parse(created.stdout) as { name: string; role: string; token: string };
    expect(issued).toMatchObject({ name: 'eva.ekonom', role: 'ekonom' });
    const server = await startServe(env);
    try {
      const ok = await fetch(`${server.url}/api/reports/unused-grants`, { headers: { Authorization: `Bearer ${issued.token}` } });
      expect(ok.status).toBe(200);
      const health = await fetch(`${server.url}/health`);
      expect(await health.json()).toMatchObject({ status: 'ok', store: env.LEDGER_STORE });
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  });

  it('prints a one-time admin token for a fresh store without LEDGER_ADMIN_TOKEN', async () => {
    const server = await startServe(storeEnv('fresh.db'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const token = /\n\s+(glt_[A-Za-z0-9_-]+)/.exec(server.stderr())?.[1];
      expect(token).toBeDefined();
      const response = await fetch(`${server.url}/api/tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'rut', role: 'revisor' }),
      });
      expect(response.status).toBe(201);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  });

  it.each([
    [['token', 'create', '--name', 'a b', '--role', 'ekonom'], /--name must be/],
    [['token', 'create', '--name', 'anna', '--role', 'kung'], /--role must be/],
    [['token', 'create', '--name', 'anna'], /--role is required/],
    [['token', 'create', '--name', 'anna', '--role', 'ekonom', '--extra'], /Unknown option/],
    [['token', 'delete'], /unknown command/],
    [['frobnicate'], /unknown command: frobnicate/],
    [[], /no command given/],
  ])('exits 2 with a message and writes nothing for %j', async (args, message) => {
    const env = storeEnv(`bad-${args.join('-') || 'none'}.db`);
    const result = await runCli(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: grantledger');
    expect(existsSync(env.LEDGER_STORE.slice('sqlite:'.length))).toBe(false);
  });

  it('exits 2 on a bad configuration', async () => {
    const result = await runCli(['token', 'create', '--name', 'anna', '--role', 'ekonom'], { LEDGER_STORE: 'mysql://x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/LEDGER_STORE: must be sqlite:<path> or esdb:/);
  });
});
