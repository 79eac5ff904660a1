import { describe, expect, it } from 'vitest';
import { checkAndShare, compileShapes, shapeProblem } from '../../src/domain/eventShape.js';
import { GrantEvent } from '../../src/domain/grant/events.js';
import { BudgetEvent } from '../../src/domain/budget/events.js';

const grants = compileShapes(GrantEvent);
const budgets = compileShapes(BudgetEvent);

const received = {
  grantId: 'g1', grantor: 'Tillväxtverket', title: 't', purpose: 'p', kind: 'riktat', committee: 'socialnamnden',
  amount: '8000000.00', receivedOn: '2020-06-15', useBy: '2020-12-31', repaymentRequired: true,
};

describe('event shapes derived from the schemas', () => {
  it('accepts what the deciders write, optional fields present or not', () => {
    expect(shapeProblem(grants, 'GrantReceived', received)).toBeNull();
    expect(shapeProblem(grants, 'GrantReceived', { ...received, reportDue: '2021-03-31', reference: 'Dnr 1' })).toBeNull();
    expect(shapeProblem(budgets, 'FiscalYearClosed', { closedOn: '2021-03-09', grantRevenue: '0.00', result: '-30000000.00', carriedForward: '12000000.00' })).toBeNull();
    expect(shapeProblem(budgets, 'AppropriationGranted', { committee: 'x1', fiscalYear: 2020, amount: '1.00', decidedOn: '2020-01-15', decisionRef: 'KF' })).toBeNull();
  });

  it.each([
    ['an unknown type', 'GrantVanished', received, /not an event of this stream/],
    ['data that is not an object', 'GrantReceived', ['x'], /not an object/],
    ['an amount as a number', 'GrantReceived', { ...received, amount: 8000000 }, /malformed amount/],
    ['an amount not in canonical form', 'GrantReceived', { ...received, amount: '8000000' }, /malformed amount/],
    ['a date in another format', 'GrantReceived', { ...received, useBy: '31/12/2020' }, /malformed useBy/],
    ['an unknown kind', 'GrantReceived', { ...received, kind: 'bidrag' }, /malformed kind/],
    ['a missing field', 'GrantReceived', { ...received, committee: undefined }, /lacks committee/],
    ['an unknown field', 'GrantReceived', { ...received, color: 'red' }, /unknown field color/],
    ['a boolean as a string', 'GrantReceived', { ...received, repaymentRequired: 'yes' }, /malformed repaymentRequired/],
  ])('refuses %s', (_what, type, data, problem) => {
    expect(shapeProblem(grants, type, data)).toMatch(problem);
  });

  it('checks periods and whole years in budget events', () => {
    expect(shapeProblem(budgets, 'OutcomeRecorded', { period: '2020-1', activity: 'IFO', costs: '1.00', revenues: '0.00' })).toMatch(/malformed period/);
    expect(shapeProblem(budgets, 'AppropriationGranted', { committee: 'x1', fiscalYear: 2020.5, amount: '1.00', decidedOn: '2020-01-15', decisionRef: 'KF' })).toMatch(/malformed fiscalYear/);
  });

  it('agrees with the zod schemas on every event type: each accepted sample parses', () => {
    for (const option of GrantEvent.options) expect(grants.has(option.shape.type.value)).toBe(true);
    for (const option of BudgetEvent.options) expect(budgets.has(option.shape.type.value)).toBe(true);
    expect(GrantEvent.safeParse({ type: 'GrantReceived', data: received }).success).toBe(true);
  });

  it('shares repeated values only once the data fits, leaving every value as it was', () => {
    const spent = { allocationId: 'a1', amount: '100.00', spentOn: '2024-02-01', voucher: 'V1' };
    expect(checkAndShare(grants, 'FundsSpent', spent)).toEqual({ type: 'FundsSpent', problem: null });
    expect(spent).toEqual({ allocationId: 'a1', amount: '100.00', spentOn: '2024-02-01', voucher: 'V1' });
    expect(checkAndShare(grants, 'FundsSpent', Object.freeze({ ...spent }))).toEqual({ type: 'FundsSpent', problem: null });
    expect(checkAndShare(grants, 'FundsSpent', { ...spent, amount: 100 }).problem).toMatch(/malformed amount/);
    expect(checkAndShare(grants, 'FundsSpent', { ...spent, amount: 100, extra: 1 }).problem).toMatch(/unknown field extra/);
    expect(checkAndShare(grants, 'FundsVanished', spent).problem).toMatch(/not an event of this stream/);
  });
});
