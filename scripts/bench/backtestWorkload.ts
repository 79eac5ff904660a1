/**
 * How good is the early warning? A backtest on generated grants whose outcome at useBy is known:
 * the projection made 9, 6 and 3 months before each grant's useBy is compared with the unused
 * amount actually left at useBy, against the naive baseline "nothing more will be spent".
 */
import { Decimal } from 'decimal.js';
import { addMonths, lastDayOfPeriod } from '../../src/domain/dates.js';
import type { GrantEvent } from '../../src/domain/grant/events.js';
import type { GrantStreamEvent } from '../../projections/clocks.js';
import { earlyWarningRowOf } from '../../projections/earlyWarning.js';
import { grantFactsAt } from '../../projections/grantView.js';
import { unusedOf } from '../../src/domain/grant/state.js';
import { nowMs, peakRssMiB, type WorkloadResult } from './measure.js';
import { prng } from '../prng.js';

export const PATTERNS = ['even', 'late', 'bursts', 'none'] as const;
export type Pattern = (typeof PATTERNS)[number];

/** Whole kronor, so every amount is exact. */
const kronor = (value: number) => `${Math.max(0, Math.round(value))}.00`;

/**
 * One grant with a spending pattern: even (about the whole grant, month by month), late (little
 * until the last four months, then most of it), bursts (two or three large spends at random
 * months) or none (a trickle at most).
 */
export function generatedGrant(index: number, pattern: Pattern, random: () => number): GrantStreamEvent[] {
  const amount = 100_000 + Math.floor(random() * 49) * 100_000;
  const receivedMonth = addMonths('2019-01', Math.floor(random() * 48));
  const months = 12 + Math.floor(random() * 13);
  const useByMonth = addMonths(receivedMonth, months - 1);
  const grantId = `bt-${index}`;
  const events: GrantEvent[] = [
    {
      type: 'GrantReceived',
      data: {
        grantId, grantor: 'Generator', title: `${pattern} ${index}`, purpose: 'backtest', kind: 'riktat', committee: 'backtest',
        amount: kronor(amount), receivedOn: `${receivedMonth}-01`, useBy: lastDayOfPeriod(useByMonth), repaymentRequired: true,
      },
    },
    { type: 'FundsAllocated', data: { allocationId: 'a', activity: 'IFO', amount: kronor(amount), allocatedOn: `${receivedMonth}-01` } },
  ];
  const perMonth = new Array<number>(months).fill(0);
  const share = 0.6 + random() * 0.45;
  if (pattern === 'even') for (let m = 0; m < months; m += 1) perMonth[m] = (amount * Math.min(1, share + 0.3)) / months;
  if (pattern === 'late') {
    for (let m = 0; m < months - 4; m += 1) perMonth[m] = (amount * 0.1) / (months - 4);
    for (let m = months - 4; m < months; m += 1) perMonth[m] = (amount * Math.min(0.9, share)) / 4;
  }
  if (pattern === 'bursts') {
    const bursts = 2 + Math.floor(random() * 2);
    for (let b = 0; b < bursts; b += 1) perMonth[Math.floor(random() * months)]! += (amount * share) / bursts;
  }
  if (pattern === 'none' && random() < 0.5) perMonth[Math.floor(random() * months)] = amount * 0.05;
  let left = amount;
  perMonth.forEach((planned, m) => {
    const spend = Math.min(left, Math.round(planned));
    if (spend <= 0) return;
    left -= spend;
    const month = addMonths(receivedMonth, m);
    events.push({ type: 'FundsSpent', data: { allocationId: 'a', amount: kronor(spend), spentOn: lastDayOfPeriod(month), voucher: `V${m}` } });
  });
  return events.map((event, position) => {
    const date = event.type === 'FundsSpent' ? event.data.spentOn : `${receivedMonth}-01`;
    return { ...event, eventId: `${grantId}-${position}`, revision: position, position, metadata: { recordedAt: `${date}T12:00:00.000Z` } };
  });
}

export interface BacktestLine {
  readonly monthsBefore: number;
  readonly method: 'projection' | 'naive';
  readonly grants: number;
  readonly meanAbsoluteErrorKr: number;
  readonly correctlyFlaggedShare: number;
}

/**
 * A grant "ends with money unused" when at least 5 % of it is left at useBy; each method flags a
 * grant when it foresees that much. The share correctly flagged counts both right warnings and
 * right silences.
 */
export function backtest(grantCount: number, seed = 2026): BacktestLine[] {
  const random = prng(seed);
  const streams = Array.from({ length: grantCount }, (_, index) => generatedGrant(index, PATTERNS[index % PATTERNS.length]!, random));
  const lines: BacktestLine[] = [];
  for (const monthsBefore of [9, 6, 3]) {
    const sums = { projection: { error: new Decimal(0), right: 0 }, naive: { error: new Decimal(0), right: 0 } };
    let grants = 0;
    for (const stream of streams) {
      const receipt = stream[0]!.data as { amount: string; useBy: string; receivedOn: string };
      const viewDate = lastDayOfPeriod(addMonths(receipt.useBy.slice(0, 7), -monthsBefore));
      if (viewDate < receipt.receivedOn) continue;
      grants += 1;
      const threshold = new Decimal(receipt.amount).times(0.05);
      const actual = unusedOf(grantFactsAt(stream, { asOf: receipt.useBy }));
      const projected = new Decimal(earlyWarningRowOf(stream, { asOf: viewDate }, viewDate)!.projectedUnused);
      const naive = unusedOf(grantFactsAt(stream, { asOf: viewDate }));
      for (const [method, foreseen] of [['projection', projected], ['naive', naive]] as const) {
        sums[method].error = sums[method].error.plus(foreseen.minus(actual).abs());
        if (foreseen.gte(threshold) === actual.gte(threshold)) sums[method].right += 1;
      }
    }
    for (const method of ['projection', 'naive'] as const) {
      lines.push({
        monthsBefore,
        method,
        grants,
        meanAbsoluteErrorKr: grants === 0 ? 0 : Math.round(sums[method].error.dividedBy(grants).toNumber()),
        correctlyFlaggedShare: grants === 0 ? 0 : Math.round((sums[method].right / grants) * 1000) / 1000,
      });
    }
  }
  return lines;
}

export async function earlyWarningBacktest(grantCount: number): Promise<WorkloadResult[]> {
  const started = nowMs();
  const lines = backtest(grantCount);
  const seconds = (nowMs() - started) / 1000;
  return lines.map((line) => ({
    workload: 'backtest',
    variant: `${line.method === 'projection' ? 'early warning' : 'naive: nothing more spent'}, ${line.monthsBefore} months before useBy`,
    throughputPerS: null,
    p50Ms: null,
    p99Ms: null,
    peakRssMiB: peakRssMiB(),
    operations: line.grants,
    seconds: Math.round(seconds * 100) / 100,
    notes: `mean absolute error ${line.meanAbsoluteErrorKr.toLocaleString('sv-SE')} kr, correctly flagged ${(line.correctlyFlaggedShare * 100).toFixed(1)} % of ${line.grants} grants`,
    metrics: { monthsBefore: line.monthsBefore, meanAbsoluteErrorKr: line.meanAbsoluteErrorKr, correctlyFlaggedShare: line.correctlyFlaggedShare },
  }));
}
