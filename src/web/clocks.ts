import { IsoDate } from '../domain/schema.js';
import { KnownAt } from '../domain/querySchemas.js';
import type { Clocks } from '../../projections/clocks.js';
import type { FieldErrors } from './forms.js';

/** Per datum (asOf) and Känt vid (knownAt) as typed in a report's URL, parsed with the API's schemas. */
export interface TypedClocks {
  readonly asOf: string;
  readonly knownAt: string;
}

export interface ParsedClocks {
  readonly clocks: Clocks;
  readonly typed: TypedClocks;
  readonly errors: FieldErrors;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function clocksOf(query: Record<string, unknown>): ParsedClocks {
  const typed = { asOf: text(query.asOf), knownAt: text(query.knownAt) };
  const errors: FieldErrors = {};
  let asOf: string | undefined;
  let knownAt: string | undefined;
  if (typed.asOf !== '') {
    const parsed = IsoDate.safeParse(typed.asOf);
    if (parsed.success) asOf = parsed.data;
    else errors.asOf = 'Skriv ett riktigt datum som ÅÅÅÅ-MM-DD, t.ex. 2020-12-31.';
  }
  if (typed.knownAt !== '') {
    const parsed = KnownAt.safeParse(typed.knownAt);
    if (parsed.success) knownAt = parsed.data;
    else errors.knownAt = 'Skriv ett datum (ÅÅÅÅ-MM-DD) eller en tidpunkt som 2021-03-09T12:00:00Z.';
  }
  const clocks: Clocks = { ...(asOf === undefined ? {} : { asOf }), ...(knownAt === undefined ? {} : { knownAt }) };
  return { clocks, typed, errors };
}

/** The clocks as query parameters, to carry them over in every link of a report page. */
export function clockParams(typed: TypedClocks): Record<string, string> {
  const params: Record<string, string> = {};
  if (typed.asOf !== '') params.asOf = typed.asOf;
  if (typed.knownAt !== '') params.knownAt = typed.knownAt;
  return params;
}

export function hrefWith(path: string, params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, value);
  const query = search.toString();
  return query === '' ? path : `${path}?${query}`;
}
