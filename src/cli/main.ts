#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../config.js';
import { openStore } from '../store/openStore.js';
import { serve } from '../server.js';
import { Ledger } from '../app/ledger.js';
import { Role, TokenName } from '../domain/access.js';

const USAGE = `Usage: grantledger <command> [options]

Commands:
  serve                                 serve the HTTP API (PORT, HOST, LEDGER_STORE, LEDGER_ADMIN_TOKEN)
  token create --name NAME --role ROLE  issue a token (roles: ekonom, revisor, admin); printed once

Every command works on the store that LEDGER_STORE names (default sqlite:./data/ledger.db).`;

/** Bad input on the command line: exit code 2 with a message, and nothing done. */
class UsageError extends Error {}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

async function serveCommand(args: string[]): Promise<void> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  const config = parseConfig(process.env);
  const store = await openStore(config.LEDGER_STORE);
  const server = await serve(store, { host: config.HOST, port: config.PORT, adminToken: config.LEDGER_ADMIN_TOKEN, version: version() });
  process.stderr.write(`grantledger ${version()} serving ${server.url} on ${store.description}\n`);
  const shutdown = (signal: string) => {
    process.stderr.write(`grantledger: ${signal}, stopping\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`grantledger: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

async function tokenCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError(`unknown token command ${sub ?? '(none)'}: use "token create --name NAME --role ROLE"`);
  const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, role: { type: 'string' } }, strict: true });
  const name = TokenName.safeParse(values.name);
  if (!name.success) throw new UsageError(`--name ${values.name === undefined ? 'is required' : name.error.issues[0]!.message}`);
  const role = Role.safeParse(values.role);
  if (!role.success) throw new UsageError(`--role ${values.role === undefined ? 'is required' : role.error.issues[0]!.message}`);
  const config = parseConfig(process.env);
  const store = await openStore(config.LEDGER_STORE);
  const ledger = new Ledger(store);
  try {
    await ledger.start();
    const issued = await ledger.issueToken(name.data, role.data, `cli:${process.env.USER ?? 'unknown'}`);
    process.stdout.write(`${JSON.stringify(issued)}\n`);
  } finally {
    await ledger.stop();
    await store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(args);
    case 'token':
      return tokenCommand(args);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`grantledger: ${error instanceof Error ? error.message : String(error)}\n`);
  if (usage) process.stderr.write(`\n${USAGE}\n`);
  process.exit(usage ? 2 : 1);
});
