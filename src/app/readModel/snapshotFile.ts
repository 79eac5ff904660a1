import { open, readdir, rename, rm } from 'node:fs/promises';
import { openSync, closeSync, fstatSync, fsyncSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { EventStore } from '../../store/port.js';
import type { LogCheckpoint } from './core.js';
import { LedgerReadModel, PROJECTION_VERSION, type GrantIndexLine, type UnreadEvents } from './index.js';
import type { TokenProjectionSnapshot } from './tokenProjection.js';
import type { MerkleFrontier } from '../../domain/merkle.js';

/**
 * The read model saved beside the store, so a start folds only the events after it.
 *
 * The file holds a header (format, projection version, checkpoint, token table), every grant's
 * events, the budgets, an index of the grants and a trailer (see writeSnapshot). It is
 * written to a temporary file, fsynced and renamed over the old one, so a crash (even SIGKILL)
 * mid-write leaves the old snapshot or none, never half of one; the trailer catches anything else
 * that shortens it.
 */

const FORMAT = 'grantledger-read-model-snapshot/3';
/** Streams per chunk written: between chunks commands and queries run. */
const STREAMS_PER_CHUNK = 200;
const NEWLINE = 10;
/** Enough of the file's end to hold its trailer. */
const TRAILER_BYTES_MAX = 4096;

interface Header {
  readonly format: string;
  readonly projectionVersion: number;
  readonly checkpoint: LogCheckpoint;
  readonly tokens: TokenProjectionSnapshot;
  readonly writtenAt: string;
  /**
   * Where the store signs tree heads: the Merkle frontier of the log's events up to the
   * checkpoint (see Ledger.merkleFrontierAt), so a start checks only the tail against the latest
   * signed head. Optional: a snapshot without it (older, or unsigned) makes a signing start
   * verify the whole log, as before; nothing else reads it, so the format stays the same.
   */
  readonly merkle?: MerkleFrontier;
}

/** A grant's line in the index: where its events are in the file. */
interface GrantIndexEntry extends GrantIndexLine {
  readonly offset: number;
  readonly length: number;
}

interface Trailer {
  readonly end: string;
  readonly grants: number;
  readonly budgets: number;
  /** Where the budget lines and the grant index start (after the grants' events). */
  readonly indexAt: number;
}

/** Why a snapshot could not be used: said once in the log, and the read model is rebuilt from the log. */
export type SnapshotLoad =
  | { readonly kind: 'loaded'; readonly readModel: LedgerReadModel; readonly position: number; readonly lastHash: string; readonly seconds: number; readonly merkle?: MerkleFrontier }
  | { readonly kind: 'none' }
  | { readonly kind: 'ignored'; readonly reason: string; readonly previous?: PreviousReadModel };

/**
 * A snapshot written by another projection version whose checkpoint still matches the log: the
 * last good read model, which a server answers from while it rebuilds the current one.
 */
export interface PreviousReadModel {
  readonly readModel: LedgerReadModel;
  readonly projectionVersion: number;
  /** Closes the snapshot file its unread grants would be read from; call once it is replaced. */
  release(): void;
}

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
 *
 * Layout: a JSON header line; each grant's events (a JSON array and a newline); the budget lines
 * ("b\t" stream id "\t" events JSON); the grant index lines (JSON: the grant's index and where
 * its events are); a JSON trailer line saying where the index starts and how many lines it has.
 * A start reads the header, the trailer and the index only; a grant's events when needed.
 */
export async function writeSnapshot(
  readModel: LedgerReadModel,
  path: string,
  options: { readonly merkleFrontierAt?: (checkpoint: LogCheckpoint) => Promise<MerkleFrontier | null> } = {},
): Promise<LogCheckpoint> {
  const snapshot = readModel.snapshot();
  const merkle = (await options.merkleFrontierAt?.(snapshot.checkpoint)) ?? null;
  const header: Header = {
    format: FORMAT,
    projectionVersion: snapshot.projectionVersion,
    checkpoint: snapshot.checkpoint,
    tokens: snapshot.tokens,
    writtenAt: new Date().toISOString(),
    ...(merkle === null ? {} : { merkle }),
  };
  // Unique per write: two ledgers on one store (in one process or two) never write the same file.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  const index: string[] = [];
  const budgets: string[] = [];
  try {
    const headerBytes = Buffer.from(`${JSON.stringify(header)}\n`);
    await file.write(headerBytes);
    let offset = headerBytes.length;
    for (let start = 0; start < snapshot.grantLines.length; start += STREAMS_PER_CHUNK) {
      const chunk: Buffer[] = [];
      for (const line of snapshot.grantLines.slice(start, start + STREAMS_PER_CHUNK)) {
        const made = line();
        if (made === null) continue;
        const entry: GrantIndexEntry = { ...made.index, offset, length: made.events.length };
        index.push(JSON.stringify(entry));
        chunk.push(made.events, Buffer.from('\n'));
        offset += made.events.length + 1;
      }
      if (chunk.length > 0) await file.write(Buffer.concat(chunk));
      await yieldToEventLoop();
    }
    for (const line of snapshot.budgetLines) {
      const made = line();
      if (made !== null) budgets.push(`b\t${made}`);
    }
    const trailer: Trailer = { end: FORMAT, grants: index.length, budgets: budgets.length, indexAt: offset };
    await file.write(`${[...budgets, ...index.map((line) => `g\t${line}`), JSON.stringify(trailer)].join('\n')}\n`);
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

/** The lines of some bytes, without their newlines. */
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
 * An open snapshot file that grants read their events from, each once. The file stays open until
 * the last grant has read them; a newer snapshot renamed over it meanwhile does not disturb it
 * (the open file is the old one).
 */
class SnapshotEvents {
  private left = 0;

  constructor(private fd: number | null) {}

  entry(offset: number, length: number): UnreadEvents {
    this.left += 1;
    let done = false;
    return {
      bytes: () => {
        if (this.fd === null) throw new Error('the snapshot file is closed');
        const bytes = Buffer.alloc(length);
        readFullySync(this.fd, bytes, offset);
        return bytes;
      },
      done: () => {
        if (done) return;
        done = true;
        this.left -= 1;
        if (this.left === 0) this.close();
      },
    };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function readFullySync(fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const count = readSync(fd, into, done, into.length - done, position + done);
    if (count === 0) throw new Error(`the snapshot file ends before byte ${position + into.length}`);
    done += count;
  }
}

/** The first line of a file (its header), read a piece at a time. */
function firstLineOf(fd: number, size: number): Buffer | null {
  const pieces: Buffer[] = [];
  for (let at = 0; at < size; ) {
    const piece = Buffer.alloc(Math.min(65_536, size - at));
    readFullySync(fd, piece, at);
    const end = piece.indexOf(NEWLINE);
    if (end !== -1) return Buffer.concat([...pieces, piece.subarray(0, end)]);
    pieces.push(piece);
    at += piece.length;
  }
  return null;
}

/**
 * Reads a snapshot's header, index and budgets (not the grants' events) and checks it against
 * the log: the projection code's version must be this code's, and the log must still hold, at
 * the snapshot's last position, the event with the hash it recorded. Anything else is ignored
 * with the reason, and the read model rebuilt.
 */
export async function loadSnapshot(path: string, store: EventStore): Promise<SnapshotLoad> {
  const started = process.hrtime.bigint();
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'ignored', reason: `it cannot be read (${(error as Error).message})` };
  }
  const events = new SnapshotEvents(fd);
  let keep = false;
  try {
    const size = fstatSync(fd).size;
    let header: Header;
    try {
      header = JSON.parse(firstLineOf(fd, size)?.toString('utf8') ?? '') as Header;
    } catch {
      return { kind: 'ignored', reason: 'its header is not JSON' };
    }
    if (header.format !== FORMAT) return { kind: 'ignored', reason: `its format is ${String(header.format)}, not ${FORMAT}` };
    // Another version's snapshot is never the current read model, but if it is whole and the log
    // still matches it, it is the last good one: read on, and hand it back as `previous`.
    const otherVersion =
      header.projectionVersion === PROJECTION_VERSION
        ? null
        : `it was written by projection version ${header.projectionVersion}, this code is version ${PROJECTION_VERSION}`;
    /** Another version's snapshot that cannot stand in either says both. */
    const ignored = (reason: string): SnapshotLoad => ({ kind: 'ignored', reason: otherVersion === null ? reason : `${otherVersion}; nor can it answer while the read model is rebuilt: ${reason}` });
    const tail = Buffer.alloc(Math.min(size, TRAILER_BYTES_MAX));
    readFullySync(fd, tail, size - tail.length);
    let trailer: Partial<Trailer> = {};
    try {
      const lastLine = linesOf(tail).at(-1);
      if (tail.at(-1) === NEWLINE && lastLine) trailer = JSON.parse(lastLine.toString('utf8')) as Partial<Trailer>;
    } catch {
      trailer = {};
    }
    const cutShort = ignored('it is cut short (no trailer, or not as many lines as it says)');
    if (trailer.end !== FORMAT || typeof trailer.indexAt !== 'number' || trailer.indexAt > size) return cutShort;
    const sections = Buffer.alloc(size - trailer.indexAt);
    readFullySync(fd, sections, trailer.indexAt);
    const lines = linesOf(sections);
    lines.pop(); // the trailer
    const budgetLines: string[] = [];
    const grants: Array<readonly [GrantIndexLine, UnreadEvents]> = [];
    try {
      for (const line of lines) {
        if (line[0] === 0x62 && line[1] === 9) budgetLines.push(line.toString('utf8', 2));
        else if (line[0] === 0x67 && line[1] === 9) {
          const { offset, length, ...index } = JSON.parse(line.toString('utf8', 2)) as GrantIndexEntry;
          if (offset + length > trailer.indexAt) return cutShort;
          grants.push([index, events.entry(offset, length)]);
        } else return ignored('a line of its index is not a stream line');
      }
    } catch {
      return ignored('a line of its index is not JSON');
    }
    if (trailer.grants !== grants.length || trailer.budgets !== budgetLines.length) return cutShort;
    const mismatch = await checkpointMismatch(header.checkpoint, store);
    if (mismatch !== null) return ignored(mismatch);
    let readModel: LedgerReadModel;
    try {
      readModel = LedgerReadModel.fromSnapshot({ checkpoint: header.checkpoint, tokens: header.tokens, grants, budgetLines });
    } catch (error) {
      return ignored(`a stream line cannot be read (${(error as Error).message})`);
    }
    keep = grants.length > 0;
    if (otherVersion !== null) {
      const previous = { readModel, projectionVersion: header.projectionVersion, release: () => events.close() };
      return { kind: 'ignored', reason: otherVersion, previous };
    }
    return {
      kind: 'loaded',
      readModel,
      position: header.checkpoint.position,
      lastHash: header.checkpoint.lastHash,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      ...(header.merkle === undefined ? {} : { merkle: header.merkle }),
    };
  } finally {
    if (!keep) events.close();
  }
}

/** Why the log no longer matches a checkpoint, or null when it does. */
async function checkpointMismatch(checkpoint: LogCheckpoint, store: EventStore): Promise<string | null> {
  if (checkpoint.position === 0) return null;
  // On EventStoreDB the position is the last event's $all position, read there exactly (eventAt).
  if (store.eventAt) {
    if (checkpoint.position > (await store.headPosition())) return `the log ends before its last position ${checkpoint.position}`;
    const event = await store.eventAt(checkpoint.position);
    if (!event) return `the log has no event at its last position ${checkpoint.position}`;
    if (event.metadata.hash !== checkpoint.lastHash) return `the log's event at position ${checkpoint.position} has another hash than the one it covers`;
    return null;
  }
  for await (const event of store.readAll({ after: checkpoint.position - 1, maxCount: 1 })) {
    if (event.position !== checkpoint.position) return `the log has no event at its last position ${checkpoint.position}`;
    if (event.metadata.hash !== checkpoint.lastHash) return `the log's event at position ${checkpoint.position} has another hash than the one it covers`;
    return null;
  }
  return `the log ends before its last position ${checkpoint.position}`;
}

/**
 * Removes the temporary files of writes that never finished (a process killed mid-write): they
 * are never read, only in the way. A file of a process still running (another server on the same
 * store, writing now) is left alone.
 */
export async function removeUnfinishedSnapshots(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  const unfinished = (await readdir(dirname(path)).catch(() => [] as string[])).filter((name) => {
    const match = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '');
    return match !== null && !processRuns(Number(match[1]));
  });
  for (const name of unfinished) await rm(join(dirname(path), name), { force: true });
  return unfinished;
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
