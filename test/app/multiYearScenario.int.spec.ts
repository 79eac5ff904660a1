import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generellt, LedgerScript, riktat } from '../support/ledgerScript.js';

/**
 * Three years of socialnämnden, recorded day by day as an ekonom would: grants that cross years,
 * forecasts, closings, the latest year reopened to add a missed cost, and corrections booked in the
 * open year. Every figure below is computed by hand in the comments.
 */
const SN = 'socialnamnden';
let script: LedgerScript;
/** Moments to look back at. */
const moments: Record<string, string> = {};

beforeAll(async () => {
  script = await LedgerScript.start('2020-11-20T09:00:00.000Z');
  const on = (date: string) => script.at(`${date}T09:00:00.000Z`);

  // Recorded in the order of the days (recordedAt never goes back), each on its business date.
  await on('2020-11-20').appropriate(SN, 2021, { amount: '10000000.00', decidedOn: '2020-11-20', decisionRef: 'KF 2020/88' });
  // Grant A, Tillväxtverket, 1 200 000 to use by 2022-06-30 with a duty to repay; IFO 800 000, AO 400 000.
  await on('2021-03-01').receive(riktat('A', { amount: '1200000.00', receivedOn: '2021-03-01', useBy: '2022-06-30', reportDue: '2022-09-30' }));
  await on('2021-03-15').allocate('A', { allocationId: 'A-IFO', activity: 'IFO', amount: '800000.00', allocatedOn: '2021-03-15' });
  await on('2021-03-15').allocate('A', { allocationId: 'A-AO', activity: 'AO', amount: '400000.00', allocatedOn: '2021-03-15' });
  // Grant B, generellt, 500 000: revenue of 2021 when received.
  await on('2021-05-01').receive(generellt('B', { amount: '500000.00', receivedOn: '2021-05-01', useBy: '2021-12-31' }));
  await on('2021-05-10').forecast(SN, 2021, { afterPeriod: '2021-04', deviation: '300000.00' });
  await on('2021-07-10').outcome(SN, 2021, { period: '2021-06', activity: 'AO', costs: '1000000.00', revenues: '0.00' });
  await on('2021-10-31').spend('A', { allocationId: 'A-IFO', amount: '300000.00', spentOn: '2021-10-31', voucher: 'V-101' });
  await on('2021-11-22').appropriate(SN, 2022, { amount: '12000000.00', decidedOn: '2021-11-22', decisionRef: 'KF 2021/91' });
  await on('2021-12-15').spend('A', { allocationId: 'A-AO', amount: '100000.00', spentOn: '2021-12-15', voucher: 'V-102' });
  await on('2022-01-12').outcome(SN, 2021, { period: '2021-12', activity: 'IFO', costs: '9000000.00', revenues: '200000.00' });
  // 2021: budget 10 000 000 − costs 10 000 000 + revenues 200 000 + grantRevenue (A 400 000 + B 500 000)
  // = 1 100 000; the council carries 1 000 000 forward (capped).
  await on('2022-02-15').closeYear(SN, 2021, '2022-02-15', '1000000.00');

  await on('2022-04-30').spend('A', { allocationId: 'A-IFO', amount: '500000.00', spentOn: '2022-04-30', voucher: 'V-201' });
  await on('2022-05-12').forecast(SN, 2022, { afterPeriod: '2022-04', deviation: '200000.00' });
  await on('2022-05-12').forecast(SN, 2022, { afterPeriod: '2022-04', activity: 'IFO', deviation: '-100000.00' });
  await on('2022-05-12').forecast(SN, 2022, { afterPeriod: '2022-04', activity: 'AO', deviation: '300000.00' });
  await on('2022-06-30').spend('A', { allocationId: 'A-AO', amount: '200000.00', spentOn: '2022-06-30', voucher: 'V-202' });
  // At useBy A has 100 000 unused on AO: released, returned, reported, closed.
  await on('2022-07-05').grant('A', { type: 'ReleaseAllocation', data: { allocationId: 'A-AO', amount: '100000.00', releasedOn: '2022-07-05' } });
  await on('2022-08-15').returnFunds('A', { amount: '100000.00', returnedOn: '2022-08-15', reference: 'Återbetalning TVV' });
  await on('2022-08-20').grant('A', { type: 'SubmitGrantReport', data: { submittedOn: '2022-08-20', reference: 'Slutrapport TVV', final: true } });
  await on('2022-08-31').closeGrant('A', '2022-08-31');
  // Grant C, Socialstyrelsen, 600 000 to FN, to use by 2023-06-30, no duty to repay.
  await on('2022-09-01').receive(riktat('C', { grantor: 'Socialstyrelsen', title: 'Psykisk hälsa', amount: '600000.00', receivedOn: '2022-09-01', useBy: '2023-06-30', repaymentRequired: false }));
  await on('2022-09-01').allocate('C', { allocationId: 'C-FN', activity: 'FN', amount: '600000.00', allocatedOn: '2022-09-01' });
  await on('2022-09-10').forecast(SN, 2022, { afterPeriod: '2022-08', activity: 'AO', deviation: '50000.00' });
  await on('2022-11-20').appropriate(SN, 2023, { amount: '12000000.00', decidedOn: '2022-11-20', decisionRef: 'KF 2022/77' });
  await on('2022-11-30').spend('C', { allocationId: 'C-FN', amount: '200000.00', spentOn: '2022-11-30', voucher: 'V-211' });
  await on('2023-01-12').outcome(SN, 2022, { period: '2022-12', activity: 'IFO', costs: '12500000.00', revenues: '100000.00' });
  // A correction in the open year: 300 000 of revenue that belonged to 2022 is booked in January 2023.
  await on('2023-02-10').outcome(SN, 2023, { period: '2023-01', activity: 'IFO', costs: '1000000.00', revenues: '300000.00' });
  // 2022: 12 000 000 − 12 500 000 + 100 000 + grantRevenue (A 500 000 + 200 000, C 200 000 = 900 000) = 500 000.
  const close2022 = await on('2023-02-20').closeYear(SN, 2022, '2023-02-20');
  moments.before2022Reopened = script.clock;

  // 2022 reopened: an AO cost of 300 000 was missed. 2023 is not closed, so 2022 may be reopened.
  await on('2023-02-27').reverseBudgetEntry(SN, 2022, close2022.events[0]!.eventId, 'Missad kostnad AO december');
  await on('2023-02-27').outcome(SN, 2022, { period: '2022-12', activity: 'AO', costs: '300000.00', revenues: '0.00' });
  // A spending on the wrong voucher, reversed and booked again with the right amount, all in 2023.
  const wrong = await on('2023-02-28').spend('C', { allocationId: 'C-FN', amount: '150000.00', spentOn: '2023-02-28', voucher: 'V-301' });
  // 2022 again: 500 000 − 300 000 = 200 000, carried forward in full.
  await on('2023-03-01').closeYear(SN, 2022, '2023-03-01');
  await on('2023-03-02').reverseGrantEntry('C', wrong.events[0]!.eventId, 'Fel verifikation');
  await on('2023-03-02').spend('C', { allocationId: 'C-FN', amount: '120000.00', spentOn: '2023-02-28', voucher: 'V-302' });
  await on('2023-03-08').outcome(SN, 2023, { period: '2023-02', activity: 'IFO', costs: '950000.00', revenues: '0.00' });
  await on('2023-03-10').forecast(SN, 2023, { afterPeriod: '2023-02', deviation: '-400000.00' });
  script.at('2023-03-15T09:00:00.000Z');
});
afterAll(async () => {
  await script.close();
});

const results = (clocks: { asOf?: string; knownAt?: string } = {}) =>
  script.ledger.committeeResults({ committee: SN }, clocks).rows.map((row) => ({
    year: row.fiscalYear,
    budget: row.budget,
    m: row.monthsReported,
    budgetToDate: row.budgetToDate,
    costs: row.costs,
    revenues: row.revenues,
    grantRevenue: row.grantRevenue,
    result: row.result,
    expected: row.expectedResult,
    carriedIn: row.carriedIn,
    carriedForward: row.carriedForward,
    closedOn: row.closedOn,
    cumulative: row.cumulativeResult,
  }));

describe('three years of socialnämnden', () => {
  it('committee results today: 2021 and 2022 as adopted, 2023 to date', () => {
    expect(results()).toEqual([
      // 10 000 000 − 10 000 000 + 200 000 + 900 000 = 1 100 000; 1 000 000 carried forward.
      { year: 2021, budget: '10000000.00', m: 12, budgetToDate: '10000000.00', costs: '10000000.00', revenues: '200000.00', grantRevenue: '900000.00',
        result: '1100000.00', expected: '1100000.00', carriedIn: '0.00', carriedForward: '1000000.00', closedOn: '2022-02-15', cumulative: '1000000.00' },
      // 12 000 000 − 12 800 000 + 100 000 + 900 000 = 200 000, carried in full: 1 000 000 + 200 000.
      { year: 2022, budget: '12000000.00', m: 12, budgetToDate: '12000000.00', costs: '12800000.00', revenues: '100000.00', grantRevenue: '900000.00',
        result: '200000.00', expected: '200000.00', carriedIn: '1000000.00', carriedForward: '200000.00', closedOn: '2023-03-01', cumulative: '1200000.00' },
      // Two months: 12 000 000 × 2/12 = 2 000 000 − 1 950 000 + 300 000 + C's 120 000 = 470 000;
      // forecast −400 000; cumulative 1 200 000 + 470 000 = 1 670 000.
      { year: 2023, budget: '12000000.00', m: 2, budgetToDate: '2000000.00', costs: '1950000.00', revenues: '300000.00', grantRevenue: '120000.00',
        result: '470000.00', expected: '-400000.00', carriedIn: '1200000.00', carriedForward: null, closedOn: null, cumulative: '1670000.00' },
    ]);
  });

  it('as known before 2022 was reopened, 2022 showed its first adoption', () => {
    const before = results({ knownAt: moments.before2022Reopened! });
    expect(before.find((row) => row.year === 2022)).toMatchObject({ costs: '12500000.00', result: '500000.00', carriedForward: '500000.00', closedOn: '2023-02-20', cumulative: '1500000.00' });
  });

  it('mid-2022 the year shows its result to date and the latest forecast, not a mix of periods', () => {
    // As of 2022-06-30: no outcome in 2022 yet, so nothing of the budget to date; grant revenue is
    // A's 500 000 (April) + 200 000 (June) = 700 000; April's forecast is the committee line +200 000.
    expect(results({ asOf: '2022-06-30' }).find((row) => row.year === 2022)).toMatchObject({
      m: 0, budgetToDate: '0.00', costs: '0.00', grantRevenue: '700000.00', result: '700000.00', expected: '200000.00', carriedIn: '1000000.00', cumulative: '1700000.00',
    });
    // As of 2022-09-30 the latest period is August, with only an AO line: the forecast is +50 000.
    const september = script.ledger.committeeResults({ committee: SN }, { asOf: '2022-09-30' }).rows.find((row) => row.fiscalYear === 2022)!;
    expect(september.latestForecast).toMatchObject({ afterPeriod: '2022-08', deviation: '50000.00', committeeLine: null });
  });

  it('unused earmarked funds through the years', () => {
    const unused = (asOf: string) => script.ledger.unusedGrants({ committee: SN }, { asOf }).rows.map((row) => [row.grantId, row.unused, row.status, row.toRepay]);
    // 2021-12-31: A 1 200 000 − 300 000 − 100 000 = 800 000, open; B is generellt and never listed.
    expect(unused('2021-12-31')).toEqual([['A', '800000.00', 'open', '0.00']]);
    // 2022-06-30, A's last day: 800 000 − 500 000 − 200 000 = 100 000 unused, expired, to repay.
    expect(unused('2022-06-30')).toEqual([['A', '100000.00', 'expired', '100000.00']]);
    // 2022-08-15: returned, nothing unused, settled but not yet closed.
    expect(unused('2022-08-15')).toEqual([['A', '0.00', 'settled', '0.00']]);
    // 2022-12-31: A closed; C 600 000 − 200 000 = 400 000 open.
    expect(unused('2022-12-31')).toEqual([['A', '0.00', 'closed', '0.00'], ['C', '400000.00', 'open', '0.00']]);
    // Today: C 400 000 − 120 000 (the reversed 150 000 does not count) = 280 000.
    expect(script.ledger.unusedGrants({ committee: SN }, {}).rows.map((row) => [row.grantId, row.unused, row.spent])).toEqual([
      ['A', '0.00', '1100000.00'],
      ['C', '280000.00', '320000.00'],
    ]);
  });

  it('conservation holds for every grant on every date: received = spent + returned + unused + retained', () => {
    for (const grantId of ['A', 'C']) {
      for (const asOf of ['2021-03-01', '2021-12-31', '2022-06-30', '2022-08-31', '2023-03-15']) {
        const found = script.ledger.grant(grantId, { asOf });
        if (!found) continue;
        const v = found.view;
        const total = [v.spent, v.returned, v.unused, v.retained].reduce((sum, amount) => sum + Math.round(Number(amount) * 100), 0);
        expect(total, `${grantId} ${asOf}`).toBe(Math.round(Number(v.received) * 100));
      }
    }
  });
});
