import { describe, expect, it } from 'vitest';
import { DomainError, type DomainRule } from '../../src/domain/errors.js';
import { GrantCommand } from '../../src/domain/grant/commands.js';
import type { GrantEvent, GrantEventOf } from '../../src/domain/grant/events.js';
import { INITIAL_GRANT_STATE, decideGrant, evolveGrant, type GrantState } from '../../src/domain/grant/decide.js';
import { checkGrantEvent } from '../../src/domain/grant/decide.js';
import { remainingOf, repaymentOutstandingOf, unallocatedOf, unusedOf } from '../../src/domain/grant/state.js';

/** Event n of a given history has this id, so reversals can name it. */
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function stateOf(events: readonly GrantEvent[]): GrantState {
  return events.reduce((state, event, index) => evolveGrant(state, { eventId: id(index + 1), event }), INITIAL_GRANT_STATE);
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

function given(events: readonly GrantEvent[]) {
  const state = stateOf(events);
  return {
    state,
    when(command: GrantCommand) {
      return {
        then(expected: readonly GrantEvent[]) {
          expect(decideGrant(command, state)).toEqual(expected);
        },
        thenRefuses(rule: DomainRule, field?: string) {
          const error = refusalOf(() => decideGrant(command, state));
          expect(error.rule).toBe(rule);
          if (field !== undefined) expect(error.field).toBe(field);
        },
      };
    },
  };
}

type ReceivedData = GrantEventOf<'GrantReceived'>['data'];

const grantData = (over: Partial<ReceivedData> = {}): ReceivedData => ({
  grantId: 'seg-2020',
  grantor: 'Tillväxtverket',
  title: 'Minska och motverka segregation',
  purpose: 'Insatser mot segregation i socialtjänsten',
  kind: 'riktat',
  committee: 'socialnamnden',
  amount: '1000.00',
  receivedOn: '2020-06-15',
  useBy: '2020-12-31',
  repaymentRequired: true,
  ...over,
});

const ev = {
  received: (over: Partial<ReceivedData> = {}): GrantEvent => ({ type: 'GrantReceived', data: grantData(over) }),
  installment: (amount: string, receivedOn = '2020-07-01'): GrantEvent => ({ type: 'GrantInstallmentReceived', data: { amount, receivedOn } }),
  allocated: (allocationId: string, amount: string, allocatedOn = '2020-07-01'): GrantEvent => ({
    type: 'FundsAllocated',
    data: { allocationId, activity: 'IFO', amount, allocatedOn },
  }),
  released: (allocationId: string, amount: string, releasedOn = '2020-08-01'): GrantEvent => ({
    type: 'AllocationReleased',
    data: { allocationId, amount, releasedOn },
  }),
  spent: (allocationId: string, amount: string, spentOn = '2020-09-01'): GrantEvent => ({
    type: 'FundsSpent',
    data: { allocationId, amount, spentOn, voucher: 'V-1' },
  }),
  report: (submittedOn = '2020-10-01'): GrantEvent => ({ type: 'GrantReportSubmitted', data: { submittedOn, reference: 'R-1', final: true } }),
  demanded: (amount: string, demandedOn = '2021-02-01', dueOn = '2021-03-31'): GrantEvent => ({
    type: 'RepaymentDemanded',
    data: { amount, demandedOn, dueOn, reference: 'Återkrav 1' },
  }),
  returned: (amount: string, returnedOn = '2021-03-20'): GrantEvent => ({ type: 'FundsReturned', data: { amount, returnedOn } }),
  closed: (retained: string, closedOn = '2021-04-01'): GrantEvent => ({ type: 'GrantClosed', data: { closedOn, retained } }),
  reversed: (n: number): GrantEvent => ({ type: 'EntryReversed', data: { reversedEventId: id(n), reason: 'Felbokning' } }),
};

const cmd = {
  receive: (over: Partial<ReceivedData> = {}): GrantCommand => ({ type: 'ReceiveGrant', data: grantData(over) }),
  installment: (amount: string, receivedOn = '2020-07-01'): GrantCommand => ({ type: 'ReceiveInstallment', data: { amount, receivedOn } }),
  allocate: (allocationId: string, amount: string, allocatedOn = '2020-07-01'): GrantCommand => ({
    type: 'AllocateFunds',
    data: { allocationId, activity: 'IFO', amount, allocatedOn },
  }),
  release: (allocationId: string, amount: string, releasedOn = '2020-08-01'): GrantCommand => ({
    type: 'ReleaseAllocation',
    data: { allocationId, amount, releasedOn },
  }),
  spend: (allocationId: string, amount: string, spentOn = '2020-09-01'): GrantCommand => ({
    type: 'SpendFunds',
    data: { allocationId, amount, spentOn, voucher: 'V-1' },
  }),
  report: (submittedOn = '2020-10-01'): GrantCommand => ({ type: 'SubmitGrantReport', data: { submittedOn, reference: 'R-1', final: true } }),
  demand: (amount: string, demandedOn = '2021-02-01', dueOn = '2021-03-31'): GrantCommand => ({
    type: 'DemandRepayment',
    data: { amount, demandedOn, dueOn, reference: 'Återkrav 1' },
  }),
  return: (amount: string, returnedOn = '2021-03-20'): GrantCommand => ({ type: 'ReturnFunds', data: { amount, returnedOn } }),
  close: (closedOn = '2021-04-01'): GrantCommand => ({ type: 'CloseGrant', data: { closedOn } }),
  reverse: (n: number): GrantCommand => ({ type: 'ReverseEntry', data: { eventId: id(n), reason: 'Felbokning' } }),
};

/** Every command except ReceiveGrant and ReverseEntry, each valid on an open grant of 1000.00. */
const COMMANDS_ON_A_GRANT: ReadonlyArray<[string, GrantCommand]> = [
  ['ReceiveInstallment', cmd.installment('100.00')],
  ['AllocateFunds', cmd.allocate('new', '1.00', '2021-04-02')],
  ['ReleaseAllocation', cmd.release('a', '1.00')],
  ['SpendFunds', cmd.spend('a', '1.00')],
  ['SubmitGrantReport', cmd.report('2021-04-02')],
  ['DemandRepayment', cmd.demand('1.00', '2021-04-02', '2021-05-01')],
  ['ReturnFunds', cmd.return('1.00', '2021-04-02')],
  ['CloseGrant', cmd.close('2021-04-02')],
];

describe('ReceiveGrant', () => {
  it('records the grant as the first event of the stream', () => {
    given([]).when(cmd.receive()).then([ev.received()]);
  });

  it('refuses a second GrantReceived on the same stream', () => {
    given([ev.received()]).when(cmd.receive()).thenRefuses('GRANT_ALREADY_EXISTS', 'grantId');
  });

  it('refuses a second GrantReceived even when the grant is closed', () => {
    given([ev.received({ repaymentRequired: false }), ev.closed('1000.00', '2020-06-15')])
      .when(cmd.receive())
      .thenRefuses('GRANT_ALREADY_EXISTS', 'grantId');
  });

  it('refuses a useBy before receivedOn', () => {
    given([]).when(cmd.receive({ useBy: '2020-06-14' })).thenRefuses('USE_BY_BEFORE_RECEIVED_ON', 'useBy');
  });

  it('accepts a useBy on the day of receipt', () => {
    given([]).when(cmd.receive({ useBy: '2020-06-15' })).then([ev.received({ useBy: '2020-06-15' })]);
  });

  it('refuses a reportDue before receivedOn', () => {
    given([]).when(cmd.receive({ reportDue: '2020-06-14' })).thenRefuses('REPORT_DUE_BEFORE_RECEIVED_ON', 'reportDue');
  });

  it('accepts a reportDue on the day of receipt', () => {
    given([]).when(cmd.receive({ reportDue: '2020-06-15' })).then([ev.received({ reportDue: '2020-06-15' })]);
  });

  it('the command schema refuses a zero amount and a useBy before receivedOn at the edge', () => {
    expect(GrantCommand.safeParse(cmd.receive({ amount: '0.00' })).success).toBe(false);
    const early = GrantCommand.safeParse(cmd.receive({ useBy: '2020-01-01' }));
    expect(early.success).toBe(false);
    expect(early.error?.issues.map((issue) => issue.path.join('.'))).toContain('data.useBy');
  });

  it('the command schema normalises money to two decimals', () => {
    const parsed = GrantCommand.parse(cmd.receive({ amount: '8000000' }));
    expect(parsed.type === 'ReceiveGrant' && parsed.data.amount).toBe('8000000.00');
  });
});

describe('every command on a grant that does not exist', () => {
  it.each([...COMMANDS_ON_A_GRANT, ['ReverseEntry', cmd.reverse(1)] as [string, GrantCommand]])(
    '%s is refused with GRANT_NOT_FOUND',
    (_name, command) => {
      given([]).when(command).thenRefuses('GRANT_NOT_FOUND');
    },
  );
});

describe('every command on a closed grant', () => {
  const closedGrant = [
    ev.received({ repaymentRequired: false }),
    ev.allocated('a', '400.00'),
    ev.spent('a', '400.00'),
    ev.closed('600.00', '2021-04-01'),
  ];
  it.each(COMMANDS_ON_A_GRANT)('%s is refused with GRANT_CLOSED', (_name, command) => {
    given(closedGrant).when(command).thenRefuses('GRANT_CLOSED');
  });
});

describe('ReceiveInstallment', () => {
  it('adds to what was received, so more can be allocated', () => {
    const history = [ev.received(), ev.installment('500.00')];
    expect(unallocatedOf(stateOf(history).facts).toFixed(2)).toBe('1500.00');
    given(history).when(cmd.allocate('a', '1500.00')).then([ev.allocated('a', '1500.00')]);
  });

  it('refuses an installment dated before the grant was received', () => {
    given([ev.received()]).when(cmd.installment('1.00', '2020-06-14')).thenRefuses('DATE_BEFORE_GRANT_RECEIVED', 'receivedOn');
  });

  it('accepts an installment on a general grant', () => {
    given([ev.received({ kind: 'generellt' })]).when(cmd.installment('1.00')).then([ev.installment('1.00')]);
  });
});

describe('AllocateFunds', () => {
  it('accepts an allocation exactly equal to the unallocated funds', () => {
    given([ev.received()]).when(cmd.allocate('a', '1000.00')).then([ev.allocated('a', '1000.00')]);
  });

  it('refuses an allocation larger than the unallocated funds by one öre', () => {
    given([ev.received()]).when(cmd.allocate('a', '1000.01')).thenRefuses('ALLOCATION_EXCEEDS_UNALLOCATED', 'amount');
  });

  it('counts earlier allocations, releases and returns against the unallocated funds', () => {
    const history = [ev.received(), ev.allocated('a', '600.00'), ev.released('a', '100.00'), ev.returned('200.00', '2020-08-02')];
    // 1000 − (600 − 100) − 200 = 300
    given(history).when(cmd.allocate('b', '300.00')).then([ev.allocated('b', '300.00')]);
    given(history).when(cmd.allocate('b', '300.01')).thenRefuses('ALLOCATION_EXCEEDS_UNALLOCATED', 'amount');
  });

  it('refuses an allocation of a general grant', () => {
    given([ev.received({ kind: 'generellt' })]).when(cmd.allocate('a', '1.00')).thenRefuses('ALLOCATION_REQUIRES_RIKTAT_GRANT');
  });

  it('refuses an allocation id that is already used, even when fully spent', () => {
    given([ev.received(), ev.allocated('a', '10.00'), ev.spent('a', '10.00')])
      .when(cmd.allocate('a', '1.00'))
      .thenRefuses('ALLOCATION_ALREADY_EXISTS', 'allocationId');
  });

  it('refuses an allocation dated before the grant was received', () => {
    given([ev.received()]).when(cmd.allocate('a', '1.00', '2020-06-14')).thenRefuses('DATE_BEFORE_GRANT_RECEIVED', 'allocatedOn');
  });
});

describe('ReleaseAllocation', () => {
  const history = [ev.received(), ev.allocated('a', '500.00'), ev.spent('a', '200.00')];

  it('accepts a release of exactly what remains of the allocation', () => {
    given(history).when(cmd.release('a', '300.00')).then([ev.released('a', '300.00')]);
  });

  it('refuses a release larger than what remains (allocated − released − spent)', () => {
    given(history).when(cmd.release('a', '300.01')).thenRefuses('RELEASE_EXCEEDS_REMAINING', 'amount');
  });

  it('refuses a release of an unknown allocation', () => {
    given(history).when(cmd.release('zz', '1.00')).thenRefuses('ALLOCATION_NOT_FOUND', 'allocationId');
  });

  it('refuses a release dated before the allocation', () => {
    given(history).when(cmd.release('a', '1.00', '2020-06-30')).thenRefuses('DATE_BEFORE_ALLOCATION', 'releasedOn');
  });

  it('returns the released money to the unallocated funds', () => {
    const facts = stateOf([...history, ev.released('a', '300.00')]).facts;
    expect(unallocatedOf(facts).toFixed(2)).toBe('800.00');
    expect(remainingOf(facts.allocations.get('a')!).toFixed(2)).toBe('0.00');
  });
});

describe('SpendFunds', () => {
  const history = [ev.received(), ev.allocated('a', '500.00')];

  it('accepts spending of exactly what remains, on the useBy date', () => {
    given(history).when(cmd.spend('a', '500.00', '2020-12-31')).then([ev.spent('a', '500.00', '2020-12-31')]);
  });

  it('refuses spending more than the allocation has remaining', () => {
    given([...history, ev.released('a', '100.00')]).when(cmd.spend('a', '400.01')).thenRefuses('SPENDING_EXCEEDS_REMAINING', 'amount');
  });

  it('refuses spending after the grant must be used by', () => {
    given(history).when(cmd.spend('a', '1.00', '2021-01-01')).thenRefuses('SPENDING_AFTER_USE_BY', 'spentOn');
  });

  it('refuses spending from an unknown allocation', () => {
    given(history).when(cmd.spend('zz', '1.00')).thenRefuses('ALLOCATION_NOT_FOUND', 'allocationId');
  });

  it('refuses spending dated before the allocation', () => {
    given(history).when(cmd.spend('a', '1.00', '2020-06-30')).thenRefuses('DATE_BEFORE_ALLOCATION', 'spentOn');
  });
});

describe('SubmitGrantReport', () => {
  it('records a report on an open grant', () => {
    given([ev.received()]).when(cmd.report()).then([ev.report()]);
  });

  it('records a report on an expired grant', () => {
    given([ev.received()]).when(cmd.report('2021-02-01')).then([ev.report('2021-02-01')]);
  });

  it('refuses a report dated before the grant was received', () => {
    given([ev.received()]).when(cmd.report('2020-06-01')).thenRefuses('DATE_BEFORE_GRANT_RECEIVED', 'submittedOn');
  });
});

describe('DemandRepayment', () => {
  const history = [ev.received(), ev.allocated('a', '500.00'), ev.spent('a', '300.00')];

  it('accepts a demand of exactly the unused funds (unallocated + remaining)', () => {
    given(history).when(cmd.demand('700.00')).then([ev.demanded('700.00')]);
  });

  it('refuses a demand larger than the unused funds', () => {
    given(history).when(cmd.demand('700.01')).thenRefuses('REPAYMENT_EXCEEDS_UNUSED', 'amount');
  });

  it('refuses demands that together exceed the unused funds, so the grant can still be settled', () => {
    given([...history, ev.demanded('700.00')]).when(cmd.demand('0.01')).thenRefuses('REPAYMENT_EXCEEDS_UNUSED', 'amount');
    given([...history, ev.demanded('400.00')]).when(cmd.demand('300.00')).then([ev.demanded('300.00')]);
  });

  it('refuses a due date before the demand', () => {
    given(history).when(cmd.demand('1.00', '2021-02-01', '2021-01-31')).thenRefuses('DUE_DATE_BEFORE_DEMAND', 'dueOn');
  });

  it('accepts a due date on the day of the demand', () => {
    given(history).when(cmd.demand('1.00', '2021-02-01', '2021-02-01')).then([ev.demanded('1.00', '2021-02-01', '2021-02-01')]);
  });

  it('refuses a demand dated before the grant was received', () => {
    given(history).when(cmd.demand('1.00', '2020-01-01', '2020-02-01')).thenRefuses('DATE_BEFORE_GRANT_RECEIVED', 'demandedOn');
  });
});

describe('ReturnFunds', () => {
  const history = [ev.received(), ev.allocated('a', '600.00')];

  it('accepts a return of exactly the unallocated funds', () => {
    given(history).when(cmd.return('400.00')).then([ev.returned('400.00')]);
  });

  it('refuses a return of money still allocated', () => {
    given(history).when(cmd.return('400.01')).thenRefuses('RETURN_EXCEEDS_UNALLOCATED', 'amount');
  });

  it('refuses a return dated before the grant was received', () => {
    given(history).when(cmd.return('1.00', '2020-06-14')).thenRefuses('DATE_BEFORE_GRANT_RECEIVED', 'returnedOn');
  });
});

describe('repaymentOutstanding', () => {
  const outstanding = (events: GrantEvent[]) => repaymentOutstandingOf(stateOf(events).facts).toFixed(2);

  it('is the demanded amount less what was returned after the first demand', () => {
    expect(outstanding([ev.received(), ev.demanded('800.00'), ev.returned('300.00')])).toBe('500.00');
  });

  it('does not count returns made before the first demand', () => {
    expect(outstanding([ev.received(), ev.returned('300.00', '2021-01-15'), ev.demanded('700.00')])).toBe('700.00');
  });

  it('is never below zero when more is returned than demanded', () => {
    expect(outstanding([ev.received(), ev.demanded('100.00'), ev.returned('900.00')])).toBe('0.00');
  });

  it('is zero without a demand', () => {
    expect(outstanding([ev.received(), ev.returned('300.00')])).toBe('0.00');
  });
});

describe('CloseGrant', () => {
  it('keeps the unallocated money as retained when no repayment is required', () => {
    const history = [ev.received({ repaymentRequired: false }), ev.allocated('a', '400.00'), ev.spent('a', '250.00'), ev.released('a', '150.00')];
    given(history).when(cmd.close('2021-01-10')).then([ev.closed('750.00', '2021-01-10')]);
  });

  it('closes with nothing retained once every krona is spent or returned', () => {
    const history = [ev.received(), ev.allocated('a', '400.00'), ev.spent('a', '400.00'), ev.returned('600.00')];
    given(history).when(cmd.close('2021-03-20')).then([ev.closed('0.00', '2021-03-20')]);
  });

  it('leaves nothing unused or unallocated after closing, and conserves the money', () => {
    const facts = stateOf([ev.received({ repaymentRequired: false }), ev.allocated('a', '400.00'), ev.spent('a', '400.00'), ev.closed('600.00')]).facts;
    expect(facts.status).toBe('closed');
    expect(unallocatedOf(facts).toFixed(2)).toBe('0.00');
    expect(unusedOf(facts).toFixed(2)).toBe('0.00');
    expect(facts.spent.plus(facts.returned).plus(facts.retained).toFixed(2)).toBe(facts.received.toFixed(2));
  });

  it('refuses to close while an allocation has money remaining', () => {
    given([ev.received({ repaymentRequired: false }), ev.allocated('a', '400.00'), ev.spent('a', '399.99')])
      .when(cmd.close())
      .thenRefuses('ALLOCATIONS_STILL_REMAINING');
  });

  it('refuses to close while unused money must be repaid', () => {
    given([ev.received(), ev.allocated('a', '400.00'), ev.spent('a', '400.00'), ev.returned('599.99')])
      .when(cmd.close())
      .thenRefuses('UNUSED_FUNDS_MUST_BE_REPAID');
  });

  it('refuses to close while a demanded repayment is outstanding', () => {
    given([ev.received({ repaymentRequired: false }), ev.demanded('100.00'), ev.returned('40.00')])
      .when(cmd.close())
      .thenRefuses('REPAYMENT_OUTSTANDING');
  });

  it('refuses a closing date before the last entry', () => {
    given([ev.received({ repaymentRequired: false }), ev.report('2021-05-01')])
      .when(cmd.close('2021-04-30'))
      .thenRefuses('CLOSING_DATE_BEFORE_LAST_ENTRY', 'closedOn');
  });

  it('accepts a closing date on the day of the last entry', () => {
    given([ev.received({ repaymentRequired: false }), ev.report('2021-05-01')])
      .when(cmd.close('2021-05-01'))
      .then([ev.closed('1000.00', '2021-05-01')]);
  });

  it('the rules refuse a GrantClosed whose retained differs from the unallocated funds', () => {
    const facts = stateOf([ev.received({ repaymentRequired: false })]).facts;
    expect(refusalOf(() => checkGrantEvent(facts, ev.closed('999.99'))).rule).toBe('RETAINED_MUST_EQUAL_UNALLOCATED');
    expect(() => checkGrantEvent(facts, ev.closed('1000.00'))).not.toThrow();
  });
});

describe('ReverseEntry', () => {
  it('reverses a spending and restores the allocation’s remaining', () => {
    const history = [ev.received(), ev.allocated('a', '500.00'), ev.spent('a', '200.00')];
    given(history).when(cmd.reverse(3)).then([ev.reversed(3)]);
    const facts = stateOf([...history, ev.reversed(3)]).facts;
    expect(remainingOf(facts.allocations.get('a')!).toFixed(2)).toBe('500.00');
    expect(facts.spent.toFixed(2)).toBe('0.00');
    expect(unusedOf(facts).toFixed(2)).toBe('1000.00');
  });

  it('refuses to reverse an allocation that has spending', () => {
    given([ev.received(), ev.allocated('a', '500.00'), ev.spent('a', '200.00')])
      .when(cmd.reverse(2))
      .thenRefuses('REVERSAL_WOULD_BREAK_RULE', 'eventId');
  });

  it('reverses an allocation without spending and frees its money', () => {
    const history = [ev.received(), ev.allocated('a', '500.00')];
    given(history).when(cmd.reverse(2)).then([ev.reversed(2)]);
    expect(unallocatedOf(stateOf([...history, ev.reversed(2)]).facts).toFixed(2)).toBe('1000.00');
  });

  it('refuses to reverse an installment whose money is already allocated', () => {
    given([ev.received(), ev.installment('500.00'), ev.allocated('a', '1200.00')])
      .when(cmd.reverse(2))
      .thenRefuses('REVERSAL_WOULD_BREAK_RULE', 'eventId');
  });

  it('refuses to reverse a return that the closing relied on', () => {
    given([ev.received(), ev.returned('1000.00'), ev.closed('0.00')]).when(cmd.reverse(2)).thenRefuses('REVERSAL_WOULD_BREAK_RULE', 'eventId');
  });

  it('reverses a closing and reopens the grant', () => {
    const history = [ev.received({ repaymentRequired: false }), ev.closed('1000.00', '2020-07-01')];
    given(history).when(cmd.reverse(2)).then([ev.reversed(2)]);
    const reopened = [...history, ev.reversed(2)];
    expect(stateOf(reopened).facts.status).toBe('open');
    expect(unallocatedOf(stateOf(reopened).facts).toFixed(2)).toBe('1000.00');
    given(reopened).when(cmd.allocate('a', '1000.00')).then([ev.allocated('a', '1000.00')]);
  });

  it('reverses a demand and so clears what is outstanding', () => {
    const history = [ev.received(), ev.demanded('300.00')];
    expect(repaymentOutstandingOf(stateOf([...history, ev.reversed(2)]).facts).toFixed(2)).toBe('0.00');
    given(history).when(cmd.reverse(2)).then([ev.reversed(2)]);
  });

  it('refuses a target that is not in the stream', () => {
    given([ev.received()]).when(cmd.reverse(99)).thenRefuses('REVERSAL_TARGET_NOT_FOUND', 'eventId');
  });

  it('refuses a target that is already reversed', () => {
    given([ev.received(), ev.report(), ev.reversed(2)]).when(cmd.reverse(2)).thenRefuses('ENTRY_ALREADY_REVERSED', 'eventId');
  });

  it('refuses to reverse the GrantReceived', () => {
    given([ev.received()]).when(cmd.reverse(1)).thenRefuses('GRANT_RECEIVED_CANNOT_BE_REVERSED', 'eventId');
  });

  it('refuses to reverse a reversal', () => {
    given([ev.received(), ev.report(), ev.reversed(2)]).when(cmd.reverse(3)).thenRefuses('REVERSAL_CANNOT_BE_REVERSED', 'eventId');
  });
});
