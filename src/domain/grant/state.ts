import { Decimal } from 'decimal.js';
import { ZERO, type Money } from '../money.js';
import { assertNever } from '../errors.js';
import type { IsoDate } from '../dates.js';
import type { GrantEvent, GrantEventOf } from './events.js';

/** An allocation (fördelning) of earmarked money to an activity (verksamhet). */
export interface Allocation {
  readonly allocationId: string;
  readonly activity: string;
  readonly allocatedOn: IsoDate;
  readonly allocated: Money;
  readonly released: Money;
  readonly spent: Money;
}

export function remainingOf(allocation: Allocation): Money {
  return allocation.allocated.minus(allocation.released).minus(allocation.spent);
}

export type GrantStatus = 'initial' | 'open' | 'closed';

/**
 * The figures of one grant, folded from its effective (not reversed) events in stream order.
 * The same fold serves the decider and every projection.
 */
export interface GrantFacts {
  readonly status: GrantStatus;
  readonly grant: GrantEventOf<'GrantReceived'>['data'] | null;
  readonly received: Money;
  readonly spent: Money;
  readonly returned: Money;
  /** Σ(allocated − released) over all allocations. */
  readonly netAllocated: Money;
  readonly allocations: ReadonlyMap<string, Allocation>;
  readonly demanded: Money;
  readonly returnedAfterFirstDemand: Money;
  readonly reports: ReadonlyArray<GrantEventOf<'GrantReportSubmitted'>['data']>;
  readonly closedOn: IsoDate | null;
  readonly retained: Money;
  /** The latest business date of any effective event; a grant cannot be closed before it. */
  readonly lastBusinessDate: IsoDate | null;
}

export const INITIAL_GRANT_FACTS: GrantFacts = {
  status: 'initial',
  grant: null,
  received: ZERO,
  spent: ZERO,
  returned: ZERO,
  netAllocated: ZERO,
  allocations: new Map(),
  demanded: ZERO,
  returnedAfterFirstDemand: ZERO,
  reports: [],
  closedOn: null,
  retained: ZERO,
  lastBusinessDate: null,
};

/** Money neither allocated, returned nor retained at closing: what may still be allocated or returned. */
export function unallocatedOf(facts: GrantFacts): Money {
  return facts.received.minus(facts.netAllocated).minus(facts.returned).minus(facts.retained);
}

export function unusedOf(facts: GrantFacts): Money {
  return facts.received.minus(facts.spent).minus(facts.returned).minus(facts.retained);
}

export function allocatedRemainingOf(facts: GrantFacts): Money {
  let total = ZERO;
  for (const allocation of facts.allocations.values()) total = total.plus(remainingOf(allocation));
  return total;
}

export function repaymentOutstandingOf(facts: GrantFacts): Money {
  const outstanding = facts.demanded.minus(facts.returnedAfterFirstDemand);
  return outstanding.isNeg() ? ZERO : outstanding;
}

/** The business date (bokföringsdag) of a grant event; reversals have none and pass every asOf. */
export function grantBusinessDate(event: GrantEvent): IsoDate | null {
  switch (event.type) {
    case 'GrantReceived':
    case 'GrantInstallmentReceived':
      return event.data.receivedOn;
    case 'FundsAllocated':
      return event.data.allocatedOn;
    case 'AllocationReleased':
      return event.data.releasedOn;
    case 'FundsSpent':
      return event.data.spentOn;
    case 'GrantReportSubmitted':
      return event.data.submittedOn;
    case 'RepaymentDemanded':
      return event.data.demandedOn;
    case 'FundsReturned':
      return event.data.returnedOn;
    case 'GrantClosed':
      return event.data.closedOn;
    case 'EntryReversed':
      return null;
    default:
      return assertNever(event);
  }
}

function withAllocation(facts: GrantFacts, allocation: Allocation): ReadonlyMap<string, Allocation> {
  const allocations = new Map(facts.allocations);
  allocations.set(allocation.allocationId, allocation);
  return allocations;
}

/**
 * Applies one effective event. Pure: returns new facts and never checks rules (that is
 * checkGrantEvent's job), so projections can fold any prefix of history.
 */
export function applyGrantEvent(facts: GrantFacts, event: GrantEvent): GrantFacts {
  const date = grantBusinessDate(event);
  const lastBusinessDate =
    date !== null && (facts.lastBusinessDate === null || date > facts.lastBusinessDate) ? date : facts.lastBusinessDate;
  const next = { ...facts, lastBusinessDate };
  switch (event.type) {
    case 'GrantReceived':
      return { ...next, status: 'open', grant: event.data, received: facts.received.plus(event.data.amount) };
    case 'GrantInstallmentReceived':
      return { ...next, received: facts.received.plus(event.data.amount) };
    case 'FundsAllocated': {
      const amount = new Decimal(event.data.amount);
      return {
        ...next,
        netAllocated: facts.netAllocated.plus(amount),
        allocations: withAllocation(facts, {
          allocationId: event.data.allocationId,
          activity: event.data.activity,
          allocatedOn: event.data.allocatedOn,
          allocated: amount,
          released: ZERO,
          spent: ZERO,
        }),
      };
    }
    case 'AllocationReleased': {
      const allocation = facts.allocations.get(event.data.allocationId);
      if (!allocation) return next;
      return {
        ...next,
        netAllocated: facts.netAllocated.minus(event.data.amount),
        allocations: withAllocation(facts, { ...allocation, released: allocation.released.plus(event.data.amount) }),
      };
    }
    case 'FundsSpent': {
      const allocation = facts.allocations.get(event.data.allocationId);
      if (!allocation) return next;
      return {
        ...next,
        spent: facts.spent.plus(event.data.amount),
        allocations: withAllocation(facts, { ...allocation, spent: allocation.spent.plus(event.data.amount) }),
      };
    }
    case 'GrantReportSubmitted':
      return { ...next, reports: [...facts.reports, event.data] };
    case 'RepaymentDemanded':
      return { ...next, demanded: facts.demanded.plus(event.data.amount) };
    case 'FundsReturned':
      return {
        ...next,
        returned: facts.returned.plus(event.data.amount),
        returnedAfterFirstDemand: facts.demanded.isZero()
          ? facts.returnedAfterFirstDemand
          : facts.returnedAfterFirstDemand.plus(event.data.amount),
      };
    case 'GrantClosed':
      return { ...next, status: 'closed', closedOn: event.data.closedOn, retained: new Decimal(event.data.retained) };
    case 'EntryReversed':
      // Reversals are resolved before folding: the fold only ever sees effective events.
      return facts;
    default:
      return assertNever(event);
  }
}
