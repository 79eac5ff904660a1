import type { ZodError } from 'zod';
import type { DomainRule } from '../domain/errors.js';

/** RFC 9457 problem details, the body of every error response. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The rule or error code, for programs. */
  readonly code: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly errors?: Problem['errors'],
  ) {
    super(detail);
  }

  toProblem(): Problem {
    return {
      type: `urn:grantledger:problem:${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** Where a failing value came from, so the path names the field the client sent. */
export type InputLocation = 'body' | 'query' | 'path' | 'header';

export function invalidInput(error: ZodError, location: InputLocation): HttpProblem {
  const errors = error.issues.map((issue) => {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path.map(String), ...(unknownKeys.length === 1 ? unknownKeys : [])].join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}` : issue.message;
    return { path: path === '' ? location : `${location}.${path}`, message };
  });
  const first = errors[0];
  return new HttpProblem(400, 'INVALID_INPUT', 'Invalid input', first ? `${first.path}: ${first.message}` : 'invalid input', errors);
}

/**
 * Domain rules by the status they answer with. Rules that judge one request against itself are
 * 400 (the body is wrong whatever the ledger holds); rules about something missing are 404; every
 * other refusal depends on the ledger's state and is 409.
 */
const RULE_STATUS: Partial<Record<DomainRule, number>> = {
  USE_BY_BEFORE_RECEIVED_ON: 400,
  REPORT_DUE_BEFORE_RECEIVED_ON: 400,
  DUE_DATE_BEFORE_DEMAND: 400,
  PERIOD_OUTSIDE_FISCAL_YEAR: 400,
  CLOSING_BEFORE_YEAR_END: 400,
  DECISION_DATE_OUTSIDE_RANGE: 400,
  CARRIED_FORWARD_EXCEEDS_RESULT: 409,
  GRANT_NOT_FOUND: 404,
  BUDGET_NOT_FOUND: 404,
  ALLOCATION_NOT_FOUND: 404,
};

export function statusOfRule(rule: DomainRule): number {
  return RULE_STATUS[rule] ?? 409;
}
