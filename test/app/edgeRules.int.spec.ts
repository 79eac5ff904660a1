import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generellt, LedgerScript, riktat } from '../support/ledgerScript.js';

/**
 * Issue 9's defects, each reproduced with the figures it was found with, on a real SQLite file
 * through the application layer. DOMAIN.md, "Periods, corrections and open years", is the contract.
 */
let script: LedgerScript;
beforeEach(async () => {
  script = await LedgerScript.start();
});
afterEach(async () => {
  await script.close();
});

const SOCIAL = 'socialnamnden';

/** A year with a budget, closed on its last day with the result as computed. */
async function closedYear(year: number, appropriation: string, carriedForward?: string) {
  await script.appropriate(SOCIAL, year, { amount: appropriation, decidedOn: `${year - 1}-11-20`, decisionRef: `KF ${year - 1}/1` });
  return script.closeYear(SOCIAL, year, `${year}-12-31`, carriedForward);
}

describe('1. PERIOD_CLOSED: nothing dated in a closed year', () => {
  it('refuses receipts, spending, closing and reversals dated in a closed year, and keeps every krona in some result', async () => {
    // Before 2021 closes: a riktat grant received and partly spent in 2021.
    await script.receive(riktat('tvv', { amount: '1000000.00', receivedOn: '2021-01-10' }));
    await script.allocate('tvv', { allocationId: 'ifo', activity: 'IFO', amount: '600000.00', allocatedOn: '2021-01-20' });
    const spent = await script.spend('tvv', { allocationId: 'ifo', amount: '300000.00', spentOn: '2021-06-30', voucher: 'V1' });
    await closedYear(2021, '5000000.00');
    expect(script.year(SOCIAL, 2021)).toMatchObject({ closed: true, grantRevenue: '300000.00', result: '5300000.00' });

    // The entries of the defect: each dated in the closed 2021.
    await script.refused('PERIOD_CLOSED', () => script.receive(riktat('late', { amount: '700000.00', receivedOn: '2021-02-01' })), 'receivedOn');
    await script.refused('PERIOD_CLOSED', () => script.spend('tvv', { allocationId: 'ifo', amount: '300000.00', spentOn: '2021-11-30', voucher: 'V2' }), 'spentOn');
    await script.refused('PERIOD_CLOSED', () => script.reverseGrantEntry('tvv', spent.events[0]!.eventId));
    await script.refused('PERIOD_CLOSED', () => script.grant('tvv', { type: 'ReleaseAllocation', data: { allocationId: 'ifo', amount: '300000.00', releasedOn: '2021-12-31' } }), 'releasedOn');

    // A generellt grant received in a closed 2022 is refused as well.
    await closedYear(2022, '5000000.00');
    await script.refused('PERIOD_CLOSED', () => script.receive(generellt('gen', { amount: '250000.00', receivedOn: '2022-05-01', useBy: '2022-12-31' })), 'receivedOn');

    // The correction goes into the open year: the spending of 2021-11-30 booked in 2023.
    await script.appropriate(SOCIAL, 2023, { amount: '5000000.00', decidedOn: '2022-11-20', decisionRef: 'KF 2022/1' });
    await script.grant('tvv', { type: 'ReleaseAllocation', data: { allocationId: 'ifo', amount: '300000.00', releasedOn: '2023-01-15' } });
    // Revenue: 300 000 in 2021 (adopted), nothing in 2022, nothing in 2023; no krona outside a year.
    expect(script.year(SOCIAL, 2021).grantRevenue).toBe('300000.00');
    expect(script.year(SOCIAL, 2022).grantRevenue).toBe('0.00');
    expect(script.year(SOCIAL, 2023).grantRevenue).toBe('0.00');
  });

  it('lets another committee record in a year that socialnämnden has closed', async () => {
    await closedYear(2021, '100.00');
    await script.receive(riktat('kultur', { committee: 'kulturnamnden', receivedOn: '2021-03-01' }));
    expect(script.view('kultur').committee).toBe('kulturnamnden');
  });
});

describe('2. the forecast rule: the latest period only, its committee line first', () => {
  it('says +2 mnkr when the committee line of April says so, with the activities as its breakdown', async () => {
    await script.appropriate(SOCIAL, 2022, { amount: '1200000000.00', decidedOn: '2021-11-20', decisionRef: 'KF 2021/1' });
    // After February: an EB line that April does not repeat; it must not mix into April's forecast.
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-02', activity: 'EB', deviation: '-300000.00' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-02', deviation: '-1000000.00' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-04', deviation: '2000000.00' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-04', activity: 'AO', deviation: '-450000.00' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-04', activity: 'FN', deviation: '1100000.00' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-04', activity: 'IFO', deviation: '800000.00' });
    const row = script.year(SOCIAL, 2022, { asOf: '2022-05-31' });
    // −450 000 + 1 100 000 + 800 000 = 1 450 000; 2 000 000 − 1 450 000 = 550 000 not broken down.
    expect(row.latestForecast).toEqual({
      afterPeriod: '2022-04',
      deviation: '2000000.00',
      committeeLine: '2000000.00',
      activities: [
        { activity: 'AO', deviation: '-450000.00' },
        { activity: 'FN', deviation: '1100000.00' },
        { activity: 'IFO', deviation: '800000.00' },
      ],
      activitySum: '1450000.00',
      difference: '550000.00',
    });
    expect(row.expectedResult).toBe('2000000.00');
    // As of March only February's lines count: its committee line, not the EB line added to it.
    expect(script.year(SOCIAL, 2022, { asOf: '2022-03-31' }).expectedResult).toBe('-1000000.00');
  });

  it('adds the activity lines of the latest period when it has no committee line', async () => {
    await script.appropriate(SOCIAL, 2022, { amount: '100.00', decidedOn: '2021-11-20', decisionRef: 'KF' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-08', activity: 'AO', deviation: '-450000.00' });
    await script.forecast(SOCIAL, 2022, { afterPeriod: '2022-08', activity: 'IFO', deviation: '800000.00' });
    expect(script.year(SOCIAL, 2022).latestForecast).toMatchObject({ deviation: '350000.00', committeeLine: null, activitySum: '350000.00', difference: null });
  });
});

describe('3. generella grants: revenue is received − returned; never unused', () => {
  it('a returned part of a generellt grant reduces revenue in the year it is returned', async () => {
    await script.appropriate(SOCIAL, 2021, { amount: '0.00', decidedOn: '2020-11-20', decisionRef: 'KF' });
    await script.receive(generellt('gen', { amount: '1000000.00', receivedOn: '2021-03-01' }));
    await script.demand('gen', { amount: '400000.00', demandedOn: '2021-05-01', dueOn: '2021-06-30', reference: 'Återkrav 1' });
    await script.returnFunds('gen', { amount: '400000.00', returnedOn: '2021-06-01' });
    expect(script.year(SOCIAL, 2021).grantRevenue).toBe('600000.00');
    expect(script.year(SOCIAL, 2021, { asOf: '2021-05-31' }).grantRevenue).toBe('1000000.00');
    expect(script.view('gen')).toMatchObject({ received: '1000000.00', returned: '400000.00', unused: '0.00', toRepay: '0.00', repaymentOutstanding: '0.00' });
    expect(script.ledger.unusedGrants({}, {}).rows).toEqual([]);
  });
});

describe('4. repaymentOutstanding by business date, whatever the recording order', () => {
  it('a return of 300 recorded before a demand of 700 dated earlier leaves 400 outstanding', async () => {
    await script.receive(riktat('g', { amount: '1000.00', receivedOn: '2021-01-15', useBy: '2021-06-30' }));
    await script.returnFunds('g', { amount: '300.00', returnedOn: '2021-09-10' });
    await script.demand('g', { amount: '700.00', demandedOn: '2021-08-01', dueOn: '2021-10-31', reference: 'Återkrav' });
    expect(script.view('g', { asOf: '2021-09-30' }).repaymentOutstanding).toBe('400.00');
    expect(script.view('g', { asOf: '2021-08-31' }).repaymentOutstanding).toBe('700.00');
    // Unused 700 to repay from useBy on, before and after the claim.
    expect(script.view('g', { asOf: '2021-06-30' })).toMatchObject({ toRepay: '1000.00', status: 'expired' });
    expect(script.view('g', { asOf: '2021-09-30' })).toMatchObject({ unused: '700.00', toRepay: '700.00' });
  });
});

describe('5. LATER_YEAR_CLOSED: only the latest closed year can be reopened', () => {
  it('refuses to reopen 2021 under a closed 2022 and 2023; 2022 keeps its cumulative 120 000', async () => {
    // 2021: budget 100 000, no costs: result and carried forward +100 000.
    const close2021 = await closedYear(2021, '100000.00');
    // 2022: budget 20 000: result +20 000; cumulative 100 000 + 20 000 = 120 000.
    await closedYear(2022, '20000.00');
    const close2023 = await closedYear(2023, '0.00');
    expect(script.year(SOCIAL, 2022).cumulativeResult).toBe('120000.00');
    await script.refused('LATER_YEAR_CLOSED', () => script.reverseBudgetEntry(SOCIAL, 2021, close2021.events[0]!.eventId), 'eventId');
    expect(script.year(SOCIAL, 2022).cumulativeResult).toBe('120000.00');
    // The latest closed year can be reopened, and then the one before it.
    await script.reverseBudgetEntry(SOCIAL, 2023, close2023.events[0]!.eventId);
    expect(script.year(SOCIAL, 2023).closed).toBe(false);
  });
});

describe('6. FIGURE_BELOW_ZERO_AS_OF: rules on the timeline of business dates', () => {
  it('refuses an allocation dated before the installment that funds it', async () => {
    await script.receive(riktat('g', { amount: '100.00', receivedOn: '2021-01-15' }));
    await script.installment('g', { amount: '100.00', receivedOn: '2021-09-01' });
    await script.refused('FIGURE_BELOW_ZERO_AS_OF', () => script.allocate('g', { allocationId: 'a', activity: 'IFO', amount: '200.00', allocatedOn: '2021-03-01' }), 'allocatedOn');
    await script.allocate('g', { allocationId: 'a', activity: 'IFO', amount: '200.00', allocatedOn: '2021-09-01' });
    expect(script.view('g', { asOf: '2021-06-30' })).toMatchObject({ unallocated: '100.00', unused: '100.00' });
  });

  it('refuses a return dated before the money came in; the same return dated after it is taken', async () => {
    await script.receive(riktat('g', { amount: '100.00', receivedOn: '2021-01-15' }));
    await script.installment('g', { amount: '500.00', receivedOn: '2021-06-01' });
    // Today 600 is held, but on 2021-03-01 only 100 was: returning 300 then would leave −200.
    await script.refused('FIGURE_BELOW_ZERO_AS_OF', () => script.returnFunds('g', { amount: '300.00', returnedOn: '2021-03-01' }), 'returnedOn');
    await script.returnFunds('g', { amount: '300.00', returnedOn: '2021-06-01' });
    expect(script.view('g', { asOf: '2021-03-01' })).toMatchObject({ received: '100.00', returned: '0.00', unused: '100.00' });
  });
});

describe('7. closing and deciding: sane dates and amounts', () => {
  it('CLOSING_BEFORE_YEAR_END: 2022 cannot be closed on 2021-12-02', async () => {
    await script.appropriate(SOCIAL, 2022, { amount: '100.00', decidedOn: '2021-11-20', decisionRef: 'KF' });
    await script.refused('CLOSING_BEFORE_YEAR_END', () => script.closeYear(SOCIAL, 2022, '2021-12-02'), 'closedOn');
  });

  it('PREVIOUS_YEAR_OPEN: 2022 cannot be closed while 2021 is open', async () => {
    await script.appropriate(SOCIAL, 2021, { amount: '100.00', decidedOn: '2020-11-20', decisionRef: 'KF' });
    await script.appropriate(SOCIAL, 2022, { amount: '100.00', decidedOn: '2021-11-20', decisionRef: 'KF' });
    await script.refused('PREVIOUS_YEAR_OPEN', () => script.closeYear(SOCIAL, 2022, '2023-02-15'));
    await script.closeYear(SOCIAL, 2021, '2022-02-15');
    await script.closeYear(SOCIAL, 2022, '2023-02-15');
  });

  it('BUDGET_BELOW_ZERO: an adjustment of −2 000 000 on a budget of 1 000 005, in total or for an activity', async () => {
    await script.appropriate(SOCIAL, 2022, { amount: '1000005.00', decidedOn: '2021-11-20', decisionRef: 'KF' });
    await script.refused('BUDGET_BELOW_ZERO', () => script.adjust(SOCIAL, 2022, { amount: '-2000000.00', decidedOn: '2022-03-01', reason: 'Besparing', decisionRef: 'KF' }), 'amount');
    await script.refused('BUDGET_BELOW_ZERO', () => script.adjust(SOCIAL, 2022, { activity: 'AO', amount: '-5.00', decidedOn: '2022-03-01', reason: 'Omfördelning', decisionRef: 'SN' }), 'amount');
    // An appropriation dated later cannot fund an earlier cut.
    await script.appropriate(SOCIAL, 2022, { activity: 'AO', amount: '10.00', decidedOn: '2022-06-01', decisionRef: 'KF' });
    await script.refused('BUDGET_BELOW_ZERO', () => script.adjust(SOCIAL, 2022, { activity: 'AO', amount: '-5.00', decidedOn: '2022-03-01', reason: 'Omfördelning', decisionRef: 'SN' }));
    await script.adjust(SOCIAL, 2022, { activity: 'AO', amount: '-5.00', decidedOn: '2022-06-01', reason: 'Omfördelning', decisionRef: 'SN' });
  });

  it('CARRIED_FORWARD_EXCEEDS_RESULT: −5 000 000 carried forward on a result of +100', async () => {
    await script.appropriate(SOCIAL, 2021, { amount: '100.00', decidedOn: '2020-11-20', decisionRef: 'KF' });
    await script.refused('CARRIED_FORWARD_EXCEEDS_RESULT', () => script.closeYear(SOCIAL, 2021, '2021-12-31', '-5000000.00'), 'carriedForward');
    await script.refused('CARRIED_FORWARD_EXCEEDS_RESULT', () => script.closeYear(SOCIAL, 2021, '2021-12-31', '100.01'), 'carriedForward');
    await script.closeYear(SOCIAL, 2021, '2021-12-31', '1.00');
    expect(script.year(SOCIAL, 2021)).toMatchObject({ result: '100.00', carriedForward: '1.00', cumulativeResult: '1.00' });
  });

  it('DECISION_DATE_OUTSIDE_RANGE: an appropriation for 2021 decided on 2030-01-01', async () => {
    await script.refused('DECISION_DATE_OUTSIDE_RANGE', () => script.appropriate(SOCIAL, 2021, { amount: '100.00', decidedOn: '2030-01-01', decisionRef: 'KF' }), 'decidedOn');
    await script.refused('DECISION_DATE_OUTSIDE_RANGE', () => script.appropriate(SOCIAL, 2021, { amount: '100.00', decidedOn: '2018-12-31', decisionRef: 'KF' }), 'decidedOn');
    await script.appropriate(SOCIAL, 2021, { amount: '100.00', decidedOn: '2019-01-01', decisionRef: 'KF' });
  });
});

describe('8. an open year mid-year: budgetToDate and the result to date', () => {
  it('as of 2022-12-31 a 2023 budget of 110 000 000 with no outcome shows no result yet', async () => {
    await script.appropriate(SOCIAL, 2023, { amount: '110000000.00', decidedOn: '2022-11-20', decisionRef: 'KF 2022/9' });
    expect(script.year(SOCIAL, 2023, { asOf: '2022-12-31' })).toMatchObject({ monthsReported: 0, budgetToDate: '0.00', result: '0.00', expectedResult: null });
    // Three months reported: 110 000 000 × 3 / 12 = 27 500 000; costs 3 × 9 000 000, revenues 3 × 100 000.
    for (const month of ['01', '02', '03']) await script.outcome(SOCIAL, 2023, { period: `2023-${month}`, activity: 'IFO', costs: '9000000.00', revenues: '100000.00' });
    await script.forecast(SOCIAL, 2023, { afterPeriod: '2023-03', deviation: '1500000.00' });
    // 27 500 000 − 27 000 000 + 300 000 = 800 000 to date; the committee expects +1 500 000 for the year.
    expect(script.year(SOCIAL, 2023, { asOf: '2023-03-31' })).toMatchObject({
      monthsReported: 3, budgetToDate: '27500000.00', costs: '27000000.00', revenues: '300000.00', result: '800000.00', expectedResult: '1500000.00',
    });
    // From 31 December the whole budget counts: 110 000 000 − 27 000 000 + 300 000.
    expect(script.year(SOCIAL, 2023, { asOf: '2023-12-31' })).toMatchObject({ monthsReported: 12, budgetToDate: '110000000.00', result: '83300000.00' });
  });

  it('rounds budgetToDate half up to the öre: 1 000 000.01 × 5 / 12', async () => {
    await script.appropriate(SOCIAL, 2023, { amount: '1000000.01', decidedOn: '2022-11-20', decisionRef: 'KF' });
    await script.outcome(SOCIAL, 2023, { period: '2023-05', activity: 'AO', costs: '0.00', revenues: '0.00' });
    // 5 000 000.05 / 12 = 416 666.670833…
    expect(script.year(SOCIAL, 2023, { asOf: '2023-06-15' })).toMatchObject({ monthsReported: 5, budgetToDate: '416666.67', result: '416666.67' });
  });
});

describe('9. the cumulative result reconciles with what the council carried forward', () => {
  it('carriedIn + carriedForward of closed years; carriedIn + result of the open year', async () => {
    // 2021: result 300 000, the council carries 100 000 forward.
    await closedYear(2021, '300000.00', '100000.00');
    // 2022: result −50 000 carried in full.
    await script.appropriate(SOCIAL, 2022, { amount: '0.00', decidedOn: '2021-11-20', decisionRef: 'KF' });
    await script.outcome(SOCIAL, 2022, { period: '2022-12', activity: 'IFO', costs: '50000.00', revenues: '0.00' });
    await script.closeYear(SOCIAL, 2022, '2023-02-10');
    // 2023 open: budget 12 000, one month reported, no costs: result 1 000.
    await script.appropriate(SOCIAL, 2023, { amount: '12000.00', decidedOn: '2022-11-20', decisionRef: 'KF' });
    await script.outcome(SOCIAL, 2023, { period: '2023-01', activity: 'IFO', costs: '0.00', revenues: '0.00' });
    const rows = script.ledger.committeeResults({ committee: SOCIAL }, { asOf: '2023-02-28' }).rows;
    expect(rows.map((row) => [row.fiscalYear, row.result, row.carriedIn, row.carriedForward, row.closedOn, row.cumulativeResult])).toEqual([
      [2021, '300000.00', '0.00', '100000.00', '2021-12-31', '100000.00'],
      [2022, '-50000.00', '100000.00', '-50000.00', '2023-02-10', '50000.00'],
      [2023, '1000.00', '50000.00', null, null, '51000.00'],
    ]);
  });
});

describe('10. GrantAmended corrects a receipt', () => {
  it('a receipt of 8 000 000 that should have been 800 000: views known before still show the old amount', async () => {
    await script.at('2021-02-01T08:00:00.000Z').receive(riktat('g', { amount: '8000000.00', receivedOn: '2021-01-15' }));
    const beforeAmendment = script.clock;
    await script.at('2021-02-10T08:00:00.000Z').amend('g', { reason: 'Fel belopp: beslutet säger 800 000', amount: '800000.00', title: 'Segregation 2021' });
    expect(script.view('g')).toMatchObject({ received: '800000.00', unused: '800000.00', title: 'Segregation 2021' });
    expect(script.view('g', { knownAt: beforeAmendment })).toMatchObject({ received: '8000000.00', title: 'Minska och motverka segregation' });
    // It counts from the receipt's own date in every view that knows it.
    expect(script.view('g', { asOf: '2021-01-15' }).received).toBe('800000.00');
  });

  it('is refused when the corrected receipt breaks a rule, changes nothing, or touches a closed year', async () => {
    await script.receive(riktat('g', { amount: '1000.00', receivedOn: '2021-01-15' }));
    await script.allocate('g', { allocationId: 'a', activity: 'IFO', amount: '900.00', allocatedOn: '2021-02-01' });
    await script.spend('g', { allocationId: 'a', amount: '100.00', spentOn: '2021-11-30', voucher: 'V' });
    await script.refused('ALLOCATION_EXCEEDS_UNALLOCATED', () => script.amend('g', { reason: 'r', amount: '800.00' }));
    await script.refused('SPENDING_AFTER_USE_BY', () => script.amend('g', { reason: 'r', useBy: '2021-10-31' }));
    await script.refused('ALLOCATION_REQUIRES_RIKTAT_GRANT', () => script.amend('g', { reason: 'r', kind: 'generellt' }));
    await script.refused('AMENDMENT_CHANGES_NOTHING', () => script.amend('g', { reason: 'r', amount: '1000.00' }));
    await closedYear(2021, '0.00');
    await script.refused('PERIOD_CLOSED', () => script.amend('g', { reason: 'r', amount: '1200.00' }));
    await script.refused('PERIOD_CLOSED', () => script.amend('g', { reason: 'r', committee: 'kulturnamnden' }));
    // A correction of text changes no figure of the closed year.
    await script.amend('g', { reason: 'Stavfel', grantor: 'Tillväxtverket (TVV)' });
    expect(script.view('g').grantor).toBe('Tillväxtverket (TVV)');
  });

  it('moves a grant to another committee: its revenue follows, views known before keep it where it was', async () => {
    await script.receive(riktat('g', { amount: '1000.00', receivedOn: '2021-01-15' }));
    await script.allocate('g', { allocationId: 'a', activity: 'IFO', amount: '1000.00', allocatedOn: '2021-02-01' });
    await script.spend('g', { allocationId: 'a', amount: '400.00', spentOn: '2021-03-01', voucher: 'V' });
    await script.appropriate(SOCIAL, 2021, { amount: '0.00', decidedOn: '2020-11-20', decisionRef: 'KF' });
    await script.appropriate('arbetsmarknadsnamnden', 2021, { amount: '0.00', decidedOn: '2020-11-20', decisionRef: 'KF' });
    const before = script.clock;
    await script.amend('g', { reason: 'Fel nämnd', committee: 'arbetsmarknadsnamnden' });
    expect(script.year(SOCIAL, 2021).grantRevenue).toBe('0.00');
    expect(script.year('arbetsmarknadsnamnden', 2021).grantRevenue).toBe('400.00');
    expect(script.year(SOCIAL, 2021, { knownAt: before }).grantRevenue).toBe('400.00');
    expect(script.ledger.unusedGrants({ committee: 'arbetsmarknadsnamnden' }, {}).rows.map((row) => row.grantId)).toEqual(['g']);
    expect(script.ledger.unusedGrants({ committee: SOCIAL }, {}).rows).toEqual([]);
    expect(script.ledger.unusedGrants({ committee: SOCIAL }, { knownAt: before }).rows.map((row) => row.grantId)).toEqual(['g']);
  });
});

describe('11. Swedish dates: knownAt and today in Europe/Stockholm', () => {
  it('an entry recorded at 00:30 on 10 March in Sweden is not known "on 2021-03-09"', async () => {
    await script.at('2021-03-09T22:50:00.000Z').receive(riktat('g', { receivedOn: '2021-01-15' }));
    await script.at('2021-03-09T23:29:00.000Z').returnFunds('g', { amount: '1000.00', returnedOn: '2021-03-10' });
    const { KnownAt } = await import('../../src/domain/querySchemas.js');
    const endOfNinth = KnownAt.parse('2021-03-09');
    expect(endOfNinth).toBe('2021-03-09T22:59:59.999Z');
    expect(script.view('g', { knownAt: endOfNinth }).returned).toBe('0.00');
    expect(script.view('g', { knownAt: KnownAt.parse('2021-03-10') }).returned).toBe('1000.00');
  });

  it('"today" is the Swedish date: 23:30 UTC on 30 June is 1 July in Stockholm', async () => {
    script.at('2021-06-30T22:30:00.000Z');
    expect(script.ledger.today()).toBe('2021-07-01');
  });
});
