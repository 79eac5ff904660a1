import { z } from 'zod';
import type { Request } from 'express';
import { CommitteeSlug, Text } from '../../domain/schema.js';
import { ClockQuery } from '../querySchemas.js';
import { READERS, route, type RouteResponse } from '../route.js';
import { AT_RISK_WITHIN_DAYS_DEFAULT } from '../../../projections/unusedGrants.js';
import { committeeResultsData, CONTENT_TYPES, renderReport, unusedGrantsData, type ReportData } from '../../app/reportFormats.js';

/** ?format= wins; else the Accept header may ask for CSV or xlsx; JSON otherwise. */
const FormatQuery = z.enum(['json', 'csv', 'xlsx'], { error: 'must be "json", "csv" or "xlsx"' }).optional();

const Within = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a number of days from 0 to 3660')
  .transform(Number)
  .refine((days) => days <= 3660, 'must be a number of days from 0 to 3660');

const UnusedGrantsQuery = z
  .strictObject({
    committee: CommitteeSlug.optional(),
    grantor: Text(200).optional(),
    status: z.enum(['open', 'expired', 'closed', 'at-risk'], { error: 'must be "open", "expired", "closed" or "at-risk"' }).optional(),
    within: Within.optional(),
    format: FormatQuery,
    ...ClockQuery,
  })
  .refine((query) => query.within === undefined || query.status === 'at-risk', { message: 'within goes with status=at-risk', path: ['within'] });

const CommitteeResultsQuery = z.strictObject({ committee: CommitteeSlug.optional(), format: FormatQuery, ...ClockQuery });

function formatOf(requested: 'json' | 'csv' | 'xlsx' | undefined, raw: Request): 'json' | 'csv' | 'xlsx' {
  if (requested) return requested;
  const accepted = raw.accepts(['application/json', 'text/csv', CONTENT_TYPES.xlsx]);
  return accepted === 'text/csv' ? 'csv' : accepted === CONTENT_TYPES.xlsx ? 'xlsx' : 'json';
}

async function respond(data: ReportData, format: 'json' | 'csv' | 'xlsx'): Promise<RouteResponse> {
  if (format === 'json') return { status: 200, body: data.json };
  return { status: 200, body: await renderReport(data, format), contentType: CONTENT_TYPES[format] };
}

export const reportRoutes = [
  route<unknown, z.output<typeof UnusedGrantsQuery>, unknown>({
    method: 'get',
    path: '/api/reports/unused-grants',
    summary: `Unused earmarked funds (riktade statsbidrag), per grant with totals; status=at-risk&within=${AT_RISK_WITHIN_DAYS_DEFAULT} lists those whose useBy is near; ?format=csv|xlsx or Accept`,
    access: READERS,
    successStatus: 200,
    query: UnusedGrantsQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const { asOf, knownAt, format, ...filter } = query;
      const report = ledger.unusedGrants(filter, { asOf, knownAt });
      return respond(unusedGrantsData(report, { asOf: asOf ?? null, knownAt: knownAt ?? null }), formatOf(format, raw));
    },
  }),
  route<unknown, z.output<typeof CommitteeResultsQuery>, unknown>({
    method: 'get',
    path: '/api/reports/committee-results',
    summary: "Committees' results per fiscal year and the cumulative result; ?format=csv|xlsx or Accept",
    access: READERS,
    successStatus: 200,
    query: CommitteeResultsQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const { asOf, knownAt, format, ...filter } = query;
      const report = ledger.committeeResults(filter, { asOf, knownAt });
      return respond(committeeResultsData(report, { asOf: asOf ?? null, knownAt: knownAt ?? null }), formatOf(format, raw));
    },
  }),
];
