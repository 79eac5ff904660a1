import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { z } from 'zod';
import { parseDigest, type LogDigest } from '../domain/merkle.js';
import { IsoDate } from '../domain/schema.js';
import { KnownAt } from '../http/querySchemas.js';
import { UsageError } from './usage.js';

/**
 * Where a command's output goes: the file --out names, or standard output. Writes respect
 * back-pressure, so an export of millions of events holds one page in memory, not the log.
 */
export class Output {
  private constructor(private readonly stream: NodeJS.WritableStream, private readonly file: WriteStream | null) {}

  static open(path: string | undefined): Output {
    if (path === undefined) return new Output(process.stdout, null);
    const file = createWriteStream(path);
    return new Output(file, file);
  }

  async write(chunk: string | Buffer): Promise<void> {
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.file === null) return;
    const file = this.file;
    await new Promise<void>((resolve, reject) => {
      file.once('error', reject);
      file.end(() => resolve());
    });
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
