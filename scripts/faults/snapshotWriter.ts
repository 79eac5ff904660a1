/**
 * A child process for the snapshot fault test (test/faults/snapshotKill.e2e.spec.ts): starts a
 * ledger on a store with its snapshot beside it (loading the last one), says "ready" on stdout,
 * then writes snapshots back to back until it is killed. The test SIGKILLs it at a random
 * moment, so most kills land in the middle of a write.
 *
 * node dist/scripts/faults/snapshotWriter.js <store file>
 */
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { Ledger } from '../../src/app/ledger.js';

const [path] = process.argv.slice(2);
if (path === undefined) {
  process.stderr.write('usage: snapshotWriter <store file>\n');
  process.exit(2);
}
const store = new SqliteEventStore(path);
const ledger = new Ledger(store, { snapshotPath: `${path}.snapshot`, snapshotEveryEvents: Number.MAX_SAFE_INTEGER, log: (message) => process.stderr.write(`${message}\n`) });
await ledger.start();
process.stdout.write(`ready ${ledger.readModel.position}\n`);
for (let written = 0; written < 100_000; written += 1) await ledger.saveSnapshot();
