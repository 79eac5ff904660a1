import { parseConfig } from '../config.js';
import { openStore } from '../store/openStore.js';
import { Ledger } from '../app/ledger.js';
import type { EventStore } from '../store/port.js';

/** Runs work on a ledger over the store LEDGER_STORE names, replayed, and closes it afterwards. */
export async function withLedger<T>(work: (ledger: Ledger) => Promise<T>): Promise<T> {
  const config = parseConfig(process.env);
  const store = await openStore(config.LEDGER_STORE, { signingKey: config.LEDGER_SIGNING_KEY });
  const ledger = new Ledger(store);
  try {
    await ledger.start();
    return await work(ledger);
  } finally {
    await ledger.stop();
    await store.close();
  }
}

/** Runs work on the store LEDGER_STORE names, without replaying it into a read model. */
export async function withStore<T>(work: (store: EventStore) => Promise<T>): Promise<T> {
  const config = parseConfig(process.env);
  const store = await openStore(config.LEDGER_STORE, { signingKey: config.LEDGER_SIGNING_KEY });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
