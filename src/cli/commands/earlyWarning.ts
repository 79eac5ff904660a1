import { z } from 'zod';
import { CommitteeSlug } from '../../domain/schema.js';
import { renderReport, REPORT_FORMATS } from '../../app/reportFormats.js';
import { earlyWarning } from '../../app/earlyWarning.js';
import { earlyWarningData } from '../../app/earlyWarningFormats.js';
import { withLedger } from '../storeSession.js';
import { clockOptions, clocksOf, optionValue, Output } from '../output.js';
import { CheckFailed, parseOptions, UsageError, type CliCommand } from '../usage.js';

const Format = z.enum(REPORT_FORMATS, { error: `must be ${REPORT_FORMATS.join(', ')}` });

export const reportEarlyWarningCommand: CliCommand = {
  words: ['report', 'early-warning'],
  usage: 'report early-warning [--committee C] [--as-of D] [--known-at T] [--format table|csv|json|xlsx] [--out FILE] [--fail-on-warning]',
  summary: 'earmarked money projected to be unused at useBy; --fail-on-warning exits 1 when any grant warns (for a nightly job)',
  async run(args) {
    const { values } = parseOptions(args, {
      committee: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'fail-on-warning': { type: 'boolean' },
      ...clockOptions,
    });
    const committee = optionValue('committee', CommitteeSlug, values.committee as string | undefined);
    const format = optionValue('format', Format, values.format as string | undefined) ?? 'table';
    const out = values.out as string | undefined;
    if (format === 'xlsx' && out === undefined) throw new UsageError('--format xlsx needs --out FILE: a workbook is not for a terminal');
    const clocks = clocksOf(values);
    const report = await withLedger(async (ledger) => earlyWarning(ledger, { committee }, clocks));
    const output = Output.open(out);
    await output.write(await renderReport(earlyWarningData(report, { asOf: clocks.asOf ?? null, knownAt: clocks.knownAt ?? null }), format));
    await output.close();
    const warnings = report.rows.filter((row) => row.warning).length;
    if (values['fail-on-warning'] === true && warnings > 0) throw new CheckFailed(`${warnings} grant(s) warn: earmarked money will be left unused`);
  },
};
