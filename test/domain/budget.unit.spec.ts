import { describe, expect, it } from 'vitest';
import { DomainError, type DomainRule } from '../../src/domain/errors.js';
import { BudgetCommand } from '../../src/domain/budget/commands.js';
import type { BudgetEvent, BudgetKey } from '../../src/domain/budget/events.js';
import { INITIAL_BUDGET_STATE, checkBudgetEvent, decideBudget, evolveBudget, type BudgetState } from '../../src/domain/budget/decide.js';
import { budgetOf, latestForecastOf, resultOf } from '../../src/domain/budget/state.js';
import { money } from '../../src/domain/money.js';

const KEY: BudgetKey = { committee: 'socialnamnden', fiscalYear: 2020 };
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function stateOf(events: readonly BudgetEvent[]): BudgetState {
  return events.reduce((state, event, index) => evolveBudget(state, { eventId: id(index + 1), event }), INITIAL_BUDGET_STATE);
}

function refusalOf(act: () => unknown): DomainError {
  try {
    act();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the command to be refused, but it was accepted');
}

function given(events: readonly BudgetEvent[]) {
  const state = stateOf(events);
  return {
    when(command: BudgetCommand) {
      return {
        then(expected: readonly BudgetEvent[]) {
          expect(decideBudget(command, state)).toEqual(expected);
        },
        thenRefuses(rule: DomainRule, field?: string) {
          const error = refusalOf(() => decideBudget(command, state));
          expect(error.rule).toBe(rule);
          if (field !== undefined) expect(error.field).toBe(field);
        },
      };
    },
  };
}

const ev = {
  granted: (amount: string, activity?: string): BudgetEvent => ({
    type: 'AppropriationGranted',
    data: { committee: KEY.committee, fiscalYear: KEY.fiscalYear, amount, decidedOn: '2020-01-15', decisionRef: 'KF 2019-11-25 § 12', ...(activity ? { activity } : {}) },
  }),
  adjusted: (amount: string): BudgetEvent => ({
    type: 'AppropriationAdjusted',
    data: { amount, decidedOn: '2020-06-01', reason: 'Tilläggsanslag', decisionRef: 'KF 2020-05-25 § 4' },
  }),
  outcome: (period: string, costs: string, revenues: string, activity = 'IFO'): BudgetEvent => ({
    type: 'OutcomeRecorded',
    data: { period, activity, costs, revenues },
  }),
  forecast: (afterPeriod: string, deviation: string, activity?: string): BudgetEvent => ({
    type: 'ForecastRecorded',
    data: { afterPeriod, deviation, ...(activity ? { activity } : {}) },
  }),
  closed: (result: string, carriedForward = result, grantRevenue = '0.00', closedOn = '2021-02-15'): BudgetEvent => ({
    type: 'FiscalYearClosed',
    data: { closedOn, grantRevenue, result, carriedForward },
  }),
  reversed: (n: number): BudgetEvent => ({ type: 'EntryReversed', data: { reversedEventId: id(n), reason: 'Felbokning' } }),
};

const cmd = {
  grant: (amount: string, activity?: string): BudgetCommand => ({
    type: 'GrantAppropriation',
    budget: KEY,
    data: { amount, decidedOn: '2020-01-15', decisionRef: 'KF 2019-11-25 § 12', ...(activity ? { activity } : {}) },
  }),
  adjust: (amount: string): BudgetCommand => ({
    type: 'AdjustAppropriation',
    budget: KEY,
    data: { amount, decidedOn: '2020-06-01', reason: 'Tilläggsanslag', decisionRef: 'KF 2020-05-25 § 4' },
  }),
  outcome: (period: string, costs: string, revenues: string, activity = 'IFO'): BudgetCommand => ({
    type: 'RecordOutcome',
    budget: KEY,
    data: { period, activity, costs, revenues },
  }),
  forecast: (afterPeriod: string, deviation: string, activity?: string): BudgetCommand => ({
    type: 'RecordForecast',
    budget: KEY,
    data: { afterPeriod, deviation, ...(activity ? { activity } : {}) },
  }),
  close: (grantRevenue = '0.00', carriedForward?: string, closedOn = '2021-02-15'): BudgetCommand => ({
    type: 'CloseFiscalYear',
    budget: KEY,
    grantRevenue,
    data: { closedOn, ...(carriedForward !== undefined ? { carriedForward } : {}) },
  }),
  reverse: (n: number): BudgetCommand => ({ type: 'ReverseEntry', budget: KEY, data: { eventId: id(n), reason: 'Felbokning' } }),
};

const YEAR = [ev.granted('1200000000.00'), ev.outcome('2020-06', '1190000000.00', '20000000.00')];
const CLOSED_YEAR = [...YEAR, ev.closed('30000000.00')];

describe('GrantAppropriation', () => {
  it('records the appropriation in the budget stream named by the command', () => {
    given([]).when(cmd.grant('1200000000.00')).then([ev.granted('1200000000.00')]);
  });

  it('accepts a zero appropriation for an activity', () => {
    given([]).when(cmd.grant('0.00', 'AO')).then([ev.granted('0.00', 'AO')]);
  });

  it('the schema refuses a negative appropriation', () => {
    expect(BudgetCommand.safeParse(cmd.grant('-1.00')).success).toBe(false);
  });

  it('adds appropriations per activity into one budget', () => {
    expect(budgetOf(stateOf([ev.granted('100.00', 'IFO'), ev.granted('250.50', 'AO')]).facts).toFixed(2)).toBe('350.50');
  });

  it('the rules refuse an appropriation naming another committee or year', () => {
    const other: BudgetEvent = { type: 'AppropriationGranted', data: { committee: 'kulturnamnden', fiscalYear: 2020, amount: '1.00', decidedOn: '2020-01-15', decisionRef: 'x' } };
    expect(refusalOf(() => checkBudgetEvent(stateOf([]).facts, other, KEY)).rule).toBe('BUDGET_STREAM_MISMATCH');
  });
});

describe('AdjustAppropriation', () => {
  it('records a signed adjustment that changes the budget', () => {
    given(YEAR).when(cmd.adjust('-250000.00')).then([ev.adjusted('-250000.00')]);
    expect(budgetOf(stateOf([...YEAR, ev.adjusted('-250000.00'), ev.adjusted('1000.50')]).facts).toFixed(2)).toBe('1199751000.50');
  });

  it.each(['0', '0.00', '-0.00'])('the schema refuses a zero adjustment %j', (amount) => {
    expect(BudgetCommand.safeParse(cmd.adjust(amount)).success).toBe(false);
  });

  it('the schema normalises a signed adjustment', () => {
    const parsed = BudgetCommand.parse(cmd.adjust('-5'));
    expect(parsed.type === 'AdjustAppropriation' && parsed.data.amount).toBe('-5.00');
  });
});

describe('RecordOutcome', () => {
  it('records an outcome for a month in the fiscal year', () => {
    given(YEAR).when(cmd.outcome('2020-12', '10.00', '0.00')).then([ev.outcome('2020-12', '10.00', '0.00')]);
  });

  it('adds outcomes for the same period and activity up instead of replacing them', () => {
    const facts = stateOf([ev.granted('1000.00'), ev.outcome('2020-03', '100.00', '10.00'), ev.outcome('2020-03', '50.25', '0.75'), ev.outcome('2020-04', '1.00', '0.00', 'AO')]).facts;
    expect(facts.costs.toFixed(2)).toBe('151.25');
    expect(facts.revenues.toFixed(2)).toBe('10.75');
    expect(resultOf(facts, money('0')).toFixed(2)).toBe('859.50');
  });

  it.each(['2019-12', '2021-01'])('refuses the period %s outside the fiscal year', (period) => {
    given(YEAR).when(cmd.outcome(period, '1.00', '0.00')).thenRefuses('PERIOD_OUTSIDE_FISCAL_YEAR', 'period');
  });

  it('the schema refuses negative costs or revenues and an invalid period', () => {
    expect(BudgetCommand.safeParse(cmd.outcome('2020-01', '-1.00', '0.00')).success).toBe(false);
    expect(BudgetCommand.safeParse(cmd.outcome('2020-01', '0.00', '-1.00')).success).toBe(false);
    expect(BudgetCommand.safeParse(cmd.outcome('2020-13', '0.00', '0.00')).success).toBe(false);
  });
});

describe('RecordForecast', () => {
  it('records a signed forecast', () => {
    given(YEAR).when(cmd.forecast('2020-04', '-2000000.00')).then([ev.forecast('2020-04', '-2000000.00')]);
  });

  it.each(['2019-12', '2021-01'])('refuses the afterPeriod %s outside the fiscal year', (period) => {
    given(YEAR).when(cmd.forecast(period, '1.00')).thenRefuses('PERIOD_OUTSIDE_FISCAL_YEAR', 'afterPeriod');
  });

  it('the latest forecast sums the activities of the latest period, a later record replacing an earlier one', () => {
    const facts = stateOf([
      ev.forecast('2020-04', '2000000.00'),
      ev.forecast('2020-08', '100.00', 'IFO'),
      ev.forecast('2020-08', '-30.00', 'AO'),
      ev.forecast('2020-08', '150.00', 'IFO'),
    ]).facts;
    const latest = latestForecastOf(facts);
    expect(latest?.afterPeriod).toBe('2020-08');
    expect(latest?.deviation.toFixed(2)).toBe('120.00');
  });
});

describe('CloseFiscalYear', () => {
  it('computes the result and carries it forward when the council decides nothing else', () => {
    given(YEAR).when(cmd.close()).then([ev.closed('30000000.00', '30000000.00')]);
  });

  it('adds the grant revenue to the result', () => {
    given(YEAR).when(cmd.close('500.00')).then([ev.closed('30000500.00', '30000500.00', '500.00')]);
  });

  it('records the council’s carriedForward when given, even when it differs from the result', () => {
    given(YEAR).when(cmd.close('0.00', '12000000.00')).then([ev.closed('30000000.00', '12000000.00')]);
  });

  it('computes a deficit as a negative result', () => {
    given([ev.granted('100.00'), ev.outcome('2020-01', '150.00', '20.00'), ev.adjusted('-10.00')])
      .when(cmd.close())
      .then([ev.closed('-40.00')]);
  });

  it('refuses a closing dated before the year has ended, naming closedOn', () => {
    given(YEAR).when(cmd.close('0.00', undefined, '2020-06-29')).thenRefuses('CLOSING_BEFORE_YEAR_END', 'closedOn');
    given(YEAR).when(cmd.close('0.00', undefined, '2020-12-30')).thenRefuses('CLOSING_BEFORE_YEAR_END', 'closedOn');
    given(YEAR).when(cmd.close('0.00', undefined, '2020-12-31')).then([ev.closed('30000000.00', '30000000.00', '0.00', '2020-12-31')]);
  });

  it('refuses to close a budget that does not exist', () => {
    given([]).when(cmd.close()).thenRefuses('BUDGET_NOT_FOUND');
  });

  it('refuses to close a fiscal year twice', () => {
    given(CLOSED_YEAR).when(cmd.close()).thenRefuses('FISCAL_YEAR_CLOSED');
  });

  it('the rules refuse a FiscalYearClosed whose result is not budget − costs + revenues + grantRevenue', () => {
    const facts = stateOf(YEAR).facts;
    expect(refusalOf(() => checkBudgetEvent(facts, ev.closed('29999999.99'), KEY)).rule).toBe('RESULT_MISMATCH');
    expect(refusalOf(() => checkBudgetEvent(facts, ev.closed('30000000.00', '30000000.00', '1.00'), KEY)).rule).toBe('RESULT_MISMATCH');
    expect(() => checkBudgetEvent(facts, ev.closed('30000001.00', '0.00', '1.00'), KEY)).not.toThrow();
  });
});

describe('after the fiscal year is closed', () => {
  it.each<[string, BudgetCommand]>([
    ['GrantAppropriation', cmd.grant('1.00')],
    ['AdjustAppropriation', cmd.adjust('1.00')],
    ['RecordOutcome', cmd.outcome('2020-12', '1.00', '0.00')],
    ['RecordForecast', cmd.forecast('2020-12', '1.00')],
    ['CloseFiscalYear', cmd.close()],
    ['ReverseEntry of an outcome', cmd.reverse(2)],
    ['ReverseEntry of an appropriation', cmd.reverse(1)],
  ])('%s is refused with FISCAL_YEAR_CLOSED', (_name, command) => {
    given(CLOSED_YEAR).when(command).thenRefuses('FISCAL_YEAR_CLOSED');
  });

  it('the reversal of the closing reopens the year', () => {
    given(CLOSED_YEAR).when(cmd.reverse(3)).then([ev.reversed(3)]);
    const reopened = [...CLOSED_YEAR, ev.reversed(3)];
    expect(stateOf(reopened).facts.closing).toBeNull();
    given(reopened).when(cmd.outcome('2020-12', '1000000.00', '0.00')).then([ev.outcome('2020-12', '1000000.00', '0.00')]);
    given([...reopened, ev.outcome('2020-12', '1000000.00', '0.00')]).when(cmd.close()).then([ev.closed('29000000.00')]);
  });
});

describe('ReverseEntry', () => {
  it('refuses a reversal in a budget that does not exist', () => {
    given([]).when(cmd.reverse(1)).thenRefuses('BUDGET_NOT_FOUND');
  });

  it('reverses an outcome in an open year and takes it out of the figures', () => {
    given(YEAR).when(cmd.reverse(2)).then([ev.reversed(2)]);
    const facts = stateOf([...YEAR, ev.reversed(2)]).facts;
    expect(facts.costs.toFixed(2)).toBe('0.00');
    expect(resultOf(facts, money('0')).toFixed(2)).toBe('1200000000.00');
  });

  it('refuses a target that is not in the stream', () => {
    given(YEAR).when(cmd.reverse(42)).thenRefuses('REVERSAL_TARGET_NOT_FOUND', 'eventId');
  });

  it('refuses a target that is already reversed', () => {
    given([...YEAR, ev.reversed(2)]).when(cmd.reverse(2)).thenRefuses('ENTRY_ALREADY_REVERSED', 'eventId');
  });

  it('refuses to reverse a reversal', () => {
    given([...YEAR, ev.reversed(2)]).when(cmd.reverse(3)).thenRefuses('REVERSAL_CANNOT_BE_REVERSED', 'eventId');
  });

  it('reverses the only appropriation, so the budget no longer exists', () => {
    const history = [ev.granted('100.00')];
    given(history).when(cmd.reverse(1)).then([ev.reversed(1)]);
    const after = [...history, ev.reversed(1)];
    expect(stateOf(after).facts.exists).toBe(false);
    given(after).when(cmd.close()).thenRefuses('BUDGET_NOT_FOUND');
  });
});
