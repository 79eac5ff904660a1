import { describe, expect, it } from 'vitest';
import type { BudgetStreamEvent, Clocks, GrantStreamEvent, ProjectedEvent } from '../../projections/clocks.js';
import type { GrantEvent } from '../../src/domain/grant/events.js';
import type { BudgetEvent } from '../../src/domain/budget/events.js';
import { activitiesReport } from '../../projections/activities.js';
import { grantStatementOf } from '../../projections/grantStatement.js';
import { reportsDueReport } from '../../projections/reportsDue.js';
import { yearEndReport } from '../../projections/yearEnd.js';
import { resultFundReport } from '../../projections/resultFund.js';
import { grantFactsAt } from '../../projections/grantView.js';
import { budgetFactsAt } from '../../projections/committeeResults.js';

/**
 * Three years of socialnämnden through every monthly report: a grant crossing years, forecasts,
 * closes, the reopening of the latest closed year and a correction booked in it, then a new close.
 *
 * 2021: AO budget 1 000 000; costs 900 000; grant revenue 150 000 (g1, September)
 *       → result 1 000 000 − 900 000 + 150 000 = 250 000; closed 2022-02-15, 200 000 carried.
 * 2022: AO budget 1 100 000; costs 1 300 000, revenues 50 000; grant revenue 200 000 (g1, March)
 *       → result 50 000; closed 2023-02-20 carrying 50 000; reopened 2023-03-01 (the close
 *       reversed); a forgotten invoice of 30 000 booked in December 2022 → result 20 000;
 *       closed again 2023-03-10 carrying 20 000.
 * 2023: AO budget 1 200 000; costs 100 000 a month January–March; g2 spent 30 000 on AO; g3
 *       (generellt) 60 000; forecasts after February (AO −10 000) and March (−40 000, AO −25 000).
 * g1: riktat 500 000 received 2021-06-01, useBy 2022-06-30, repaymentRequired, reportDue
 *     2022-09-30; spent 150 000 (2021-09-15) + 200 000 (2022-03-10); 150 000 demanded 2022-08-01,
 *     returned 2022-09-15; reported 2022-09-20.
 */
let position = 0;
let counter = 0;
type Extra = { at: string; eventId?: string };
type GrantEntry = GrantEvent & Extra;
type BudgetEntry = BudgetEvent & Extra;
const at = (date: string) => `${date}T12:00:00.000Z`;

function stream(entries: readonly GrantEntry[]): GrantStreamEvent[];
function stream(entries: readonly BudgetEntry[]): BudgetStreamEvent[];
function stream(entries: readonly (GrantEntry | BudgetEntry)[]): ProjectedEvent[] {
  return entries.map(({ at: recordedAt, eventId, ...event }, revision) => ({
    eventId: eventId ?? `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
    type: event.type,
    revision,
    position: ++position,
    data: event.data,
    metadata: { recordedAt },
  }));
}

const receipt = (grantId: string, over: Partial<Extract<GrantEvent, { type: 'GrantReceived' }>['data']>): Extract<GrantEvent, { type: 'GrantReceived' }>['data'] => ({
  grantId, grantor: 'Socialstyrelsen', title: grantId, purpose: 'Ändamål', kind: 'riktat', committee: 'socialnamnden', amount: '1.00',
  receivedOn: '2021-01-01', useBy: '2021-12-31', repaymentRequired: true, ...over,
});

const g1 = stream([
  { type: 'GrantReceived', data: receipt('g1', { amount: '500000.00', receivedOn: '2021-06-01', useBy: '2022-06-30', reportDue: '2022-09-30' }), at: at('2021-06-01') },
  { type: 'FundsAllocated', data: { allocationId: 'a1', activity: 'AO', amount: '500000.00', allocatedOn: '2021-06-02' }, at: at('2021-06-02') },
  { type: 'FundsSpent', data: { allocationId: 'a1', amount: '150000.00', spentOn: '2021-09-15', voucher: 'V1' }, at: at('2021-09-15') },
  { type: 'FundsSpent', data: { allocationId: 'a1', amount: '200000.00', spentOn: '2022-03-10', voucher: 'V2' }, at: at('2022-03-10') },
  { type: 'RepaymentDemanded', data: { amount: '150000.00', demandedOn: '2022-08-01', dueOn: '2022-09-30', reference: 'Återkrav' }, at: at('2022-08-01') },
  { type: 'FundsReturned', data: { amount: '150000.00', returnedOn: '2022-09-15', reference: 'Bet' }, at: at('2022-09-15') },
  { type: 'GrantReportSubmitted', data: { submittedOn: '2022-09-20', reference: 'Slutrapport', final: true }, at: at('2022-09-20') },
]);
const g2 = stream([
  { type: 'GrantReceived', data: receipt('g2', { amount: '120000.00', receivedOn: '2023-01-15', useBy: '2023-12-31', reportDue: '2024-03-31' }), at: at('2023-01-15') },
  { type: 'FundsAllocated', data: { allocationId: 'b1', activity: 'AO', amount: '120000.00', allocatedOn: '2023-01-16' }, at: at('2023-01-16') },
  { type: 'FundsSpent', data: { allocationId: 'b1', amount: '30000.00', spentOn: '2023-02-10', voucher: 'V3' }, at: at('2023-02-10') },
]);
const g3 = stream([
  { type: 'GrantReceived', data: receipt('g3', { kind: 'generellt', amount: '60000.00', receivedOn: '2023-02-01', useBy: '2023-12-31', repaymentRequired: false }), at: at('2023-02-01') },
]);
const grants = [g1, g2, g3];

const granted = (fiscalYear: number, amount: string, decidedOn: string): BudgetEntry => ({
  type: 'AppropriationGranted', data: { committee: 'socialnamnden', fiscalYear, activity: 'AO', amount, decidedOn, decisionRef: 'KF' }, at: at(decidedOn),
});
const outcome = (period: string, costs: string, revenues: string, recorded: string): BudgetEntry => ({ type: 'OutcomeRecorded', data: { period, activity: 'AO', costs, revenues }, at: at(recorded) });
const closing = (closedOn: string, grantRevenue: string, result: string, carriedForward: string, eventId?: string): BudgetEntry => ({
  type: 'FiscalYearClosed', data: { closedOn, grantRevenue, result, carriedForward }, at: at(closedOn), ...(eventId ? { eventId } : {}),
});
const FIRST_2022_CLOSE = '00000000-0000-4000-8000-0000000c1053';

const budgets = {
  2021: stream([
    granted(2021, '1000000.00', '2020-11-20'),
    { type: 'ForecastRecorded', data: { afterPeriod: '2021-04', deviation: '50000.00' }, at: at('2021-05-10') },
    { type: 'ForecastRecorded', data: { afterPeriod: '2021-08', activity: 'AO', deviation: '80000.00' }, at: at('2021-09-10') },
    outcome('2021-12', '900000.00', '0.00', '2022-01-10'),
    closing('2022-02-15', '150000.00', '250000.00', '200000.00'),
  ]),
  2022: stream([
    granted(2022, '1100000.00', '2021-11-20'),
    outcome('2022-12', '1300000.00', '50000.00', '2023-01-10'),
    closing('2023-02-20', '200000.00', '50000.00', '50000.00', FIRST_2022_CLOSE),
    { type: 'EntryReversed', data: { reversedEventId: FIRST_2022_CLOSE, reason: 'Omöppnat: en faktura saknades' }, at: at('2023-03-01') },
    outcome('2022-12', '30000.00', '0.00', '2023-03-05'),
    closing('2023-03-10', '200000.00', '20000.00', '20000.00'),
  ]),
  2023: stream([
    granted(2023, '1200000.00', '2022-11-20'),
    outcome('2023-01', '100000.00', '0.00', '2023-02-05'),
    outcome('2023-02', '100000.00', '0.00', '2023-03-05'),
    { type: 'ForecastRecorded', data: { afterPeriod: '2023-02', activity: 'AO', deviation: '-10000.00' }, at: at('2023-03-06') },
    outcome('2023-03', '100000.00', '0.00', '2023-04-05'),
    { type: 'ForecastRecorded', data: { afterPeriod: '2023-03', deviation: '-40000.00' }, at: at('2023-04-06') },
    { type: 'ForecastRecorded', data: { afterPeriod: '2023-03', activity: 'AO', deviation: '-25000.00' }, at: at('2023-04-06') },
  ]),
};
const budgetsIn = (clocks: Clocks) =>
  ([2021, 2022, 2023] as const).map((fiscalYear) => ({ key: { committee: 'socialnamnden', fiscalYear }, facts: budgetFactsAt(budgets[fiscalYear], clocks) }));
const factsIn = (clocks: Clocks) => grants.map((events) => grantFactsAt(events, clocks));

describe('three years of socialnämnden in every monthly report', () => {
  it('per verksamhet, the open year 2023 as of March: three months, the March forecast and its history', () => {
    const report = activitiesReport('socialnamnden', 2023, budgets[2023], grants, {}, '2023-04-30');
    // m = 3. AO: 1 200 000 × 3/12 = 300 000 − 300 000 + 0 + 30 000 (g2) = 30 000.
    // The committee as a whole: g3's 60 000 → 60 000. Total 90 000.
    expect(report.monthsReported).toBe(3);
    expect(report.rows.map((row) => [row.activity, row.budgetToDate, row.costs, row.grantRevenue, row.deviation, row.forecast?.deviation ?? null])).toEqual([
      [null, '0.00', '0.00', '60000.00', '60000.00', '-40000.00'],
      ['AO', '300000.00', '300000.00', '30000.00', '30000.00', '-25000.00'],
    ]);
    expect(report.totals.deviation).toBe('90000.00');
    // After February: AO −10 000 alone is the forecast. After March: the committee's −40 000, AO −25 000 its breakdown, 15 000 unexplained.
    expect(report.forecastHistory.map((period) => [period.afterPeriod, period.committeeLine, period.activitySum, period.difference, period.deviation])).toEqual([
      ['2023-02', null, '-10000.00', null, '-10000.00'],
      ['2023-03', '-40000.00', '-25000.00', '-15000.00', '-40000.00'],
    ]);
  });

  it('per verksamhet, 2022 after the correction: the deviation is the adopted result of 20 000; before it, 50 000', () => {
    // m = 12. AO: 1 100 000 − (1 300 000 + 30 000) + 50 000 + 200 000 (g1 in 2022) = 20 000.
    const now = activitiesReport('socialnamnden', 2022, budgets[2022], grants, {}, '2023-04-30');
    expect(now.monthsReported).toBe(12);
    expect(now.closed).toBe(true);
    expect(now.totals).toMatchObject({ costs: '1330000.00', grantRevenue: '200000.00', deviation: '20000.00' });
    // As known on 2023-02-25 (first close, before the reopening): 1 100 000 − 1 300 000 + 50 000 + 200 000 = 50 000.
    const before = activitiesReport('socialnamnden', 2022, budgets[2022], grants, { knownAt: at('2023-02-25') }, '2023-02-25');
    expect(before.totals.deviation).toBe('50000.00');
    // Reopened, before the correction: open, same figures.
    const reopened = activitiesReport('socialnamnden', 2022, budgets[2022], grants, { knownAt: at('2023-03-02') }, '2023-03-02');
    expect([reopened.closed, reopened.totals.deviation]).toEqual([false, '50000.00']);
  });

  it('the grant statement of g1, crossing 2021 and 2022', () => {
    // As of useBy: 500 000 − 150 000 − 200 000 = 150 000 unused, all to repay.
    expect(grantStatementOf(g1, { asOf: '2022-06-30' }, '2022-06-30')!.grant).toMatchObject({ unused: '150000.00', toRepay: '150000.00', status: 'expired' });
    // At year end 2022: demanded and returned, nothing unused: settled.
    const yearEnd = grantStatementOf(g1, { asOf: '2022-12-31' }, '2022-12-31')!;
    expect(yearEnd.grant).toMatchObject({ unused: '0.00', toRepay: '0.00', returned: '150000.00', repaymentOutstanding: '0.00', status: 'settled' });
    expect(yearEnd.allocations[0]!.spending.map((line) => [line.spentOn, line.voucher, line.amount])).toEqual([
      ['2021-09-15', 'V1', '150000.00'],
      ['2022-03-10', 'V2', '200000.00'],
    ]);
    expect(yearEnd.reports).toEqual([{ submittedOn: '2022-09-20', reference: 'Slutrapport' }]);
  });

  it('reports due: g1 29 days ahead on 2022-09-01, answered by the report of 2022-09-20', () => {
    expect(reportsDueReport(factsIn({ asOf: '2022-09-01' }), '2022-09-01', 30).rows.map((row) => [row.grantId, row.daysLeft])).toEqual([['g1', 29]]);
    expect(reportsDueReport(factsIn({ asOf: '2022-10-01' }), '2022-10-01', 30).rows).toEqual([]);
  });

  it('year-end balances at each 31 December and at an interim date', () => {
    // 2021: g1 holds 500 000 − 150 000 = 350 000, useBy ahead: all prepaid income.
    expect(yearEndReport(factsIn({ asOf: '2021-12-31' }), '2021-12-31').totals).toEqual({ unused: '350000.00', prepaidIncome: '350000.00', repaymentLiability: '0.00' });
    // 2022-08-15: 150 000 unused after useBy and demanded: a liability of 150 000 (not 300 000).
    expect(yearEndReport(factsIn({ asOf: '2022-08-15' }), '2022-08-15').totals).toEqual({ unused: '150000.00', prepaidIncome: '0.00', repaymentLiability: '150000.00' });
    // 2022: returned; nothing to book.
    expect(yearEndReport(factsIn({ asOf: '2022-12-31' }), '2022-12-31').rows).toEqual([]);
    // 2023-03-31: g2 120 000 − 30 000 = 90 000 prepaid; g3 is general: nothing.
    expect(yearEndReport(factsIn({ asOf: '2023-03-31' }), '2023-03-31').rows.map((row) => [row.grantId, row.prepaidIncome])).toEqual([['g2', '90000.00']]);
  });

  it('the result fund: 200 000, then 220 000 after the corrected 2022; 250 000 as known before the reopening', () => {
    expect(resultFundReport(budgetsIn({})).rows.map((row) => [row.fiscalYear, row.result, row.carriedForward, row.closedOn, row.balance])).toEqual([
      [2021, '250000.00', '200000.00', '2022-02-15', '200000.00'],
      [2022, '20000.00', '20000.00', '2023-03-10', '220000.00'],
    ]);
    expect(resultFundReport(budgetsIn({ knownAt: at('2023-02-25') })).rows.map((row) => [row.fiscalYear, row.balance])).toEqual([
      [2021, '200000.00'],
      [2022, '250000.00'],
    ]);
    // Reopened and not yet closed again: only 2021.
    expect(resultFundReport(budgetsIn({ knownAt: at('2023-03-02') })).rows.map((row) => row.fiscalYear)).toEqual([2021]);
  });
});
