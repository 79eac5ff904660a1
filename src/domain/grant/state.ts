import { money, moneyOfOre, moneyOre, ZERO, type Money, type Ore } from '../money.js';
import { assert, assertNever } from '../errors.js';
import type { IsoDate } from '../dates.js';
import { AMENDABLE_FIELDS, type GrantEvent, type GrantEventOf } from './events.js';

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
  /** The business date of the earliest repayment demand: returns from then on settle demands. */
  readonly firstDemandOn: IsoDate | null;
  /** Every return with its date, so what settles a demand follows business dates, not recording order. */
  readonly returns: ReadonlyArray<{ readonly returnedOn: IsoDate; readonly amount: Money }>;
  readonly reports: ReadonlyArray<GrantEventOf<'GrantReportSubmitted'>['data']>;
  readonly closedOn: IsoDate | null;
  readonly retained: Money;
  /** The latest business date of any effective event; a grant cannot be closed before it. */
  readonly lastBusinessDate: IsoDate | null;
  /** The spending plan in force per allocation and month (key `allocationId/YYYY-MM`). */
  readonly plans: ReadonlyMap<string, { readonly allocationId: string; readonly month: string; readonly amount: Money }>;
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
  firstDemandOn: null,
  returns: [],
  reports: [],
  closedOn: null,
  retained: ZERO,
  lastBusinessDate: null,
  plans: new Map(),
};

/** Money neither allocated, returned nor retained at closing: what may still be allocated or returned. */
export function unallocatedOf(facts: GrantFacts): Money {
  return facts.received.minus(facts.netAllocated).minus(facts.returned).minus(facts.retained);
}

/** What the committee still holds of the grant: received less spent, returned and retained. */
export function heldOf(facts: GrantFacts): Money {
  return facts.received.minus(facts.spent).minus(facts.returned).minus(facts.retained);
}

/**
 * Unused earmarked money: what is held of a riktat grant. A generellt grant is revenue when
 * received (less what is returned), so it never has unused money (DOMAIN.md, "Generella grants").
 */
export function unusedOf(facts: GrantFacts): Money {
  return facts.grant?.kind === 'generellt' ? ZERO : heldOf(facts);
}

/**
 * Σ remaining over the allocations. Every spending is on an allocation, so this is the money
 * allocated net of releases less what was spent: one subtraction, whatever the allocations' count.
 */
export function allocatedRemainingOf(facts: GrantFacts): Money {
  return facts.netAllocated.minus(facts.spent);
}

/**
 * Σ demands − Σ returns dated on or after the first demand, never below zero: by business date,
 * whatever order they were recorded in (a view as of D already holds only what is dated ≤ D).
 */
export function repaymentOutstandingOf(facts: GrantFacts): Money {
  if (facts.firstDemandOn === null) return ZERO;
  let outstanding = facts.demanded;
  for (const { returnedOn, amount } of facts.returns) if (returnedOn >= facts.firstDemandOn) outstanding = outstanding.minus(amount);
  return outstanding.isNeg() ? ZERO : outstanding;
}

/**
 * toRepay (att återbetala): the unused money of a grant with a duty to repay, from its useBy on,
 * whether or not the grantor has claimed it yet; the liability exists before the formal claim.
 */
export function toRepayOf(facts: GrantFacts, viewDate: IsoDate): Money {
  const grant = facts.grant;
  if (grant === null || !grant.repaymentRequired || viewDate < grant.useBy) return ZERO;
  return unusedOf(facts);
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
    case 'GrantAmended':
      // It corrects the receipt, so it holds from receivedOn: every view that shows the grant.
      return null;
    case 'SpendingPlanned':
      // A plan is no booking: it is in every view that knows it, whatever the date viewed.
      return null;
    case 'EntryReversed':
      return null;
    default:
      return assertNever(event);
  }
}

/** The receipt with an amendment's corrections applied. */
export function amendedReceipt(receipt: GrantEventOf<'GrantReceived'>['data'], amendment: GrantEventOf<'GrantAmended'>['data']): GrantEventOf<'GrantReceived'>['data'] {
  const corrected: Record<string, unknown> = { ...receipt };
  for (const field of AMENDABLE_FIELDS) if (amendment[field] !== undefined) corrected[field] = amendment[field];
  return corrected as GrantEventOf<'GrantReceived'>['data'];
}

/** GrantFacts while being folded: owned by one fold, so it may change in place. */
type DraftFacts = { -readonly [K in keyof GrantFacts]: GrantFacts[K] } & {
  allocations: Map<string, Allocation>;
  reports: Array<GrantEventOf<'GrantReportSubmitted'>['data']>;
  returns: Array<{ readonly returnedOn: IsoDate; readonly amount: Money }>;
  plans: Map<string, { readonly allocationId: string; readonly month: string; readonly amount: Money }>;
};

/**
 * What a fold has added up so far and not yet put into the draft's Money: whole öre in BigInts,
 * exact (never a JS number) and a small fraction of a Decimal addition's cost. A fold of a
 * grant's 90 events then makes a handful of Decimals, at its end (settle), instead of one an event.
 */
interface PendingSums {
  received: Ore;
  spent: Ore;
  returned: Ore;
  netAllocated: Ore;
  demanded: Ore;
  /** Per allocation touched since its last FundsAllocated in this fold: released and spent in öre. */
  readonly allocations: Map<string, { released: Ore; spent: Ore }>;
}

function noPendingSums(): PendingSums {
  return { received: 0n, spent: 0n, returned: 0n, netAllocated: 0n, demanded: 0n, allocations: new Map() };
}

function pendingOf(sums: PendingSums, allocationId: string): { released: Ore; spent: Ore } {
  let pending = sums.allocations.get(allocationId);
  if (pending === undefined) {
    pending = { released: 0n, spent: 0n };
    sums.allocations.set(allocationId, pending);
  }
  return pending;
}

/** The draft's Money plus what was added up in öre since, exactly: the same value a Decimal an event gives. */
const plusOre = (value: Money, ore: Ore): Money => (ore === 0n ? value : value.isZero() ? moneyOfOre(ore) : value.plus(moneyOfOre(ore)));

/** Puts the pending sums into the draft's Money, and each touched allocation's into a new Allocation. */
function settle(facts: DraftFacts, sums: PendingSums): void {
  facts.received = plusOre(facts.received, sums.received);
  facts.spent = plusOre(facts.spent, sums.spent);
  facts.returned = plusOre(facts.returned, sums.returned);
  facts.netAllocated = plusOre(facts.netAllocated, sums.netAllocated);
  facts.demanded = plusOre(facts.demanded, sums.demanded);
  for (const [allocationId, pending] of sums.allocations) {
    const allocation = facts.allocations.get(allocationId)!;
    facts.allocations.set(allocationId, { ...allocation, released: plusOre(allocation.released, pending.released), spent: plusOre(allocation.spent, pending.spent) });
  }
}

/**
 * The allocation a release or a spending draws on. The decider refuses both on an unknown
 * allocation, a release or spending is never dated before its allocation, and an allocation with
 * releases or spendings cannot be reversed, so every view (any asOf, any knownAt) that holds one
 * holds its allocation too. Missing, the history is corrupt: skipping would silently drop money
 * from every report, so the fold stops instead.
 */
function assertAllocation(facts: DraftFacts, allocationId: string, type: string): void {
  assert(facts.allocations.has(allocationId), `${type} on allocation ${allocationId}, which this grant's history does not hold`);
}

/**
 * Applies one effective event to facts the caller owns, adding its amounts to `sums` (put into
 * the facts by settle, when the fold ends). The single place that says what each event does to a
 * grant's figures; it never checks rules (that is checkGrantEvent's job), so projections can fold
 * any prefix of history.
 */
function applyInPlace(facts: DraftFacts, sums: PendingSums, event: GrantEvent): void {
  const date = grantBusinessDate(event);
  if (date !== null && (facts.lastBusinessDate === null || date > facts.lastBusinessDate)) facts.lastBusinessDate = date;
  switch (event.type) {
    case 'GrantReceived':
      facts.status = 'open';
      facts.grant = event.data;
      sums.received += moneyOre(event.data.amount);
      return;
    case 'GrantInstallmentReceived':
      sums.received += moneyOre(event.data.amount);
      return;
    case 'FundsAllocated': {
      sums.netAllocated += moneyOre(event.data.amount);
      facts.allocations.set(event.data.allocationId, {
        allocationId: event.data.allocationId,
        activity: event.data.activity,
        allocatedOn: event.data.allocatedOn,
        allocated: money(event.data.amount),
        released: ZERO,
        spent: ZERO,
      });
      // A new allocation under the id starts from nothing released or spent.
      sums.allocations.delete(event.data.allocationId);
      return;
    }
    case 'AllocationReleased': {
      assertAllocation(facts, event.data.allocationId, event.type);
      const amount = moneyOre(event.data.amount);
      sums.netAllocated -= amount;
      pendingOf(sums, event.data.allocationId).released += amount;
      return;
    }
    case 'FundsSpent': {
      assertAllocation(facts, event.data.allocationId, event.type);
      const amount = moneyOre(event.data.amount);
      sums.spent += amount;
      pendingOf(sums, event.data.allocationId).spent += amount;
      return;
    }
    case 'GrantReportSubmitted':
      facts.reports.push(event.data);
      return;
    case 'RepaymentDemanded':
      sums.demanded += moneyOre(event.data.amount);
      if (facts.firstDemandOn === null || event.data.demandedOn < facts.firstDemandOn) facts.firstDemandOn = event.data.demandedOn;
      return;
    case 'FundsReturned':
      sums.returned += moneyOre(event.data.amount);
      facts.returns.push({ returnedOn: event.data.returnedOn, amount: money(event.data.amount) });
      return;
    case 'GrantClosed':
      facts.status = 'closed';
      facts.closedOn = event.data.closedOn;
      facts.retained = money(event.data.retained);
      return;
    case 'GrantAmended': {
      if (facts.grant === null) return; // a view dated before the receipt: nothing to correct
      const amended = amendedReceipt(facts.grant, event.data);
      sums.received += moneyOre(amended.amount) - moneyOre(facts.grant.amount);
      facts.grant = amended;
      return;
    }
    case 'SpendingPlanned':
      facts.plans.set(`${event.data.allocationId}/${event.data.month}`, { ...event.data, amount: money(event.data.amount) });
      return;
    case 'EntryReversed':
      // Reversals are resolved before folding: the fold only ever sees effective events.
      return;
    default:
      return assertNever(event);
  }
}

function draftOf(facts: GrantFacts, copyAllocations: boolean, copyReports: boolean, copyReturns: boolean, copyPlans = copyAllocations): DraftFacts {
  return {
    ...facts,
    plans: (copyPlans ? new Map(facts.plans) : facts.plans) as DraftFacts['plans'],
    allocations: (copyAllocations ? new Map(facts.allocations) : facts.allocations) as Map<string, Allocation>,
    reports: (copyReports ? [...facts.reports] : facts.reports) as DraftFacts['reports'],
    returns: (copyReturns ? [...facts.returns] : facts.returns) as DraftFacts['returns'],
  };
}

/** Applies one effective event. Pure: returns new facts and leaves the given ones untouched. */
export function applyGrantEvent(facts: GrantFacts, event: GrantEvent): GrantFacts {
  const touchesAllocations = event.type === 'FundsAllocated' || event.type === 'AllocationReleased' || event.type === 'FundsSpent';
  const draft = draftOf(facts, touchesAllocations, event.type === 'GrantReportSubmitted', event.type === 'FundsReturned', event.type === 'SpendingPlanned');
  const sums = noPendingSums();
  applyInPlace(draft, sums, event);
  settle(draft, sums);
  return draft;
}

/** Folds effective events onto facts. Pure, and copies the facts once rather than once an event. */
export function foldGrantEvents(facts: GrantFacts, events: readonly GrantEvent[]): GrantFacts {
  const draft = draftOf(facts, true, true, true);
  const sums = noPendingSums();
  for (const event of events) applyInPlace(draft, sums, event);
  settle(draft, sums);
  return draft;
}
