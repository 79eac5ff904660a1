import { z } from 'zod';
import { CommitteeSlug, EntityId, IsoDate } from '../domain/schema.js';
import { KnownAt } from '../domain/querySchemas.js';

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
