import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { GRANTS, grantIdOf, receiveGrant } from './commandWorkload.js';
import { peakRssMiB, round, type WorkloadResult } from './measure.js';

const ADMIN = 'bench-admin-token-0123456789abcdef';

/** The server's peak resident set (VmHWM) in MiB, read from Linux's /proc; null elsewhere. */
function peakRssOfMiB(pid: number | undefined): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? round(Number(match[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) the server has used so far, in ms, read from Linux's /proc; null elsewhere. */
function cpuMsOf(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks of 10 ms on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function startServer(storePath: string): Promise<{ url: string; stop: () => Promise<void>; peakRssMiB: () => number | null; cpuMs: () => number | null }> {
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=bench/profiles") profiles the server as measured.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...nodeArgs, resolve('dist/src/cli/main.js'), 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LEDGER_STORE: `sqlite:${storePath}`, LEDGER_ADMIN_TOKEN: ADMIN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    });
  });
  return {
    url,
    peakRssMiB: () => peakRssOfMiB(child.pid),
    cpuMs: () => cpuMsOf(child.pid),
    stop: () =>
      new Promise((resolveStop) => {
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The same allocate commands over HTTP on 127.0.0.1: 64 connections (as many as the application
 * layer's writers) for a bounded duration. BENCH_HTTP_CONNECTIONS offers more, to see whether the
 * workload rather than the server is the bottleneck.
 */
export async function httpCommands(directory: string, seconds: number): Promise<WorkloadResult> {
  const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 64);
  if (!Number.isSafeInteger(connections) || connections < 1) throw new Error('BENCH_HTTP_CONNECTIONS must be a positive integer');
  const storePath = join(directory, 'http.db');
  const server = await startServer(storePath);
  // Events and signed tree heads in the server's file, read beside it (WAL lets a reader in): the
  // server signs one head per durable commit, so their growth gives the mean group commit.
  const counts = () => {
    const db = new Database(storePath, { readonly: true });
    try {
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { events: count('events'), commits: count('tree_heads') };
    } finally {
      db.close();
    }
  };
  try {
    const post = async (path: string, token: string, body: unknown) => {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, string>;
    };
    const token = (await post('/api/tokens', ADMIN, { name: 'bench', role: 'ekonom' })).token!;
    for (let index = 0; index < GRANTS; index += 1) await post('/api/grants', token, receiveGrant(index).data);
    let counter = 0;
    const countsBefore = counts();
    const cpuBefore = server.cpuMs();
    const clientCpuBefore = process.cpuUsage();
    const result = await autocannon({
      url: server.url,
      connections,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            counter += 1;
            return {
              ...request,
              path: `/api/grants/${grantIdOf(counter % GRANTS)}/allocations`,
              headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
              body: JSON.stringify({ activity: 'IFO', amount: '1.00', allocatedOn: '2021-02-01' }),
            };
          },
        },
      ],
    });
    const ok = result['2xx'];
    const cpuAfter = server.cpuMs();
    // The client's CPU per request: autocannon shares the machine's cores with the server, a cost
    // the in-process application layer, which it is compared with, does not pay.
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const countsAfter = counts();
    const groupSize = round((countsAfter.events - countsBefore.events) / Math.max(1, countsAfter.commits - countsBefore.commits), 1);
    const clientCpuMsPerRequest = ok === 0 ? null : round((clientCpu.user + clientCpu.system) / 1000 / ok, 3);
    // The server's CPU per answered request: what the HTTP stack costs, less sensitive than
    // throughput to how much of the machine the server was given.
    const cpuMsPerRequest = cpuBefore === null || cpuAfter === null || ok === 0 ? null : round((cpuAfter - cpuBefore) / ok, 3);
    return {
      workload: 'http',
      variant: `grantledger over HTTP (autocannon, ${connections} connections)`,
      throughputPerS: round(ok / result.duration, 0),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      peakRssMiB: server.peakRssMiB() ?? peakRssMiB(),
      operations: ok,
      seconds: round(result.duration, 2),
      notes: `mean group commit ${groupSize} appends per fsync; non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}; RSS is the server's; server CPU ${cpuMsPerRequest ?? '?'} ms per request; client CPU ${clientCpuMsPerRequest ?? '?'} ms per request`,
      ...(cpuMsPerRequest === null ? {} : { metrics: { cpuMsPerOperation: cpuMsPerRequest } }),
    };
  } finally {
    await server.stop();
  }
}
