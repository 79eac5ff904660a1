import { z } from 'zod';
import { CommitteeSlug, Text } from '../../domain/schema.js';
import { Status, Within } from '../../domain/querySchemas.js';
import { committeeResultsData, CSV_DIALECTS, renderReport, REPORT_FORMATS, unusedGrantsData, type CsvDialect, type ReportData, type ReportFormat } from '../../app/reportFormats.js';
import { activitiesData, grantStatementData, reportsDueData, resultFundData, yearEndData } from '../../app/monthlyReportData.js';
import { activitiesOf, grantStatementFor, reportsDueOf, resultFundOf, yearEndOf } from '../../app/ledgerReports.js';
import { REPORTS_DUE_WITHIN_DAYS_DEFAULT } from '../../../projections/reportsDue.js';
import { EntityId } from '../../domain/schema.js';
import { withLedger } from '../storeSession.js';
import { earlyWarning } from '../../app/earlyWarning.js';
import { earlyWarningData } from '../../app/earlyWarningFormats.js';
import { checkOutPath, clockOptions, clocksOf, optionValue, Output } from '../output.js';
import { CheckFailed, parseOptions, UsageError, type CliCommand } from '../usage.js';

const Format = z.enum(REPORT_FORMATS, { error: `must be ${REPORT_FORMATS.join(', ')}` });
const Dialect = z.enum(CSV_DIALECTS, { error: 'must be excel or rfc4180' });
const Year = z.string().regex(/^\d{4}$/, 'must be a four-digit year').transform(Number);

const outputOptions = { format: { type: 'string' }, out: { type: 'string' }, dialect: { type: 'string' }, force: { type: 'boolean' } } as const;

interface OutputChoice {
  readonly format: ReportFormat;
  readonly out: string | undefined;
  readonly dialect: CsvDialect;
  readonly force: boolean;
}

function formatOf(values: { format?: string | boolean | undefined; out?: string | boolean | undefined; dialect?: string | boolean | undefined; force?: string | boolean | undefined }): OutputChoice {
  const format = optionValue('format', Format, values.format as string | undefined) ?? 'table';
  const out = values.out as string | undefined;
  if (format === 'xlsx' && out === undefined) throw new UsageError('--format xlsx needs --out FILE: a workbook is not for a terminal');
  const dialect = optionValue('dialect', Dialect, values.dialect as string | undefined);
  if (dialect !== undefined && format !== 'csv') throw new UsageError('--dialect goes with --format csv');
  const force = values.force === true;
  // Refused before the report is computed: a mistaken --out costs nothing.
  if (out !== undefined) checkOutPath(out, force);
  return { format, out, dialect: dialect ?? 'excel', force };
}

async function write(data: ReportData, { format, out, dialect, force }: OutputChoice): Promise<void> {
  const output = Output.open(out, { force });
  await output.write(await renderReport(data, format, dialect));
  await output.close();
}

const clocksShown = (clocks: { asOf?: string | undefined; knownAt?: string | undefined }) => ({ asOf: clocks.asOf ?? null, knownAt: clocks.knownAt ?? null });

const OUTPUT_USAGE = '[--as-of D] [--known-at T] [--format table|csv|json|xlsx] [--dialect excel|rfc4180] [--out FILE [--force]]';

function required<T>(name: string, value: T | undefined): T {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

export const reportUnusedGrantsCommand: CliCommand = {
  words: ['report', 'unused-grants'],
  usage: `report unused-grants [--committee C] [--grantor G] [--status open|expired|closed|at-risk [--within DAYS]] ${OUTPUT_USAGE}`,
  summary: 'unused earmarked funds per grant with totals (at-risk: useBy within DAYS, default 90)',
  async run(args) {
    const { values } = parseOptions(args, {
      committee: { type: 'string' },
      grantor: { type: 'string' },
      status: { type: 'string' },
      within: { type: 'string' },
      ...clockOptions,
      ...outputOptions,
    });
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const grantor = optionValue('grantor', Text(200), values.grantor);
    const status = optionValue('status', Status, values.status);
    const within = optionValue('within', Within, values.within);
    if (within !== undefined && status !== 'at-risk') throw new UsageError('--within goes with --status at-risk');
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const data = await withLedger(async (ledger) => {
      const report = ledger.unusedGrants({ committee, grantor, status, within }, clocks);
      return unusedGrantsData(report, { asOf: clocks.asOf ?? null, knownAt: clocks.knownAt ?? null });
    });
    await write(data, output);
  },
};

export const reportCommitteeResultsCommand: CliCommand = {
  words: ['report', 'committee-results'],
  usage: `report committee-results [--committee C] ${OUTPUT_USAGE}`,
  summary: "committees' results per fiscal year and the cumulative result",
  async run(args) {
    const { values } = parseOptions(args, { committee: { type: 'string' }, ...clockOptions, ...outputOptions });
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const data = await withLedger(async (ledger) =>
      committeeResultsData(ledger.committeeResults({ committee }, clocks), { asOf: clocks.asOf ?? null, knownAt: clocks.knownAt ?? null }),
    );
    await write(data, output);
  },
};

export const reportActivitiesCommand: CliCommand = {
  words: ['report', 'activities'],
  usage: `report activities --committee C --year YYYY ${OUTPUT_USAGE}`,
  summary: "per verksamhet: a committee's year per activity with budget to date, deviation and forecasts",
  async run(args) {
    const { values } = parseOptions(args, { committee: { type: 'string' }, year: { type: 'string' }, ...clockOptions, ...outputOptions });
    const committee = required('committee', optionValue('committee', CommitteeSlug, values.committee));
    const year = required('year', optionValue('year', Year, values.year));
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const data = await withLedger(async (ledger) => activitiesData(activitiesOf(ledger, { committee, year }, clocks), clocksShown(clocks)));
    await write(data, output);
  },
};

export const reportGrantStatementCommand: CliCommand = {
  words: ['report', 'grant-statement'],
  usage: `report grant-statement GRANT_ID ${OUTPUT_USAGE}`,
  summary: 'the grant statement (bidragsredovisning) of one grant; xlsx has one sheet per section',
  async run(args) {
    const { values, positionals } = parseOptions(args, { ...clockOptions, ...outputOptions }, true);
    if (positionals.length !== 1) throw new UsageError('report grant-statement needs one GRANT_ID');
    const parsed = EntityId.safeParse(positionals[0]);
    if (!parsed.success) throw new UsageError(`GRANT_ID ${parsed.error.issues[0]!.message}`);
    const grantId = parsed.data;
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const data = await withLedger(async (ledger) => {
      const statement = grantStatementFor(ledger, grantId, clocks);
      if (statement === null) throw new UsageError(`no grant ${grantId}`);
      if (statement === 'not-in-view') throw new UsageError(`grant ${grantId} was not yet received or known in this view`);
      return grantStatementData(statement, clocksShown(clocks));
    });
    await write(data, output);
  },
};

export const reportReportsDueCommand: CliCommand = {
  words: ['report', 'reports-due'],
  usage: `report reports-due [--within DAYS] [--committee C] ${OUTPUT_USAGE}`,
  summary: `grants whose report to the grantor is overdue or due within DAYS (default ${REPORTS_DUE_WITHIN_DAYS_DEFAULT})`,
  async run(args) {
    const { values } = parseOptions(args, { within: { type: 'string' }, committee: { type: 'string' }, ...clockOptions, ...outputOptions });
    const within = optionValue('within', Within, values.within) ?? REPORTS_DUE_WITHIN_DAYS_DEFAULT;
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const data = await withLedger(async (ledger) => reportsDueData(reportsDueOf(ledger, { within, committee }, clocks), clocksShown(clocks)));
    await write(data, output);
  },
};

export const reportYearEndCommand: CliCommand = {
  words: ['report', 'year-end'],
  usage: `report year-end (--year YYYY | --as-of D) [--committee C] ${OUTPUT_USAGE}`,
  summary: 'bokslutsposter: prepaid grant income and repayment liabilities per grant at 31 December (or --as-of)',
  async run(args) {
    const { values } = parseOptions(args, { committee: { type: 'string' }, year: { type: 'string' }, ...clockOptions, ...outputOptions });
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const year = optionValue('year', Year, values.year);
    const clocks = clocksOf(values);
    if (year === undefined && clocks.asOf === undefined) throw new UsageError('--year is required (or --as-of, for an interim closing)');
    if (year !== undefined && clocks.asOf !== undefined && Number(clocks.asOf.slice(0, 4)) !== year) throw new UsageError('--as-of must fall in --year');
    const balanceDate = clocks.asOf ?? `${year}-12-31`;
    const output = formatOf(values);
    const data = await withLedger(async (ledger) =>
      yearEndData(yearEndOf(ledger, { committee, balanceDate, knownAt: clocks.knownAt }), { asOf: balanceDate, knownAt: clocks.knownAt ?? null }),
    );
    await write(data, output);
  },
};

export const reportResultFundCommand: CliCommand = {
  words: ['report', 'result-fund'],
  usage: `report result-fund [--committee C] ${OUTPUT_USAGE}`,
  summary: "the result fund (resultatfond): closed years' results, carriedForward, closedOn and the running balance",
  async run(args) {
    const { values } = parseOptions(args, { committee: { type: 'string' }, ...clockOptions, ...outputOptions });
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const data = await withLedger(async (ledger) => resultFundData(resultFundOf(ledger, { committee }, clocks), clocksShown(clocks)));
    await write(data, output);
  },
};

export const reportEarlyWarningCommand: CliCommand = {
  words: ['report', 'early-warning'],
  usage: `report early-warning [--committee C] [--fail-on-warning] ${OUTPUT_USAGE}`,
  summary: 'earmarked money projected to be unused at useBy; --fail-on-warning exits 1 when any grant warns (for a nightly job)',
  async run(args) {
    const { values } = parseOptions(args, { committee: { type: 'string' }, 'fail-on-warning': { type: 'boolean' }, ...clockOptions, ...outputOptions });
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const clocks = clocksOf(values);
    const output = formatOf(values);
    const report = await withLedger(async (ledger) => earlyWarning(ledger, { committee }, clocks));
    await write(earlyWarningData(report, clocksShown(clocks)), output);
    const warnings = report.rows.filter((row) => row.warning).length;
    if (values['fail-on-warning'] === true && warnings > 0) throw new CheckFailed(`${warnings} grant(s) warn: earmarked money will be left unused`);
  },
};
