import type { RecordedEvent } from '../store/port.js';
import { GRANT_EVENT_TYPES, type GrantEvent } from '../domain/grant/events.js';
import type { GrantCommand } from '../domain/grant/commands.js';
import { decideGrant, evolveGrant, INITIAL_GRANT_STATE, type GrantState } from '../domain/grant/decide.js';
import { BUDGET_EVENT_TYPES, type BudgetEvent } from '../domain/budget/events.js';
import type { BudgetCommand } from '../domain/budget/commands.js';
import { decideBudget, evolveBudget, INITIAL_BUDGET_STATE, type BudgetState } from '../domain/budget/decide.js';
import type { Decider } from './commandHandler.js';
import type { CommitteeYears } from '../domain/periods.js';

const GRANT_TYPES = new Set<string>(GRANT_EVENT_TYPES);
const BUDGET_TYPES = new Set<string>(BUDGET_EVENT_TYPES);

/**
 * Stored events were written by the deciders themselves, so they are trusted as typed once their
 * type is known; an unknown type is a corrupt or foreign stream and stops the command.
 */
function typedEvent<E>(types: ReadonlySet<string>, event: RecordedEvent): E {
  if (!types.has(event.type)) throw new Error(`stream ${event.streamId} holds an unknown event type ${event.type}`);
  return { type: event.type, data: event.data } as E;
}

export const grantDecider: Decider<GrantCommand, GrantEvent, GrantState> = {
  initialState: INITIAL_GRANT_STATE,
  evolve: evolveGrant,
  decide: decideGrant,
  toDomainEvent: (event) => typedEvent<GrantEvent>(GRANT_TYPES, event),
};

export const budgetDecider: Decider<BudgetCommand, BudgetEvent, BudgetState> = {
  initialState: INITIAL_BUDGET_STATE,
  evolve: evolveBudget,
  decide: decideBudget,
  toDomainEvent: (event) => typedEvent<BudgetEvent>(BUDGET_TYPES, event),
};

/** The grant decider judging the period lock against the committees' years as the caller knows them. */
export function grantDeciderWith(years: CommitteeYears): Decider<GrantCommand, GrantEvent, GrantState> {
  return { ...grantDecider, decide: (command, state) => decideGrant(command, state, years) };
}

/** The budget decider judging closing and reopening against the committee's other years. */
export function budgetDeciderWith(years: CommitteeYears): Decider<BudgetCommand, BudgetEvent, BudgetState> {
  return { ...budgetDecider, decide: (command, state) => decideBudget(command, state, years) };
}
