import { formatMoney, money } from '../money.js';
import { assertNever, refuse } from '../errors.js';
import { yearOf } from '../dates.js';
import { appendEntry, checkReversal, effectiveEvents, entriesOf, type Entry, type History } from '../history.js';
import type { BudgetCommand } from './commands.js';
import type { BudgetEvent, BudgetKey } from './events.js';
import { INITIAL_BUDGET_FACTS, applyBudgetEvent, resultOf, type BudgetFacts } from './state.js';

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

/** Every rule of a budget stream for one event, against the facts before it. */
export function checkBudgetEvent(facts: BudgetFacts, event: BudgetEvent, key: BudgetKey): void {
  if (event.type === 'EntryReversed') return;
  if (facts.closing !== null) refuse('FISCAL_YEAR_CLOSED', `fiscal year ${key.fiscalYear} was closed on ${facts.closing.closedOn}`);
  switch (event.type) {
    case 'AppropriationGranted':
      if (event.data.committee !== key.committee || event.data.fiscalYear !== key.fiscalYear) {
        refuse('BUDGET_STREAM_MISMATCH', 'the appropriation names another committee or year than its budget');
      }
      return;
    case 'AppropriationAdjusted':
      return;
    case 'OutcomeRecorded':
      return requirePeriodInYear(event.data.period, key, 'period');
    case 'ForecastRecorded':
      return requirePeriodInYear(event.data.afterPeriod, key, 'afterPeriod');
    case 'FiscalYearClosed': {
      if (!facts.exists) refuse('BUDGET_NOT_FOUND', `no budget for ${key.committee} ${key.fiscalYear}`);
      // Closed books show the adopted result in every view as of the closing and after, so the
      // closing may not come before anything it covers.
      if (facts.lastBusinessDate !== null && event.data.closedOn < facts.lastBusinessDate) {
        refuse('CLOSING_DATE_BEFORE_LAST_ENTRY', `closedOn is before the last entry (${facts.lastBusinessDate})`, 'closedOn');
      }
      const expected = resultOf(facts, money(event.data.grantRevenue));
      if (!money(event.data.result).eq(expected)) {
        refuse('RESULT_MISMATCH', `result must be ${formatMoney(expected)} (budget − costs + revenues + grantRevenue)`);
      }
      return;
    }
    default:
      return assertNever(event);
  }
}

export function decideBudget(command: BudgetCommand, state: BudgetState): BudgetEvent[] {
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
    checkReversal(entries, state.reversed, event.data.reversedEventId, {
      irreversible: {},
      revalidate: (events) => {
        let facts = INITIAL_BUDGET_FACTS;
        for (const remaining of events) {
          checkBudgetEvent(facts, remaining, key);
          facts = applyBudgetEvent(facts, remaining);
        }
      },
    });
  } else {
    checkBudgetEvent(state.facts, event, key);
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
