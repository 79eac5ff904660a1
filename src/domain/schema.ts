import { z } from 'zod';
import { checkMoney, formatMoney, money, moneyProblemMessage, type MoneySign } from './money.js';
import { isIsoDate, isPeriod } from './dates.js';

/**
 * The building blocks of every command and event schema. Money is parsed from a decimal string
 * and normalised to two decimals ("8000000" → "8000000.00"), so events always hold the canonical form.
 */
function moneySchema(sign: MoneySign) {
  return z
    .string({ error: 'must be a decimal string such as "8000000.00"' })
    .superRefine((text, ctx) => {
      const problem = checkMoney(text, sign);
      if (problem) ctx.addIssue({ code: 'custom', message: moneyProblemMessage(problem), params: { rule: problem } });
    })
    .transform((text) => formatMoney(money(text)))
    .meta({ type: 'string', pattern: '^-?\\d+(\\.\\d{1,2})?$', examples: ['8000000.00'] });
}

export const PositiveAmount = moneySchema('positive');
export const NonNegativeAmount = moneySchema('nonNegative');
export const SignedAmount = moneySchema('signed');
export const SignedNonZeroAmount = moneySchema('signedNonZero');

export const IsoDate = z
  .string({ error: 'must be a date YYYY-MM-DD' })
  .refine(isIsoDate, 'must be a real calendar date YYYY-MM-DD')
  .meta({ format: 'date' });

export const Period = z
  .string({ error: 'must be a period YYYY-MM' })
  .refine(isPeriod, 'must be a period YYYY-MM');

/** Characters that hide or reorder what a reader sees: bidi overrides and isolates, zero-width characters. */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/**
 * Free text from people (grantor, title, purpose, reason, reference, voucher): bounded, stored
 * NFC-normalised, so "ä" typed as one character or as "a" + a combining mark is the same text.
 * Control characters, bidi overrides, zero-width characters and lone surrogates are refused:
 * they make one text look like another in a report.
 */
export function Text(maxLength: number) {
  return z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(maxLength, `must be at most ${maxLength} characters`)
    .refine((text) => !/[\u0000-\u001f\u007f-\u009f]/.test(text), 'must not contain control characters')
    .refine((text) => !INVISIBLE.test(text), 'must not contain bidi controls or zero-width characters')
    .refine((text) => !/\p{Cs}/u.test(text), 'must not contain lone surrogates (malformed UTF-16)')
    .refine((text) => text.trim().length > 0, 'must not be blank')
    .overwrite((text) => text.normalize('NFC'));
}

/** How free text is compared in filters: NFC, case and surrounding white space ignored. */
export function textKey(text: string): string {
  return text.normalize('NFC').trim().toLocaleLowerCase('sv-SE');
}

/** A committee (nämnd) is identified by a lowercase slug, e.g. "socialnamnden". */
export const CommitteeSlug = z
  .string({ error: 'must be a committee slug' })
  .regex(/^[a-z0-9-]{2,64}$/, 'must be 2–64 characters of a–z, 0–9 and "-"');

/** An activity (verksamhet) is a short code such as IFO, AO, FN or EB. */
export const ActivityCode = z
  .string({ error: 'must be an activity code' })
  .regex(/^[A-ZÅÄÖ0-9][A-ZÅÄÖ0-9_-]{0,15}$/, 'must be an activity code of 1–16 capital letters, digits, "_" or "-", e.g. "IFO"');

/** Ids chosen by users or generated (uuid) for grants and allocations. */
export const EntityId = z
  .string({ error: 'must be an id' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 characters of letters, digits, ".", "_" and "-"');

export const FiscalYear = z
  .number({ error: 'must be a year' })
  .int('must be a whole year')
  .min(1900, 'must be 1900 or later')
  .max(2999, 'must be before 3000');

export const Uuid = z.uuid({ error: 'must be a uuid' });
