import { Decimal } from 'decimal.js';
import { formatMoney, ZERO, type Money } from '../domain/money.js';
import type { IsoDate } from '../domain/dates.js';
import { quoteField } from './lineTokens.js';
import type { SieObjectRef } from './parser.js';

/**
 * Writes SIE 4 text, without I/O: the ledger's own verifications for the books. Every
 * verification is checked to balance before it is written; the caller encodes the text to PC8.
 */
export interface SieOutTransaction {
  readonly account: string;
  readonly objects: readonly SieObjectRef[];
  readonly amount: Money;
}

export interface SieOutVerification {
  readonly date: IsoDate;
  readonly text: string;
  readonly transactions: readonly SieOutTransaction[];
}

export interface SieOutFile {
  readonly program: { name: string; version: string };
  readonly generatedOn: IsoDate;
  readonly companyName?: string | undefined;
  readonly orgnr?: string | undefined;
  readonly fiscalYear: { start: IsoDate; end: IsoDate };
  readonly accounts: ReadonlyArray<{ account: string; name: string }>;
  readonly dimensions: ReadonlyArray<{ dimension: string; name: string }>;
  readonly objects: ReadonlyArray<{ dimension: string; object: string; name: string }>;
  readonly series: string;
  readonly verifications: readonly SieOutVerification[];
}

function sieDate(date: IsoDate): string {
  return date.replaceAll('-', '');
}

function objectList(objects: readonly SieObjectRef[]): string {
  return `{${objects.map((ref) => `${ref.dimension} ${quoteField(ref.object)}`).join(' ')}}`;
}

/** The file's lines, CRLF-terminated as DOS-born SIE readers expect. */
export function writeSie(file: SieOutFile): string {
  const lines: string[] = [
    '#FLAGGA 0',
    `#PROGRAM ${quoteField(file.program.name)} ${quoteField(file.program.version)}`,
    '#FORMAT PC8',
    `#GEN ${sieDate(file.generatedOn)}`,
    '#SIETYP 4',
  ];
  if (file.companyName !== undefined) lines.push(`#FNAMN ${quoteField(file.companyName)}`);
  if (file.orgnr !== undefined) lines.push(`#ORGNR ${file.orgnr}`);
  lines.push(`#RAR 0 ${sieDate(file.fiscalYear.start)} ${sieDate(file.fiscalYear.end)}`);
  for (const { account, name } of file.accounts) lines.push(`#KONTO ${account} ${quoteField(name)}`);
  for (const { dimension, name } of file.dimensions) lines.push(`#DIM ${dimension} ${quoteField(name)}`);
  for (const { dimension, object, name } of file.objects) lines.push(`#OBJEKT ${dimension} ${quoteField(object)} ${quoteField(name)}`);
  for (const [index, verification] of file.verifications.entries()) {
    const total = verification.transactions.reduce<Decimal>((sum, transaction) => sum.plus(transaction.amount), ZERO);
    if (!total.isZero()) throw new Error(`invariant violated: verification ${index + 1} (${verification.text}) does not balance (${formatMoney(total)})`);
    lines.push(`#VER ${quoteField(file.series)} ${index + 1} ${sieDate(verification.date)} ${quoteField(verification.text)}`, '{');
    for (const transaction of verification.transactions) {
      lines.push(`   #TRANS ${transaction.account} ${objectList(transaction.objects)} ${formatMoney(transaction.amount)}`);
    }
    lines.push('}');
  }
  return `${lines.join('\r\n')}\r\n`;
}
