import { readFileSync } from 'node:fs';
import { parseConfig, trustProxySetting } from '../../config.js';
import { openStore } from '../../store/openStore.js';
import { logSecretFrom, serve } from '../../server.js';
import { parseOptions, type CliCommand } from '../usage.js';
import { parseOidcConfig } from '../../oidc/config.js';
import { OidcIdentityProvider } from '../../oidc/provider.js';

export function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

export const serveCommand: CliCommand = {
  words: ['serve'],
  usage: 'serve',
  summary: 'serve the HTTP API (PORT, HOST, LEDGER_STORE, LEDGER_ADMIN_TOKEN, LEDGER_SIGNING_KEY, LEDGER_SNAPSHOT_FILE, LEDGER_TRUST_PROXY, LEDGER_LOG_SECRET, LEDGER_OIDC_*)',
  async run(args) {
    parseOptions(args, {});
    const config = parseConfig(process.env);
    // The identity provider is checked before the store is opened: a bad configuration stops the start here.
    const oidcConfig = parseOidcConfig(process.env, { host: config.HOST, port: config.PORT });
    const oidc = oidcConfig === null ? undefined : await OidcIdentityProvider.discover(oidcConfig);
    if (oidc) process.stderr.write(`grantledger: signing in with ${oidc.issuer} (client ${oidc.config.clientId}, roles from the ${oidc.config.roleClaim} claim)\n`);
    const store = await openStore(config.LEDGER_STORE, { signingKey: config.LEDGER_SIGNING_KEY });
    const version = packageVersion();
    const storePath = config.LEDGER_STORE.startsWith('sqlite:') ? config.LEDGER_STORE.slice('sqlite:'.length) : null;
    const server = await serve(store, {
      host: config.HOST,
      port: config.PORT,
      adminToken: config.LEDGER_ADMIN_TOKEN,
      version,
      trustProxy: trustProxySetting(config.LEDGER_TRUST_PROXY),
      oidc,
      // Unset: beside a SQLite file, none on EventStoreDB (server.ts).
      ...(config.LEDGER_SNAPSHOT_FILE === undefined ? {} : { snapshotPath: config.LEDGER_SNAPSHOT_FILE }),
      logSecret: logSecretFrom(config.LEDGER_LOG_SECRET, storePath === null || storePath === ':memory:' ? null : `${storePath}.log-secret`),
    });
    process.stderr.write(`grantledger ${version} serving ${server.url} on ${store.description}\n`);
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
  },
};
