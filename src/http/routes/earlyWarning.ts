import { z } from 'zod';
import type { Request } from 'express';
import { CommitteeSlug } from '../../domain/schema.js';
import { ClockQuery } from '../querySchemas.js';
import { READERS, route, type RouteResponse } from '../route.js';
import { CONTENT_TYPES, renderReport } from '../../app/reportFormats.js';
import { earlyWarning } from '../../app/earlyWarning.js';
import { earlyWarningData } from '../../app/earlyWarningFormats.js';
import { deadlinesCalendar } from '../../app/deadlinesCalendar.js';

const FormatQuery = z.enum(['json', 'csv', 'xlsx'], { error: 'must be "json", "csv" or "xlsx"' }).optional();
const EarlyWarningQuery = z.strictObject({ committee: CommitteeSlug.optional(), format: FormatQuery, ...ClockQuery });
const DeadlinesQuery = z.strictObject({ committee: CommitteeSlug.optional() });

function formatOf(requested: 'json' | 'csv' | 'xlsx' | undefined, raw: Request): 'json' | 'csv' | 'xlsx' {
  if (requested) return requested;
  const accepted = raw.accepts(['application/json', 'text/csv', CONTENT_TYPES.xlsx]);
  return accepted === 'text/csv' ? 'csv' : accepted === CONTENT_TYPES.xlsx ? 'xlsx' : 'json';
}

export const earlyWarningRoutes = [
  route<unknown, z.output<typeof EarlyWarningQuery>, unknown>({
    method: 'get',
    path: '/api/reports/early-warning',
    summary: 'Early warning: per open riktat grant, the pace of spending, months left and what will be unused at useBy if nothing changes; totals per committee',
    access: READERS,
    successStatus: 200,
    query: EarlyWarningQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }): Promise<RouteResponse> => {
      const { asOf, knownAt, format, ...filter } = query;
      const data = earlyWarningData(earlyWarning(ledger, filter, { asOf, knownAt }), { asOf: asOf ?? null, knownAt: knownAt ?? null });
      const chosen = formatOf(format, raw);
      if (chosen === 'json') return { status: 200, body: data.json };
      return { status: 200, body: await renderReport(data, chosen), contentType: CONTENT_TYPES[chosen] };
    },
  }),
  route<unknown, z.output<typeof DeadlinesQuery>, unknown>({
    method: 'get',
    path: '/api/reports/deadlines.ics',
    summary: 'Every useBy, reportDue and repayment dueOn as an iCalendar feed (RFC 5545) for calendars',
    access: READERS,
    successStatus: 200,
    query: DeadlinesQuery,
    alsoProduces: ['text/calendar'],
    handle: async ({ ledger, query }): Promise<RouteResponse> => ({
      status: 200,
      body: deadlinesCalendar(ledger, query),
      contentType: 'text/calendar; charset=utf-8',
    }),
  }),
];
