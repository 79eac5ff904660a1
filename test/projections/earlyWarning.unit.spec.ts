import { describe, expect, it } from 'vitest';
import type { GrantEvent } from '../../src/domain/grant/events.js';
import type { GrantStreamEvent } from '../../projections/clocks.js';
import { earlyWarningReport, earlyWarningRowOf } from '../../projections/earlyWarning.js';

/** A stream recorded one minute apart, each event with an id of its index. */
function streamOf(events: readonly GrantEvent[]): GrantStreamEvent[] {
  return events.map((event, index) => ({
    ...event,
    eventId: `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
    revision: index,
    position: index + 1,
    metadata: { recordedAt: new Date(Date.UTC(2021, 0, 15, 8, index)).toISOString() },
  }));
}

const received = (over: Partial<Extract<GrantEvent, { type: 'GrantReceived' }>['data']> = {}): GrantEvent => ({
  type: 'GrantReceived',
  data: {
    grantId: 'seg', grantor: 'Tillväxtverket', title: 'Segregation', purpose: 'p', kind: 'riktat', committee: 'socialnamnden',
    amount: '1200000.00', receivedOn: '2021-01-15', useBy: '2021-12-31', repaymentRequired: true, ...over,
  },
});
const allocated: GrantEvent = { type: 'FundsAllocated', data: { allocationId: 'ifo', activity: 'IFO', amount: '1200000.00', allocatedOn: '2021-01-20' } };
const spent = (spentOn: string, amount = '50000.00'): GrantEvent => ({ type: 'FundsSpent', data: { allocationId: 'ifo', amount, spentOn, voucher: `V-${spentOn}` } });
const planned = (month: string, amount: string): GrantEvent => ({ type: 'SpendingPlanned', data: { allocationId: 'ifo', month, amount } });

// Issue 14's example: 50 000 spent at the end of February, March and April.
const EXAMPLE = [received(), allocated, spent('2021-02-28'), spent('2021-03-31'), spent('2021-04-30')];

describe('early warning', () => {
  it("issue 14's example: as of 2021-04-30, pace 50 000, eight months left, 650 000 projected unused", () => {
    const row = earlyWarningRowOf(streamOf(EXAMPLE), {}, '2021-04-30')!;
    // unused 1 200 000 − 150 000 = 1 050 000; 8 × 50 000 = 400 000; 1 050 000 − 400 000 = 650 000.
    expect(row).toMatchObject({
      unused: '1050000.00', pace: '50000.00', monthsLeft: 8, projectedSpending: '400000.00', projectedUnused: '650000.00',
      warning: true, toRepay: '650000.00', planCoverage: { months: 0, of: 8 },
    });
  });

  it('mid-month the last three whole months are the same, and the current month is still left', () => {
    const row = earlyWarningRowOf(streamOf([...EXAMPLE, spent('2021-05-10', '20000.00')]), {}, '2021-05-15')!;
    // Window February–April (May is not whole): pace 50 000; May–December: 8 months; unused 1 030 000.
    expect(row).toMatchObject({ pace: '50000.00', monthsLeft: 8, unused: '1030000.00', projectedUnused: '630000.00' });
  });

  it('a plan replaces the pace for the months it covers; a later plan for a month replaces the earlier', () => {
    const withPlan = [...EXAMPLE, planned('2021-06', '100000.00'), planned('2021-11', '400000.00'), planned('2021-11', '500000.00')];
    const row = earlyWarningRowOf(streamOf(withPlan), {}, '2021-04-30')!;
    // Six months at the pace (May, Jul, Aug, Sep, Oct, Dec) = 300 000, plus June 100 000 and November 500 000:
    // 900 000 projected; 1 050 000 − 900 000 = 150 000.
    expect(row).toMatchObject({ projectedSpending: '900000.00', projectedUnused: '150000.00', planCoverage: { months: 2, of: 8 } });
    expect(row.plan).toEqual([
      { month: '2021-06', planned: '100000.00', actual: '0.00' },
      { month: '2021-11', planned: '500000.00', actual: '0.00' },
    ]);
  });

  it('plans as known at a moment: a view known before the plan uses the pace', () => {
    const stream = streamOf([...EXAMPLE, planned('2021-06', '1050000.00')]);
    const before = stream[stream.length - 2]!.metadata.recordedAt;
    expect(earlyWarningRowOf(stream, {}, '2021-04-30')).toMatchObject({ projectedUnused: '0.00', warning: false, toRepay: '0.00' });
    expect(earlyWarningRowOf(stream, { knownAt: before }, '2021-04-30')).toMatchObject({ projectedUnused: '650000.00', warning: true });
  });

  it('a grant younger than three months divides by the whole months it has', () => {
    const young = [received({ receivedOn: '2021-03-10', amount: '900000.00' }), { ...allocated, data: { ...allocated.data, allocatedOn: '2021-03-10', amount: '900000.00' } } as GrantEvent, spent('2021-03-31', '30000.00'), spent('2021-04-15', '10000.00')];
    // Window March–April: (30 000 + 10 000) / 2 = 20 000 a month.
    expect(earlyWarningRowOf(streamOf(young), {}, '2021-04-30')).toMatchObject({ pace: '20000.00', monthsLeft: 8, projectedUnused: '700000.00' });
  });

  it('warns only within twelve months of useBy, and never for expired, closed or general grants', () => {
    const far = earlyWarningRowOf(streamOf([received({ useBy: '2022-12-31' }), allocated]), {}, '2021-04-30')!;
    expect(far).toMatchObject({ monthsLeft: 20, pace: '0.00', projectedUnused: '1200000.00', warning: false });
    expect(earlyWarningRowOf(streamOf(EXAMPLE), {}, '2021-12-31')).toBeNull();
    expect(earlyWarningRowOf(streamOf([received({ kind: 'generellt', repaymentRequired: false })]), {}, '2021-04-30')).toBeNull();
  });

  it('sorts by projected unused and totals per committee', () => {
    const a = earlyWarningRowOf(streamOf(EXAMPLE), {}, '2021-04-30')!;
    const b = earlyWarningRowOf(streamOf([received({ grantId: 'b', committee: 'kulturnamnden', amount: '100.00' })]), {}, '2021-04-30')!;
    const c = earlyWarningRowOf(streamOf([received({ grantId: 'c', amount: '700000.00', repaymentRequired: false })]), {}, '2021-04-30')!;
    const report = earlyWarningReport([b, a, c]);
    expect(report.rows.map((row) => row.grantId)).toEqual(['c', 'seg', 'b']);
    expect(report.totals).toEqual([
      { committee: 'kulturnamnden', unused: '100.00', projectedUnused: '100.00', toRepay: '100.00', warnings: 1 },
      { committee: 'socialnamnden', unused: '1750000.00', projectedUnused: '1350000.00', toRepay: '650000.00', warnings: 2 },
    ]);
    expect(earlyWarningReport([a, b, c], { committee: 'kulturnamnden' }).rows.map((row) => row.grantId)).toEqual(['b']);
  });
});
