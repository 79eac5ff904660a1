import { describe } from 'vitest';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { describeHttpApi } from './httpApiSuite.js';

describe('HTTP API on EventStoreDB (gRPC conformance double)', () => {
  describeHttpApi(async () => {
    const double = await EsdbDouble.start();
    return {
      name: 'EventStoreDB double',
      open: async () => new EsdbEventStore(double.connectionString),
      dispose: () => double.stop(),
    };
  });
});
