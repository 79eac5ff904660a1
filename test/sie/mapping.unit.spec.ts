import { describe, expect, it } from 'vitest';
import { AccountClassifier, MappingError, parseMapping, parseMappingText } from '../../src/sie/mapping.js';

const valid = {
  committee: { dimension: '1', objects: { '5100': 'socialnamnden' } },
  activity: { dimension: '20' },
  grant: { dimension: '6', objects: { 'TVV-SEG-2021': 'tvv-seg-2021' } },
  accounts: { costs: ['4000-7999'], revenues: ['3000-3999'], ignore: ['1000-2999', '8000-8999'] },
};

function problemsOf(json: unknown): Array<{ path: string; message: string }> {
  try {
    parseMapping(json);
  } catch (error) {
    if (error instanceof MappingError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('the SIE mapping', () => {
  it('parses the shape of the issue, ignore defaulting to none', () => {
    expect(parseMapping(valid).accounts.costs).toEqual(['4000-7999']);
    expect(parseMapping({ ...valid, accounts: { costs: ['4010'], revenues: [] } }).accounts.ignore).toEqual([]);
  });

  it('names the path of each mistake', () => {
    expect(problemsOf({ ...valid, accounts: { ...valid.accounts, costs: ['4000-79x9'] } })).toEqual([
      { path: 'accounts.costs.0', message: 'must be an account such as "4010" or a range such as "4000-7999"' },
    ]);
    expect(problemsOf({ ...valid, accounts: { ...valid.accounts, revenues: ['3999-3000'] } })).toEqual([
      { path: 'accounts.revenues.0', message: 'a range must run from the lower account to the higher, e.g. "4000-7999"' },
    ]);
    expect(problemsOf({ ...valid, committee: { dimension: '1', objects: { '5100': 'Socialnämnden' } } })[0]!.path).toBe('committee.objects.5100');
    expect(problemsOf({ ...valid, grant: { dimension: '6', objects: {} }, extra: 1 })).toEqual([{ path: 'extra', message: 'unknown field: extra' }]);
    expect(problemsOf({ ...valid, activity: { dimension: '20', objects: { '410': 'ifo' } } })[0]!.path).toBe('activity.objects.410');
    expect(() => parseMappingText('{ not json')).toThrow(/the mapping is not valid: \(the mapping\): not JSON/);
  });

  it('refuses an account in two lists, naming both entries', () => {
    expect(problemsOf({ ...valid, accounts: { costs: ['4000-7999'], revenues: ['3000-4010'], ignore: [] } })).toEqual([
      { path: 'accounts.revenues.0', message: 'overlaps accounts.costs.0 ("4000-7999"): an account may be in one list only' },
    ]);
  });

  it('classifies accounts by single entries and inclusive ranges; others are unmatched', () => {
    const classifier = new AccountClassifier(parseMapping({ ...valid, accounts: { costs: ['4000-7999', '8410'], revenues: ['3000-3999'], ignore: ['1000-2999'] } }).accounts);
    expect(['4000', '7999', '8410', '3000', '1930', '8000', '9990', '0399'].map((account) => classifier.classify(account))).toEqual([
      'costs', 'costs', 'costs', 'revenues', 'ignore', null, null, null,
    ]);
  });
});
