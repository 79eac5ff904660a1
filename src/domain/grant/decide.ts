import { formatMoney, money, type Money } from '../money.js';
import { assertNever, refuse } from '../errors.js';
import { appendEntry, checkReversal, effectiveEvents, entriesOf, type Entry, type History } from '../history.js';
import { NO_CLOSED_YEARS, requirePeriodOpen, type CommitteeYears } from '../periods.js';
import { lastDayOfPeriod, type IsoDate } from '../dates.js';
import type { GrantCommand } from './commands.js';
import { AMENDABLE_FIELDS, type GrantEvent, type GrantEventOf } from './events.js';
import {
  INITIAL_GRANT_FACTS,
  applyGrantEvent,
  foldGrantEvents,
  grantBusinessDate,
  amendedReceipt,
  heldOf,
  remainingOf,
  repaymentOutstandingOf,
  unallocatedOf,
  type GrantFacts,
} from './state.js';

type ReceivedData = GrantEventOf<'GrantReceived'>['data'];
type AmendedData = GrantEventOf<'GrantAmended'>['data'];

/** What the decider knows of a grant: the figures in force and the history behind them. */
export interface GrantState {
  readonly facts: GrantFacts;
  readonly history: History<GrantEvent> | null;
  readonly reversed: ReadonlySet<string>;
}

export const INITIAL_GRANT_STATE: GrantState = { facts: INITIAL_GRANT_FACTS, history: null, reversed: new Set() };

export function evolveGrant(state: GrantState, entry: Entry<GrantEvent>): GrantState {
  const history = appendEntry(state.history, entry);
  if (entry.event.type !== 'EntryReversed') {
    return { ...state, history, facts: applyGrantEvent(state.facts, entry.event) };
  }
  // A reversal changes the past, so the figures are folded again from the events still in force.
  const reversed = new Set(state.reversed).add(entry.event.data.reversedEventId);
  return { history, reversed, facts: foldGrantFacts(effectiveEvents(entriesOf(history), reversed)) };
}

export function foldGrantFacts(events: readonly GrantEvent[]): GrantFacts {
  return foldGrantEvents(INITIAL_GRANT_FACTS, events);
}

function requireOpen(facts: GrantFacts): NonNullable<GrantFacts['grant']> {
  if (facts.status === 'initial' || facts.grant === null) refuse('GRANT_NOT_FOUND', 'no such grant');
  if (facts.status === 'closed') refuse('GRANT_CLOSED', `the grant was closed on ${facts.closedOn}`);
  return facts.grant;
}

function requireOnOrAfterReceipt(grant: NonNullable<GrantFacts['grant']>, date: string, field: string): void {
  if (date < grant.receivedOn) {
    refuse('DATE_BEFORE_GRANT_RECEIVED', `${field} ${date} is before the grant was received (${grant.receivedOn})`, field);
  }
}

function requireAllocation(facts: GrantFacts, allocationId: string) {
  const allocation = facts.allocations.get(allocationId);
  if (!allocation) refuse('ALLOCATION_NOT_FOUND', `no allocation ${allocationId} on this grant`, 'allocationId');
  return allocation;
}

/**
 * Every rule of a grant stream, judged for one event against the facts before it. decide uses it
 * for new events, and reversals use it to replay the stream without the reversed event.
 */
export function checkGrantEvent(facts: GrantFacts, event: GrantEvent): void {
  if (event.type === 'GrantReceived') {
    if (facts.status !== 'initial') refuse('GRANT_ALREADY_EXISTS', `grant ${event.data.grantId} already exists`, 'grantId');
    if (event.data.useBy < event.data.receivedOn) {
      refuse('USE_BY_BEFORE_RECEIVED_ON', 'useBy must not be before receivedOn', 'useBy');
    }
    if (event.data.reportDue !== undefined && event.data.reportDue < event.data.receivedOn) {
      refuse('REPORT_DUE_BEFORE_RECEIVED_ON', 'reportDue must not be before receivedOn', 'reportDue');
    }
    return;
  }
  if (event.type === 'EntryReversed') return; // judged by checkReversal, which needs the history
  if (event.type === 'GrantAmended') {
    // Judged with the whole stream by checkAmendment; a closed grant's receipt may be corrected too.
    if (facts.status === 'initial' || facts.grant === null) refuse('GRANT_NOT_FOUND', 'no such grant');
    return;
  }
  const grant = requireOpen(facts);
  const date = grantBusinessDate(event);
  switch (event.type) {
    case 'GrantInstallmentReceived':
      requireOnOrAfterReceipt(grant, event.data.receivedOn, 'receivedOn');
      return;
    case 'FundsAllocated': {
      if (grant.kind !== 'riktat') {
        refuse('ALLOCATION_REQUIRES_RIKTAT_GRANT', 'only earmarked (riktat) grants are allocated to activities');
      }
      if (facts.allocations.has(event.data.allocationId)) {
        refuse('ALLOCATION_ALREADY_EXISTS', `allocation ${event.data.allocationId} already exists`, 'allocationId');
      }
      requireOnOrAfterReceipt(grant, event.data.allocatedOn, 'allocatedOn');
      const unallocated = unallocatedOf(facts);
      if (money(event.data.amount).gt(unallocated)) {
        refuse('ALLOCATION_EXCEEDS_UNALLOCATED', `amount exceeds the unallocated ${unallocated.toFixed(2)}`, 'amount');
      }
      return;
    }
    case 'AllocationReleased': {
      const allocation = requireAllocation(facts, event.data.allocationId);
      if (event.data.releasedOn < allocation.allocatedOn) {
        refuse('DATE_BEFORE_ALLOCATION', `releasedOn is before the allocation (${allocation.allocatedOn})`, 'releasedOn');
      }
      const remaining = remainingOf(allocation);
      if (money(event.data.amount).gt(remaining)) {
        refuse('RELEASE_EXCEEDS_REMAINING', `amount exceeds the allocation's remaining ${remaining.toFixed(2)}`, 'amount');
      }
      return;
    }
    case 'FundsSpent': {
      const allocation = requireAllocation(facts, event.data.allocationId);
      if (event.data.spentOn > grant.useBy) {
        refuse('SPENDING_AFTER_USE_BY', `spentOn is after the grant's useBy ${grant.useBy}`, 'spentOn');
      }
      if (event.data.spentOn < allocation.allocatedOn) {
        refuse('DATE_BEFORE_ALLOCATION', `spentOn is before the allocation (${allocation.allocatedOn})`, 'spentOn');
      }
      const remaining = remainingOf(allocation);
      if (money(event.data.amount).gt(remaining)) {
        refuse('SPENDING_EXCEEDS_REMAINING', `amount exceeds the allocation's remaining ${remaining.toFixed(2)}`, 'amount');
      }
      return;
    }
    case 'GrantReportSubmitted':
      requireOnOrAfterReceipt(grant, event.data.submittedOn, 'submittedOn');
      return;
    case 'SpendingPlanned': {
      const allocation = requireAllocation(facts, event.data.allocationId);
      if (event.data.month < allocation.allocatedOn.slice(0, 7) || event.data.month > grant.useBy.slice(0, 7)) {
        refuse('PLAN_OUTSIDE_USE_PERIOD', `month must lie from the allocation's ${allocation.allocatedOn.slice(0, 7)} to useBy's ${grant.useBy.slice(0, 7)}`, 'month');
      }
      return;
    }
    case 'RepaymentDemanded': {
      requireOnOrAfterReceipt(grant, event.data.demandedOn, 'demandedOn');
      if (event.data.dueOn < event.data.demandedOn) refuse('DUE_DATE_BEFORE_DEMAND', 'dueOn must not be before demandedOn', 'dueOn');
      // Claims already outstanding are covered by the same unused money: together they may not
      // exceed it, or the grant could never be settled and closed.
      // A generellt grant has no unused money, but the grantor may still claim back what is held.
      const claimable = heldOf(facts).minus(repaymentOutstandingOf(facts));
      if (money(event.data.amount).gt(claimable)) {
        refuse('REPAYMENT_EXCEEDS_UNUSED', `amount exceeds the unused ${formatMoney(claimable)} not already demanded`, 'amount');
      }
      return;
    }
    case 'FundsReturned': {
      requireOnOrAfterReceipt(grant, event.data.returnedOn, 'returnedOn');
      const unallocated = unallocatedOf(facts);
      if (money(event.data.amount).gt(unallocated)) {
        refuse('RETURN_EXCEEDS_UNALLOCATED', `amount exceeds the unallocated ${unallocated.toFixed(2)}`, 'amount');
      }
      return;
    }
    case 'GrantClosed': {
      const open = [...facts.allocations.values()].filter((allocation) => remainingOf(allocation).gt(0));
      if (open.length > 0) {
        refuse('ALLOCATIONS_STILL_REMAINING', `allocations with money remaining: ${open.map((a) => a.allocationId).join(', ')}`);
      }
      const unallocated = unallocatedOf(facts);
      if (grant.repaymentRequired && unallocated.gt(0)) {
        refuse('UNUSED_FUNDS_MUST_BE_REPAID', `${unallocated.toFixed(2)} unused must be returned before closing`);
      }
      const outstanding = repaymentOutstandingOf(facts);
      if (outstanding.gt(0)) refuse('REPAYMENT_OUTSTANDING', `${outstanding.toFixed(2)} demanded by the grantor is not yet returned`);
      if (facts.lastBusinessDate !== null && date !== null && date < facts.lastBusinessDate) {
        refuse('CLOSING_DATE_BEFORE_LAST_ENTRY', `closedOn is before the last entry (${facts.lastBusinessDate})`, 'closedOn');
      }
      if (!money(event.data.retained).eq(unallocated)) {
        refuse('RETAINED_MUST_EQUAL_UNALLOCATED', `retained must equal the unallocated ${unallocated.toFixed(2)}`);
      }
      return;
    }
    default:
      return assertNever(event);
  }
}

/**
 * The stream as if every amendment had been part of the receipt: an amendment corrects
 * GrantReceived, so every later entry is judged against the corrected receipt.
 */
export function asCorrected(events: readonly GrantEvent[]): GrantEvent[] {
  const amendments = events.filter((event): event is GrantEventOf<'GrantAmended'> => event.type === 'GrantAmended');
  if (amendments.length === 0) return [...events];
  return events
    .filter((event) => event.type !== 'GrantAmended')
    .map((event): GrantEvent =>
      event.type === 'GrantReceived'
        ? { type: 'GrantReceived', data: amendments.reduce((receipt, amendment) => amendedReceipt(receipt, amendment.data), event.data) }
        : event,
    );
}

/** The date field of each event, to name it when a date is refused. */
const DATE_FIELD: Partial<Record<GrantEvent['type'], string>> = {
  GrantReceived: 'receivedOn',
  GrantInstallmentReceived: 'receivedOn',
  FundsAllocated: 'allocatedOn',
  AllocationReleased: 'releasedOn',
  FundsSpent: 'spentOn',
  GrantReportSubmitted: 'submittedOn',
  RepaymentDemanded: 'demandedOn',
  FundsReturned: 'returnedOn',
  GrantClosed: 'closedOn',
};

/**
 * Business-date consistency (DOMAIN.md, "Periods, corrections and open years"): as of every date,
 * no figure of the stream is below zero. The events are folded in business-date order (stream
 * order within a day) and judged at the close of each day, as a view as of that day shows them.
 */
export function checkTimeline(events: readonly GrantEvent[], field?: string): void {
  const dated = asCorrected(events)
    .map((event, index) => ({ event, index, date: grantBusinessDate(event) }))
    .filter((entry): entry is { event: GrantEvent; index: number; date: IsoDate } => entry.date !== null)
    .sort((a, b) => (a.date === b.date ? a.index - b.index : a.date < b.date ? -1 : 1));
  let facts = INITIAL_GRANT_FACTS;
  // Each day's events are folded at once (one copy of the facts a day, not one an event): the
  // figures are judged only at the close of a day anyway.
  let dayStart = 0;
  for (let index = 0; index < dated.length; index += 1) {
    const date = dated[index]!.date;
    if (dated[index + 1]?.date === date) continue;
    const day: GrantEvent[] = [];
    for (let inDay = dayStart; inDay <= index; inDay += 1) day.push(dated[inDay]!.event);
    facts = foldGrantEvents(facts, day);
    dayStart = index + 1;
    const below = (what: string, amount: Money) =>
      refuse('FIGURE_BELOW_ZERO_AS_OF', `as of ${date} ${what} would be ${formatMoney(amount)}: an entry is dated before the money it needs`, field);
    const unallocated = unallocatedOf(facts);
    if (unallocated.isNeg()) below('the unallocated money', unallocated);
    const held = heldOf(facts);
    if (held.isNeg()) below('the unused money', held);
    for (const allocation of facts.allocations.values()) {
      const remaining = remainingOf(allocation);
      if (remaining.isNeg()) below(`allocation ${allocation.allocationId}'s remaining`, remaining);
    }
  }
}

/** Every rule, in stream order against the corrected receipt, then on the business-date timeline. */
function revalidateGrant(events: readonly GrantEvent[]): void {
  let facts = INITIAL_GRANT_FACTS;
  for (const event of asCorrected(events)) {
    checkGrantEvent(facts, event);
    facts = applyGrantEvent(facts, event);
  }
  checkTimeline(events);
}

/**
 * The business dates whose figures an amendment changes, so the period lock can guard them: the
 * receipt's date for a new amount; every entry's date for a new kind or committee (revenue moves);
 * the earlier useBy for a new useBy or duty to repay (status and what is to be repaid change from
 * there). Text corrections change no figure and touch no date.
 */
function datesTouchedBy(amendment: AmendedData, receipt: ReceivedData, events: readonly GrantEvent[]): IsoDate[] {
  const dates: IsoDate[] = [];
  if (amendment.amount !== undefined && amendment.amount !== receipt.amount) dates.push(receipt.receivedOn);
  if ((amendment.kind !== undefined && amendment.kind !== receipt.kind) || (amendment.committee !== undefined && amendment.committee !== receipt.committee)) {
    for (const event of events) {
      const date = grantBusinessDate(event);
      if (date !== null) dates.push(date);
    }
  }
  if ((amendment.useBy !== undefined && amendment.useBy !== receipt.useBy) || (amendment.repaymentRequired !== undefined && amendment.repaymentRequired !== receipt.repaymentRequired)) {
    dates.push(amendment.useBy !== undefined && amendment.useBy < receipt.useBy ? amendment.useBy : receipt.useBy);
  }
  return dates;
}

/** The period lock for one event of a grant: its own date, or the dates an amendment touches. */
function requireGrantPeriodsOpen(years: CommitteeYears, receipt: ReceivedData, event: GrantEvent, events: readonly GrantEvent[]): void {
  if (event.type === 'GrantAmended') {
    const committees = new Set([receipt.committee, event.data.committee ?? receipt.committee]);
    for (const date of datesTouchedBy(event.data, receipt, events)) {
      for (const committee of committees) requirePeriodOpen(years, committee, date);
    }
    return;
  }
  if (event.type === 'SpendingPlanned') return requirePeriodOpen(years, receipt.committee, lastDayOfPeriod(event.data.month), 'month');
  const date = grantBusinessDate(event);
  if (date !== null) requirePeriodOpen(years, receipt.committee, date, DATE_FIELD[event.type]);
}

function checkAmendment(state: GrantState, amendment: AmendedData): void {
  const receipt = state.facts.grant!;
  if (AMENDABLE_FIELDS.every((field) => amendment[field] === undefined || amendment[field] === receipt[field])) {
    refuse('AMENDMENT_CHANGES_NOTHING', 'every field given already has that value');
  }
  const withAmendment = [...effectiveEvents(entriesOf(state.history), state.reversed), { type: 'GrantAmended' as const, data: amendment }];
  revalidateGrant(withAmendment);
}

/**
 * Turns a command into the events it causes, or refuses it with a named rule. Pure: the
 * committee's closed years come in from the caller.
 */
export function decideGrant(command: GrantCommand, state: GrantState, years: CommitteeYears = NO_CLOSED_YEARS): GrantEvent[] {
  const event = eventFor(command, state);
  if (event.type === 'EntryReversed') {
    if (state.facts.status === 'initial') refuse('GRANT_NOT_FOUND', 'no such grant');
    const entries = entriesOf(state.history);
    checkReversal(entries, state.reversed, event.data.reversedEventId, {
      irreversible: { GrantReceived: 'GRANT_RECEIVED_CANNOT_BE_REVERSED' },
      revalidate: revalidateGrant,
    });
    const target = entries.find((entry) => entry.eventId === event.data.reversedEventId)!.event;
    requireGrantPeriodsOpen(years, state.facts.grant!, target, effectiveEvents(entries, state.reversed));
    return [event];
  }
  checkGrantEvent(state.facts, event);
  const receipt = event.type === 'GrantReceived' ? event.data : state.facts.grant!;
  // The events in force are gathered (a walk of the whole history) only for the rules that need
  // them: a back-dated entry's timeline and an amendment's dates, not for every entry.
  let effective: GrantEvent[] | null = null;
  const effectiveNow = () => (effective ??= event.type === 'GrantReceived' ? [] : effectiveEvents(entriesOf(state.history), state.reversed));
  if (event.type === 'GrantAmended') {
    checkAmendment(state, event.data);
  } else {
    // An entry dated after every other one cannot make an earlier day's figures negative, and the
    // rules above judged the figures after it: only a back-dated entry needs the whole timeline.
    const date = grantBusinessDate(event);
    const last = state.facts.lastBusinessDate;
    if (date !== null && last !== null && date < last) checkTimeline([...effectiveNow(), event], DATE_FIELD[event.type]);
  }
  requireGrantPeriodsOpen(years, receipt, event, event.type === 'GrantAmended' ? effectiveNow() : []);
  return [event];
}

function eventFor(command: GrantCommand, state: GrantState): GrantEvent {
  switch (command.type) {
    case 'ReceiveGrant':
      return { type: 'GrantReceived', data: command.data };
    case 'ReceiveInstallment':
      return { type: 'GrantInstallmentReceived', data: command.data };
    case 'AllocateFunds':
      return { type: 'FundsAllocated', data: command.data };
    case 'ReleaseAllocation':
      return { type: 'AllocationReleased', data: command.data };
    case 'SpendFunds':
      return { type: 'FundsSpent', data: command.data };
    case 'SubmitGrantReport':
      return { type: 'GrantReportSubmitted', data: command.data };
    case 'DemandRepayment':
      return { type: 'RepaymentDemanded', data: command.data };
    case 'ReturnFunds':
      return { type: 'FundsReturned', data: command.data };
    case 'CloseGrant':
      // What is left unallocated is kept as revenue; the rules refuse it when repayment is due.
      return { type: 'GrantClosed', data: { closedOn: command.data.closedOn, retained: formatMoney(unallocatedOf(state.facts)) } };
    case 'AmendGrant':
      return { type: 'GrantAmended', data: command.data };
    case 'PlanSpending':
      return { type: 'SpendingPlanned', data: command.data };
    case 'ReverseEntry':
      return { type: 'EntryReversed', data: { reversedEventId: command.data.eventId, reason: command.data.reason } };
    default:
      return assertNever(command);
  }
}
