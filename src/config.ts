import { z } from 'zod';

/** The environment the ledger reads, parsed once at start; a bad value stops it with a clear message. */
export const ConfigSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number')
    .transform(Number)
    .refine((port) => port <= 65_535, 'must be at most 65535')
    .default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LEDGER_STORE: z
    .string()
    .regex(/^(sqlite:.+|esdb(\+discover)?:\/\/.+)$/, 'must be sqlite:<path> or esdb://host:2113?tls=false')
    .default('sqlite:./data/ledger.db'),
  LEDGER_ADMIN_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~+/=-]{20,256}$/, 'must be 20–256 characters usable in a bearer token')
    .optional(),
  /** The Ed25519 key (PKCS#8 PEM file) that signs tree heads; by default created beside the store. */
  LEDGER_SIGNING_KEY: z.string().min(1).optional(),
  /**
   * Where the read model is saved so a start folds only the log after it: by default
   * `<file>.snapshot` beside a SQLite store; EventStoreDB has no file of its own, so it keeps one
   * only where this names it (its checkpoint is the $all position of the last event folded).
   */
  LEDGER_SNAPSHOT_FILE: z.string().min(1).optional(),
  /** express's `trust proxy`: which proxy's X-Forwarded-For says the client's address. */
  LEDGER_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|loopback|linklocal|uniquelocal|\d{1,2}|[0-9a-fA-F.:/, ]+)$/, 'must be true, false, a hop count, loopback/linklocal/uniquelocal, or addresses/subnets separated by commas')
    .optional(),
  /** The secret behind the pseudonyms in the request log; by default generated beside the store. */
  LEDGER_LOG_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
});

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = ConfigSchema.safeParse({
    PORT: env.PORT || undefined,
    HOST: env.HOST || undefined,
    LEDGER_STORE: env.LEDGER_STORE || undefined,
    LEDGER_ADMIN_TOKEN: env.LEDGER_ADMIN_TOKEN || undefined,
    LEDGER_SIGNING_KEY: env.LEDGER_SIGNING_KEY || undefined,
    LEDGER_SNAPSHOT_FILE: env.LEDGER_SNAPSHOT_FILE || undefined,
    LEDGER_TRUST_PROXY: env.LEDGER_TRUST_PROXY || undefined,
    LEDGER_LOG_SECRET: env.LEDGER_LOG_SECRET || undefined,
  });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return result.data;
}

/** Parses LEDGER_TRUST_PROXY the way express's `trust proxy` setting takes it. */
export function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  return value;
}
