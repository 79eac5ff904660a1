import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import type { Pauses } from '../../src/app/yielder.js';
import { atEveryStep } from '../support/pauses.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { grantView, summaryOfView } from '../../projections/grantView.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import { committeeResultsReport } from '../../projections/committeeResults.js';
import { viewDateOf, type Clocks } from '../../projections/clocks.js';
import { generateLog, REPLAY_FILE } from '../../scripts/bench/replayWorkload.js';
import { earlyWarning, earlyWarningInSlices } from '../../src/app/earlyWarning.js';
import { deadlinesCalendar } from '../../src/app/deadlinesCalendar.js';

// Issue 12: a historical report must not hold the event loop. Ledger.ready() folds the view one
// grant a step and pauses whenever its slice is used up; these pauses pause at every grant, and
// run whatever the test puts in them, so what happens during a pause is certain, not timed.
const TODAY = new Date('2026-11-23T12:00:00Z');
const today = '2026-11-23';
let directory: string;
let ledger: Ledger;
let pauses: number;
let duringPause: Array<() => Promise<void>>;

const atEveryGrant = (): Pauses =>
  atEveryStep(async () => {
    pauses += 1;
    if (pauses % 30 === 0) await duringPause.shift()?.();
  });

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'grantledger-slices-'));
  await generateLog(directory, 12_000);
  ledger = new Ledger(new SqliteEventStore(join(directory, REPLAY_FILE)), { clock: () => TODAY, reportPauses: atEveryGrant });
  await ledger.start();
  pauses = 0;
  duringPause = [];
});
afterEach(async () => {
  await ledger.stop();
  await ledger.store.close();
  rmSync(directory, { recursive: true, force: true });
});

const context = () => ({ actor: 'test', tokenId: 'cli', commandId: randomUUID(), correlationId: randomUUID() });
const plainSummaries = (clocks: Clocks) =>
  [...ledger.readModel.grantIds()].map((id) => grantView(ledger.readModel.grantStream(id)!, clocks, today)).filter((view) => view !== null).map(summaryOfView);
const plainUnused = (clocks: Clocks) => unusedGrantsReport(plainSummaries(clocks), {}, viewDateOf(clocks, today));
const plainResults = (clocks: Clocks) => committeeResultsReport(ledger.readModel.budgetStreams(), ledger.readModel.grantStreams(), clocks);

/** Written during pauses (at grants 30, 60 and 90), after the walk has passed them: one back-dated return, one reversal, one new grant. */
function writesDuringPauses(): void {
  duringPause.push(
    async () => {
      await ledger.executeGrant('gen-4', { type: 'ReturnFunds', data: { amount: '1000.00', returnedOn: '2020-06-01' } }, context());
      await ledger.catchUp();
    },
    async () => {
      // gen-10 is kommun-10's grant of 2016, a year with budgets: its revenue shows in committee results.
      const spent = ledger.readModel.grantStream('gen-10')!.find((event) => event.type === 'FundsSpent')!;
      await ledger.executeGrant('gen-10', { type: 'ReverseEntry', data: { eventId: spent.eventId, reason: 'fel konto' } }, context());
      await ledger.catchUp();
    },
    async () => {
      const received = ledger.readModel.grantStream('gen-0')![0]!;
      if (received.type !== 'GrantReceived') throw new Error('gen-0 starts with its receipt');
      await ledger.executeGrant('sliced-new', { type: 'ReceiveGrant', data: { ...received.data, grantId: 'sliced-new', title: 'Mottaget under en paus' } }, context());
      await ledger.catchUp();
    },
  );
}

describe('a historical view readied in slices (issue 12: no caller holds the event loop)', () => {
  it('gives the loop back between grants, and its reports are those of the plain fold, kept for the next ask', async () => {
    const clocks = { asOf: '2020-12-31', knownAt: '2025-12-31T23:59:59.999Z' };
    let turns = 0;
    let readied = false;
    const ready = ledger.ready(clocks, 'summaries', 'revenue').then(() => (readied = true));
    // Other work gets turns of the event loop while the view is folded.
    while (!readied) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turns += 1;
    }
    await ready;
    const grants = [...ledger.readModel.grantIds()].length;
    expect(grants).toBeGreaterThan(100);
    // One pause per grant for the summaries, one per grant for the revenue, one per committee for the committee years.
    expect(pauses).toBe(2 * grants + [...ledger.readModel.budgetCommittees()].length);
    expect(turns).toBeGreaterThanOrEqual(grants);

    const summaries = vi.spyOn(ledger.readModel, 'grantSummaries');
    const revenues = vi.spyOn(ledger.readModel, 'grantRevenues');
    const budgets = vi.spyOn(ledger.readModel, 'budgetsIn');
    expect(ledger.unusedGrants({}, clocks)).toEqual(plainUnused(clocks));
    expect(ledger.unusedGrants({ status: 'expired' }, clocks)).toEqual(unusedGrantsReport(plainUnused(clocks).rows, { status: 'expired' }, '2020-12-31'));
    expect(ledger.committeeResults({}, clocks)).toEqual(plainResults(clocks));
    expect(ledger.grantList({}, clocks).rows).toEqual(plainSummaries(clocks));
    // Answered from what ready() kept: no grant walked again.
    expect(summaries).not.toHaveBeenCalled();
    expect(revenues).not.toHaveBeenCalled();
    expect(budgets).toHaveBeenCalledTimes(1);
  });

  it('counts the events written during its pauses, in grants it had already passed and in new ones', async () => {
    const clocks = { asOf: '2020-12-31' };
    writesDuringPauses();
    const position = ledger.readModel.position;
    await ledger.ready(clocks, 'summaries');
    expect(duringPause).toHaveLength(0);
    expect(ledger.readModel.position).toBe(position + 3);
    const summaries = vi.spyOn(ledger.readModel, 'grantSummaries');
    const report = ledger.unusedGrants({}, clocks);
    expect(summaries).not.toHaveBeenCalled();
    expect(report).toEqual(plainUnused(clocks));
    expect(report.rows.find((row) => row.grantId === 'sliced-new')?.title).toBe('Mottaget under en paus');
    expect(report.rows.find((row) => row.grantId === 'gen-4')?.returned).not.toBe('0.00');
  });

  it('counts them in committee results too', async () => {
    const clocks = { asOf: '2020-12-31' };
    writesDuringPauses();
    const before = plainResults(clocks);
    await ledger.ready(clocks, 'revenue');
    expect(duringPause).toHaveLength(0);
    const revenues = vi.spyOn(ledger.readModel, 'grantRevenues');
    const results = ledger.committeeResults({}, clocks);
    expect(revenues).not.toHaveBeenCalled();
    expect(results).toEqual(plainResults(clocks));
    // The reversed spending moved a committee's grant revenue: the view written during the pauses is not the one before them.
    expect(results).not.toEqual(before);
  });

  it('makes the early warning of every grant in slices, with the events written during its pauses', async () => {
    // gen-4 (2020) is open on this date; the walk passes it before its 90th pause, when a return dated before the date is written.
    const clocks = { asOf: '2020-06-30' };
    expect([...ledger.readModel.grantIds()].indexOf('gen-4')).toBeLessThan(90);
    const before = earlyWarning(ledger, {}, clocks);
    duringPause.push(
      async () => undefined,
      async () => undefined,
      async () => {
        await ledger.executeGrant('gen-4', { type: 'ReturnFunds', data: { amount: '250000.00', returnedOn: '2020-06-01' } }, context());
        await ledger.catchUp();
      },
    );
    const report = await earlyWarningInSlices(ledger, {}, clocks, atEveryGrant());
    expect(duringPause).toHaveLength(0);
    expect(report).toEqual(earlyWarning(ledger, {}, clocks));
    expect(report).not.toEqual(before);
    const committee = await earlyWarningInSlices(ledger, { committee: 'kommun-4-socialnamnden' }, clocks, atEveryGrant());
    expect(committee.rows.map((row) => row.grantId)).toContain('gen-4');
    expect(committee).toEqual(earlyWarning(ledger, { committee: 'kommun-4-socialnamnden' }, clocks));
  });

  it('writes the deadlines feed in slices, with the grants received during its pauses', async () => {
    writesDuringPauses();
    const feed = await deadlinesCalendar(ledger, {}, atEveryGrant());
    expect(duringPause).toHaveLength(0);
    expect(feed).toContain('sliced-new-use-by@grantledger');
    const unpaused = await deadlinesCalendar(ledger, {}, { due: () => false, pause: async () => undefined });
    expect(feed).toBe(unpaused);
  });

  it('needs no slices for the current view, whose parts are kept per grant', async () => {
    await ledger.ready({}, 'summaries', 'revenue');
    expect(pauses).toBe(0);
  });
});
