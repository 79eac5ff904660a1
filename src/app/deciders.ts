import type { GrantEvent } from '../domain/grant/events.js';
import type { GrantCommand } from '../domain/grant/commands.js';
import { decideGrant, evolveGrant, INITIAL_GRANT_STATE, type GrantState } from '../domain/grant/decide.js';
import type { BudgetEvent } from '../domain/budget/events.js';
import type { BudgetCommand } from '../domain/budget/commands.js';
import { decideBudget, evolveBudget, INITIAL_BUDGET_STATE, type BudgetState } from '../domain/budget/decide.js';
import { decodeBudgetEvent, decodeGrantEvent } from '../domain/storedEvent.js';
import type { Decider } from './commandHandler.js';
import type { CommitteeYears } from '../domain/periods.js';

// Stored events reach the deciders through the domain's one decoding (storedEvent.ts), the same
// the read model uses: upcast to the current shape and shape-checked, never cast by type name.

export const grantDecider: Decider<GrantCommand, GrantEvent, GrantState> = {
  initialState: INITIAL_GRANT_STATE,
  evolve: evolveGrant,
  decide: decideGrant,
  toDomainEvent: decodeGrantEvent,
};

export const budgetDecider: Decider<BudgetCommand, BudgetEvent, BudgetState> = {
  initialState: INITIAL_BUDGET_STATE,
  evolve: evolveBudget,
  decide: decideBudget,
  toDomainEvent: decodeBudgetEvent,
};

/** The grant decider judging the period lock against the committees' years as the caller knows them. */
export function grantDeciderWith(years: CommitteeYears): Decider<GrantCommand, GrantEvent, GrantState> {
  return { ...grantDecider, decide: (command, state) => decideGrant(command, state, years) };
}

/** The budget decider judging closing and reopening against the committee's other years. */
export function budgetDeciderWith(years: CommitteeYears): Decider<BudgetCommand, BudgetEvent, BudgetState> {
  return { ...budgetDecider, decide: (command, state) => decideBudget(command, state, years) };
}
