import { EsdbEventStore, type EsdbStoreOptions } from './esdbEventStore.js';

const ESDB_URL = /^esdb(\+discover)?:\/\//;

/** True for connection strings the EventStoreDB store takes: `esdb://` and `esdb+discover://`. */
export function isEsdbUrl(url: string): boolean {
  return ESDB_URL.test(url);
}

/**
 * Opens the EventStoreDB store. The client parses the connection string itself (hosts, TLS,
 * certificates, node preference), so the ledger passes it through unchanged.
 */
export function openEsdbStore(url: string, options?: EsdbStoreOptions): EsdbEventStore {
  if (!isEsdbUrl(url)) throw new Error('an EventStoreDB connection string starts with esdb:// or esdb+discover://');
  return new EsdbEventStore(url, options);
}
