import { z } from 'zod';
import { CommitteeSlug, Text } from '../../domain/schema.js';
import { committeeResultsData, renderReport, REPORT_FORMATS, unusedGrantsData, type ReportData, type ReportFormat } from '../../app/reportFormats.js';
import { withLedger } from '../storeSession.js';
import { checkOutPath, clockOptions, clocksOf, optionValue, Output } from '../output.js';
import { parseOptions, UsageError, type CliCommand } from '../usage.js';

const Format = z.enum(REPORT_FORMATS, { error: `must be ${REPORT_FORMATS.join(', ')}` });
const Status = z.enum(['open', 'expired', 'closed', 'at-risk'], { error: 'must be open, expired, closed or at-risk' });
const Within = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a number of days from 0 to 3660')
  .transform(Number)
  .refine((days) => days <= 3660, 'must be a number of days from 0 to 3660');

const outputOptions = { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } } as const;

function formatOf(values: { format?: string | boolean | undefined; out?: string | boolean | undefined; force?: string | boolean | undefined }): { format: ReportFormat; out: string | undefined; force: boolean } {
  const format = optionValue('format', Format, values.format as string | undefined) ?? 'table';
  const out = values.out as string | undefined;
  if (format === 'xlsx' && out === undefined) throw new UsageError('--format xlsx needs --out FILE: a workbook is not for a terminal');
  const force = values.force === true;
  // Refused before the report is computed: a mistaken --out costs nothing.
  if (out !== undefined) checkOutPath(out, force);
  return { format, out, force };
}

async function write(data: ReportData, format: ReportFormat, out: string | undefined, force: boolean): Promise<void> {
  const output = Output.open(out, { force });
  await output.write(await renderReport(data, format));
  await output.close();
}

export const reportUnusedGrantsCommand: CliCommand = {
  words: ['report', 'unused-grants'],
  usage: 'report unused-grants [--committee C] [--grantor G] [--status open|expired|closed|at-risk [--within DAYS]] [--as-of D] [--known-at T] [--format table|csv|json|xlsx] [--out FILE [--force]]',
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
    const { format, out, force } = formatOf(values);
    const data = await withLedger(async (ledger) => {
      const report = ledger.unusedGrants({ committee, grantor, status, within }, clocks);
      return unusedGrantsData(report, { asOf: clocks.asOf ?? null, knownAt: clocks.knownAt ?? null });
    });
    await write(data, format, out, force);
  },
};

export const reportCommitteeResultsCommand: CliCommand = {
  words: ['report', 'committee-results'],
  usage: 'report committee-results [--committee C] [--as-of D] [--known-at T] [--format table|csv|json|xlsx] [--out FILE [--force]]',
  summary: "committees' results per fiscal year and the cumulative result",
  async run(args) {
    const { values } = parseOptions(args, { committee: { type: 'string' }, ...clockOptions, ...outputOptions });
    const committee = optionValue('committee', CommitteeSlug, values.committee);
    const clocks = clocksOf(values);
    const { format, out, force } = formatOf(values);
    const data = await withLedger(async (ledger) =>
      committeeResultsData(ledger.committeeResults({ committee }, clocks), { asOf: clocks.asOf ?? null, knownAt: clocks.knownAt ?? null }),
    );
    await write(data, format, out, force);
  },
};
