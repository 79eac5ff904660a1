/**
 * Runs one benchmark workload in this process and prints its result as one JSON line, so each
 * workload's peak RSS is its own. Called by scripts/bench/main.ts.
 */
import { ledgerCommands, rawInserts } from './commandWorkload.js';
import { emmettCommands } from './peerWorkload.js';
import { httpCommands } from './httpWorkload.js';
import { generateLog, parseCeiling, parseCeilingRaw, replayLedger } from './replayWorkload.js';
import { reportQueries } from './reportWorkload.js';
import { restart, restartFromLog, restartFromSnapshot, restartSignedFromLog, restartSignedFromSnapshot } from './restartWorkload.js';
import { pageRequests } from './pageWorkload.js';
import { generateSie, importSieWorkload, readSie } from './sieWorkload.js';
import { earlyWarningBacktest } from './backtestWorkload.js';
import type { WorkloadResult } from './measure.js';

const [name, directory, secondsText, sizeText] = process.argv.slice(2);
const seconds = Number(secondsText);
const size = Number(sizeText);

const WORKLOADS: Record<string, () => Promise<WorkloadResult | WorkloadResult[]>> = {
  'commands-ledger': () => ledgerCommands(directory!, seconds),
  'commands-raw-1': async () => rawInserts(directory!, seconds, 1),
  'commands-raw-64': async () => rawInserts(directory!, seconds, 64),
  'commands-peer': () => emmettCommands(directory!, seconds),
  http: () => httpCommands(directory!, seconds),
  'replay-generate': () => generateLog(directory!, size),
  'replay-ledger': () => replayLedger(directory!),
  'replay-ceiling': () => parseCeiling(directory!),
  'replay-ceiling-raw': () => parseCeilingRaw(directory!),
  restart: () => restart(directory!),
  'restart-log': () => restartFromLog(directory!),
  'restart-snapshot': () => restartFromSnapshot(directory!),
  'restart-signed-log': () => restartSignedFromLog(directory!),
  'restart-signed-snapshot': () => restartSignedFromSnapshot(directory!),
  reports: () => reportQueries(directory!, size),
  pages: () => pageRequests(directory!, size),
  'sie-generate': () => generateSie(directory!, size),
  'sie-read': () => readSie(directory!),
  'sie-import': () => importSieWorkload(directory!),
  backtest: () => earlyWarningBacktest(size),
};

const run = WORKLOADS[name ?? ''];
if (!run) {
  process.stderr.write(`unknown workload ${name}; one of ${Object.keys(WORKLOADS).join(', ')}\n`);
  process.exit(2);
}
run().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
