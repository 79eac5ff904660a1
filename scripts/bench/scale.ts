/**
 * npm run bench:scale [-- --sizes 1000000,2000000,4000000 --queries 40]: how restart, replay, memory
 * and report latency grow with the log. Each size gets a fresh generated log and each workload its
 * own process (so peak RSS is its own), then every metric is fitted as y = a · n^b on a log-log
 * line and extrapolated to 40 million events (290 municipalities × 10 years). Prints a table and
 * writes bench/scale.json; docs/scale.md reads from it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { WorkloadResult } from './measure.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,2000000,4000000' },
    queries: { type: 'string', default: '40' },
    out: { type: 'string', default: 'bench/scale.json' },
  },
  strict: true,
});
const sizes = values.sizes!.split(',').map(Number);
if (sizes.some((size) => !Number.isInteger(size) || size < 1000)) throw new Error(`--sizes must be whole numbers of events, at least 1000: ${values.sizes}`);
const queries = Number(values.queries);
const TARGET_EVENTS = 40_000_000;

/** Runs one workload in its own process; null (said on stderr) when this build does not have it. */
function workload(name: string, directory: string, size = 0): WorkloadResult[] | null {
  process.stderr.write(`scale: ${name} at ${directory} …\n`);
  const child = spawnSync(process.execPath, [resolve('dist/scripts/bench/workload.js'), name, directory, '0', String(size)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60 * 60 * 1000,
  });
  if (child.status === 2) return null;
  if (child.status !== 0) throw new Error(`workload ${name} failed with ${child.status ?? child.signal}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as WorkloadResult | WorkloadResult[];
  return Array.isArray(result) ? result : [result];
}

interface Point {
  readonly events: number;
  readonly metrics: Record<string, number | null>;
}

const points: Point[] = [];
for (const size of sizes) {
  const directory = resolve(`bench/tmp-scale-${size}`);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const generated = workload('replay-generate', directory, size)![0]!;
  const replay = workload('replay-ledger', directory)![0]!;
  const ceiling = workload('replay-ceiling', directory)![0]!;
  const restart = workload('restart', directory);
  const reports = workload('reports', directory, queries)!;
  const report = (variant: string) => reports.find((r) => r.variant === variant)?.p99Ms ?? null;
  points.push({
    events: generated.operations,
    metrics: {
      'replay s': replay.seconds,
      'replay events/s': replay.throughputPerS,
      'replay / parse ceiling': replay.throughputPerS && ceiling.throughputPerS ? replay.throughputPerS / ceiling.throughputPerS : null,
      'replay peak RSS MiB': replay.peakRssMiB,
      'restart to /health ok s': restart?.find((r) => r.variant.includes('snapshot'))?.seconds ?? restart?.[0]?.seconds ?? null,
      'restart peak RSS MiB': restart?.[0]?.peakRssMiB ?? null,
      'unused-grants historical p99 ms': report('unused-grants, historical'),
      'committee-results historical p99 ms': report('committee-results, historical'),
      'unused-grants current p99 ms': report('unused-grants, current'),
    },
  });
  rmSync(directory, { recursive: true, force: true });
}

/** Least squares on (ln n, ln y): y = a · n^b. b near 1 is linear growth, near 0 flat. */
function powerFit(xs: readonly number[], ys: readonly number[]): { a: number; b: number } | null {
  const pairs = xs.map((x, i) => [x, ys[i]!] as const).filter(([x, y]) => x > 0 && y > 0);
  if (pairs.length < 2) return null;
  const lx = pairs.map(([x]) => Math.log(x));
  const ly = pairs.map(([, y]) => Math.log(y));
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  const sxx = lx.reduce((s, v) => s + (v - mx) ** 2, 0);
  if (sxx === 0) return null;
  const b = lx.reduce((s, v, i) => s + (v - mx) * (ly[i]! - my), 0) / sxx;
  return { a: Math.exp(my - b * mx), b };
}

const names = Object.keys(points[0]?.metrics ?? {});
const fits = Object.fromEntries(
  names.map((name) => {
    const present = points.filter((p) => typeof p.metrics[name] === 'number');
    const fit = powerFit(present.map((p) => p.events), present.map((p) => p.metrics[name] as number));
    return [name, fit === null ? null : { a: fit.a, exponent: Math.round(fit.b * 100) / 100, at40M: Math.round(fit.a * TARGET_EVENTS ** fit.b * 100) / 100 }];
  }),
);

const format = (value: number | null | undefined) => (value === null || value === undefined ? '–' : Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1));
const header = ['metric', ...points.map((p) => (p.events >= 1e6 ? `${(p.events / 1e6).toFixed(1)} M` : `${Math.round(p.events / 1e3)} k`)), 'growth n^b', 'at 40 M (fit)'];
const rows = names.map((name) => [name, ...points.map((p) => format(p.metrics[name])), fits[name] ? `b = ${fits[name].exponent}` : '–', format(fits[name]?.at40M)]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
console.log(`grantledger scale — ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
const out = resolve(values.out!);
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, `${JSON.stringify({ node: process.version, cores: cpus().length, at: new Date().toISOString(), points, fits }, null, 2)}\n`);
console.log(`\nwrote ${out}`);
