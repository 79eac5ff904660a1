import { Decimal } from 'decimal.js';

/**
 * Money is SEK held as an exact decimal. On every boundary (JSON, events, the database)
 * it is a string with two decimals, e.g. "8000000.00"; inside it is a Decimal. Never a JS number.
 */
export type Money = Decimal;

/**
 * decimal.js rounds every result to 20 significant digits by default. Single amounts are below
 * 10^13 with two decimals (15 digits), but sums over many of them are not bounded, so the ledger
 * keeps 40: exact for any total it could ever hold.
 */
Decimal.set({ precision: 40 });

export const MONEY_LIMIT = new Decimal('1e13');
export const ZERO: Money = new Decimal(0);

/** Digits with at most two decimals, optionally signed. No exponents, no spaces, no "+". */
const MONEY_PATTERN = /^-?\d+(\.\d{1,2})?$/;

export type MoneySign = 'positive' | 'nonNegative' | 'signed' | 'signedNonZero';

export type MoneyProblem =
  | 'AMOUNT_MUST_BE_A_DECIMAL_STRING'
  | 'AMOUNT_HAS_MORE_THAN_TWO_DECIMALS'
  | 'AMOUNT_MUST_BE_BELOW_10_POW_13'
  | 'AMOUNT_MUST_BE_POSITIVE'
  | 'AMOUNT_MUST_NOT_BE_NEGATIVE'
  | 'AMOUNT_MUST_NOT_BE_ZERO';

const PROBLEM_MESSAGES: Record<MoneyProblem, string> = {
  AMOUNT_MUST_BE_A_DECIMAL_STRING: 'must be a decimal string such as "8000000.00"',
  AMOUNT_HAS_MORE_THAN_TWO_DECIMALS: 'must have at most two decimals',
  AMOUNT_MUST_BE_BELOW_10_POW_13: 'must be below 10^13 in absolute value',
  AMOUNT_MUST_BE_POSITIVE: 'must be greater than zero',
  AMOUNT_MUST_NOT_BE_NEGATIVE: 'must not be negative',
  AMOUNT_MUST_NOT_BE_ZERO: 'must not be zero',
};

export function moneyProblemMessage(problem: MoneyProblem): string {
  return PROBLEM_MESSAGES[problem];
}

/** Checks a money string; returns the problem, or null when it is acceptable for the sign. */
export function checkMoney(text: string, sign: MoneySign): MoneyProblem | null {
  if (!MONEY_PATTERN.test(text)) {
    return /^-?\d+\.\d{3,}$/.test(text) ? 'AMOUNT_HAS_MORE_THAN_TWO_DECIMALS' : 'AMOUNT_MUST_BE_A_DECIMAL_STRING';
  }
  const value = new Decimal(text);
  if (value.abs().gte(MONEY_LIMIT)) return 'AMOUNT_MUST_BE_BELOW_10_POW_13';
  if (sign === 'positive' && !value.gt(0)) return 'AMOUNT_MUST_BE_POSITIVE';
  if (sign === 'nonNegative' && value.isNeg() && !value.isZero()) return 'AMOUNT_MUST_NOT_BE_NEGATIVE';
  if (sign === 'signedNonZero' && value.isZero()) return 'AMOUNT_MUST_NOT_BE_ZERO';
  return null;
}

/**
 * Parses a string already known to be valid money (events, the database). Amounts repeat a lot
 * (installments, standard sums) and a Decimal is immutable, so parsed values are shared; the
 * cache is bounded and simply starts over when full.
 */
const PARSED_LIMIT = 50_000;
const parsed = new Map<string, Money>();
export function money(text: string): Money {
  let value = parsed.get(text);
  if (value === undefined) {
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    value = new Decimal(text);
    parsed.set(text, value);
  }
  return value;
}

/** The canonical boundary form: two decimals, "-0.00" normalised to "0.00". */
export function formatMoney(value: Money): string {
  return value.isZero() ? '0.00' : value.toFixed(2);
}

/**
 * Money as a whole number of öre in a BigInt: as exact as a Decimal (never a JS number), and
 * adding two costs a small fraction of a Decimal operation. For the read model's indexes, which
 * add up the same amounts for ten thousand grants in every historical report; everything else
 * keeps Money.
 */
export type Ore = bigint;

/** The öre of a string already known to be valid money (at most two decimals). */
export function oreOf(text: string): Ore {
  const dot = text.indexOf('.');
  if (dot < 0) return BigInt(text) * 100n;
  const decimals = text.slice(dot + 1);
  return BigInt(text.slice(0, dot) + (decimals.length === 1 ? `${decimals}0` : decimals));
}

/**
 * oreOf for amounts read from events, shared as money() shares its Decimals: a fold adds the same
 * few amounts (installments, standard sums) a million times. Bounded; starts over when full.
 */
const parsedOre = new Map<string, Ore>();
export function moneyOre(text: string): Ore {
  let value = parsedOre.get(text);
  if (value === undefined) {
    if (parsedOre.size >= PARSED_LIMIT) parsedOre.clear();
    value = oreOf(text);
    parsedOre.set(text, value);
  }
  return value;
}

/** Money of a whole number of öre (a sum a fold made in öre), as a Decimal of its own: sums are not shared. */
export function moneyOfOre(ore: Ore): Money {
  return new Decimal(formatOre(ore));
}

/** The boundary form of öre, as formatMoney gives it: two decimals, zero unsigned. */
export function formatOre(ore: Ore): string {
  if (ore === 0n) return '0.00';
  // One conversion to digits and a dot put in: no BigInt division (reports format thousands).
  const digits = (ore < 0n ? -ore : ore).toString().padStart(3, '0');
  return `${ore < 0n ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

export function sum(values: Iterable<Money>): Money {
  let total = ZERO;
  for (const value of values) total = total.plus(value);
  return total;
}

