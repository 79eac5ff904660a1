import type { Ledger } from '../app/ledger.js';
import { ContentionError } from '../app/errors.js';
import { WrongExpectedVersionError, type AppendResult, type EventStore } from '../store/port.js';
import type { SieMapping } from './mapping.js';
import type { SieSource } from './reader.js';
import { planImport, type ImportPlan, type PlanOptions } from './importPlan.js';

/**
 * Importing a SIE 4 file into the ledger: decide the whole file, then append it whole.
 *
 * Atomicity. On SQLite every stream's events and the record of imported verifications go into
 * one transaction (the store's appendToStreams): all of the file or nothing. Each append carries
 * the revision its stream was decided on, so a write by anyone else in between refuses the whole
 * transaction, and the file is decided again on the new state.
 * On a store without multi-stream transactions (EventStoreDB) the streams are appended one by one
 * (grants, budgets, then the record last), each with its exact expected revision. A failure in
 * between leaves the file partly stored and not recorded; every event id is derived from the
 * verification (spending) or from the set of verifications the file takes (outcome sums, record),
 * so importing the same file again finds those events by id, does not decide them a second time,
 * and completes the import.
 */
export type ImportStatus = 'imported' | 'dry-run' | 'nothing-new' | 'refused' | 'malformed';

export interface SieImportResult extends Omit<ImportPlan, 'appends'> {
  readonly status: ImportStatus;
  readonly dryRun: boolean;
  /** The global position of the last event written, when something was. */
  readonly position: number | null;
}

export interface SieImportOptions extends Omit<PlanOptions, 'actor' | 'tokenId'> {
  readonly actor: string;
  readonly tokenId: string;
  readonly dryRun: boolean;
  /** Attempts when other writers move the streams the file touches. @defaultValue 5 */
  readonly maxAttempts?: number;
}

function statusOf(plan: ImportPlan, dryRun: boolean): ImportStatus {
  if (plan.problems.length > 0) return 'malformed';
  if (plan.counts.refused > 0) return 'refused';
  if (dryRun) return 'dry-run';
  return plan.appends.length === 0 ? 'nothing-new' : 'imported';
}

function resultOf(plan: ImportPlan, status: ImportStatus, dryRun: boolean, position: number | null): SieImportResult {
  const { appends: _appends, ...rest } = plan;
  return { ...rest, status, dryRun, position };
}

async function appendPlan(store: EventStore, plan: ImportPlan): Promise<number> {
  const appends = plan.appends;
  let results: AppendResult[];
  if (store.appendToStreams) {
    results = await store.appendToStreams(appends);
  } else {
    results = [];
    for (const append of appends) results.push(await store.appendToStream(append.streamId, append.events, { expectedRevision: append.expectedRevision }));
  }
  return Math.max(...results.map((result) => result.position));
}

/**
 * Reads the file (openSource is called once per attempt), decides it, and unless refused or a dry
 * run, stores it. The answer lists what was (or would be) recorded and everything refused or
 * unmatched.
 */
export async function importSie(ledger: Ledger, openSource: () => SieSource, mapping: SieMapping, options: SieImportOptions): Promise<SieImportResult> {
  ledger.readModel.assertRunning();
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    await ledger.catchUp();
    const plan = await planImport(ledger.store, openSource(), mapping, { ...options, years: ledger.readModel });
    const status = statusOf(plan, options.dryRun);
    if (status !== 'imported') return resultOf(plan, status, options.dryRun, null);
    let position: number;
    try {
      position = await appendPlan(ledger.store, plan);
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) continue;
      throw error;
    }
    await ledger.readModel.waitFor(position, 60_000);
    return resultOf(plan, status, false, position);
  }
  throw new ContentionError('the streams of this SIE file', maxAttempts);
}
