import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Request } from 'express';
import { MappingError, parseMappingText, type SieMapping } from '../../sie/mapping.js';
import { importSie, type SieImportResult } from '../../sie/importService.js';
import { exportSie, ExportMappingMissingError } from '../../sie/exportService.js';
import { HttpProblem } from '../problems.js';
import { READERS, route, WRITERS, type RouteResponse } from '../route.js';

/**
 * SIE 4 in and out. The file travels as the raw body (application/octet-stream, PC8 bytes); the
 * mapping travels as JSON in the `mapping` query parameter, so one request carries both without
 * multipart. A long mapping may meet the server's URL limit (16 KiB by Node's default).
 */

/** The largest SIE file accepted over HTTP; a year of a large municipality's books is tens of MiB. */
export const SIE_BODY_LIMIT_BYTES = 256 * 1024 * 1024;

const MappingParam = z
  .string({ error: 'must be the mapping as JSON' })
  .transform((text, ctx): SieMapping => {
    try {
      return parseMappingText(text);
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      for (const problem of error.problems) {
        ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path === '(the mapping)' ? [] : problem.path.split('.') });
      }
      return z.NEVER;
    }
  })
  .meta({ description: 'The mapping file as JSON: committee, activity and grant dimensions, account lists, and (for exports) the export section' });

const ImportQuery = z.strictObject({
  mapping: MappingParam,
  dryRun: z
    .enum(['true', 'false'], { error: 'must be "true" or "false"' })
    .optional()
    .transform((value) => value === 'true'),
});

const ExportQuery = z.strictObject({
  year: z.string().regex(/^\d{4}$/, 'must be a four-digit year').transform(Number),
  mapping: MappingParam,
});

/**
 * Spools the body to a file of its own under the system's temporary directory, so a large file is
 * held neither in memory nor twice: the import reads it as a stream, once per attempt.
 */
async function spoolBody(raw: Request): Promise<{ path: string; dispose: () => Promise<void> }> {
  if (!raw.is('application/octet-stream')) {
    throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'send the SIE file as the body with Content-Type: application/octet-stream', [
      { path: 'header.Content-Type', message: 'must be application/octet-stream' },
    ]);
  }
  const tooLarge = () => new HttpProblem(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `the SIE file must be at most ${SIE_BODY_LIMIT_BYTES} bytes`);
  if (Number(raw.get('Content-Length') ?? '0') > SIE_BODY_LIMIT_BYTES) throw tooLarge();
  const directory = await mkdtemp(join(tmpdir(), 'grantledger-sie-'));
  const dispose = () => rm(directory, { recursive: true, force: true });
  const path = join(directory, 'upload.se');
  let size = 0;
  try {
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(size > SIE_BODY_LIMIT_BYTES ? tooLarge() : null, chunk);
      },
    });
    await pipeline(raw, limit, createWriteStream(path));
    if (size === 0) throw new HttpProblem(400, 'INVALID_INPUT', 'Invalid input', 'body: the SIE file is empty', [{ path: 'body', message: 'the SIE file is empty' }]);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { path, dispose };
}

function problemResponse(status: number, code: string, title: string, detail: string, errors: Array<{ path: string; message: string }>, result: SieImportResult): RouteResponse {
  const problem = new HttpProblem(status, code, title, detail, errors).toProblem();
  return { status, contentType: 'application/problem+json', body: JSON.stringify({ ...problem, report: result }) };
}

export const sieRoutes = [
  route<unknown, z.output<typeof ImportQuery>, unknown>({
    method: 'post',
    path: '/api/imports/sie',
    summary:
      'Import a SIE 4 file: spending on grants (FundsSpent) and monthly outcomes (OutcomeRecorded), each verification once ever, the file all or nothing; ?dryRun=true shows what would be recorded. 400: malformed file, 409: refused transactions (both with the report)',
    access: WRITERS,
    successStatus: 200,
    query: ImportQuery,
    rawBody: { contentType: 'application/octet-stream', description: 'The SIE 4 file as exported by the accounting system (PC8, #FORMAT PC8)' },
    handle: async ({ ledger, query, raw, caller }) => {
      const body = await spoolBody(raw);
      let result: SieImportResult;
      try {
        result = await importSie(ledger, () => createReadStream(body.path, { highWaterMark: 1 << 16 }), query.mapping, { actor: caller?.name ?? 'anonymous', tokenId: caller?.tokenId ?? 'anonymous', dryRun: query.dryRun });
      } finally {
        await body.dispose();
      }
      if (result.status === 'malformed') {
        return problemResponse(
          400,
          'SIE_FILE_MALFORMED',
          'Invalid input',
          `the SIE file cannot be read: ${result.problems.map((p) => `line ${p.line}: ${p.reason}`).slice(0, 3).join('; ')}`,
          result.problems.map((p) => ({ path: `body.line.${p.line}`, message: p.reason })),
          result,
        );
      }
      if (result.status === 'refused') {
        return problemResponse(
          409,
          'SIE_IMPORT_REFUSED',
          'Refused by a rule',
          `${result.counts.refused} transaction(s) refused; nothing of the file was recorded`,
          result.refused.map((r) => ({ path: `body.line.${r.line}`, message: `${r.verification}: ${r.rule}: ${r.message}` })),
          result,
        );
      }
      return { status: 200, body: result };
    },
  }),
  route<unknown, z.output<typeof ExportQuery>, unknown>({
    method: 'get',
    path: '/api/exports/sie',
    summary: "The year's grant movements as balanced SIE 4 verifications (PC8) on the accounts of the mapping's export section",
    access: READERS,
    successStatus: 200,
    query: ExportQuery,
    alsoProduces: ['application/octet-stream'],
    handle: ({ ledger, query, raw }) => {
      if (!query.mapping.export) {
        const message = new ExportMappingMissingError().message;
        throw new HttpProblem(400, 'INVALID_INPUT', 'Invalid input', `query.mapping.export: ${message}`, [{ path: 'query.mapping.export', message }]);
      }
      const version = (raw.app.locals.openApiDocument as { info: { version: string } }).info.version;
      const exported = exportSie(ledger, query.year, query.mapping, version);
      return { status: 200, contentType: 'application/octet-stream', body: exported.bytes };
    },
  }),
];
