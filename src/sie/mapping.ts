import { z } from 'zod';
import { ActivityCode, CommitteeSlug, EntityId } from '../domain/schema.js';

/**
 * How a municipality's books map onto the ledger: which dimension holds the committee (nämnd,
 * often "ansvar"), the activity (verksamhet) and the grant (projekt or a dimension of its own),
 * and which accounts are costs, revenues or of no interest. Written by the ekonom once per chart
 * of accounts; parsed with zod so a mistake names its path ("accounts.costs.0").
 */

/** A single account "4010" or a range "4000-7999", both ends included. */
const AccountEntry = z
  .string({ error: 'must be an account such as "4010" or a range such as "4000-7999"' })
  .regex(/^\d{1,10}(-\d{1,10})?$/, 'must be an account such as "4010" or a range such as "4000-7999"')
  .refine((text) => {
    const [from, to] = text.split('-');
    return !/^\d{1,10}(-\d{1,10})?$/.test(text) || to === undefined || Number(from) <= Number(to);
  }, 'a range must run from the lower account to the higher, e.g. "4000-7999"');

const Dimension = z.string({ error: 'must be a dimension number such as "1"' }).regex(/^[A-Za-z0-9_-]{1,20}$/, 'must be a dimension number such as "1"');
const ObjectId = z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const Account = z.string({ error: 'must be an account such as "1930"' }).regex(/^\d{1,10}$/, 'must be an account such as "1930"');

export const ExportMapping = z.strictObject({
  /** The voucher series the ledger's own verifications are written in, e.g. "S". */
  series: z.string().regex(/^[A-Za-z0-9]{1,10}$/, 'must be 1–10 letters or digits').default('S'),
  orgnr: z.string().regex(/^[0-9-]{6,20}$/, 'must be an organisation number such as 212000-1355').optional(),
  companyName: z.string().min(1).max(200).optional(),
  accounts: z.strictObject({
    /** Bank (Kommun-Bas 1930). */
    bank: Account,
    /** Prepaid grant income, a liability (förutbetalda intäkter, e.g. 2971). */
    prepaidIncome: Account,
    /** Grant revenue (statsbidrag, e.g. 3510). */
    grantRevenue: Account,
  }),
});

export const SieMapping = z
  .strictObject({
    committee: z.strictObject({ dimension: Dimension, objects: z.record(ObjectId, CommitteeSlug) }),
    activity: z.strictObject({
      dimension: Dimension,
      /** Object → activity code; without it the object itself must be an activity code such as IFO. */
      objects: z.record(ObjectId, ActivityCode).optional(),
    }),
    grant: z.strictObject({ dimension: Dimension, objects: z.record(ObjectId, EntityId) }),
    accounts: z.strictObject({
      costs: z.array(AccountEntry),
      revenues: z.array(AccountEntry),
      ignore: z.array(AccountEntry).default([]),
    }),
    export: ExportMapping.optional(),
  })
  .superRefine((mapping, ctx) => {
    // An account in two lists would be counted twice or not at all: say which entries collide.
    const lists = ['costs', 'revenues', 'ignore'] as const;
    const ranges = lists.flatMap((list) => mapping.accounts[list].map((entry, index) => ({ list, index, ...rangeOf(entry) })));
    for (const [i, a] of ranges.entries()) {
      for (const b of ranges.slice(i + 1)) {
        if (a.list !== b.list && a.from <= b.to && b.from <= a.to) {
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', b.list, b.index],
            message: `overlaps accounts.${a.list}.${a.index} ("${mapping.accounts[a.list][a.index]}"): an account may be in one list only`,
          });
        }
      }
    }
  });

export type SieMapping = z.output<typeof SieMapping>;
export type ExportMapping = z.output<typeof ExportMapping>;

function rangeOf(entry: string): { from: number; to: number } {
  const [from, to] = entry.split('-');
  return { from: Number(from), to: Number(to ?? from) };
}

/** A mapping that does not parse: each problem with its path, e.g. "accounts.costs.0: …". */
export class MappingError extends Error {
  override readonly name = 'MappingError';
  constructor(readonly problems: ReadonlyArray<{ path: string; message: string }>) {
    super(`the mapping is not valid: ${problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`);
  }
}

export function parseMapping(json: unknown): SieMapping {
  const parsed = SieMapping.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new MappingError(
    parsed.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const path = [...issue.path.map(String), ...(keys.length === 1 ? keys : [])].join('.');
      return { path: path === '' ? '(the mapping)' : path, message: issue.code === 'unrecognized_keys' ? `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` : issue.message };
    }),
  );
}

/** Parses the mapping's text; malformed JSON is a MappingError too. */
export function parseMappingText(text: string): SieMapping {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MappingError([{ path: '(the mapping)', message: `not JSON: ${(error as Error).message}` }]);
  }
  return parseMapping(json);
}

export type AccountClass = 'costs' | 'revenues' | 'ignore';

/** Classifies accounts by the mapping's lists; an account in none is unmatched (null). Pure. */
export class AccountClassifier {
  private readonly ranges: Array<{ from: number; to: number; list: AccountClass }>;
  private readonly cache = new Map<string, AccountClass | null>();

  constructor(accounts: SieMapping['accounts']) {
    this.ranges = (['costs', 'revenues', 'ignore'] as const).flatMap((list) => accounts[list].map((entry) => ({ ...rangeOf(entry), list })));
  }

  classify(account: string): AccountClass | null {
    let found = this.cache.get(account);
    if (found === undefined) {
      const number = Number(account);
      found = this.ranges.find((range) => number >= range.from && number <= range.to)?.list ?? null;
      if (this.cache.size < 100_000) this.cache.set(account, found);
    }
    return found;
  }
}
