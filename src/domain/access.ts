import { z } from 'zod';

/**
 * Who may do what. ekonom: registers and reads; revisor (elected auditor): reads only;
 * admin: issues tokens. Tokens live in the `tokens` stream, stored only as SHA-256 hashes.
 */
export const Role = z.enum(['ekonom', 'revisor', 'admin'], { error: 'must be "ekonom", "revisor" or "admin"' });
export type Role = z.infer<typeof Role>;

export const TokenName = z
  .string({ error: 'must be a name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1–64 characters of letters, digits, ".", "_", "@" and "-"');

export const TokenIssuedData = z.strictObject({
  name: TokenName,
  role: Role,
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type TokenIssuedData = z.infer<typeof TokenIssuedData>;

export const TOKENS_STREAM = 'tokens';
