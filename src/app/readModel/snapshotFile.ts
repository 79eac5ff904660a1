import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { openSync, closeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EventStore } from '../../store/port.js';
import type { ProjectedEvent } from '../../../projections/clocks.js';
import type { LogCheckpoint } from './core.js';
import { LedgerReadModel, PROJECTION_VERSION, type ReadModelSnapshot } from './index.js';
import type { TokenProjectionSnapshot } from './tokenProjection.js';

/**
 * The read model saved beside the store, so a start folds only the events after it.
 *
 * The file is JSON lines: a header (format, projection version, checkpoint, token table), one
 * line per stream with its compacted events, and a trailer with the count of stream lines. It is
 * written to a temporary file, fsynced and renamed over the old one, so a crash (even SIGKILL)
 * mid-write leaves the old snapshot or none, never half of one; the trailer catches anything else
 * that shortens it.
 */

const FORMAT = 'grantledger-read-model-snapshot/1';
/** Streams per chunk written: between chunks commands and queries run. */
const STREAMS_PER_CHUNK = 500;

interface Header {
  readonly format: string;
  readonly projectionVersion: number;
  readonly checkpoint: LogCheckpoint;
  readonly tokens: TokenProjectionSnapshot;
  readonly writtenAt: string;
}

type StreamLine = readonly ['grant' | 'budget', string, readonly ProjectedEvent[]];

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
  const upTo = snapshot.checkpoint.position;
  const header: Header = {
    format: FORMAT,
    projectionVersion: snapshot.projectionVersion,
    checkpoint: snapshot.checkpoint,
    tokens: snapshot.tokens,
    writtenAt: new Date().toISOString(),
  };
  // The arrays are the live ones: only their prefix up to the checkpoint is written.
  const streams: Array<readonly ['grant' | 'budget', string, readonly ProjectedEvent[], number]> = [];
  for (const [id, events] of snapshot.grants.streams) streams.push(['grant', id, events, events.length]);
  for (const [id, events] of snapshot.budgets.streams) streams.push(['budget', id, events, events.length]);
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.write(`${JSON.stringify(header)}\n`);
    for (let start = 0; start < streams.length; start += STREAMS_PER_CHUNK) {
      let chunk = '';
      for (const [kind, id, events, length] of streams.slice(start, start + STREAMS_PER_CHUNK)) {
        let end = length;
        while (end > 0 && events[end - 1]!.position > upTo) end -= 1;
        if (end === 0) continue;
        const line: StreamLine = [kind, id, events.slice(0, end)];
        chunk += `${JSON.stringify(line)}\n`;
      }
      await file.write(chunk);
      await yieldToEventLoop();
    }
    await file.write(`${JSON.stringify({ end: FORMAT, streams: streams.length })}\n`);
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

/**
 * Reads a snapshot and checks it against the log: the projection code's version must be this
 * code's, and the log must still hold, at the snapshot's last position, the event with the hash
 * it recorded. Anything else is ignored with the reason, and the read model rebuilt.
 */
export async function loadSnapshot(path: string, store: EventStore): Promise<SnapshotLoad> {
  const started = process.hrtime.bigint();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'ignored', reason: `it cannot be read (${(error as Error).message})` };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let header: Header;
  try {
    header = JSON.parse(lines[0] ?? '') as Header;
  } catch {
    return { kind: 'ignored', reason: 'its header is not JSON' };
  }
  if (header.format !== FORMAT) return { kind: 'ignored', reason: `its format is ${String(header.format)}, not ${FORMAT}` };
  if (header.projectionVersion !== PROJECTION_VERSION) {
    return { kind: 'ignored', reason: `it was written by projection version ${header.projectionVersion}, this code is version ${PROJECTION_VERSION}` };
  }
  let trailer: { end?: string; streams?: number };
  try {
    trailer = JSON.parse(lines[lines.length - 1] ?? '') as typeof trailer;
  } catch {
    return { kind: 'ignored', reason: 'it is cut short (no trailer)' };
  }
  if (trailer.end !== FORMAT || lines.length < 2) return { kind: 'ignored', reason: 'it is cut short (no trailer)' };
  const mismatch = await checkpointMismatch(header.checkpoint, store);
  if (mismatch !== null) return { kind: 'ignored', reason: mismatch };
  const grants: Array<readonly [string, readonly ProjectedEvent[]]> = [];
  const budgets: Array<readonly [string, readonly ProjectedEvent[]]> = [];
  try {
    for (let index = 1; index < lines.length - 1; index += 1) {
      const [kind, id, events] = JSON.parse(lines[index]!) as StreamLine;
      (kind === 'grant' ? grants : budgets).push([id, events]);
    }
  } catch {
    return { kind: 'ignored', reason: 'a stream line is not JSON' };
  }
  const snapshot: ReadModelSnapshot = {
    projectionVersion: header.projectionVersion,
    checkpoint: header.checkpoint,
    grants: { streams: grants },
    budgets: { streams: budgets },
    tokens: header.tokens,
  };
  const readModel = LedgerReadModel.fromSnapshot(snapshot);
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
