import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { openSync, closeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EventStore } from '../../store/port.js';
import type { LogCheckpoint } from './core.js';
import { LedgerReadModel, PROJECTION_VERSION } from './index.js';
import type { TokenProjectionSnapshot } from './tokenProjection.js';

/**
 * The read model saved beside the store, so a start folds only the events after it.
 *
 * The file is lines: a JSON header (format, projection version, checkpoint, token table), one
 * line per stream ("g\t" index JSON "\t" events JSON for a grant, "b\t" stream id "\t" events
 * JSON for a budget), and a JSON trailer with the count of each. It is
 * written to a temporary file, fsynced and renamed over the old one, so a crash (even SIGKILL)
 * mid-write leaves the old snapshot or none, never half of one; the trailer catches anything else
 * that shortens it.
 */

const FORMAT = 'grantledger-read-model-snapshot/2';
/** Stream lines per chunk written: between chunks commands and queries run. */
const LINES_PER_CHUNK = 200;
const NEWLINE = 10;

interface Header {
  readonly format: string;
  readonly projectionVersion: number;
  readonly checkpoint: LogCheckpoint;
  readonly tokens: TokenProjectionSnapshot;
  readonly writtenAt: string;
}

interface Trailer {
  readonly end: string;
  readonly grants: number;
  readonly budgets: number;
}

/** Why a snapshot could not be used: said once in the log, and the read model is rebuilt from the log. */
export type SnapshotLoad =
  | { readonly kind: 'loaded'; readonly readModel: LedgerReadModel; readonly position: number; readonly seconds: number }
  | { readonly kind: 'none' }
  | { readonly kind: 'ignored'; readonly reason: string };

/** The snapshot file of a store, or null when the store has no file to put one beside. */
export function snapshotPathOf(store: EventStore): string | null {
  const match = /^sqlite:(.+)$/.exec(store.description);
  if (!match || match[1] === ':memory:') return null;
  return `${match[1]}.snapshot`;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Takes the read model's checkpoint now, then writes what it covers in chunks, letting the event
 * loop run between them: events applied meanwhile are after the checkpoint and left out (a
 * stream's events are appended, never changed, so its prefix up to the checkpoint stays put).
 */
export async function writeSnapshot(readModel: LedgerReadModel, path: string): Promise<LogCheckpoint> {
  const snapshot = readModel.snapshot();
  const header: Header = {
    format: FORMAT,
    projectionVersion: snapshot.projectionVersion,
    checkpoint: snapshot.checkpoint,
    tokens: snapshot.tokens,
    writtenAt: new Date().toISOString(),
  };
  const lines: Array<() => Buffer | null> = [
    ...snapshot.grantLines.map((line) => () => {
      const made = line();
      return made === null ? null : Buffer.concat([Buffer.from('g\t'), made]);
    }),
    ...snapshot.budgetLines.map((line) => () => {
      const made = line();
      return made === null ? null : Buffer.from(`b\t${made}`);
    }),
  ];
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  const counts = { grants: 0, budgets: 0 };
  try {
    await file.write(`${JSON.stringify(header)}\n`);
    for (let start = 0; start < lines.length; start += LINES_PER_CHUNK) {
      const chunk: Buffer[] = [];
      for (const line of lines.slice(start, start + LINES_PER_CHUNK)) {
        const made = line();
        if (made === null) continue;
        if (made[0] === 0x67) counts.grants += 1;
        else counts.budgets += 1;
        chunk.push(made, Buffer.from('\n'));
      }
      if (chunk.length > 0) await file.write(Buffer.concat(chunk));
      await yieldToEventLoop();
    }
    const trailer: Trailer = { end: FORMAT, ...counts };
    await file.write(`${JSON.stringify(trailer)}\n`);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
  // The rename is durable once the directory is.
  const directory = openSync(dirname(path), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
  return snapshot.checkpoint;
}

/** The lines of a file's bytes, without their newlines (the last one ends the file). */
function linesOf(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) {
      if (start < bytes.length) lines.push(bytes.subarray(start));
      return lines;
    }
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
}

/**
 * Reads a snapshot and checks it against the log: the projection code's version must be this
 * code's, and the log must still hold, at the snapshot's last position, the event with the hash
 * it recorded. Anything else is ignored with the reason, and the read model rebuilt.
 */
export async function loadSnapshot(path: string, store: EventStore): Promise<SnapshotLoad> {
  const started = process.hrtime.bigint();
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'ignored', reason: `it cannot be read (${(error as Error).message})` };
  }
  const lines = linesOf(bytes);
  let header: Header;
  try {
    header = JSON.parse(lines[0]?.toString('utf8') ?? '') as Header;
  } catch {
    return { kind: 'ignored', reason: 'its header is not JSON' };
  }
  if (header.format !== FORMAT) return { kind: 'ignored', reason: `its format is ${String(header.format)}, not ${FORMAT}` };
  if (header.projectionVersion !== PROJECTION_VERSION) {
    return { kind: 'ignored', reason: `it was written by projection version ${header.projectionVersion}, this code is version ${PROJECTION_VERSION}` };
  }
  let trailer: Partial<Trailer>;
  try {
    trailer = lines.length < 2 ? {} : (JSON.parse(lines[lines.length - 1]!.toString('utf8')) as Partial<Trailer>);
  } catch {
    trailer = {};
  }
  const grantLines: Buffer[] = [];
  const budgetLines: string[] = [];
  for (let index = 1; index < lines.length - 1; index += 1) {
    const line = lines[index]!;
    if (line[0] === 0x67 && line[1] === 9) grantLines.push(line.subarray(2));
    else if (line[0] === 0x62 && line[1] === 9) budgetLines.push(line.toString('utf8', 2));
    else return { kind: 'ignored', reason: `line ${index + 1} is not a stream line` };
  }
  if (trailer.end !== FORMAT || trailer.grants !== grantLines.length || trailer.budgets !== budgetLines.length) {
    return { kind: 'ignored', reason: 'it is cut short (no trailer, or not as many lines as it says)' };
  }
  const mismatch = await checkpointMismatch(header.checkpoint, store);
  if (mismatch !== null) return { kind: 'ignored', reason: mismatch };
  let readModel: LedgerReadModel;
  try {
    readModel = LedgerReadModel.fromSnapshot({ checkpoint: header.checkpoint, tokens: header.tokens, grantLines, budgetLines });
  } catch (error) {
    return { kind: 'ignored', reason: `a stream line cannot be read (${(error as Error).message})` };
  }
  return { kind: 'loaded', readModel, position: header.checkpoint.position, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Why the log no longer matches a checkpoint, or null when it does. */
async function checkpointMismatch(checkpoint: LogCheckpoint, store: EventStore): Promise<string | null> {
  if (checkpoint.position === 0) return null;
  for await (const event of store.readAll({ after: checkpoint.position - 1, maxCount: 1 })) {
    if (event.position !== checkpoint.position) return `the log has no event at its last position ${checkpoint.position}`;
    if (event.metadata.hash !== checkpoint.lastHash) return `the log's event at position ${checkpoint.position} has another hash than the one it covers`;
    return null;
  }
  return `the log ends before its last position ${checkpoint.position}`;
}

/**
 * Removes the temporary files of writes that never finished (a process killed mid-write): they
 * are never read, only in the way. Called at start, before this process writes any.
 */
export async function removeUnfinishedSnapshots(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  const unfinished = (await readdir(dirname(path)).catch(() => [] as string[])).filter(
    (name) => name.startsWith(prefix) && /^\d+\.tmp$/.test(name.slice(prefix.length)),
  );
  for (const name of unfinished) await rm(join(dirname(path), name), { force: true });
  return unfinished;
}
