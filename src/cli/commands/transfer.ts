import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { exportedEvent, recordedEventOf, type ExportedEvent } from '../../app/audit.js';
import { ImportRefusedError, type RecordedEvent } from '../../store/port.js';
import { withStore } from '../storeSession.js';
import { Output, Progress } from '../output.js';
import { parseOptions, UsageError, type CliCommand } from '../usage.js';

/** One line of an export: every stored field, so the copy keeps ids, order, times and hashes. */
const ExportedLine = z.strictObject({
  position: z.number().int().positive(),
  eventId: z.string().min(1).max(200),
  streamId: z.string().min(1).max(300),
  revision: z.number().int().nonnegative(),
  type: z.string().min(1).max(100),
  recordedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
  actor: z.string().min(1).max(200),
  commandId: z.string().min(1).max(200),
  correlationId: z.string().min(1).max(200),
  requestHash: z.string().max(200).optional(),
  /** A ledger token's uuid, or oidc:<issuer>#<subject> (a subject may be 255 characters). */
  tokenId: z.string().min(1).max(600).optional(),
  schemaVersion: z.number().int().positive().optional(),
  data: z.unknown(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

export const exportCommand: CliCommand = {
  words: ['export'],
  usage: 'export [--format ndjson] [--out FILE [--force]] [--progress]',
  summary: 'write the whole log, events with metadata and hashes, in global order, one JSON object a line',
  async run(args) {
    const { values } = parseOptions(args, { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, progress: { type: 'boolean' } });
    if (values.format !== undefined && values.format !== 'ndjson') throw new UsageError('--format must be ndjson');
    const progress = Progress.for('export', values.progress);
    const count = await withStore(async (store) => {
      const total = await store.headPosition();
      const output = Output.open(values.out, { force: values.force });
      let written = 0;
      let chunk = '';
      for await (const event of store.readAll()) {
        chunk += `${JSON.stringify(exportedEvent(event))}\n`;
        written += 1;
        if (written % 1000 === 0) {
          await output.write(chunk);
          chunk = '';
          progress.update(event.position, total);
        }
      }
      if (chunk !== '') await output.write(chunk);
      await output.close();
      return written;
    });
    process.stderr.write(`${progress.summary(count)}\n`);
  },
};

async function* eventsOf(path: string): AsyncIterable<RecordedEvent> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ImportRefusedError(`line ${number} is not JSON`);
    }
    const event = ExportedLine.safeParse(parsed);
    if (!event.success) {
      const issue = event.error.issues[0]!;
      throw new ImportRefusedError(`line ${number}: ${issue.path.join('.') || 'the event'} ${issue.message}`);
    }
    yield recordedEventOf(event.data as ExportedEvent);
  }
}

export const importCommand: CliCommand = {
  words: ['import'],
  usage: 'import FILE [--progress]',
  summary: 'load an export into an empty store, all or nothing; refuses a non-empty store and any broken chain',
  async run(args) {
    const { values, positionals } = parseOptions(args, { progress: { type: 'boolean' } }, true);
    if (positionals.length !== 1) throw new UsageError('give one file to import');
    const path = positionals[0]!;
    if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
    const progress = Progress.for('import', values.progress);
    const count = await withStore(async (store) => {
      if (!store.importRecorded) throw new Error(`${store.description} cannot import`);
      return store.importRecorded(eventsOf(path), { onProgress: (loaded) => progress.update(loaded, loaded) });
    });
    process.stdout.write(`${progress.summary(count)}\n`);
  },
};
