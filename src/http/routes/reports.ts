import { z } from 'zod';
import type { Request } from 'express';
import { CommitteeSlug, Text } from '../../domain/schema.js';
import { Status, Within } from '../../domain/querySchemas.js';
import { ClockQuery, GrantParams } from '../querySchemas.js';
import { HttpProblem } from '../problems.js';
import { READERS, route, type RouteResponse } from '../route.js';
import { AT_RISK_WITHIN_DAYS_DEFAULT } from '../../../projections/unusedGrants.js';
import { committeeResultsData, CONTENT_TYPES, CSV_DIALECTS, renderReport, unusedGrantsData, type CsvDialect, type ReportData } from '../../app/reportFormats.js';
import { activitiesData, grantStatementData, reportsDueData, resultFundData, yearEndData } from '../../app/monthlyReportData.js';
import { activitiesOf, grantStatementFor, reportsDueOf, resultFundOf, yearEndOf } from '../../app/ledgerReports.js';
import { REPORTS_DUE_WITHIN_DAYS_DEFAULT } from '../../../projections/reportsDue.js';
import { earlyWarning } from '../../app/earlyWarning.js';
import { earlyWarningData } from '../../app/earlyWarningFormats.js';
import { deadlinesCalendar } from '../../app/deadlinesCalendar.js';

/** ?format= wins; else the Accept header may ask for CSV or xlsx; JSON otherwise. */
const FormatQuery = z.enum(['json', 'csv', 'xlsx'], { error: 'must be "json", "csv" or "xlsx"' }).optional();

/** CSV for Swedish Excel by default (`;`, decimal comma); rfc4180 for machines (comma, point). */
const DialectQuery = z.enum(CSV_DIALECTS, { error: 'must be "excel" or "rfc4180"' }).optional();

const Year = z
  .string()
  .regex(/^\d{4}$/, 'must be a four-digit year')
  .transform(Number);

const UnusedGrantsQuery = z
  .strictObject({
    committee: CommitteeSlug.optional(),
    grantor: Text(200).optional(),
    status: Status.optional(),
    within: Within.optional(),
    format: FormatQuery,
    dialect: DialectQuery,
    ...ClockQuery,
  })
  .refine((query) => query.within === undefined || query.status === 'at-risk', { message: 'within goes with status=at-risk', path: ['within'] });

const CommitteeResultsQuery = z.strictObject({ committee: CommitteeSlug.optional(), format: FormatQuery, dialect: DialectQuery, ...ClockQuery });

const ActivitiesQuery = z.strictObject({ committee: CommitteeSlug, year: Year, format: FormatQuery, dialect: DialectQuery, ...ClockQuery });

const GrantStatementQuery = z.strictObject({ format: FormatQuery, dialect: DialectQuery, ...ClockQuery });

const ReportsDueQuery = z.strictObject({ within: Within.optional(), committee: CommitteeSlug.optional(), format: FormatQuery, dialect: DialectQuery, ...ClockQuery });

/**
 * Year-end balances are as of 31 December of `year`; `asOf` instead gives the balances of an
 * interim closing (delårsbokslut). Given both, asOf must fall in the year.
 */
const YearEndQuery = z
  .strictObject({ committee: CommitteeSlug.optional(), year: Year.optional(), format: FormatQuery, dialect: DialectQuery, ...ClockQuery })
  .refine((query) => query.year !== undefined || query.asOf !== undefined, { message: 'is required (or asOf, for an interim closing)', path: ['year'] })
  .refine((query) => query.year === undefined || query.asOf === undefined || Number(query.asOf.slice(0, 4)) === query.year, {
    message: 'must fall in year',
    path: ['asOf'],
  });

const EarlyWarningQuery = z.strictObject({ committee: CommitteeSlug.optional(), format: FormatQuery, dialect: DialectQuery, ...ClockQuery });
const DeadlinesQuery = z.strictObject({ committee: CommitteeSlug.optional() });

const ResultFundQuery = z.strictObject({ committee: CommitteeSlug.optional(), format: FormatQuery, dialect: DialectQuery, ...ClockQuery });

function formatOf(requested: 'json' | 'csv' | 'xlsx' | undefined, raw: Request): 'json' | 'csv' | 'xlsx' {
  if (requested) return requested;
  const accepted = raw.accepts(['application/json', 'text/csv', CONTENT_TYPES.xlsx]);
  return accepted === 'text/csv' ? 'csv' : accepted === CONTENT_TYPES.xlsx ? 'xlsx' : 'json';
}

async function respond(data: ReportData, format: 'json' | 'csv' | 'xlsx', dialect: CsvDialect | undefined): Promise<RouteResponse> {
  if (format === 'json') return { status: 200, body: data.json };
  return { status: 200, body: await renderReport(data, format, dialect ?? 'excel'), contentType: CONTENT_TYPES[format] };
}

const clocksOf = (query: { asOf?: string | undefined; knownAt?: string | undefined }) => ({ asOf: query.asOf ?? null, knownAt: query.knownAt ?? null });

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
      const { asOf, knownAt, format, dialect, ...filter } = query;
      await ledger.ready({ asOf, knownAt }, 'summaries');
      const report = ledger.unusedGrants(filter, { asOf, knownAt });
      return respond(unusedGrantsData(report, { asOf: asOf ?? null, knownAt: knownAt ?? null }), formatOf(format, raw), dialect);
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
      const { asOf, knownAt, format, dialect, ...filter } = query;
      await ledger.ready({ asOf, knownAt }, 'revenue');
      const report = ledger.committeeResults(filter, { asOf, knownAt });
      return respond(committeeResultsData(report, { asOf: asOf ?? null, knownAt: knownAt ?? null }), formatOf(format, raw), dialect);
    },
  }),
  route<unknown, z.output<typeof ActivitiesQuery>, unknown>({
    method: 'get',
    path: '/api/reports/activities',
    summary: "Per verksamhet: a committee's year per activity (budget, budgetToDate, costs, revenues, grantRevenue, deviation, latest forecast line) and the year's forecast history; ?format=csv|xlsx or Accept",
    access: READERS,
    successStatus: 200,
    query: ActivitiesQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const report = activitiesOf(ledger, { committee: query.committee, year: query.year }, { asOf: query.asOf, knownAt: query.knownAt });
      return respond(activitiesData(report, clocksOf(query)), formatOf(query.format, raw), query.dialect);
    },
  }),
  route<unknown, z.output<typeof GrantStatementQuery>, z.output<typeof GrantParams>>({
    method: 'get',
    path: '/api/reports/grant-statement/:grantId',
    summary: 'The grant statement (bidragsredovisning): installments, allocations with their spending, releases, demands, returns, reports, unused and toRepay; xlsx has one sheet per section',
    access: READERS,
    successStatus: 200,
    params: GrantParams,
    query: GrantStatementQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, params, query, raw }) => {
      const statement = grantStatementFor(ledger, params.grantId, { asOf: query.asOf, knownAt: query.knownAt });
      if (statement === null) throw new HttpProblem(404, 'GRANT_NOT_FOUND', 'Grant not found', `no grant ${params.grantId}`);
      if (statement === 'not-in-view') {
        throw new HttpProblem(404, 'GRANT_NOT_IN_VIEW', 'Grant not found', `grant ${params.grantId} was not yet received or known in this view`);
      }
      return respond(grantStatementData(statement, clocksOf(query)), formatOf(query.format, raw), query.dialect);
    },
  }),
  route<unknown, z.output<typeof ReportsDueQuery>, unknown>({
    method: 'get',
    path: '/api/reports/reports-due',
    summary: `Grants whose reportDue has passed or falls within N days (default ${REPORTS_DUE_WITHIN_DAYS_DEFAULT}) of the view date, with no report submitted for it; ?format=csv|xlsx or Accept`,
    access: READERS,
    successStatus: 200,
    query: ReportsDueQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const report = reportsDueOf(ledger, { within: query.within ?? REPORTS_DUE_WITHIN_DAYS_DEFAULT, committee: query.committee }, { asOf: query.asOf, knownAt: query.knownAt });
      return respond(reportsDueData(report, clocksOf(query)), formatOf(query.format, raw), query.dialect);
    },
  }),
  route<unknown, z.output<typeof YearEndQuery>, unknown>({
    method: 'get',
    path: '/api/reports/year-end',
    summary: 'Year-end balances (bokslutsposter) of grants at 31 December of year (or asOf): prepaid grant income and repayment liabilities per grant, with totals',
    access: READERS,
    successStatus: 200,
    query: YearEndQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const balanceDate = query.asOf ?? `${query.year}-12-31`;
      const report = yearEndOf(ledger, { committee: query.committee, balanceDate, knownAt: query.knownAt });
      return respond(yearEndData(report, { asOf: balanceDate, knownAt: query.knownAt ?? null }), formatOf(query.format, raw), query.dialect);
    },
  }),
  route<unknown, z.output<typeof ResultFundQuery>, unknown>({
    method: 'get',
    path: '/api/reports/result-fund',
    summary: "The result fund (resultatfond): each closed year's result, carriedForward, closedOn and the running balance",
    access: READERS,
    successStatus: 200,
    query: ResultFundQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const report = resultFundOf(ledger, { committee: query.committee }, { asOf: query.asOf, knownAt: query.knownAt });
      return respond(resultFundData(report, clocksOf(query)), formatOf(query.format, raw), query.dialect);
    },
  }),
  route<unknown, z.output<typeof EarlyWarningQuery>, unknown>({
    method: 'get',
    path: '/api/reports/early-warning',
    summary: 'Early warning: per open riktat grant, the pace of spending, months left and what will be unused at useBy if nothing changes; totals per committee',
    access: READERS,
    successStatus: 200,
    query: EarlyWarningQuery,
    alsoProduces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
    handle: async ({ ledger, query, raw }) => {
      const report = earlyWarning(ledger, { committee: query.committee }, { asOf: query.asOf, knownAt: query.knownAt });
      return respond(earlyWarningData(report, clocksOf(query)), formatOf(query.format, raw), query.dialect);
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
    handle: async ({ ledger, query }) => ({ status: 200, body: deadlinesCalendar(ledger, query), contentType: 'text/calendar; charset=utf-8' }),
  }),
];
