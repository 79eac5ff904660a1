import { dirname, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite/sqliteEventStore.js';
import { defaultKeyPath, loadSigningKey, type LoadedSigner } from './treeHeads.js';

export interface OpenStoreOptions {
  /** The Ed25519 key file (LEDGER_SIGNING_KEY); by default beside the SQLite file, or data/ for EventStoreDB. */
  readonly signingKey?: string | undefined;
  /** Told once when a fresh install creates its key file. */
  readonly announce?: (message: string) => void;
}

function signerFor(storePath: string | null, options: OpenStoreOptions): LoadedSigner {
  const given = options.signingKey;
  const path = given ?? defaultKeyPath(storePath);
  if (given === undefined) mkdirSync(dirname(resolve(path)), { recursive: true });
  // A key named by LEDGER_SIGNING_KEY must exist: a typo would otherwise start a second key.
  const loaded = loadSigningKey(path, { create: given === undefined });
  if (loaded.created) {
    (options.announce ?? ((message: string) => process.stderr.write(`${message}\n`)))(
      `grantledger: created the tree-head signing key ${path} (mode 0600); keep a copy somewhere safe, away from the database`,
    );
  }
  return loaded;
}

/**
 * Opens the store a connection string names: `sqlite:<path>` (the embedded default) or
 * `esdb://…` (EventStoreDB, the client's own connection-string format), with the key that signs
 * its tree heads.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('sqlite: needs a file path, e.g. sqlite:./data/ledger.db');
    const signer = path === ':memory:' ? undefined : signerFor(path, options).signer;
    return new SqliteEventStore(path, signer ? { signer } : {});
  }
  // Loaded only when named: the EventStoreDB client and gRPC cost a SQLite server ~150 ms per start.
  // Its heads live in the stream grantledger-tree-heads; the key file is data/ unless LEDGER_SIGNING_KEY names one.
  if (/^esdb(\+discover)?:\/\//.test(url)) return (await import('./esdb/openEsdbStore.js')).openEsdbStore(url, { signer: signerFor(null, options).signer });
  throw new Error(`unknown store URL ${url.replace(/\/\/[^@/]*@/, '//')}: use sqlite:<path> or esdb://host:2113?tls=false`);
}
