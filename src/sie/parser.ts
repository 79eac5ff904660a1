import { Decimal } from 'decimal.js';
import { isIsoDate, type IsoDate } from '../domain/dates.js';
import type { Money } from '../domain/money.js';
import { SieSyntaxError, tokenizeLine, type SieField } from './lineTokens.js';

/**
 * The SIE 4 file as the ledger reads it, without I/O: lines go in one at a time (push), and
 * verifications come out as soon as their block closes, so a file of any size is read in memory
 * bounded by its longest verification and its chart of accounts.
 * Glossary: verifikation = voucher (a balanced set of transactions); serie = voucher series;
 * konto = account; dimension/objekt = cost-accounting dimension and its objects (ansvar,
 * verksamhet, projekt); RAR (räkenskapsår) = fiscal year, 0 the current, -1 the one before.
 */

/** An object of a dimension, as a transaction's object list names it: {1 "5100"}. */
export interface SieObjectRef {
  readonly dimension: string;
  readonly object: string;
}

export interface SieTransaction {
  /** The line of the file, counted from 1. */
  readonly line: number;
  readonly account: string;
  readonly objects: readonly SieObjectRef[];
  /** Debit positive, credit negative, as SIE writes it. */
  readonly amount: Money;
  /** transdat, when the transaction has a date of its own. */
  readonly date: IsoDate | null;
  readonly text: string | null;
}

export interface SieVerification {
  readonly line: number;
  readonly series: string;
  readonly number: string;
  readonly date: IsoDate;
  readonly text: string | null;
  /** The transactions that count: #TRANS and #RTRANS, without the #TRANS copy of an #RTRANS. */
  readonly transactions: readonly SieTransaction[];
  /** #BTRANS: transactions removed after registration; they do not count. */
  readonly removed: readonly SieTransaction[];
}

export interface SieFiscalYear {
  /** 0 is the year of the file, -1 the year before. */
  readonly index: number;
  readonly start: IsoDate;
  readonly end: IsoDate;
}

/** A balance line: #IB and #UB (balance sheet accounts), #RES (result accounts). */
export interface SieBalance {
  readonly label: 'IB' | 'UB' | 'RES';
  readonly yearIndex: number;
  readonly account: string;
  readonly amount: Money;
}

/** What the file says about itself and its accounts, read before its verifications. */
export interface SieHeader {
  flag: string | null;
  program: { name: string; version: string | null } | null;
  format: string | null;
  generated: { date: IsoDate; by: string | null } | null;
  sieType: string | null;
  companyName: string | null;
  orgnr: string | null;
  chartType: string | null;
  currency: string | null;
  readonly fiscalYears: SieFiscalYear[];
  readonly accounts: Map<string, { name: string; type: string | null }>;
  readonly dimensions: Map<string, { name: string; parent: string | null }>;
  /** Object names by "dimension/object". */
  readonly objects: Map<string, string>;
  readonly balances: SieBalance[];
}

/** A line the reader cannot accept: the file is refused, and this says where and why. */
export interface SieProblem {
  readonly line: number;
  readonly reason: string;
}

/** A label outside what the reader interprets: kept (first lines) and reported, never an error. */
export interface SieUnknownLabel {
  readonly label: string;
  readonly count: number;
  readonly firstLine: number;
}

/**
 * Labels of the SIE 4 standard that the ledger does not need: read past without a word. Anything
 * else unknown is reported.
 */
const KNOWN_UNUSED = new Set(['#ADRESS', '#BKOD', '#FNR', '#FTYP', '#KSUMMA', '#OMFATTN', '#PROSA', '#SRU', '#TAXAR', '#PSALDO', '#PBUDGET', '#OIB', '#OUB', '#ENHET', '#KTYP']);

const AMOUNT = /^-?\d{1,13}(\.\d{1,2})?$/;

/** Stops after this many problems: a file that bad is refused anyway, and the list stays readable. */
export const MAX_PROBLEMS = 100;

class LineProblem extends Error {}

function textOf(field: SieField | undefined): string | null {
  if (field === undefined) return null;
  if (field.kind !== 'text') throw new LineProblem('expected a field, found an object list {…}');
  return field.text;
}

function required(fields: readonly SieField[], index: number, what: string): string {
  const text = textOf(fields[index]);
  if (text === null || text === '') throw new LineProblem(`${what} is missing`);
  return text;
}

function optional(fields: readonly SieField[], index: number): string | null {
  const text = textOf(fields[index]);
  return text === null || text === '' ? null : text;
}

/** SIE amounts: a point for decimals, at most two, a leading minus; straight to decimal.js. */
export function parseSieAmount(text: string): Money {
  if (!AMOUNT.test(text)) {
    throw new LineProblem(`malformed amount "${text}": expected digits with a point and at most two decimals, e.g. -1234.50`);
  }
  // At most 13 digits before the point: always below 10^13 (MONEY_LIMIT).
  return new Decimal(text);
}

/** Dates repeat across a file's lines; checked once each. */
const knownDates = new Map<string, IsoDate>();

/** SIE dates are YYYYMMDD. */
export function parseSieDate(text: string): IsoDate {
  const known = knownDates.get(text);
  if (known !== undefined) return known;
  const iso = /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` : '';
  if (!isIsoDate(iso)) throw new LineProblem(`malformed date "${text}": expected a calendar date YYYYMMDD`);
  if (knownDates.size >= 10_000) knownDates.clear();
  knownDates.set(text, iso);
  return iso;
}

function objectsOf(field: SieField | undefined): SieObjectRef[] {
  if (field === undefined || field.kind !== 'list') throw new LineProblem('expected an object list {…} after the account (write {} when there is none)');
  if (field.items.length % 2 !== 0) throw new LineProblem('an object list holds pairs of dimension and object');
  const objects: SieObjectRef[] = [];
  for (let index = 0; index < field.items.length; index += 2) objects.push({ dimension: field.items[index]!, object: field.items[index + 1]! });
  return objects;
}

interface OpenVerification {
  readonly line: number;
  readonly series: string;
  readonly number: string;
  readonly date: IsoDate;
  readonly text: string | null;
  blockOpened: boolean;
  readonly transactions: SieTransaction[];
  readonly removed: SieTransaction[];
  /** The fields of the last #RTRANS, whose #TRANS copy for older readers follows it. */
  pendingCopyOf: string | null;
  broken: boolean;
}

export function emptyHeader(): SieHeader {
  return {
    flag: null,
    program: null,
    format: null,
    generated: null,
    sieType: null,
    companyName: null,
    orgnr: null,
    chartType: null,
    currency: null,
    fiscalYears: [],
    accounts: new Map(),
    dimensions: new Map(),
    objects: new Map(),
    balances: [],
  };
}

export class SieParser {
  readonly header: SieHeader = emptyHeader();
  readonly problems: SieProblem[] = [];
  private readonly unknown = new Map<string, SieUnknownLabel>();
  private open: OpenVerification | null = null;
  private lineNumber = 0;
  /** Verifications read, each counted once whether or not it was well formed. */
  verificationsRead = 0;

  get unknownLabels(): SieUnknownLabel[] {
    return [...this.unknown.values()];
  }

  /** Takes the next line; returns a verification when this line closed one, well formed. */
  push(rawLine: string): SieVerification | null {
    this.lineNumber += 1;
    const line = this.lineNumber;
    try {
      return this.accept(rawLine, line);
    } catch (error) {
      if (error instanceof LineProblem || error instanceof SieSyntaxError) {
        this.problem(line, error.message);
        if (this.open) this.open.broken = true;
        return null;
      }
      throw error;
    }
  }

  /** The file ended: a verification still open is a problem. */
  end(): void {
    if (this.open) this.problem(this.open.line, `the verification ${this.labelOf(this.open)} is not closed with } before the end of the file`);
    this.open = null;
  }

  private problem(line: number, reason: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, reason });
  }

  private labelOf(verification: { series: string; number: string }): string {
    return `${verification.series} ${verification.number}`.trim();
  }

  private accept(rawLine: string, line: number): SieVerification | null {
    const tokens = tokenizeLine(rawLine);
    const open = this.open;
    if (tokens.kind === 'blank') return null;
    if (tokens.kind === 'open') {
      if (!open || open.blockOpened) throw new LineProblem('{ opens a verification block only right after its #VER');
      open.blockOpened = true;
      return null;
    }
    if (tokens.kind === 'close') {
      if (!open || !open.blockOpened) throw new LineProblem('} without an open verification block');
      this.open = null;
      return this.closed(open);
    }
    const { label, fields } = tokens;
    if (open && !open.blockOpened) {
      open.broken = true;
      this.open = null;
      this.problem(open.line, `the verification ${this.labelOf(open)} has no block: { must follow its #VER`);
    }
    if (label === '#TRANS' || label === '#RTRANS' || label === '#BTRANS') {
      if (!this.open) throw new LineProblem(`${label} outside a verification: it must stand between the { and } after a #VER`);
      return this.transaction(this.open, label, fields, line);
    }
    if (this.open) {
      if (label === '#VER') throw new LineProblem(`#VER inside the verification ${this.labelOf(this.open)}: close it with } first`);
      this.noteUnknown(label, line);
      return null;
    }
    this.headerLine(label, fields, line);
    return null;
  }

  private transaction(open: OpenVerification, label: string, fields: readonly SieField[], line: number): null {
    const compare = label === '#RTRANS' || (label === '#TRANS' && open.pendingCopyOf !== null);
    const signature = compare ? JSON.stringify(fields) : null;
    if (label === '#TRANS' && open.pendingCopyOf !== null && open.pendingCopyOf === signature) {
      // The #TRANS that repeats an #RTRANS for readers older than SIE 4B: the same transaction.
      open.pendingCopyOf = null;
      return null;
    }
    open.pendingCopyOf = label === '#RTRANS' ? signature : null;
    const account = required(fields, 0, 'the account');
    if (!/^\d{1,10}$/.test(account)) throw new LineProblem(`the account "${account}" is not a number`);
    const objects = objectsOf(fields[1]);
    const amount = parseSieAmount(required(fields, 2, 'the amount'));
    const dateText = optional(fields, 3);
    const transaction: SieTransaction = {
      line,
      account,
      objects,
      amount,
      date: dateText === null ? null : parseSieDate(dateText),
      text: optional(fields, 4),
    };
    const quantity = optional(fields, 5);
    if (quantity !== null && !/^-?\d+(\.\d+)?$/.test(quantity)) throw new LineProblem(`malformed quantity "${quantity}"`);
    if (label === '#BTRANS') open.removed.push(transaction);
    else open.transactions.push(transaction);
    return null;
  }

  private closed(open: OpenVerification): SieVerification | null {
    this.verificationsRead += 1;
    if (open.broken) return null;
    let total = new Decimal(0);
    for (const transaction of open.transactions) total = total.plus(transaction.amount);
    if (!total.isZero()) {
      this.problem(open.line, `the verification ${this.labelOf(open)} does not balance: its transactions sum to ${total.toFixed(2)}, not 0.00`);
      return null;
    }
    return { line: open.line, series: open.series, number: open.number, date: open.date, text: open.text, transactions: open.transactions, removed: open.removed };
  }

  private noteUnknown(label: string, line: number): void {
    if (KNOWN_UNUSED.has(label)) return;
    const seen = this.unknown.get(label);
    if (seen) this.unknown.set(label, { ...seen, count: seen.count + 1 });
    else if (this.unknown.size < MAX_PROBLEMS) this.unknown.set(label, { label, count: 1, firstLine: line });
  }

  private headerLine(label: string, fields: readonly SieField[], line: number): void {
    const header = this.header;
    switch (label) {
      case '#FLAGGA':
        header.flag = required(fields, 0, 'the flag');
        return;
      case '#PROGRAM':
        header.program = { name: required(fields, 0, 'the program name'), version: optional(fields, 1) };
        return;
      case '#FORMAT': {
        const format = required(fields, 0, 'the format');
        if (format.toUpperCase() !== 'PC8') throw new LineProblem(`#FORMAT ${format} is not SIE 4: the only format is PC8 (IBM code page 437)`);
        header.format = 'PC8';
        return;
      }
      case '#GEN':
        header.generated = { date: parseSieDate(required(fields, 0, 'the date')), by: optional(fields, 1) };
        return;
      case '#SIETYP':
        header.sieType = required(fields, 0, 'the SIE type');
        return;
      case '#FNAMN':
        header.companyName = required(fields, 0, 'the company name');
        return;
      case '#ORGNR':
        header.orgnr = required(fields, 0, 'the organisation number');
        return;
      case '#KPTYP':
        header.chartType = required(fields, 0, 'the chart type');
        return;
      case '#VALUTA':
        header.currency = required(fields, 0, 'the currency');
        return;
      case '#RAR': {
        const index = Number(required(fields, 0, 'the year index'));
        if (!Number.isInteger(index) || index > 0) throw new LineProblem('the year index of #RAR is 0 or negative');
        const start = parseSieDate(required(fields, 1, 'the first day'));
        const end = parseSieDate(required(fields, 2, 'the last day'));
        if (end < start) throw new LineProblem('the fiscal year ends before it starts');
        header.fiscalYears.push({ index, start, end });
        return;
      }
      case '#KONTO': {
        const account = required(fields, 0, 'the account');
        header.accounts.set(account, { name: textOf(fields[1]) ?? '', type: header.accounts.get(account)?.type ?? null });
        return;
      }
      case '#KTYP': {
        const account = required(fields, 0, 'the account');
        header.accounts.set(account, { name: header.accounts.get(account)?.name ?? '', type: required(fields, 1, 'the account type') });
        return;
      }
      case '#DIM':
        header.dimensions.set(required(fields, 0, 'the dimension'), { name: textOf(fields[1]) ?? '', parent: null });
        return;
      case '#UNDERDIM':
        header.dimensions.set(required(fields, 0, 'the dimension'), { name: textOf(fields[1]) ?? '', parent: required(fields, 2, 'the parent dimension') });
        return;
      case '#OBJEKT':
        header.objects.set(`${required(fields, 0, 'the dimension')}/${required(fields, 1, 'the object')}`, textOf(fields[2]) ?? '');
        return;
      case '#IB':
      case '#UB':
      case '#RES': {
        const yearIndex = Number(required(fields, 0, 'the year index'));
        if (!Number.isInteger(yearIndex)) throw new LineProblem('the year index is not a whole number');
        header.balances.push({ label: label.slice(1) as SieBalance['label'], yearIndex, account: required(fields, 1, 'the account'), amount: parseSieAmount(required(fields, 2, 'the amount')) });
        return;
      }
      case '#VER':
        this.open = this.verification(fields, line);
        return;
      default:
        this.noteUnknown(label, line);
    }
  }

  private verification(fields: readonly SieField[], line: number): OpenVerification {
    const series = textOf(fields[0]) ?? '';
    const number = textOf(fields[1]) ?? '';
    const open: OpenVerification = {
      line,
      series,
      number,
      date: '0000-00-00',
      text: null,
      blockOpened: false,
      transactions: [],
      removed: [],
      pendingCopyOf: null,
      broken: false,
    };
    // The verification is open before its own fields are judged, so its block is read (and its
    // lines skipped) even when the #VER line itself is refused.
    this.open = open;
    if (number === '') throw new LineProblem('the #VER has no number: each verification is identified by its series and number');
    const date = parseSieDate(required(fields, 2, 'the verification date'));
    const verification = { ...open, date, text: optional(fields, 3) };
    return verification;
  }
}
