import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsoDate, NonNegativeAmount, Period, PositiveAmount, SignedAmount, SignedNonZeroAmount } from '../../src/domain/schema.js';
import { checkMoney, formatMoney, formatOre, money, oreOf } from '../../src/domain/money.js';

const SCHEMAS = { PositiveAmount, NonNegativeAmount, SignedAmount, SignedNonZeroAmount } as const;
const ALL = Object.entries(SCHEMAS);

/** The rule code the money schema attached to its first issue, so a refusal says why. */
function ruleOf(result: { success: boolean; error?: { issues: ReadonlyArray<object> } }): unknown {
  const issue = result.error?.issues[0] as { params?: { rule?: string } } | undefined;
  return issue?.params?.rule;
}

describe('money schemas', () => {
  describe.each(ALL)('%s', (_name, schema) => {
    it.each([
      ['8000000', '8000000.00'],
      ['8000000.5', '8000000.50'],
      ['8000000.05', '8000000.05'],
      ['0007', '7.00'],
      ['9999999999999.99', '9999999999999.99'],
    ])('normalises %j to %j', (input, expected) => {
      expect(schema.parse(input)).toBe(expected);
    });

    it.each([8000000, 8000000.5, 0, null, undefined, true, {}])('refuses the non-string %j', (input) => {
      expect(schema.safeParse(input).success).toBe(false);
    });

    it.each(['1.005', '0.001', '8000000.123'])('refuses %j for its third decimal', (input) => {
      const result = schema.safeParse(input);
      expect(result.success).toBe(false);
      expect(ruleOf(result)).toBe('AMOUNT_HAS_MORE_THAN_TWO_DECIMALS');
    });

    it.each(['1e5', '1E5', '+5', ' 5', '5 ', '', '5.', '.5', '5,00', '1_000', '0x10', 'NaN', 'Infinity', '5\n', '٥'])(
      'refuses %j as not a decimal string',
      (input) => {
        const result = schema.safeParse(input);
        expect(result.success).toBe(false);
        expect(ruleOf(result)).toBe('AMOUNT_MUST_BE_A_DECIMAL_STRING');
      },
    );

    it.each(['10000000000000', '10000000000000.00', '99999999999999', '-10000000000000'])('refuses %j as 10^13 or more', (input) => {
      const result = schema.safeParse(input);
      expect(result.success).toBe(false);
      expect(ruleOf(result)).toBe('AMOUNT_MUST_BE_BELOW_10_POW_13');
    });
  });

  describe('signs', () => {
    it.each([
      ['PositiveAmount', '0', 'AMOUNT_MUST_BE_POSITIVE'],
      ['PositiveAmount', '0.00', 'AMOUNT_MUST_BE_POSITIVE'],
      ['PositiveAmount', '-0', 'AMOUNT_MUST_BE_POSITIVE'],
      ['PositiveAmount', '-0.01', 'AMOUNT_MUST_BE_POSITIVE'],
      ['NonNegativeAmount', '-0.01', 'AMOUNT_MUST_NOT_BE_NEGATIVE'],
      ['NonNegativeAmount', '-5', 'AMOUNT_MUST_NOT_BE_NEGATIVE'],
      ['SignedNonZeroAmount', '0', 'AMOUNT_MUST_NOT_BE_ZERO'],
      ['SignedNonZeroAmount', '0.00', 'AMOUNT_MUST_NOT_BE_ZERO'],
      ['SignedNonZeroAmount', '-0.00', 'AMOUNT_MUST_NOT_BE_ZERO'],
    ] as const)('%s refuses %j with %s', (name, input, rule) => {
      const result = SCHEMAS[name].safeParse(input);
      expect(result.success).toBe(false);
      expect(ruleOf(result)).toBe(rule);
    });

    it.each([
      ['PositiveAmount', '0.01', '0.01'],
      ['NonNegativeAmount', '0', '0.00'],
      ['NonNegativeAmount', '-0.00', '0.00'],
      ['SignedAmount', '0', '0.00'],
      ['SignedAmount', '-0.00', '0.00'],
      ['SignedAmount', '-0.01', '-0.01'],
      ['SignedAmount', '-9999999999999.99', '-9999999999999.99'],
      ['SignedNonZeroAmount', '-250000', '-250000.00'],
      ['SignedNonZeroAmount', '0.01', '0.01'],
    ] as const)('%s accepts %j as %j', (name, input, expected) => {
      expect(SCHEMAS[name].parse(input)).toBe(expected);
    });
  });

  it('checkMoney and formatMoney agree with the schemas on the limit', () => {
    expect(checkMoney('9999999999999.99', 'positive')).toBeNull();
    expect(checkMoney('10000000000000', 'signed')).toBe('AMOUNT_MUST_BE_BELOW_10_POW_13');
    expect(formatMoney(money('-0'))).toBe('0.00');
    expect(formatMoney(money('0.1').plus('0.2'))).toBe('0.30');
  });
});

describe('dates', () => {
  it.each(['2020-02-29', '2021-02-28', '2020-12-31', '2021-01-01'])('IsoDate accepts %j', (input) => {
    expect(IsoDate.parse(input)).toBe(input);
  });

  it.each(['2021-02-29', '2020-13-01', '2020-00-10', '2020-04-31', '2020-01-00', '2020-1-01', '20200101', '2020-01-01T00:00:00Z', ''])(
    'IsoDate refuses %j',
    (input) => {
      expect(IsoDate.safeParse(input).success).toBe(false);
    },
  );

  it('IsoDate refuses a non-string', () => {
    expect(IsoDate.safeParse(20200101).success).toBe(false);
  });

  it.each([
    ['2020-01', true],
    ['2020-12', true],
    ['2020-00', false],
    ['2020-13', false],
    ['2020-1', false],
    ['2020-01-01', false],
  ])('Period %j valid: %s', (input, valid) => {
    expect(Period.safeParse(input).success).toBe(valid);
  });
});

describe('sums beyond one amount', () => {
  it('stay exact to the öre far past 20 significant digits', () => {
    const total = money('9999999999999.99').times(100_000_000).plus(money('0.01'));
    expect(formatMoney(total)).toBe('999999999999999000000.01');
  });
});

describe('money in whole öre', () => {
  it.each([
    [0n, '0.00'],
    [1n, '0.01'],
    [-1n, '-0.01'],
    [10n, '0.10'],
    [-99n, '-0.99'],
    [100n, '1.00'],
    [800000000n, '8000000.00'],
    [-3000000000n, '-30000000.00'],
    [99999999999999999999999n, '999999999999999999999.99'],
  ])('%s öre is %s, as formatMoney writes it', (ore, text) => {
    expect(formatOre(ore)).toBe(text);
    expect(formatMoney(money(text))).toBe(text);
    expect(oreOf(text)).toBe(ore);
  });

  it('formats any öre as formatMoney formats the same amount, and reads back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }), (ore) => {
        const text = formatOre(ore);
        expect(text).toBe(formatMoney(money(ore.toString()).dividedBy(100)));
        expect(oreOf(text)).toBe(ore);
      }),
      { numRuns: 2000 },
    );
  });
});
