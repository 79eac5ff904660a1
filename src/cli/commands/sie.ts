import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { FiscalYear } from '../../domain/schema.js';
import { MappingError, parseMappingText, type SieMapping } from '../../sie/mapping.js';
import { importSie } from '../../sie/importService.js';
import { importResultText } from '../../sie/importText.js';
import { exportSie, ExportMappingMissingError } from '../../sie/exportService.js';
import { withLedger } from '../storeSession.js';
import { optionValue, Output, Progress } from '../output.js';
import { CheckFailed, parseOptions, UsageError, type CliCommand } from '../usage.js';
import { packageVersion } from './serve.js';

function mappingOf(path: string | undefined): SieMapping {
  if (path === undefined) throw new UsageError('--mapping MAPPING.json is required');
  if (!existsSync(path)) throw new UsageError(`no such mapping file: ${path}`);
  try {
    return parseMappingText(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof MappingError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}

const Format = z.enum(['table', 'json'], { error: 'must be table or json' });

export const importSieCommand: CliCommand = {
  words: ['import-sie'],
  usage: 'import-sie FILE --mapping MAPPING.json [--dry-run] [--format table|json] [--progress]',
  summary: 'take spending and monthly outcomes from a SIE 4 file, each verification once, all or nothing (exit 2: malformed, 1: refused)',
  async run(args) {
    const { values, positionals } = parseOptions(
      args,
      { mapping: { type: 'string' }, 'dry-run': { type: 'boolean' }, format: { type: 'string' }, progress: { type: 'boolean' } },
      true,
    );
    if (positionals.length !== 1) throw new UsageError('give one SIE file to import');
    const path = positionals[0]!;
    if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
    const mapping = mappingOf(values.mapping);
    const format = optionValue('format', Format, values.format) ?? 'table';
    const size = statSync(path).size;
    const progress = Progress.for('import-sie', values.progress, 'bytes');
    const result = await withLedger((ledger) =>
      importSie(ledger, () => createReadStream(path, { highWaterMark: 1 << 16 }), mapping, {
        actor: `cli:${process.env.USER ?? 'unknown'}`,
        tokenId: 'cli',
        dryRun: values['dry-run'] === true,
        onProgress: (bytes) => progress.update(bytes, size),
      }),
    );
    process.stderr.write(`${progress.summary(result.counts.verificationsRead, 'verifications')}\n`);
    process.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : importResultText(result));
    if (result.status === 'malformed') throw new UsageError(`${path} is not a SIE 4 file the ledger can read; nothing was recorded`);
    if (result.status === 'refused') throw new CheckFailed(`${result.counts.refused} transaction(s) refused; nothing of ${path} was recorded`);
  },
};

export const exportSieCommand: CliCommand = {
  words: ['export-sie'],
  usage: 'export-sie --year Y --mapping MAPPING.json --out FILE',
  summary: "write the year's grant movements as balanced SIE 4 verifications (PC8), on the accounts of the mapping's export section",
  async run(args) {
    const { values } = parseOptions(args, { year: { type: 'string' }, mapping: { type: 'string' }, out: { type: 'string' } });
    if (values.year === undefined) throw new UsageError('--year Y is required');
    if (values.out === undefined) throw new UsageError('--out FILE is required: a SIE file is PC8 bytes, not for a terminal');
    const year = optionValue('year', z.string().regex(/^\d{4}$/, 'must be a four-digit year').transform(Number).pipe(FiscalYear), values.year)!;
    const mapping = mappingOf(values.mapping);
    if (!mapping.export) throw new UsageError(`${values.mapping}: ${new ExportMappingMissingError().message}`);
    const exported = await withLedger(async (ledger) => exportSie(ledger, year, mapping, packageVersion()));
    const output = Output.open(values.out);
    await output.write(exported.bytes);
    await output.close();
    process.stderr.write(`export-sie: ${exported.verifications} verifications for ${year} written to ${values.out}\n`);
  },
};
