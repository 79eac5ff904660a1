/** Small, dependency-free measuring tools for the benchmarks. */

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index]!;
}

export class Latencies {
  private readonly samples: number[] = [];
  record(ms: number): void {
    this.samples.push(ms);
  }
  max(): number {
    return this.samples.reduce((longest, sample) => Math.max(longest, sample), 0);
  }
  summary(): { count: number; p50Ms: number; p99Ms: number } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return { count: sorted.length, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
  }
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

/** One workload's result, as printed in the table and written to bench/results.json. */
export interface WorkloadResult {
  readonly workload: string;
  readonly variant: string;
  /** Operations (events, commands, requests, queries) per second. */
  readonly throughputPerS: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly peakRssMiB: number;
  readonly operations: number;
  readonly seconds: number;
  readonly notes?: string;
  /** Figures of a workload that are not speed, e.g. a backtest's error. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * Runs a query `count` times (i = 0 … count − 1), one at a time, timing each: the loop every
 * latency workload shares. Resolves the latencies, the wall time in seconds and the throughput.
 */
export async function timedQueries(count: number, query: (i: number) => unknown): Promise<{ latencies: Latencies; seconds: number; throughputPerS: number }> {
  const latencies = new Latencies();
  const started = nowMs();
  for (let i = 0; i < count; i += 1) {
    const before = nowMs();
    await query(i);
    latencies.record(nowMs() - before);
  }
  const seconds = (nowMs() - started) / 1000;
  return { latencies, seconds, throughputPerS: round(count / seconds, 0) };
}
