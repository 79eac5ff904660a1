/**
 * Refusals are a closed set of rule-named errors. Each names the rule that refused the
 * command; the HTTP layer maps codes to statuses in one table.
 */
export const DOMAIN_RULES = [
  // Grants (statsbidrag)
  'GRANT_NOT_FOUND',
  'GRANT_ALREADY_EXISTS',
  'GRANT_CLOSED',
  'USE_BY_BEFORE_RECEIVED_ON',
  'REPORT_DUE_BEFORE_RECEIVED_ON',
  'DATE_BEFORE_GRANT_RECEIVED',
  'ALLOCATION_REQUIRES_RIKTAT_GRANT',
  'ALLOCATION_ALREADY_EXISTS',
  'ALLOCATION_NOT_FOUND',
  'ALLOCATION_EXCEEDS_UNALLOCATED',
  'DATE_BEFORE_ALLOCATION',
  'RELEASE_EXCEEDS_REMAINING',
  'SPENDING_EXCEEDS_REMAINING',
  'SPENDING_AFTER_USE_BY',
  'REPAYMENT_EXCEEDS_UNUSED',
  'DUE_DATE_BEFORE_DEMAND',
  'RETURN_EXCEEDS_UNALLOCATED',
  'ALLOCATIONS_STILL_REMAINING',
  'UNUSED_FUNDS_MUST_BE_REPAID',
  'REPAYMENT_OUTSTANDING',
  'CLOSING_DATE_BEFORE_LAST_ENTRY',
  'RETAINED_MUST_EQUAL_UNALLOCATED',
  'AMENDMENT_CHANGES_NOTHING',
  'PLAN_OUTSIDE_USE_PERIOD',
  // Business dates, periods and years, both streams
  'FIGURE_BELOW_ZERO_AS_OF',
  'PERIOD_CLOSED',
  // Budgets (anslag, utfall, prognos)
  'BUDGET_NOT_FOUND',
  'BUDGET_STREAM_MISMATCH',
  'FISCAL_YEAR_CLOSED',
  'PERIOD_OUTSIDE_FISCAL_YEAR',
  'RESULT_MISMATCH',
  'CLOSING_BEFORE_YEAR_END',
  'PREVIOUS_YEAR_OPEN',
  'LATER_YEAR_CLOSED',
  'CARRIED_FORWARD_EXCEEDS_RESULT',
  'DECISION_DATE_OUTSIDE_RANGE',
  'BUDGET_BELOW_ZERO',
  // Reversals (rättelse), both streams
  'REVERSAL_TARGET_NOT_FOUND',
  'ENTRY_ALREADY_REVERSED',
  'GRANT_RECEIVED_CANNOT_BE_REVERSED',
  'REVERSAL_CANNOT_BE_REVERSED',
  'REVERSAL_WOULD_BREAK_RULE',
] as const;

export type DomainRule = (typeof DOMAIN_RULES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly rule: DomainRule,
    message: string,
    /** The input field at fault, when one field is to blame (e.g. "useBy"). */
    readonly field?: string,
  ) {
    super(message);
  }
}

export function refuse(rule: DomainRule, message: string, field?: string): never {
  throw new DomainError(rule, message, field);
}

/** A broken invariant is a bug in the ledger, never a user's mistake. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
