import { z } from 'zod';
import { CommitteeSlug, Text } from '../../domain/schema.js';
import { ClockQuery } from '../querySchemas.js';
import { READERS, route } from '../route.js';

const UnusedGrantsQuery = z.strictObject({
  committee: CommitteeSlug.optional(),
  grantor: Text(200).optional(),
  status: z.enum(['open', 'expired', 'closed'], { error: 'must be "open", "expired" or "closed"' }).optional(),
  ...ClockQuery,
});

const CommitteeResultsQuery = z.strictObject({ committee: CommitteeSlug.optional(), ...ClockQuery });

export const reportRoutes = [
  route<unknown, z.output<typeof UnusedGrantsQuery>, unknown>({
    method: 'get',
    path: '/api/reports/unused-grants',
    summary: 'Unused earmarked funds (riktade statsbidrag), per grant with totals',
    access: READERS,
    successStatus: 200,
    query: UnusedGrantsQuery,
    handle: ({ ledger, query }) => {
      const { asOf, knownAt, ...filter } = query;
      const report = ledger.unusedGrants(filter, { asOf, knownAt });
      return { status: 200, body: { asOf: asOf ?? null, knownAt: knownAt ?? null, ...report } };
    },
  }),
  route<unknown, z.output<typeof CommitteeResultsQuery>, unknown>({
    method: 'get',
    path: '/api/reports/committee-results',
    summary: "Committees' results per fiscal year and the cumulative result",
    access: READERS,
    successStatus: 200,
    query: CommitteeResultsQuery,
    handle: ({ ledger, query }) => {
      const { asOf, knownAt, ...filter } = query;
      return { status: 200, body: { asOf: asOf ?? null, knownAt: knownAt ?? null, ...ledger.committeeResults(filter, { asOf, knownAt }) } };
    },
  }),
];
