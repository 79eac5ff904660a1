import { z } from 'zod';

/**
 * Who may do what. ekonom: registers and reads; revisor (elected auditor): reads only;
 * admin: issues and revokes tokens. Tokens live in the `tokens` stream, stored only as SHA-256
 * hashes: TokenIssued gives one out, TokenRevoked takes it back.
 */
export const Role = z.enum(['ekonom', 'revisor', 'admin'], { error: 'must be "ekonom", "revisor" or "admin"' });
export type Role = z.infer<typeof Role>;

export const TokenName = z
  .string({ error: 'must be a name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1–64 characters of letters, digits, ".", "_", "@" and "-"');

/**
 * Names that would pass for the ledger itself in the log's actor field. `admin` is the token from
 * LEDGER_ADMIN_TOKEN (or the one-time token of a fresh store), given out only by the server.
 */
export const RESERVED_TOKEN_NAMES: ReadonlySet<string> = new Set(['system', 'admin', 'administrator', 'root', 'import', 'export', 'cli', 'anonymous', 'grantledger', 'ledger', 'server', 'unknown']);

/** A name that a person or tool may be given: well-formed and not one of the ledger's own. */
export const IssuableTokenName = TokenName.refine((name) => !RESERVED_TOKEN_NAMES.has(name.toLowerCase()), 'is reserved for the ledger itself');

/** How long a token lives unless asked otherwise, and at most. */
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;

export const ExpiresInDays = z
  .number({ error: `must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}` })
  .int(`must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}`)
  .min(1, `must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}`)
  .max(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS} days`);

/**
 * tokenId and expiresAt were added later: a token issued before carries neither. Its id is then
 * the id of its TokenIssued event, and it expires DEFAULT_TOKEN_DAYS after it was recorded.
 */
export const TokenIssuedData = z.strictObject({
  name: TokenName,
  role: Role,
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  tokenId: z.uuid().optional(),
  expiresAt: z.iso.datetime().optional(),
});
export type TokenIssuedData = z.infer<typeof TokenIssuedData>;

export const TokenRevokedData = z.strictObject({
  tokenId: z.uuid(),
  /** Why, in a word: "revoked" by an admin, "replaced" when LEDGER_ADMIN_TOKEN changed. */
  reason: z.enum(['revoked', 'replaced']),
});
export type TokenRevokedData = z.infer<typeof TokenRevokedData>;

export const TOKENS_STREAM = 'tokens';

/**
 * The tokenId in the metadata of events not written with a bearer token: the server's own
 * (bootstrap) and the command line's, which acts with access to the store itself.
 */
export const SYSTEM_TOKEN_ID = 'system';
export const CLI_TOKEN_ID = 'cli';
