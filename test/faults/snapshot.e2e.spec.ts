import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { compareSnapshots, snapshotOf } from '../../src/app/replay.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import type { Clocks } from '../../projections/clocks.js';
import { generateLog, REPLAY_FILE } from '../../scripts/bench/replayWorkload.js';
import { prng, seedFrom } from '../support/prng.js';

/**
 * The read model saved beside the store (issue 13): a start loads the snapshot and folds only
 * the tail of the log, and must then answer exactly what a rebuild from position 0 answers;
 * a snapshot that no longer fits the log or the code is ignored, said why, and rebuilt; and a
 * SIGKILL at any moment of a snapshot write never leaves a start that serves wrong figures.
 */
const SEED = seedFrom('SNAPSHOT_SEED');
const ROUNDS = 20;
const WRITER = resolve('dist/scripts/faults/snapshotWriter.js');

/** Views deep in the past, mixed, and now: every report and grant view in each must agree. */
const VIEWS: readonly Clocks[] = [
  {},
  { asOf: '2019-06-30' },
  { knownAt: '2021-01-01T00:00:00.000Z' },
  { asOf: '2022-12-31', knownAt: '2023-03-01T00:00:00.000Z' },
  { asOf: '2026-02-15' },
];

async function started(path: string, options: { snapshot: boolean; log?: string[] }): Promise<Ledger> {
  const ledger = new Ledger(new SqliteEventStore(path, { pollIntervalMs: 5 }), {
    snapshotPath: options.snapshot ? `${path}.snapshot` : null,
    log: (message) => options.log?.push(message),
  });
  await ledger.start();
  return ledger;
}

async function stopped(ledger: Ledger): Promise<void> {
  await ledger.stop();
  await ledger.store.close();
}

/** Every figure a read model answers, compared with a rebuild from position 0: no difference, field by field. */
async function expectSameAsRebuild(path: string, ledger: Ledger): Promise<void> {
  const rebuilt = await started(path, { snapshot: false });
  try {
    expect(ledger.readModel.position).toBe(rebuilt.readModel.position);
    expect(ledger.readModel.eventsApplied).toBe(rebuilt.readModel.eventsApplied);
    expect(ledger.readModel.tokensRevision).toBe(rebuilt.readModel.tokensRevision);
    expect(ledger.readModel.allTokens()).toEqual(rebuilt.readModel.allTokens());
    for (const clocks of VIEWS) {
      const differences = compareSnapshots(snapshotOf(ledger, clocks), snapshotOf(rebuilt, clocks));
      expect(differences, `differences in view ${JSON.stringify(clocks)}`).toEqual([]);
    }
  } finally {
    await stopped(rebuilt);
  }
}

const context = () => ({ actor: 'ekonom', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });

/** Appends a tail through the ledger's commands: a new grant, allocated and spent on, and sometimes a reversal. */
async function appendTail(path: string, random: () => number, grants: number): Promise<void> {
  const ledger = await started(path, { snapshot: false });
  try {
    for (let g = 0; g < grants; g += 1) {
      const grantId = `tail-${randomUUID().slice(0, 8)}`;
      await ledger.executeGrant(grantId, {
        type: 'ReceiveGrant',
        data: { grantId, grantor: 'Socialstyrelsen', title: 'Svansen', purpose: 'Efter snapshot', kind: 'riktat', committee: 'kommun-1-socialnamnden', amount: '500000.00', receivedOn: '2026-01-20', useBy: '2026-12-31', repaymentRequired: true },
      }, context());
      await ledger.executeGrant(grantId, { type: 'AllocateFunds', data: { allocationId: 'a1', activity: 'IFO', amount: '300000.00', allocatedOn: '2026-02-01' } }, context());
      const spent = await ledger.executeGrant(grantId, { type: 'SpendFunds', data: { allocationId: 'a1', amount: '12500.50', spentOn: '2026-02-10', voucher: 'V-tail' } }, context());
      if (random() < 0.5) {
        const eventId = spent.events?.[0]?.eventId;
        if (eventId) await ledger.executeGrant(grantId, { type: 'ReverseEntry', data: { eventId, reason: 'Fel belopp' } }, context());
      }
    }
    // An event on a grant the snapshot holds (unread until then): a reversal of one of its spendings.
    const old = `gen-${Math.floor(random() * 100)}`;
    const stream = ledger.readModel.grantStream(old) ?? [];
    const reversed = new Set(stream.filter((event) => event.type === 'EntryReversed').map((event) => (event.data as { reversedEventId: string }).reversedEventId));
    const spending = stream.filter((event) => event.type === 'FundsSpent' && !reversed.has(event.eventId)).at(-1);
    if (spending) await ledger.executeGrant(old, { type: 'ReverseEntry', data: { eventId: spending.eventId, reason: 'Felkonterat' } }, context());
    await ledger.tokens.ensureToken(`revisor-${randomUUID().slice(0, 6)}`, 'revisor', `token-${randomUUID()}`, { actor: 'test', tokenId: 'cli' });
  } finally {
    await stopped(ledger);
  }
}

describe(`read-model snapshots (SNAPSHOT_SEED=${SEED})`, () => {
  const directory = mkdtempSync(join(tmpdir(), 'grantledger-snapshot-'));
  const path = join(directory, REPLAY_FILE);
  const snapshotPath = `${path}.snapshot`;

  beforeAll(async () => {
    await generateLog(directory, 20_000);
  }, 120_000);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('a start from the snapshot plus the tail answers every report and grant view as a full rebuild does, field by field', async () => {
    const first = await started(path, { snapshot: true });
    const position = first.readModel.position;
    await stopped(first);
    expect(existsSync(snapshotPath)).toBe(true);
    await appendTail(path, prng(SEED), 3);
    const log: string[] = [];
    const second = await started(path, { snapshot: true, log });
    try {
      expect(log.join('\n')).toContain(`snapshot ${snapshotPath} at position ${position}`);
      expect(second.readModel.position).toBeGreaterThan(position);
      await expectSameAsRebuild(path, second);
    } finally {
      await stopped(second);
    }
  }, 120_000);

  it('warms every grant in the background after a start (events read, current facts folded), a slice at a time, with the same figures', async () => {
    const first = await started(path, { snapshot: true });
    await stopped(first);
    const second = await started(path, { snapshot: true });
    try {
      // Right after the start most grants are still the snapshot's bytes: cold.
      expect(second.readModel.grants.unread).toBeGreaterThan(0);
      const today = second.today();
      // warmUp(0) says whether a grant is still cold without warming any; the warm-up runs on its own.
      await expect.poll(() => second.readModel.grants.warmUp(0, today), { timeout: 60_000, interval: 20 }).toBe(false);
      expect(second.readModel.grants.unread).toBe(0);
      await expectSameAsRebuild(path, second);
    } finally {
      await stopped(second);
    }
  }, 120_000);

  it('ignores a snapshot of another projection version, saying so, and rebuilds', async () => {
    await stopped(await started(path, { snapshot: true }));
    const lines = readFileSync(snapshotPath, 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as { projectionVersion: number };
    lines[0] = JSON.stringify({ ...header, projectionVersion: header.projectionVersion + 100 });
    writeFileSync(snapshotPath, lines.join('\n'));
    const log: string[] = [];
    const ledger = await started(path, { snapshot: true, log });
    try {
      expect(log.join('\n')).toMatch(/snapshot .* is ignored, the read model is rebuilt from the log: it was written by projection version \d+, this code is version \d+/);
      await expectSameAsRebuild(path, ledger);
    } finally {
      await stopped(ledger);
    }
  }, 120_000);

  it('ignores a snapshot whose last event the log no longer has at its position, saying so, and rebuilds', async () => {
    await stopped(await started(path, { snapshot: true }));
    const lines = readFileSync(snapshotPath, 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as { checkpoint: { lastHash: string } };
    lines[0] = JSON.stringify({ ...header, checkpoint: { ...header.checkpoint, lastHash: '0'.repeat(64) } });
    writeFileSync(snapshotPath, lines.join('\n'));
    const log: string[] = [];
    const ledger = await started(path, { snapshot: true, log });
    try {
      expect(log.join('\n')).toMatch(/is ignored, the read model is rebuilt from the log: the log's event at position \d+ has another hash/);
      await expectSameAsRebuild(path, ledger);
    } finally {
      await stopped(ledger);
    }
  }, 120_000);

  it('ignores a snapshot cut short, saying so', async () => {
    await stopped(await started(path, { snapshot: true }));
    const text = readFileSync(snapshotPath, 'utf8');
    writeFileSync(snapshotPath, text.slice(0, Math.floor(text.length / 2)));
    const log: string[] = [];
    const ledger = await started(path, { snapshot: true, log });
    try {
      expect(log.join('\n')).toMatch(/is ignored, the read model is rebuilt from the log: it is cut short/);
      await expectSameAsRebuild(path, ledger);
    } finally {
      await stopped(ledger);
    }
  }, 120_000);

  it(`a SIGKILL at random moments of snapshot writing never leaves a start that serves wrong figures (${ROUNDS} rounds)`, async () => {
    const random = prng(SEED);
    let killedMidWrite = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      if (random() < 0.5) await appendTail(path, random, 1 + Math.floor(random() * 2));
      const child = spawn(process.execPath, [WRITER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      await new Promise<void>((ready, fail) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('ready')) ready();
        });
        child.once('exit', (code) => fail(new Error(`the writer exited with ${code} before it was ready: ${stderr}`)));
      });
      // Somewhere within the next few writes: most kills land mid-write.
      await new Promise((wait) => setTimeout(wait, Math.floor(random() * 250)));
      child.kill('SIGKILL');
      await exited;
      if (readdirSync(directory).some((name) => /\.snapshot\.\d+\.[0-9a-f]+\.tmp$/.test(name))) killedMidWrite += 1;
      const ledger = await started(path, { snapshot: true });
      try {
        await expectSameAsRebuild(path, ledger);
      } finally {
        await stopped(ledger);
      }
      expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    }
    // The kills must really land during writes for the test to mean anything.
    expect(killedMidWrite).toBeGreaterThan(0);
  }, 600_000);
});
