import { z } from 'zod';
import { CommitteeSlug, EntityId, IsoDate } from '../domain/schema.js';
import { endOfSwedishDay, isIsoDate, startOfSwedishDay } from '../domain/dates.js';

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

export const ClockQuery = {
  asOf: IsoDate.optional(),
  knownAt: KnownAt.optional(),
};

export const GrantParams = z.strictObject({ grantId: EntityId });
export const AllocationParams = z.strictObject({ grantId: EntityId, allocationId: EntityId });
export const BudgetParams = z.strictObject({
  committee: CommitteeSlug,
  year: z
    .string()
    .regex(/^\d{4}$/, 'must be a four-digit year')
    .transform(Number),
});

export const ClockOnlyQuery = z.strictObject(ClockQuery);
