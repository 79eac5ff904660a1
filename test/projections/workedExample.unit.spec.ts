import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/port.js';
import type { BudgetEvent, BudgetKey } from '../../src/domain/budget/events.js';
import type { GrantEvent } from '../../src/domain/grant/events.js';
import { INITIAL_GRANT_STATE, decideGrant, evolveGrant } from '../../src/domain/grant/decide.js';
import { grantView, type GrantView } from '../../projections/grantView.js';
import { unusedGrantsReport } from '../../projections/unusedGrants.js';
import { committeeResultsReport, grantRevenueByCommitteeYear, type BudgetStream } from '../../projections/committeeResults.js';
import type { BudgetStreamEvent, Clocks, GrantStreamEvent } from '../../projections/clocks.js';

/**
 * DOMAIN.md's worked example, end to end through the pure projections, with RecordedEvents built
 * by hand: positions grow across the whole log, revisions per stream, recordedAt never decreases.
 */
let position = 0;
let eventCounter = 0;
const TODAY = '2022-06-30';

interface Recording<E extends GrantEvent | BudgetEvent = GrantEvent | BudgetEvent> {
  readonly event: E;
  readonly recordedAt: string;
  readonly eventId?: string;
}

const newEventId = () => `00000000-0000-4000-8000-${String(++eventCounter).padStart(12, '0')}`;

function recordedStream(streamId: `grant-${string}`, recordings: readonly Recording<GrantEvent>[]): Array<RecordedEvent & GrantStreamEvent>;
function recordedStream(streamId: `budget-${string}`, recordings: readonly Recording<BudgetEvent>[]): Array<RecordedEvent & BudgetStreamEvent>;
function recordedStream(streamId: string, recordings: readonly Recording[]): RecordedEvent[] {
  return recordings.map(({ event, recordedAt, eventId }, revision) => ({
    ...event,
    eventId: eventId ?? newEventId(),
    streamId,
    revision,
    position: ++position,
    metadata: {
      actor: 'ekonom@kommunen.se',
      commandId: `cmd-${position}`,
      correlationId: `corr-${position}`,
      recordedAt,
      prevHash: '0'.repeat(64),
      hash: String(position).padStart(64, '0'),
    },
  }));
}

const SOCIAL: BudgetKey = { committee: 'socialnamnden', fiscalYear: 2020 };

const appropriation = (committee: string, fiscalYear: number, amount: string, decidedOn: string): BudgetEvent => ({
  type: 'AppropriationGranted',
  data: { committee, fiscalYear, amount, decidedOn, decisionRef: 'KF budgetbeslut' },
});
const outcome = (period: string, costs: string, revenues: string, activity = 'IFO'): BudgetEvent => ({
  type: 'OutcomeRecorded',
  data: { period, activity, costs, revenues },
});
const yearClosed = (closedOn: string, result: string, carriedForward: string, grantRevenue = '0.00'): BudgetEvent => ({
  type: 'FiscalYearClosed',
  data: { closedOn, grantRevenue, result, carriedForward },
});
const segregationGrant: GrantEvent = {
  type: 'GrantReceived',
  data: {
    grantId: 'tvv-segregation-2020',
    grantor: 'Tillväxtverket',
    title: 'Minska och motverka segregation',
    purpose: 'Insatser för att minska och motverka segregation',
    kind: 'riktat',
    committee: 'socialnamnden',
    amount: '8000000.00',
    receivedOn: '2020-06-15',
    useBy: '2020-12-31',
    repaymentRequired: true,
  },
};
const returnAll: GrantEvent = { type: 'FundsReturned', data: { amount: '8000000.00', returnedOn: '2021-03-20', reference: 'Återbetalning' } };

// 1. 2020-01-15 the council grants socialnämnden 1 200 000 000.00; 3. outcomes add up to 1 190 000 000.00 / 20 000 000.00.
const budget2020: BudgetStream = {
  key: SOCIAL,
  events: recordedStream('budget-socialnamnden-2020', [
    { event: appropriation('socialnamnden', 2020, '1200000000.00', '2020-01-15'), recordedAt: '2020-01-15T09:00:00.000Z' },
    { event: outcome('2020-06', '600000000.00', '12000000.00'), recordedAt: '2020-07-10T09:00:00.000Z' },
    { event: outcome('2020-12', '400000000.00', '8000000.00'), recordedAt: '2021-01-12T09:00:00.000Z' },
    { event: outcome('2020-12', '190000000.00', '0.00', 'AO'), recordedAt: '2021-01-12T09:05:00.000Z' },
  ]),
};

// 2. 2020-06-15 GrantReceived; 5. 2021-03-20 FundsReturned 8 000 000.00.
const grantStream = recordedStream('grant-tvv-segregation-2020', [
  { event: segregationGrant, recordedAt: '2020-06-16T08:00:00.000Z' },
  { event: returnAll, recordedAt: '2021-03-20T14:00:00.000Z' },
]);
const grantBeforeReturn = grantStream.slice(0, 1);

const viewOf = (stream: readonly GrantStreamEvent[], clocks: Clocks): GrantView => {
  const view = grantView(stream, clocks, TODAY);
  expect(view).not.toBeNull();
  return view!;
};

describe('the worked example', () => {
  it('4. as of 2020-12-31 the committee has a surplus of 30 000 000.00', () => {
    const { rows } = committeeResultsReport([budget2020], [grantBeforeReturn], { asOf: '2020-12-31' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      committee: 'socialnamnden',
      fiscalYear: 2020,
      budget: '1200000000.00',
      costs: '1190000000.00',
      revenues: '20000000.00',
      grantRevenue: '0.00',
      result: '30000000.00',
      cumulativeResult: '30000000.00',
      closed: false,
    });
  });

  it('4. as of 2020-12-31 the earmarked 8 000 000.00 is unused, to be repaid, and is not revenue', () => {
    const view = viewOf(grantBeforeReturn, { asOf: '2020-12-31' });
    expect(view).toMatchObject({ received: '8000000.00', spent: '0.00', unused: '8000000.00', unallocated: '8000000.00', repaymentRequired: true });
    const report = unusedGrantsReport([view], { committee: 'socialnamnden' });
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ grantId: 'tvv-segregation-2020', unused: '8000000.00', repaymentRequired: true });
    expect(report.totals).toEqual({ received: '8000000.00', spent: '0.00', returned: '0.00', unused: '8000000.00', toRepay: '8000000.00' });
    // The duty to repay is a liability from useBy on, before the grantor's formal claim.
    expect(report.rows[0]).toMatchObject({ toRepay: '8000000.00', repaymentOutstanding: '0.00' });
  });

  // DOMAIN.md's figures say "expired when the view date is after useBy", yet its worked example calls
  // the grant expired as of 2020-12-31 = useBy. A view as of a date is the books at the close of that
  // day, when the last day of use is over: the example decides (see grantStatusOf).
  it('4. as of its useBy date, the close of the last day of use, the unused grant is expired', () => {
    expect(viewOf(grantBeforeReturn, { asOf: '2020-12-30' }).status).toBe('open');
    expect(viewOf(grantBeforeReturn, { asOf: '2020-12-31' }).status).toBe('expired');
    expect(viewOf(grantBeforeReturn, { knownAt: '2021-01-01T00:00:00.000Z' }).status).toBe('expired');
    const expired = unusedGrantsReport([viewOf(grantBeforeReturn, { asOf: '2020-12-31' })], { status: 'expired' });
    expect(expired.rows.map((row) => row.grantId)).toEqual(['tvv-segregation-2020']);
  });

  it('5. after the return the same report as of 2020-12-31 still shows 8 000 000.00 unused at year end', () => {
    expect(viewOf(grantStream, { asOf: '2020-12-31' }).unused).toBe('8000000.00');
    expect(unusedGrantsReport([viewOf(grantStream, { asOf: '2020-12-31' })], {}).totals.unused).toBe('8000000.00');
  });

  it('5. as of 2021-03-31 nothing is unused, the grant is settled (avräknad), and it can be closed', () => {
    const view = viewOf(grantStream, { asOf: '2021-03-31' });
    expect(view).toMatchObject({ unused: '0.00', returned: '8000000.00', status: 'settled', repaymentOutstanding: '0.00', toRepay: '0.00' });
    expect(unusedGrantsReport([view], {}).totals.unused).toBe('0.00');
    // As of the day before the return it was still unused and expired.
    expect(viewOf(grantStream, { asOf: '2021-03-19' })).toMatchObject({ unused: '8000000.00', status: 'expired' });

    let state = INITIAL_GRANT_STATE;
    for (const recorded of grantStream) state = evolveGrant(state, { eventId: recorded.eventId, event: { type: recorded.type, data: recorded.data } as GrantEvent });
    expect(decideGrant({ type: 'CloseGrant', data: { closedOn: '2021-03-31' } }, state)).toEqual([
      { type: 'GrantClosed', data: { closedOn: '2021-03-31', retained: '0.00' } },
    ]);
  });

  it('as known before the outcomes of December were recorded, the year looks better than it ended', () => {
    const { rows } = committeeResultsReport([budget2020], [grantStream], { asOf: '2020-12-31', knownAt: '2021-01-01T00:00:00.000Z' });
    expect(rows[0]).toMatchObject({ costs: '600000000.00', revenues: '12000000.00', result: '612000000.00' });
  });
});

describe('reversals and the knownAt clock', () => {
  const returnId = '00000000-0000-4000-8000-00000000aaaa';
  const corrected = recordedStream('grant-tvv-segregation-2020', [
    { event: segregationGrant, recordedAt: '2020-06-16T08:00:00.000Z' },
    { event: returnAll, recordedAt: '2021-03-20T14:00:00.000Z', eventId: returnId },
    { event: { type: 'EntryReversed', data: { reversedEventId: returnId, reason: 'Beloppet kom aldrig fram' } }, recordedAt: '2021-04-02T10:00:00.000Z' },
  ]);
  const asOf = '2021-12-31';

  it('views known before the reversal still show the reversed return', () => {
    expect(viewOf(corrected, { asOf, knownAt: '2021-04-02T09:59:59.999Z' }).unused).toBe('0.00');
  });

  it('a view known exactly at the reversal’s recordedAt no longer shows the return', () => {
    expect(viewOf(corrected, { asOf, knownAt: '2021-04-02T10:00:00.000Z' })).toMatchObject({ unused: '8000000.00', returned: '0.00', status: 'expired' });
  });

  it('views known later, or with no knownAt, no longer show the return', () => {
    expect(viewOf(corrected, { asOf, knownAt: '2022-01-01T00:00:00.000Z' }).unused).toBe('8000000.00');
    expect(viewOf(corrected, { asOf }).unused).toBe('8000000.00');
  });

  it('a reversal hides its target whatever the asOf date, since a reversal has no business date', () => {
    expect(viewOf(corrected, { asOf: '2021-03-25' }).returned).toBe('0.00');
  });

  it('views known before the return show the money unused, and before the receipt no grant at all', () => {
    expect(viewOf(corrected, { knownAt: '2021-03-20T13:59:59.999Z' }).unused).toBe('8000000.00');
    expect(grantView(corrected, { knownAt: '2020-06-16T07:59:59.999Z' }, TODAY)).toBeNull();
    expect(grantView(corrected, { asOf: '2020-06-14' }, TODAY)).toBeNull();
  });
});

describe('cumulativeResult', () => {
  const year = (committee: string, fiscalYear: number, recordings: Recording<BudgetEvent>[]): BudgetStream => ({
    key: { committee, fiscalYear },
    events: recordedStream(`budget-${committee}-${fiscalYear}`, recordings),
  });
  // 2018 open: its result is never carried forward.
  const y2018 = year('socialnamnden', 2018, [{ event: appropriation('socialnamnden', 2018, '100.00', '2018-01-10'), recordedAt: '2018-01-10T09:00:00.000Z' }]);
  // 2019 closed with a result of 7 000 000.00, of which the council carries 5 000 000.00 forward.
  const y2019 = year('socialnamnden', 2019, [
    { event: appropriation('socialnamnden', 2019, '1100000000.00', '2019-01-10'), recordedAt: '2019-01-10T09:00:00.000Z' },
    { event: outcome('2019-12', '1093000000.00', '0.00'), recordedAt: '2020-01-10T09:00:00.000Z' },
    { event: yearClosed('2020-02-20', '7000000.00', '5000000.00'), recordedAt: '2020-02-20T09:00:00.000Z' },
  ]);
  // Another committee's closed year is not part of socialnämnden's cumulative result.
  const other = year('kulturnamnden', 2019, [
    { event: appropriation('kulturnamnden', 2019, '10.00', '2019-01-10'), recordedAt: '2019-01-10T09:00:00.000Z' },
    { event: yearClosed('2020-02-20', '10.00', '10.00'), recordedAt: '2020-02-20T09:00:00.000Z' },
  ]);

  // DOMAIN.md: cumulativeResult = carriedIn + (carriedForward if the year is closed, else result):
  // a closed year counts with what the council carried over, not with its result.
  it('sums the carriedForward of closed earlier years and the result of the year viewed', () => {
    const { rows } = committeeResultsReport([budget2020, other, y2019, y2018], [grantBeforeReturn], { asOf: '2020-12-31' });
    const social = rows.filter((row) => row.committee === 'socialnamnden');
    expect(social.map((row) => [row.fiscalYear, row.result, row.carriedIn, row.carriedForward, row.cumulativeResult])).toEqual([
      [2018, '100.00', '0.00', null, '100.00'],
      [2019, '7000000.00', '0.00', '5000000.00', '5000000.00'],
      [2020, '30000000.00', '5000000.00', null, '35000000.00'],
    ]);
    expect(social[1]).toMatchObject({ closed: true, closedOn: '2020-02-20', carriedForward: '5000000.00' });
    expect(rows.find((row) => row.committee === 'kulturnamnden')?.cumulativeResult).toBe('10.00');
  });

  it('does not carry a year forward in views from before its closing', () => {
    const { rows } = committeeResultsReport([y2019, budget2020], [], { asOf: '2020-12-31', knownAt: '2020-02-19T23:59:59.999Z' });
    expect(rows.map((row) => [row.fiscalYear, row.closed, row.cumulativeResult])).toEqual([
      [2019, false, '7000000.00'],
      [2020, false, '1200000000.00'],
    ]);
  });
});

describe('grantRevenue', () => {
  const received = (grantId: string, committee: string, kind: 'riktat' | 'generellt', amount: string, receivedOn: string): GrantEvent => ({
    type: 'GrantReceived',
    data: { grantId, grantor: 'Socialstyrelsen', title: grantId, purpose: 'Ändamål', kind, committee, amount, receivedOn, useBy: '2021-06-30', repaymentRequired: false },
  });
  // Riktat, no duty to repay: spending counts in the year spent, the unallocated rest when closed.
  const earmarked = recordedStream('grant-r1', [
    { event: received('r1', 'socialnamnden', 'riktat', '1000.00', '2020-02-01'), recordedAt: '2020-02-01T09:00:00.000Z' },
    { event: { type: 'FundsAllocated', data: { allocationId: 'a', activity: 'IFO', amount: '500.00', allocatedOn: '2020-02-02' } }, recordedAt: '2020-02-02T09:00:00.000Z' },
    { event: { type: 'FundsSpent', data: { allocationId: 'a', amount: '300.00', spentOn: '2020-11-30', voucher: 'V1' } }, recordedAt: '2020-12-01T09:00:00.000Z' },
    { event: { type: 'FundsSpent', data: { allocationId: 'a', amount: '200.00', spentOn: '2021-01-15', voucher: 'V2' } }, recordedAt: '2021-01-16T09:00:00.000Z' },
    { event: { type: 'GrantClosed', data: { closedOn: '2021-07-01', retained: '500.00' } }, recordedAt: '2021-07-01T09:00:00.000Z' },
  ]);
  // Generellt: revenue when received, installments in their own year.
  const general = recordedStream('grant-g1', [
    { event: received('g1', 'socialnamnden', 'generellt', '2000.00', '2020-03-01'), recordedAt: '2020-03-01T09:00:00.000Z' },
    { event: { type: 'GrantInstallmentReceived', data: { amount: '100.00', receivedOn: '2021-02-01' } }, recordedAt: '2021-02-01T09:00:00.000Z' },
  ]);
  const elsewhere = recordedStream('grant-k1', [
    { event: received('k1', 'kulturnamnden', 'generellt', '999.00', '2020-03-01'), recordedAt: '2020-03-01T09:00:00.000Z' },
  ]);
  // Generellt and closed: what it retains was revenue when received, so closing adds nothing.
  const generalClosed = recordedStream('grant-g2', [
    { event: received('g2', 'socialnamnden', 'generellt', '1000.00', '2020-03-01'), recordedAt: '2020-03-01T09:00:00.000Z' },
    { event: { type: 'GrantClosed', data: { closedOn: '2020-12-31', retained: '1000.00' } }, recordedAt: '2020-12-31T09:00:00.000Z' },
  ]);
  const streams = [earmarked, general, elsewhere, grantStream];

  it('counts a closed general grant once, when received, not again for what it retains', () => {
    const revenue = grantRevenueByCommitteeYear([generalClosed], {});
    expect(revenue.get('socialnamnden/2020')?.toFixed(2)).toBe('1000.00');
  });

  it('counts spending in the year, retained at closing, and general grants received in the year', () => {
    const revenue = grantRevenueByCommitteeYear(streams, {});
    expect(revenue.get('socialnamnden/2020')?.toFixed(2)).toBe('2300.00');
    expect(revenue.get('socialnamnden/2021')?.toFixed(2)).toBe('800.00');
    expect(revenue.get('kulturnamnden/2020')?.toFixed(2)).toBe('999.00');
  });

  it('does not count received earmarked money, nor what is not yet dated in the view', () => {
    const revenue = grantRevenueByCommitteeYear(streams, { asOf: '2021-06-30' });
    expect(revenue.get('socialnamnden/2021')?.toFixed(2)).toBe('300.00');
  });

  it('adds the grant revenue to an open year’s result', () => {
    const { rows } = committeeResultsReport([budget2020], streams, { asOf: '2020-12-31' });
    expect(rows[0]).toMatchObject({ grantRevenue: '2300.00', result: '30002300.00' });
  });

  it('shows a closed year with the grant revenue and result adopted at closing', () => {
    const closed: BudgetStream = {
      key: SOCIAL,
      events: recordedStream('budget-socialnamnden-2020', [
        { event: appropriation('socialnamnden', 2020, '1000.00', '2020-01-15'), recordedAt: '2020-01-15T09:00:00.000Z' },
        { event: yearClosed('2021-02-15', '1300.00', '1300.00', '300.00'), recordedAt: '2021-02-15T09:00:00.000Z' },
      ]),
    };
    const { rows } = committeeResultsReport([closed], streams, {});
    expect(rows[0]).toMatchObject({ grantRevenue: '300.00', result: '1300.00', closed: true });
  });
});
