import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { applyGrantEvent, INITIAL_GRANT_FACTS, type GrantFacts } from '../../src/domain/grant/state.js';
import { checkGrantEvent } from '../../src/domain/grant/decide.js';
import type { GrantCommand } from '../../src/domain/grant/commands.js';
import type { GrantEvent } from '../../src/domain/grant/events.js';
import { driveWriters, GRANTS, grantIdOf, nthCommand, receiveGrant } from './commandWorkload.js';
import { peakRssMiB, round, type WorkloadResult } from './measure.js';

const PEER_DIR = resolve('bench/peer');

export function peerInstalled(): boolean {
  return existsSync(join(PEER_DIR, 'node_modules/@event-driven-io/emmett-sqlite/package.json'));
}

interface EmmettStore {
  appendToStream(stream: string, events: GrantEvent[], options?: unknown): Promise<unknown>;
  close?(): Promise<void>;
}

/** The event a command causes, judged by the same rules as the ledger's decider. */
function decide(command: GrantCommand, facts: GrantFacts): GrantEvent {
  const event = (
    command.type === 'ReceiveGrant'
      ? { type: 'GrantReceived', data: command.data }
      : command.type === 'AllocateFunds'
        ? { type: 'FundsAllocated', data: command.data }
        : { type: 'FundsSpent', data: command.data }
  ) as GrantEvent;
  checkGrantEvent(facts, event);
  return event;
}

/**
 * The peer: the same workload through Emmett's SQLite event store and its CommandHandler
 * (aggregate the stream, decide, append with the expected stream version).
 */
export async function emmettCommands(directory: string, seconds: number): Promise<WorkloadResult> {
  const moduleUrl = (name: string) => pathToFileURL(join(PEER_DIR, 'node_modules/@event-driven-io', name, 'dist/index.js')).href;
  const sqlite = (await import(moduleUrl('emmett-sqlite'))) as {
    getSQLiteEventStore(options: { fileName: string }): EmmettStore;
    sqliteConnection(options: { fileName: string }): { querySingle(sql: string): Promise<Record<string, unknown>>; close(): void };
  };
  const emmett = (await import(moduleUrl('emmett'))) as {
    CommandHandler(options: {
      evolve: (state: GrantFacts, event: GrantEvent) => GrantFacts;
      initialState: () => GrantFacts;
      retry?: unknown;
    }): (store: EmmettStore, id: string, handle: (state: GrantFacts) => GrantEvent) => Promise<unknown>;
  };
  const fileName = join(directory, 'emmett.db');
  // Emmett's SQLite store takes one command at a time: a single store object shares a connection
  // that each operation closes when it ends (concurrent callers fail with SQLITE_MISUSE), and one
  // object per writer fails with SQLITE_BUSY, as its connections set no busy timeout. So the 64
  // writers queue for the one store, the concurrency it supports.
  const store = sqlite.getSQLiteEventStore({ fileName });
  const handle = emmett.CommandHandler({ evolve: applyGrantEvent, initialState: () => INITIAL_GRANT_FACTS, retry: { onVersionConflict: true } });
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  for (let index = 0; index < GRANTS; index += 1) {
    // Setup only: Emmett's store now and then fails a lone command with SQLITE_BUSY; try again.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await handle(store, `grant-${grantIdOf(index)}`, (facts) => decide(receiveGrant(index), facts));
        break;
      } catch (error) {
        if (attempt === 5) throw error;
      }
    }
  }
  let failures = 0;
  let firstFailure = '';
  const run = await driveWriters(seconds, async (writer, n, grantIndex) => {
    try {
      await serialised(() => handle(store, `grant-${grantIdOf(grantIndex)}`, (facts) => decide(nthCommand(writer, n, grantIndex), facts)));
    } catch (error) {
      failures += 1;
      firstFailure ||= error instanceof Error ? error.message : String(error);
    }
  });
  // Read the durability setting the peer's own connections run with.
  const probe = sqlite.sqliteConnection({ fileName });
  const synchronous = await probe.querySingle('PRAGMA synchronous');
  const journal = await probe.querySingle('PRAGMA journal_mode');
  probe.close();
  const succeeded = run.completed - failures;
  return {
    workload: 'commands',
    variant: 'peer: Emmett SQLite 0.38.5',
    throughputPerS: round(succeeded / run.elapsedS, 0),
    ...run.latencies,
    peakRssMiB: peakRssMiB(),
    operations: succeeded,
    seconds: round(run.elapsedS, 2),
    notes: `64 writers queue for one store (it fails under concurrent callers); journal_mode=${String(journal.journal_mode)}, synchronous=${String(synchronous.synchronous)} (2 = FULL)${failures ? `; ${failures} commands failed, first: ${firstFailure.slice(0, 120)}` : ''}`,
  };
}
