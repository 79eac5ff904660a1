import { describe } from 'vitest';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { describeEventStoreContract } from './eventStoreContract.js';

/**
 * The contract against a real EventStoreDB, e.g. `docker compose up -d eventstore` and
 * `ESDB_TEST_URL='esdb://127.0.0.1:2113?tls=false' npx vitest run test/store/esdbReal.int.spec.ts`.
 * The server is shared between tests, so each test works on fresh stream names and reads $all
 * from the head it found, as the contract already does.
 */
const url = process.env.ESDB_TEST_URL;

describe.runIf(url)('EventStoreDB (real server from ESDB_TEST_URL)', () => {
  describeEventStoreContract('EventStoreDB (real server)', {
    open: async () => {
      const store = new EsdbEventStore(url!);
      return { store, dispose: () => store.close() };
    },
  });
});
