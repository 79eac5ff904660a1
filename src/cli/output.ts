import { constants as fsConstants, createWriteStream, lstatSync, openSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { parseConfig } from '../config.js';
import { once } from 'node:events';
import { z } from 'zod';
import { parseDigest, type LogDigest } from '../domain/merkle.js';
import { IsoDate } from '../domain/schema.js';
import { KnownAt } from '../domain/querySchemas.js';
import { UsageError } from './usage.js';

/** The files of the store LEDGER_STORE names (and the secrets kept beside it): never an --out target. */
function protectedFiles(): string[] {
  let store: string;
  try {
    store = parseConfig(process.env).LEDGER_STORE;
  } catch {
    return [];
  }
  if (!store.startsWith('sqlite:')) return [];
  const path = resolve(store.slice('sqlite:'.length));
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, `${path}.signing-key.pem`, `${path}.log-secret`];
}

function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const one = statSync(a);
    const two = statSync(b);
    return one.dev === two.dev && one.ino === two.ino;
  } catch {
    return false;
  }
}

/**
 * Checks an --out path before anything is written: never the store, its -wal or -shm, or its
 * key; never an existing file (or a symlink, which is never followed) without --force.
 */
export function checkOutPath(path: string, force: boolean): string {
  const target = resolve(path);
  const signingKey = process.env.LEDGER_SIGNING_KEY;
  for (const file of [...protectedFiles(), ...(signingKey ? [resolve(signingKey)] : [])]) {
    if (sameFile(target, file)) throw new UsageError(`--out ${path} is the ledger's own file ${basename(file)}: choose another file`);
  }
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new UsageError(`--out ${path} is a directory`);
  if (existing && !force) throw new UsageError(`--out ${path} exists${existing.isSymbolicLink() ? ' (a symbolic link)' : ''}; add --force to replace it`);
  return target;
}

/**
 * Where a command's output goes: the file --out names, or standard output. Writes respect
 * back-pressure, so an export of millions of events holds one page in memory, not the log.
 * A file is written under a temporary name beside it (created exclusively, mode 0600, no
 * symlink followed) and renamed into place when complete, so a reader never sees half of it
 * and a failed run leaves any earlier file as it was. A symlink at the target is replaced, never followed.
 */
export class Output {
  private constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly file: { stream: WriteStream; temporary: string; target: string } | null,
  ) {}

  static open(path: string | undefined, options: { force?: boolean | undefined } = {}): Output {
    if (path === undefined) return new Output(process.stdout, null);
    const target = checkOutPath(path, options.force === true);
    const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
    const stream = createWriteStream('', { fd, autoClose: true });
    return new Output(stream, { stream, temporary, target });
  }

  async write(chunk: string | Buffer): Promise<void> {
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.file === null) return;
    const { stream: file, temporary, target } = this.file;
    try {
      await new Promise<void>((done, fail) => {
        file.once('error', fail);
        file.end(() => done());
      });
      renameSync(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}

/** Parses one option's value with a schema; a bad value is a UsageError naming the option. */
export function optionValue<T>(name: string, schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${name} ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

export const clockOptions = {
  'as-of': { type: 'string' },
  'known-at': { type: 'string' },
} as const;

export function clocksOf(values: { 'as-of'?: string | boolean | undefined; 'known-at'?: string | boolean | undefined }) {
  return {
    asOf: optionValue('as-of', IsoDate, values['as-of'] as string | undefined),
    knownAt: optionValue('known-at', KnownAt, values['known-at'] as string | undefined),
  };
}

export function digestOption(name: string, value: string | undefined): LogDigest | undefined {
  if (value === undefined) return undefined;
  const digest = parseDigest(value);
  if (!digest) throw new UsageError(`--${name} must be a digest gl1:<treeSize>:<64 lowercase hex>:<YYYY-MM-DDTHH:MM:SS.sssZ>, as grantledger digest prints it`);
  return digest;
}

/**
 * A progress bar with events per second on standard error, drawn only when it is a terminal
 * (or when asked with --progress), redrawn at most ten times a second.
 */
export class Progress {
  private readonly started = process.hrtime.bigint();
  private lastDrawnMs = 0;

  constructor(private readonly label: string, private readonly enabled: boolean, private readonly unit = 'events') {}

  static for(label: string, forced: boolean | undefined, unit = 'events'): Progress {
    return new Progress(label, forced === true || process.stderr.isTTY === true, unit);
  }

  seconds(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const nowMs = this.seconds() * 1000;
    if (nowMs - this.lastDrawnMs < 100 && done < total) return;
    this.lastDrawnMs = nowMs;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const rate = Math.round(done / Math.max(this.seconds(), 1e-3));
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total} ${rate} ${this.unit}/s`);
  }

  /** The summary line every run ends with, whether or not the bar was drawn. */
  summary(events: number, unit = this.unit): string {
    if (this.enabled) process.stderr.write('\n');
    const seconds = this.seconds();
    return `${this.label}: ${events} ${unit} in ${seconds.toFixed(2)} s (${Math.round(events / Math.max(seconds, 1e-3))} ${unit}/s)`;
  }
}
