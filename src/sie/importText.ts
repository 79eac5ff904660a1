import type { SieImportResult } from './importService.js';

/** The import's answer for a terminal: counts first, then every list that is not empty. Pure. */

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (rightAligned.has(index) ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

const STATUS_WORDS: Record<SieImportResult['status'], string> = {
  imported: 'imported',
  'dry-run': 'dry run: nothing was recorded; this is what would be',
  'nothing-new': 'nothing new: every verification of the file was imported before',
  refused: 'REFUSED: nothing of the file was recorded',
  malformed: 'MALFORMED: the file cannot be read; nothing was recorded',
};

export function importResultText(result: SieImportResult): string {
  const { counts, file } = result;
  const out: string[] = [
    `SIE import: ${STATUS_WORDS[result.status]}`,
    `file: ${file.companyName ?? '(no #FNAMN)'}, orgnr ${file.orgnr ?? '(none)'}, fiscal year ${file.fiscalYear ? `${file.fiscalYear.start} – ${file.fiscalYear.end}` : '(none)'}, from ${file.program ?? '(no #PROGRAM)'}`,
    `verifications read ${counts.verificationsRead}, taken ${counts.taken}, already imported ${counts.alreadyImported}`,
    `spending entries ${counts.spendingEntries}, outcome entries ${counts.outcomeEntries}, unmatched ${counts.unmatched}, refused ${counts.refused}, ignored ${counts.ignored}`,
  ];
  const section = (title: string, lines: string[], total: number, shown: number) => {
    out.push('', `${title}${total > shown ? ` (first ${shown} of ${total})` : ''}`, ...lines);
  };
  if (result.problems.length > 0) {
    section('Problems in the file', table(['line', 'reason'], result.problems.map((problem) => [String(problem.line), problem.reason]), new Set([0])), result.problems.length, result.problems.length);
  }
  if (result.refused.length > 0) {
    section(
      'Refused transactions',
      table(['verification', 'line', 'rule', 'reason'], result.refused.map((r) => [r.verification, String(r.line), r.rule, r.message]), new Set([1])),
      counts.refused,
      result.refused.length,
    );
  }
  if (result.unmatched.length > 0) {
    section(
      'Unmatched transactions (not recorded)',
      table(['verification', 'line', 'account', 'amount', 'reason'], result.unmatched.map((u) => [u.verification, String(u.line), u.account, u.amount, u.reason]), new Set([1, 3])),
      counts.unmatched,
      result.unmatched.length,
    );
  }
  if (result.spending.length > 0 && result.status !== 'refused') {
    section(
      result.status === 'dry-run' ? 'Spending that would be recorded (FundsSpent)' : 'Spending recorded (FundsSpent)',
      table(['grant', 'allocation', 'activity', 'amount', 'spentOn', 'voucher', 'line'], result.spending.map((s) => [s.grantId, s.allocationId, s.activity, s.amount, s.spentOn, s.voucher, String(s.line)]), new Set([3, 6])),
      result.spending.length,
      result.spending.length,
    );
  }
  if (result.outcomes.length > 0 && result.status !== 'refused') {
    section(
      result.status === 'dry-run' ? 'Outcomes that would be recorded (OutcomeRecorded)' : 'Outcomes recorded (OutcomeRecorded)',
      table(
        ['committee', 'year', 'period', 'activity', 'costs', 'revenues', 'transactions'],
        result.outcomes.map((o) => [o.committee, String(o.fiscalYear), o.period, o.activity, o.costs, o.revenues, String(o.transactions)]),
        new Set([4, 5, 6]),
      ),
      result.outcomes.length,
      result.outcomes.length,
    );
  }
  if (result.unknownLabels.length > 0) {
    section('Labels not read (kept out of the import)', table(['label', 'count', 'first line'], result.unknownLabels.map((u) => [u.label, String(u.count), String(u.firstLine)]), new Set([1, 2])), result.unknownLabels.length, result.unknownLabels.length);
  }
  return `${out.join('\n')}\n`;
}
