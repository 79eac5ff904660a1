import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli, startServe } from '../support/cli.js';

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
      expect(await health.json()).toEqual({ status: 'ok' });
      const detailed = await fetch(`${server.url}/health`, { headers: { Authorization: `Bearer ${env.LEDGER_ADMIN_TOKEN}` } });
      expect(await detailed.json()).toMatchObject({ status: 'ok', store: env.LEDGER_STORE });
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  });

  it('without a terminal, gives a fresh store no one-time admin token and says how to get one; nothing secret reaches the log', async () => {
    const server = await startServe(storeEnv('fresh.db'));
    try {
      expect(server.stderr()).not.toMatch(/glt_/);
      expect(server.stderr()).toMatch(/set LEDGER_ADMIN_TOKEN, or run grantledger token create --name NAME --role admin/);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  });

  it('shows the one-time admin token of a fresh store on the terminal only (not in a redirected log), and it can be revoked', async () => {
    const store = join(directory, 'fresh-tty.db');
    const log = join(directory, 'fresh-tty.log');
    const terminal = join(directory, 'fresh-tty.typescript');
    // util-linux script gives the server a pseudo-terminal; its standard error goes to a file, as a service manager's would.
    const command = `exec ${process.execPath} ${CLI} serve 2>${log}`;
    const child = spawn('script', ['-qfec', command, terminal], { env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LEDGER_STORE: `sqlite:${store}` }, stdio: 'ignore' });
    try {
      let url: string | undefined;
      for (let attempt = 0; attempt < 400 && url === undefined; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        url = existsSync(log) ? /serving (http:\/\/\S+)/.exec(readFileSync(log, 'utf8'))?.[1] : undefined;
      }
      expect(url).toBeDefined();
      const shown = readFileSync(terminal, 'utf8');
      const token = /\n\s+(glt_[A-Za-z0-9_-]+)/.exec(shown)?.[1];
      const tokenId = /grantledger token revoke ([0-9a-f-]{36})/.exec(shown)?.[1];
      expect(token).toBeDefined();
      expect(readFileSync(log, 'utf8')).not.toContain(token!);
      const response = await fetch(`${url}/api/tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'rut', role: 'revisor' }),
      });
      expect(response.status).toBe(201);
      const revoked = await runCli(['token', 'revoke', tokenId!], { LEDGER_STORE: `sqlite:${store}` });
      expect(revoked.code).toBe(0);
      let status = 0;
      for (let attempt = 0; attempt < 200 && status !== 401; attempt += 1) {
        status = (await fetch(`${url}/api/tokens`, { headers: { Authorization: `Bearer ${token}` } })).status;
        if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
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
