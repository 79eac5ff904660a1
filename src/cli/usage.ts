import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad input on the command line: the CLI exits with code 2 and this message, having done nothing. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failed check (a broken chain, a differing replay): exit code 1 after the command's own report. */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

export interface CliCommand {
  /** The words that select it, e.g. ["token", "create"]. */
  readonly words: readonly string[];
  /** One usage line, e.g. "token create --name NAME --role ROLE". */
  readonly usage: string;
  readonly summary: string;
  run(args: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode, with its errors turned into UsageError. */
export function parseOptions<T extends Options>(args: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
