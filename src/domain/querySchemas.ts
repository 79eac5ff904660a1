import { z } from 'zod';
import { endOfSwedishDay, isIsoDate, startOfSwedishDay } from './dates.js';

/**
 * What a reader may ask of the ledger, parsed the same way wherever the question comes from
 * (an HTTP query, a CLI option, a page's form), so each is refused with the same words.
 */

/**
 * knownAt is a moment (ISO-8601 UTC). A bare date means the end of that day in Sweden, which is
 * what an auditor means by "as known on 2021-03-09".
 */
export const KnownAt = z
  .string({ error: 'must be an ISO-8601 moment' })
  .refine(
    (text) => (isIsoDate(text) ? true : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text))),
    'must be an ISO-8601 moment such as 2021-03-09T12:00:00Z, or a date',
  )
  .transform((text) => (isIsoDate(text) ? endOfSwedishDay(text) : new Date(text).toISOString()));

/** The start of a span: a moment, or a date meaning the start of that day in Sweden. */
export const FromMoment = z
  .string()
  .refine((text) => isIsoDate(text) || KnownAt.safeParse(text).success, 'must be an ISO-8601 moment or a date')
  .transform((text) => (isIsoDate(text) ? startOfSwedishDay(text) : new Date(text).toISOString()));

/** A horizon in days (reports due, grants at risk): ten years at most. */
export const Within = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a number of days from 0 to 3660')
  .transform(Number)
  .refine((days) => days <= 3660, 'must be a number of days from 0 to 3660');

export const UNUSED_GRANT_STATUSES = ['open', 'expired', 'closed', 'at-risk'] as const;

/** Which grants the unused-grants report lists. */
export const Status = z.enum(UNUSED_GRANT_STATUSES, { error: 'must be "open", "expired", "closed" or "at-risk"' });
