import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { Ledger } from '../../src/app/ledger.js';
import { createHttpApp } from '../../src/http/app.js';
import { nowMs, peakRssMiB, round, timedQueries, type WorkloadResult } from './measure.js';
import { REPLAY_FILE } from './replayWorkload.js';

const BENCH_TOKEN = 'bench-page-token-0123456789abcdef';

/** Cookies of one signed-in browser: GET the login form, POST the key with its CSRF value. */
async function signIn(base: string): Promise<string> {
  const form = await fetch(`${base}/logga-in`);
  const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF value in the login form');
  const response = await fetch(`${base}/logga-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: loginCookie },
    body: new URLSearchParams({ csrf, token: BENCH_TOKEN }).toString(),
  });
  const session = response.headers.getSetCookie().find((cookie) => cookie.startsWith('gl_session='));
  if (response.status !== 303 || !session) throw new Error(`sign-in failed with ${response.status}`);
  return session.split(';')[0]!;
}

/**
 * The web pages over the generated log (10 000 grants in the full run), requested one at a time
 * over HTTP on 127.0.0.1 by a signed-in ekonom: the latency includes rendering and the socket,
 * so it bounds the server time from above.
 */
export async function pageRequests(directory: string, requests: number): Promise<WorkloadResult[]> {
  const store = new SqliteEventStore(join(directory, REPLAY_FILE));
  const ledger = new Ledger(store);
  await ledger.start();
  // Steady state: pages are measured once the background warm-up after the start is done.
  await ledger.whenWarm();
  await ledger.tokens.ensureToken('bench-ekonom', 'ekonom', BENCH_TOKEN, { actor: 'bench', tokenId: 'cli' });
  const grantIds = [...ledger.readModel.grantIds()];
  const committees = [...new Set(ledger.committeeResults({}, {}).rows.map((row) => row.committee))];
  const app = createHttpApp(ledger, { log: () => undefined });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cookie = await signIn(base);
  const past = (i: number) => new Date(Date.UTC(2018, 0, 1) + (i % 700) * 86_400_000).toISOString().slice(0, 10);
  const cases: Array<[string, (i: number) => string]> = [
    ['Översikt (current view)', (i) => (i % 2 === 0 ? '/' : `/?committee=${committees[i % committees.length]}`)],
    ['Översikt (historical view)', (i) => `/?asOf=${past(i)}&knownAt=${past(i)}`],
    ['Statsbidrag (current view)', (i) => ['/statsbidrag', '/statsbidrag?sort=unused&order=desc&page=20', `/statsbidrag?committee=${committees[i % committees.length]}`, '/statsbidrag?status=expired&sort=grantor'][i % 4]!],
    ['Statsbidrag (historical view)', (i) => `/statsbidrag?asOf=${past(i)}&page=3`],
    ['grant page', (i) => `/statsbidrag/${encodeURIComponent(grantIds[(i * 7919) % grantIds.length]!)}`],
    ['Resultat (current view)', (i) => (i % 2 === 0 ? '/resultat' : `/resultat?committee=${committees[i % committees.length]}`)],
    ['Resultat (historical view)', (i) => `/resultat?asOf=${past(i)}`],
    ['Registrera statsbidrag form', () => '/registrera/statsbidrag'],
  ];
  const results: WorkloadResult[] = [];
  for (const [variant, path] of cases) {
    const historical = variant.includes('historical view');
    const count = historical ? Math.max(10, Math.floor(requests / 4)) : requests;
    const get = async (i: number) => {
      const response = await fetch(`${base}${path(i)}`, { headers: { Cookie: cookie }, redirect: 'manual' });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${path(i)} answered ${response.status}`);
      return body.length;
    };
    const coldStarted = nowMs();
    const bytes = await get(0);
    const coldMs = nowMs() - coldStarted;
    const { latencies, seconds, throughputPerS } = await timedQueries(count, get);
    results.push({
      workload: 'pages',
      variant,
      throughputPerS,
      ...latencies.summary(),
      peakRssMiB: peakRssMiB(),
      operations: count,
      seconds: round(seconds, 2),
      notes: `${grantIds.length} grants, ${committees.length} committees; first request ${round(coldMs, 1)} ms, ${Math.round(bytes / 1024)} KiB of HTML`,
    });
  }
  // The ledger's own historical reports for the same cuts, in-process: what any page of a
  // historical view costs at least, so the pages' own share shows as a ratio in the same run.
  const alone: Array<[string, (i: number) => unknown]> = [
    ['ledger report alone: unused-grants (historical view)', (i) => ledger.unusedGrants({}, { asOf: past(i), knownAt: past(i) })],
    ['ledger report alone: committee-results (historical view)', (i) => ledger.committeeResults({}, { asOf: past(i) })],
  ];
  for (const [variant, query] of alone) {
    const count = Math.max(10, Math.floor(requests / 4));
    const { latencies, seconds, throughputPerS } = await timedQueries(count, query);
    results.push({ workload: 'pages', variant, throughputPerS, ...latencies.summary(), peakRssMiB: peakRssMiB(), operations: count, seconds: round(seconds, 2), notes: 'in-process, no HTTP: the floor of a historical page' });
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ledger.stop();
  await store.close();
  return results;
}
