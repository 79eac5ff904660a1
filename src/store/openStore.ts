import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite/sqliteEventStore.js';

/**
 * Opens the store a connection string names: `sqlite:<path>` (the embedded default) or
 * `esdb://…` (EventStoreDB, the client's own connection-string format).
 */
export async function openStore(url: string): Promise<EventStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('sqlite: needs a file path, e.g. sqlite:./data/ledger.db');
    return new SqliteEventStore(path);
  }
  // Loaded only when named: the EventStoreDB client and gRPC cost a SQLite server ~150 ms per start.
  if (/^esdb(\+discover)?:\/\//.test(url)) return (await import('./esdb/openEsdbStore.js')).openEsdbStore(url);
  throw new Error(`unknown store URL ${url.replace(/\/\/[^@/]*@/, '//')}: use sqlite:<path> or esdb://host:2113?tls=false`);
}
