import { describe, expect, it } from 'vitest';
import type { BudgetStreamEvent, Clocks, GrantStreamEvent, ProjectedEvent } from '../../projections/clocks.js';
import type { GrantEvent } from '../../src/domain/grant/events.js';
import type { BudgetEvent } from '../../src/domain/budget/events.js';
import { money } from '../../src/domain/money.js';
import { activitiesReport, budgetsToDate } from '../../projections/activities.js';
import { grantStatementOf } from '../../projections/grantStatement.js';
import { daysBetween, reportsDueReport, reportWindowStart } from '../../projections/reportsDue.js';
import { yearEndReport } from '../../projections/yearEnd.js';
import { resultFundReport } from '../../projections/resultFund.js';
import { grantFactsAt } from '../../projections/grantView.js';
import { budgetFactsAt } from '../../projections/committeeResults.js';

/**
 * The monthly reports of issue 9 through their pure projections, with every figure computed by
 * hand in the comments. Events are built as the read model keeps them.
 */
let position = 0;
let counter = 0;
type Extra = { recordedAt?: string; eventId?: string };
type GrantEntry = GrantEvent & Extra;
type BudgetEntry = BudgetEvent & Extra;

function stream(entries: readonly GrantEntry[]): GrantStreamEvent[];
function stream(entries: readonly BudgetEntry[]): BudgetStreamEvent[];
function stream(entries: readonly (GrantEntry | BudgetEntry)[]): ProjectedEvent[] {
  return entries.map(({ recordedAt, eventId, ...event }, revision) => ({
    eventId: eventId ?? `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
    type: event.type,
    revision,
    position: ++position,
    data: event.data,
    metadata: { recordedAt: recordedAt ?? '2020-01-01T00:00:00.000Z' },
  }));
}

const received = (grantId: string, over: Partial<Extract<GrantEvent, { type: 'GrantReceived' }>['data']> = {}): GrantEntry => ({
  type: 'GrantReceived',
  data: {
    grantId,
    grantor: 'Socialstyrelsen',
    title: `Bidrag ${grantId}`,
    purpose: 'Ändamål',
    kind: 'riktat',
    committee: 'socialnamnden',
    amount: '1000000.00',
    receivedOn: '2021-02-01',
    useBy: '2021-12-31',
    repaymentRequired: true,
    ...over,
  },
});
const allocated = (allocationId: string, activity: string, amount: string, allocatedOn: string): GrantEntry => ({ type: 'FundsAllocated', data: { allocationId, activity, amount, allocatedOn } });
const spent = (allocationId: string, amount: string, spentOn: string, voucher = 'V-1'): GrantEntry => ({ type: 'FundsSpent', data: { allocationId, amount, spentOn, voucher } });
const granted = (amount: string, activity?: string): BudgetEntry => ({
  type: 'AppropriationGranted',
  data: { committee: 'socialnamnden', fiscalYear: 2022, amount, decidedOn: '2021-11-15', decisionRef: 'KF 2021-11-15 §12', ...(activity ? { activity } : {}) },
});
const outcome = (period: string, activity: string, costs: string, revenues: string): BudgetEntry => ({ type: 'OutcomeRecorded', data: { period, activity, costs, revenues } });
const forecast = (afterPeriod: string, deviation: string, activity?: string): BudgetEntry => ({ type: 'ForecastRecorded', data: { afterPeriod, deviation, ...(activity ? { activity } : {}) } });

describe('per verksamhet (activities)', () => {
  const budget = stream([
    granted('1200000.00'),
    granted('6000000.00', 'AO'),
    granted('4800000.00', 'IFO'),
    { type: 'AppropriationAdjusted', data: { activity: 'IFO', amount: '1200000.00', decidedOn: '2022-03-10', reason: 'Placeringar', decisionRef: 'KF §40' } },
    outcome('2022-01', 'AO', '480000.00', '20000.00'),
    outcome('2022-02', 'AO', '520000.00', '10000.00'),
    outcome('2022-02', 'IFO', '950000.00', '0.00'),
    outcome('2022-03', 'IFO', '1000000.00', '50000.00'),
    forecast('2022-02', '-300000.00'),
    forecast('2022-02', '-100000.00', 'AO'),
    forecast('2022-04', '700000.00', 'IFO'),
    forecast('2022-04', '-450000.00', 'AO'),
    forecast('2022-04', '1100000.00', 'FN'),
    forecast('2022-04', '800000.00', 'IFO'), // replaces the +700 000 of the same period and activity
    forecast('2022-04', '2000000.00'),
  ]);
  const grants = [
    // riktat, AO: 200 000 spent in 2022 counts; the 100 000 of 2021 belongs to 2021.
    stream([received('r1', { receivedOn: '2021-11-01', useBy: '2022-12-31' }), allocated('a1', 'AO', '500000.00', '2021-11-02'), spent('a1', '100000.00', '2021-12-10'), spent('a1', '200000.00', '2022-03-15')]),
    // generellt, received in 2022: revenue of the committee as a whole.
    stream([received('g1', { kind: 'generellt', amount: '500000.00', receivedOn: '2022-02-01', useBy: '2022-12-31', repaymentRequired: false })]),
    // another committee's grant: not socialnämnden's revenue.
    stream([received('x1', { committee: 'byggnadsnamnden', receivedOn: '2022-01-10', useBy: '2022-12-31' }), allocated('b1', 'AO', '100000.00', '2022-01-11'), spent('b1', '90000.00', '2022-02-01')]),
  ];

  it('shows each activity with its budget to date, costs, grant revenue, deviation and latest forecast line, by hand', () => {
    const clocks: Clocks = { asOf: '2022-04-30' };
    const report = activitiesReport('socialnamnden', 2022, budget, grants, clocks, '2022-04-30');
    // m = 3: the latest month of 2022 with an outcome (2022-03); the view date is before 31 December.
    expect(report.monthsReported).toBe(3);
    // Rows: the committee as a whole first, then AO, FN (a forecast only), IFO.
    //   budget          toDate = budget × 3/12   costs       revenues  grant      deviation = toDate − costs + revenues + grant
    //   1 200 000         300 000                0           0         500 000    800 000
    //   AO 6 000 000    1 500 000                1 000 000   30 000    200 000    730 000
    //   FN 0                    0                0           0         0          0
    //   IFO 6 000 000   1 500 000                1 950 000   50 000    0          −400 000
    expect(report.rows).toEqual([
      { activity: null, budget: '1200000.00', budgetToDate: '300000.00', costs: '0.00', revenues: '0.00', grantRevenue: '500000.00', deviation: '800000.00', forecast: { afterPeriod: '2022-04', deviation: '2000000.00' } },
      { activity: 'AO', budget: '6000000.00', budgetToDate: '1500000.00', costs: '1000000.00', revenues: '30000.00', grantRevenue: '200000.00', deviation: '730000.00', forecast: { afterPeriod: '2022-04', deviation: '-450000.00' } },
      { activity: 'FN', budget: '0.00', budgetToDate: '0.00', costs: '0.00', revenues: '0.00', grantRevenue: '0.00', deviation: '0.00', forecast: { afterPeriod: '2022-04', deviation: '1100000.00' } },
      { activity: 'IFO', budget: '6000000.00', budgetToDate: '1500000.00', costs: '1950000.00', revenues: '50000.00', grantRevenue: '0.00', deviation: '-400000.00', forecast: { afterPeriod: '2022-04', deviation: '800000.00' } },
    ]);
    // Totals: 13 200 000; 3 300 000; 2 950 000; 80 000; 700 000; 800 000 + 730 000 − 400 000 = 1 130 000.
    expect(report.totals).toEqual({ budget: '13200000.00', budgetToDate: '3300000.00', costs: '2950000.00', revenues: '80000.00', grantRevenue: '700000.00', deviation: '1130000.00' });
  });

  it('keeps the forecast history per period: the committee line is the forecast, the activity lines its breakdown', () => {
    const report = activitiesReport('socialnamnden', 2022, budget, grants, { asOf: '2022-04-30' }, '2022-04-30');
    // After February: committee −300 000, AO −100 000 → sum −100 000, difference −200 000.
    // After April: committee +2 000 000; AO −450 000 + FN 1 100 000 + IFO 800 000 = 1 450 000; difference 550 000.
    expect(report.forecastHistory).toEqual([
      { afterPeriod: '2022-02', committeeLine: '-300000.00', activities: [{ activity: 'AO', deviation: '-100000.00' }], activitySum: '-100000.00', difference: '-200000.00', deviation: '-300000.00' },
      {
        afterPeriod: '2022-04',
        committeeLine: '2000000.00',
        activities: [{ activity: 'AO', deviation: '-450000.00' }, { activity: 'FN', deviation: '1100000.00' }, { activity: 'IFO', deviation: '800000.00' }],
        activitySum: '1450000.00',
        difference: '550000.00',
        deviation: '2000000.00',
      },
    ]);
    expect(report.latestForecast?.deviation).toBe('2000000.00');
  });

  it('sees only what is dated by asOf: as of 2022-02-28 two months, the February forecast, no IFO adjustment', () => {
    const report = activitiesReport('socialnamnden', 2022, budget, grants, { asOf: '2022-02-28' }, '2022-02-28');
    expect(report.monthsReported).toBe(2);
    // IFO: 4 800 000 × 2/12 = 800 000; costs 950 000 → −150 000. The committee as a whole: 200 000 + 500 000.
    const ifo = report.rows.find((row) => row.activity === 'IFO')!;
    expect(ifo).toMatchObject({ budget: '4800000.00', budgetToDate: '800000.00', costs: '950000.00', deviation: '-150000.00', forecast: null });
    expect(report.rows[0]).toMatchObject({ activity: null, budgetToDate: '200000.00', deviation: '700000.00', forecast: { afterPeriod: '2022-02', deviation: '-300000.00' } });
    expect(report.forecastHistory.map((period) => period.afterPeriod)).toEqual(['2022-02']);
  });

  it('counts twelve months once the year has ended, whatever the outcomes', () => {
    // Viewed on 31 December: 1 200 000 for the whole year; AO 6 000 000 − 1 000 000 + 30 000 + 200 000.
    const report = activitiesReport('socialnamnden', 2022, budget, grants, { asOf: '2022-12-31' }, '2022-12-31');
    expect(report.monthsReported).toBe(12);
    expect(report.rows[1]).toMatchObject({ activity: 'AO', budgetToDate: '6000000.00', deviation: '5230000.00' });
    expect(activitiesReport('socialnamnden', 2022, budget, grants, { asOf: '2022-12-30' }, '2022-12-30').monthsReported).toBe(3);
  });

  it('spreads budgets to öre so the parts add up to the rounded whole', () => {
    // 3 × 100,00 × 1/12: running sums 8,333…, 16,666…, 25 → rounded 8,33, 16,67, 25,00 → parts 8,33, 8,34, 8,33.
    expect(budgetsToDate([money('100.00'), money('100.00'), money('100.00')], 1).map((part) => part.toFixed(2))).toEqual(['8.33', '8.34', '8.33']);
  });

  it('is empty, not an error, for a committee-year with no budget', () => {
    const report = activitiesReport('kulturnamnden', 2022, [], [], {}, '2022-05-01');
    expect(report.rows).toEqual([{ activity: null, budget: '0.00', budgetToDate: '0.00', costs: '0.00', revenues: '0.00', grantRevenue: '0.00', deviation: '0.00', forecast: null }]);
    expect(report.forecastHistory).toEqual([]);
  });
});

describe('grant statement (bidragsredovisning)', () => {
  const g = stream([
    received('g1', { amount: '600000.00', reference: 'Dnr 1', reportDue: '2022-03-31' }),
    { type: 'GrantInstallmentReceived', data: { amount: '400000.00', receivedOn: '2021-08-01', reference: 'Rate 2' } },
    allocated('a1', 'AO', '500000.00', '2021-02-10'),
    spent('a1', '80000.00', '2021-05-20', 'V-145'), // recorded before the earlier spending: the statement goes by date
    spent('a1', '120000.00', '2021-03-15', 'V-101'),
    allocated('a2', 'IFO', '300000.00', '2021-08-10'),
    spent('a2', '150000.00', '2021-09-01', 'V-201'),
    { type: 'AllocationReleased', data: { allocationId: 'a2', amount: '50000.00', releasedOn: '2021-11-30' } },
    { type: 'GrantReportSubmitted', data: { submittedOn: '2021-09-30', reference: 'Delrapport', final: false } },
    { type: 'RepaymentDemanded', data: { amount: '650000.00', demandedOn: '2022-01-15', dueOn: '2022-02-28', reference: 'Återkrav 1' } },
    { type: 'FundsReturned', data: { amount: '650000.00', returnedOn: '2022-02-20', reference: 'Bet 9' } },
  ]);

  it('lists every movement by date, and what is unused and to repay at year end', () => {
    const statement = grantStatementOf(g, { asOf: '2021-12-31' }, '2021-12-31')!;
    // received 600 000 + 400 000 = 1 000 000; spent 120 000 + 80 000 + 150 000 = 350 000; unused 650 000.
    // repaymentRequired and the view date is on useBy: toRepay = unused = 650 000; status förfallen.
    expect(statement.grant).toMatchObject({ received: '1000000.00', spent: '350000.00', unused: '650000.00', toRepay: '650000.00', status: 'expired', repaymentOutstanding: '0.00' });
    expect(statement.installments).toEqual([
      { receivedOn: '2021-02-01', amount: '600000.00', reference: 'Dnr 1' },
      { receivedOn: '2021-08-01', amount: '400000.00', reference: 'Rate 2' },
    ]);
    // a1: 500 000 − 0 − 200 000 = 300 000 left; a2: 300 000 − 50 000 − 150 000 = 100 000 left.
    expect(statement.allocations).toEqual([
      {
        allocationId: 'a1', activity: 'AO', allocatedOn: '2021-02-10', allocated: '500000.00', released: '0.00', spent: '200000.00', remaining: '300000.00',
        spending: [{ spentOn: '2021-03-15', voucher: 'V-101', amount: '120000.00' }, { spentOn: '2021-05-20', voucher: 'V-145', amount: '80000.00' }],
      },
      {
        allocationId: 'a2', activity: 'IFO', allocatedOn: '2021-08-10', allocated: '300000.00', released: '50000.00', spent: '150000.00', remaining: '100000.00',
        spending: [{ spentOn: '2021-09-01', voucher: 'V-201', amount: '150000.00' }],
      },
    ]);
    expect(statement.releases).toEqual([{ allocationId: 'a2', activity: 'IFO', releasedOn: '2021-11-30', amount: '50000.00' }]);
    expect(statement.reports).toEqual([{ submittedOn: '2021-09-30', reference: 'Delrapport' }]);
    expect(statement.demands).toEqual([]);
    expect(statement.returns).toEqual([]);
  });

  it('after the demand and the return: nothing unused, nothing to repay', () => {
    const statement = grantStatementOf(g, { asOf: '2022-03-31' }, '2022-03-31')!;
    // unused 1 000 000 − 350 000 − 650 000 = 0; demanded 650 000 − returned 650 000 = 0 outstanding.
    expect(statement.grant).toMatchObject({ unused: '0.00', toRepay: '0.00', repaymentDemanded: '650000.00', repaymentOutstanding: '0.00', returned: '650000.00' });
    expect(statement.demands).toEqual([{ demandedOn: '2022-01-15', dueOn: '2022-02-28', amount: '650000.00', reference: 'Återkrav 1' }]);
    expect(statement.returns).toEqual([{ returnedOn: '2022-02-20', amount: '650000.00', reference: 'Bet 9' }]);
  });

  it('has nothing to repay before useBy', () => {
    // As of 2021-10-31: unused 1 000 000 − 350 000 = 650 000, but useBy 2021-12-31 is still ahead.
    expect(grantStatementOf(g, { asOf: '2021-10-31' }, '2021-10-31')!.grant).toMatchObject({ unused: '650000.00', toRepay: '0.00', status: 'open' });
  });

  it('shows a corrected receipt: the first installment as amended, and the correction itself', () => {
    const amended = stream([
      received('g9', { amount: '600000.00', reference: 'Dnr 1' }),
      { type: 'GrantInstallmentReceived', data: { amount: '400000.00', receivedOn: '2021-08-01' } },
      { type: 'GrantAmended', data: { reason: 'Fel belopp i beslutet', amount: '650000.00' }, recordedAt: '2021-09-01T10:00:00.000Z' },
    ]);
    // 650 000 (corrected) + 400 000 = 1 050 000 received; known before the correction: 1 000 000.
    const now = grantStatementOf(amended, {}, '2021-09-30')!;
    expect(now.installments.map((item) => item.amount)).toEqual(['650000.00', '400000.00']);
    expect(now.grant.received).toBe('1050000.00');
    expect(now.amendments).toEqual([{ reason: 'Fel belopp i beslutet', changed: 'amount: 650000.00' }]);
    const before = grantStatementOf(amended, { knownAt: '2021-08-31T00:00:00.000Z' }, '2021-08-31')!;
    expect(before.installments.map((item) => item.amount)).toEqual(['600000.00', '400000.00']);
    expect(before.amendments).toEqual([]);
  });

  it('is null for a grant not yet received in the view', () => {
    expect(grantStatementOf(g, { asOf: '2021-01-31' }, '2021-01-31')).toBeNull();
  });
});

describe('reports due', () => {
  const facts = (entries: GrantEntry[], clocks: Clocks = {}) => grantFactsAt(stream(entries), clocks);
  const report = (over: Partial<Extract<GrantEvent, { type: 'GrantReportSubmitted' }>['data']> & { submittedOn: string }): GrantEntry => ({ type: 'GrantReportSubmitted', data: { reference: 'Rapport', final: true, ...over } });
  const g2Entries: GrantEntry[] = [
    received('g2', { reportDue: '2022-02-28' }),
    { ...report({ submittedOn: '2022-03-10' }), recordedAt: '2022-03-10T12:00:00.000Z' },
  ];
  const grants = (clocks: Clocks = {}) => [
    // Final report due 2022-03-31 (after useBy 2021-12-31): the interim report of 2021-09-30 does not answer it.
    facts([received('g1', { reportDue: '2022-03-31' }), report({ submittedOn: '2021-09-30' })]),
    facts(g2Entries, clocks),
    // Answered: a report on 2022-02-20, after useBy.
    facts([received('g3', { reportDue: '2022-03-01' }), report({ submittedOn: '2022-02-20' })]),
    // Due 2022-06-30: beyond 30 days.
    facts([received('g4', { reportDue: '2022-06-30' })]),
    // No report asked for.
    facts([received('g5')]),
    // Interim report due 2022-04-10 (useBy 2023-12-31): a report of 2021-03-01 is over a year older.
    facts([received('g6', { receivedOn: '2021-01-15', useBy: '2023-12-31', reportDue: '2022-04-10' }), report({ submittedOn: '2021-03-01' })]),
  ];

  it('lists overdue and soon-due reports with days left, judged on 2022-03-15 within 30 days (to 2022-04-14)', () => {
    // g2 was answered on 2022-03-10, but as known on 2022-03-09 it was still overdue.
    const knownBefore = reportsDueReport(grants({ knownAt: '2022-03-09T22:59:59.999Z' }), '2022-03-15', 30);
    // g2: 2022-02-28 is 15 days before 2022-03-15; g1: 16 days ahead; g6: 26 days ahead.
    expect(knownBefore.rows.map((row) => [row.grantId, row.daysLeft, row.overdue, row.lastReportOn])).toEqual([
      ['g2', -15, true, null],
      ['g1', 16, false, '2021-09-30'],
      ['g6', 26, false, '2021-03-01'],
    ]);
    const now = reportsDueReport(grants(), '2022-03-15', 30);
    expect(now.rows.map((row) => row.grantId)).toEqual(['g1', 'g6']);
    // 120 days reach 2022-07-13: g4 joins.
    expect(reportsDueReport(grants(), '2022-03-15', 120).rows.map((row) => row.grantId)).toEqual(['g1', 'g6', 'g4']);
  });

  it('takes a final report from useBy, or from an earlier closing, and an interim one from a year before its due date', () => {
    expect(reportWindowStart({ receivedOn: '2021-02-01', useBy: '2021-12-31', reportDue: '2022-03-31' }, null)).toBe('2021-12-31');
    expect(reportWindowStart({ receivedOn: '2021-02-01', useBy: '2021-12-31', reportDue: '2022-03-31' }, '2021-10-01')).toBe('2021-10-01');
    expect(reportWindowStart({ receivedOn: '2021-01-15', useBy: '2023-12-31', reportDue: '2022-04-10' }, null)).toBe('2021-04-11');
    expect(reportWindowStart({ receivedOn: '2021-09-01', useBy: '2023-12-31', reportDue: '2022-04-10' }, null)).toBe('2021-09-01');
    expect(daysBetween('2022-03-15', '2022-02-28')).toBe(-15);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
  });
});

describe('year-end balances (bokslutsposter)', () => {
  const all = [
    // Expired with duty to repay: unused 1 000 000 − 350 000 = 650 000 is a liability, not prepaid income.
    grantFactsAt(stream([received('y1'), allocated('a', 'AO', '350000.00', '2021-02-02'), spent('a', '350000.00', '2021-06-01')]), { asOf: '2021-12-31' }),
    // Open, useBy ahead: 300 000 − 120 000 = 180 000 prepaid.
    grantFactsAt(stream([received('y2', { amount: '300000.00', receivedOn: '2021-09-01', useBy: '2022-06-30' }), allocated('a', 'IFO', '300000.00', '2021-09-02'), spent('a', '120000.00', '2021-10-10')]), { asOf: '2021-12-31' }),
    // Open with a demand of 50 000 not yet paid: liability 50 000, prepaid 200 000 − 50 000 = 150 000.
    grantFactsAt(stream([received('y3', { amount: '200000.00', receivedOn: '2021-05-01', useBy: '2022-12-31' }), { type: 'RepaymentDemanded', data: { amount: '50000.00', demandedOn: '2021-11-01', dueOn: '2022-01-31', reference: 'Åk' } }]), { asOf: '2021-12-31' }),
    // Generellt with a demand of 400 000 unpaid: liability 400 000; a general grant has no unused money.
    grantFactsAt(stream([received('y4', { kind: 'generellt', receivedOn: '2021-03-01', repaymentRequired: false }), { type: 'RepaymentDemanded', data: { amount: '400000.00', demandedOn: '2021-12-01', dueOn: '2022-01-31', reference: 'Åk' } }]), { asOf: '2021-12-31' }),
    // Generellt without demand, and a riktat grant closed with everything spent: no rows.
    grantFactsAt(stream([received('y5', { kind: 'generellt', repaymentRequired: false })]), { asOf: '2021-12-31' }),
    grantFactsAt(stream([received('y6', { amount: '100.00' }), allocated('a', 'AO', '100.00', '2021-02-02'), spent('a', '100.00', '2021-03-01'), { type: 'GrantClosed', data: { closedOn: '2021-06-30', retained: '0.00' } }]), { asOf: '2021-12-31' }),
    // Another committee.
    grantFactsAt(stream([received('y7', { committee: 'byggnadsnamnden' })]), { asOf: '2021-12-31' }),
  ];

  it('books prepaid income and repayment liabilities per grant, the same krona never twice', () => {
    const report = yearEndReport(all, '2021-12-31', { committee: 'socialnamnden' });
    expect(report.rows.map((row) => [row.grantId, row.unused, row.toRepay, row.repaymentOutstanding, row.prepaidIncome, row.repaymentLiability])).toEqual([
      ['y1', '650000.00', '650000.00', '0.00', '0.00', '650000.00'],
      ['y2', '180000.00', '0.00', '0.00', '180000.00', '0.00'],
      ['y3', '200000.00', '0.00', '50000.00', '150000.00', '50000.00'],
      ['y4', '0.00', '0.00', '400000.00', '0.00', '400000.00'],
    ]);
    // unused 650 000 + 180 000 + 200 000 = 1 030 000; prepaid 180 000 + 150 000 = 330 000;
    // liabilities 650 000 + 50 000 + 400 000 = 1 100 000.
    expect(report.totals).toEqual({ unused: '1030000.00', prepaidIncome: '330000.00', repaymentLiability: '1100000.00' });
  });

  it('includes every committee without a filter', () => {
    expect(yearEndReport(all, '2021-12-31').rows.map((row) => row.grantId)).toContain('y7');
  });
});

describe('result fund (resultatfond)', () => {
  const closing = (closedOn: string, result: string, carriedForward: string, recordedAt?: string): BudgetEntry => ({
    type: 'FiscalYearClosed',
    data: { closedOn, grantRevenue: '0.00', result, carriedForward },
    ...(recordedAt ? { recordedAt } : {}),
  });
  const budgets = (clocks: Clocks) => [
    { key: { committee: 'socialnamnden', fiscalYear: 2022 }, facts: budgetFactsAt(stream([granted('100.00'), closing('2023-02-20', '-900000.00', '-900000.00')]), clocks) },
    { key: { committee: 'socialnamnden', fiscalYear: 2021 }, facts: budgetFactsAt(stream([granted('100.00'), closing('2022-02-15', '120000.00', '100000.00')]), clocks) },
    { key: { committee: 'socialnamnden', fiscalYear: 2023 }, facts: budgetFactsAt(stream([granted('100.00')]), clocks) },
    { key: { committee: 'byggnadsnamnden', fiscalYear: 2021 }, facts: budgetFactsAt(stream([granted('100.00'), closing('2022-03-01', '50000.00', '0.00')]), clocks) },
  ];

  it('runs the balance over the closed years: 100 000, then 100 000 − 900 000 = −800 000', () => {
    const report = resultFundReport(budgets({}), { committee: 'socialnamnden' });
    expect(report.rows).toEqual([
      { committee: 'socialnamnden', fiscalYear: 2021, result: '120000.00', carriedForward: '100000.00', notCarried: '20000.00', closedOn: '2022-02-15', balance: '100000.00' },
      { committee: 'socialnamnden', fiscalYear: 2022, result: '-900000.00', carriedForward: '-900000.00', notCarried: '0.00', closedOn: '2023-02-20', balance: '-800000.00' },
    ]);
    expect(report.balances).toEqual([{ committee: 'socialnamnden', balance: '-800000.00' }]);
  });

  it('shows only the years closed in the view, per committee', () => {
    const report = resultFundReport(budgets({ asOf: '2023-01-31' }));
    expect(report.rows.map((row) => [row.committee, row.fiscalYear, row.balance])).toEqual([
      ['byggnadsnamnden', 2021, '0.00'],
      ['socialnamnden', 2021, '100000.00'],
    ]);
  });
});
