import { formatMoney, money, ZERO, type Money } from '../money.js';
import { assertNever, refuse } from '../errors.js';
import { yearOf, type IsoDate } from '../dates.js';
import { NO_CLOSED_YEARS, type CommitteeYears } from '../periods.js';
import { appendEntry, checkReversal, effectiveEvents, entriesOf, type Entry, type History } from '../history.js';
import type { BudgetCommand } from './commands.js';
import type { BudgetEvent, BudgetKey } from './events.js';
import { INITIAL_BUDGET_FACTS, applyBudgetEvent, budgetBusinessDate, resultOf, type BudgetFacts } from './state.js';

export interface BudgetState {
  readonly facts: BudgetFacts;
  readonly history: History<BudgetEvent> | null;
  readonly reversed: ReadonlySet<string>;
}

export const INITIAL_BUDGET_STATE: BudgetState = { facts: INITIAL_BUDGET_FACTS, history: null, reversed: new Set() };

export function evolveBudget(state: BudgetState, entry: Entry<BudgetEvent>): BudgetState {
  const history = appendEntry(state.history, entry);
  if (entry.event.type !== 'EntryReversed') {
    return { ...state, history, facts: applyBudgetEvent(state.facts, entry.event) };
  }
  const reversed = new Set(state.reversed).add(entry.event.data.reversedEventId);
  return { history, reversed, facts: foldBudgetFacts(effectiveEvents(entriesOf(history), reversed)) };
}

export function foldBudgetFacts(events: readonly BudgetEvent[]): BudgetFacts {
  return events.reduce(applyBudgetEvent, INITIAL_BUDGET_FACTS);
}

function requirePeriodInYear(period: string, key: BudgetKey, field: string): void {
  if (yearOf(period) !== key.fiscalYear) {
    refuse('PERIOD_OUTSIDE_FISCAL_YEAR', `${field} ${period} is not in fiscal year ${key.fiscalYear}`, field);
  }
}

/**
 * Sane decisions: a council decides on a year's budget from 1 January two years before it to the
 * year's last day; an appropriation for 2021 dated 2030 is a typing error.
 */
function requireDecisionDateInRange(decidedOn: IsoDate, key: BudgetKey): void {
  if (decidedOn < `${key.fiscalYear - 2}-01-01` || decidedOn > `${key.fiscalYear}-12-31`) {
    refuse('DECISION_DATE_OUTSIDE_RANGE', `decidedOn must lie between ${key.fiscalYear - 2}-01-01 and ${key.fiscalYear}-12-31`, 'decidedOn');
  }
}

/**
 * The budget never below zero, in total or for any activity, as of any decision date: folded in
 * decidedOn order and judged at the close of each day.
 */
export function checkBudgetTimeline(events: readonly BudgetEvent[]): void {
  const decisions = events
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => event.type === 'AppropriationGranted' || event.type === 'AppropriationAdjusted')
    .sort((a, b) => {
      const [da, db] = [budgetBusinessDate(a.event)!, budgetBusinessDate(b.event)!];
      return da === db ? a.index - b.index : da < db ? -1 : 1;
    });
  let total: Money = ZERO;
  const byActivity = new Map<string, Money>();
  for (let index = 0; index < decisions.length; index += 1) {
    const event = decisions[index]!.event as Extract<BudgetEvent, { type: 'AppropriationGranted' | 'AppropriationAdjusted' }>;
    const amount = money(event.data.amount);
    total = total.plus(amount);
    if (event.data.activity !== undefined) byActivity.set(event.data.activity, (byActivity.get(event.data.activity) ?? ZERO).plus(amount));
    const date = event.data.decidedOn;
    if (decisions[index + 1] !== undefined && budgetBusinessDate(decisions[index + 1]!.event) === date) continue;
    if (total.isNeg()) refuse('BUDGET_BELOW_ZERO', `as of ${date} the budget would be ${formatMoney(total)}`, 'amount');
    for (const [activity, budget] of byActivity) {
      if (budget.isNeg()) refuse('BUDGET_BELOW_ZERO', `as of ${date} the budget of ${activity} would be ${formatMoney(budget)}`, 'amount');
    }
  }
}

/** Every rule of a budget stream for one event, against the facts before it. */
export function checkBudgetEvent(facts: BudgetFacts, event: BudgetEvent, key: BudgetKey): void {
  if (event.type === 'EntryReversed') return;
  if (facts.closing !== null) refuse('FISCAL_YEAR_CLOSED', `fiscal year ${key.fiscalYear} was closed on ${facts.closing.closedOn}`);
  switch (event.type) {
    case 'AppropriationGranted':
      if (event.data.committee !== key.committee || event.data.fiscalYear !== key.fiscalYear) {
        refuse('BUDGET_STREAM_MISMATCH', 'the appropriation names another committee or year than its budget');
      }
      return requireDecisionDateInRange(event.data.decidedOn, key);
    case 'AppropriationAdjusted':
      return requireDecisionDateInRange(event.data.decidedOn, key);
    case 'OutcomeRecorded':
      return requirePeriodInYear(event.data.period, key, 'period');
    case 'ForecastRecorded':
      return requirePeriodInYear(event.data.afterPeriod, key, 'afterPeriod');
    case 'FiscalYearClosed': {
      if (!facts.exists) refuse('BUDGET_NOT_FOUND', `no budget for ${key.committee} ${key.fiscalYear}`);
      if (event.data.closedOn < `${key.fiscalYear}-12-31`) {
        refuse('CLOSING_BEFORE_YEAR_END', `a fiscal year closes on or after ${key.fiscalYear}-12-31`, 'closedOn');
      }
      // Closed books show the adopted result in every view as of the closing and after, so the
      // closing may not come before anything it covers.
      if (facts.lastBusinessDate !== null && event.data.closedOn < facts.lastBusinessDate) {
        refuse('CLOSING_DATE_BEFORE_LAST_ENTRY', `closedOn is before the last entry (${facts.lastBusinessDate})`, 'closedOn');
      }
      const expected = resultOf(facts, money(event.data.grantRevenue));
      if (!money(event.data.result).eq(expected)) {
        refuse('RESULT_MISMATCH', `result must be ${formatMoney(expected)} (budget − costs + revenues + grantRevenue)`);
      }
      // resultatöverföring: the council may carry over less than the result, never more, never
      // the other way (a deficit is not carried over as a surplus).
      const carried = money(event.data.carriedForward);
      if (!carried.isZero() && (carried.isNeg() !== expected.isNeg() || expected.isZero() || carried.abs().gt(expected.abs()))) {
        refuse('CARRIED_FORWARD_EXCEEDS_RESULT', `carriedForward must have the sign of the result ${formatMoney(expected)} and be no larger`, 'carriedForward');
      }
      return;
    }
    default:
      return assertNever(event);
  }
}

/** Every rule over the whole stream, for a reversal: in recording order, then on the decision timeline. */
function revalidateBudget(events: readonly BudgetEvent[], key: BudgetKey): void {
  let facts = INITIAL_BUDGET_FACTS;
  for (const remaining of events) {
    checkBudgetEvent(facts, remaining, key);
    facts = applyBudgetEvent(facts, remaining);
  }
  checkBudgetTimeline(events);
}

/**
 * Turns a command into the events it causes, or refuses it. Pure: the committee's other years
 * come in from the caller (closing needs the year before closed; only the latest closed year
 * may be reopened).
 */
export function decideBudget(command: BudgetCommand, state: BudgetState, years: CommitteeYears = NO_CLOSED_YEARS): BudgetEvent[] {
  const key = command.budget;
  const event = eventFor(command, state);
  if (event.type === 'EntryReversed') {
    if (!state.facts.exists) refuse('BUDGET_NOT_FOUND', `no budget for ${key.committee} ${key.fiscalYear}`);
    const entries = entriesOf(state.history);
    const target = entries.find((entry) => entry.eventId === event.data.reversedEventId);
    // A closed year's books stay as adopted: only the closing itself may be reversed to reopen them.
    if (state.facts.closing !== null && target !== undefined && target.event.type !== 'FiscalYearClosed') {
      refuse('FISCAL_YEAR_CLOSED', `fiscal year ${key.fiscalYear} is closed; reverse its closing first`);
    }
    if (target?.event.type === 'FiscalYearClosed' && years.yearStatus(key.committee, key.fiscalYear + 1) === 'closed') {
      refuse('LATER_YEAR_CLOSED', `${key.fiscalYear + 1} is closed: only the latest closed year can be reopened`, 'eventId');
    }
    checkReversal(entries, state.reversed, event.data.reversedEventId, {
      irreversible: {},
      revalidate: (events) => revalidateBudget(events, key),
    });
    return [event];
  }
  checkBudgetEvent(state.facts, event, key);
  if (event.type === 'AppropriationGranted' || event.type === 'AppropriationAdjusted') {
    checkBudgetTimeline([...effectiveEvents(entriesOf(state.history), state.reversed), event]);
  }
  if (event.type === 'FiscalYearClosed' && years.yearStatus(key.committee, key.fiscalYear - 1) === 'open') {
    refuse('PREVIOUS_YEAR_OPEN', `${key.fiscalYear - 1} must be closed before ${key.fiscalYear}`);
  }
  return [event];
}

function eventFor(command: BudgetCommand, state: BudgetState): BudgetEvent {
  switch (command.type) {
    case 'GrantAppropriation':
      return { type: 'AppropriationGranted', data: { committee: command.budget.committee, fiscalYear: command.budget.fiscalYear, ...command.data } };
    case 'AdjustAppropriation':
      return { type: 'AppropriationAdjusted', data: command.data };
    case 'RecordOutcome':
      return { type: 'OutcomeRecorded', data: command.data };
    case 'RecordForecast':
      return { type: 'ForecastRecorded', data: command.data };
    case 'CloseFiscalYear': {
      const result = formatMoney(resultOf(state.facts, money(command.grantRevenue)));
      return {
        type: 'FiscalYearClosed',
        data: {
          closedOn: command.data.closedOn,
          grantRevenue: command.grantRevenue,
          result,
          carriedForward: command.data.carriedForward ?? result,
        },
      };
    }
    case 'ReverseEntry':
      return { type: 'EntryReversed', data: { reversedEventId: command.data.eventId, reason: command.data.reason } };
    default:
      return assertNever(command);
  }
}
