import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite/sqliteEventStore.js';

/**
 * Opens the store a connection string names: `sqlite:<path>` (the embedded default) or
 * `esdb://…` (EventStoreDB, the client's own connection-string format).
 */
export async function openStore(url: string): Promise<EventStore> {
  if (url.startsWith('sqlite:')) return new SqliteEventStore(url.slice('sqlite:'.length));
  if (url.startsWith('esdb://') || url.startsWith('esdb+discover://')) {
    throw new Error('the EventStoreDB adapter is not part of this build yet');
  }
  throw new Error(`unknown store ${url}: use sqlite:<path> or esdb://host:2113?tls=false`);
}
