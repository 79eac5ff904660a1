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

async function bodyOf(raw: Request): Promise<Buffer[]> {
  if (!raw.is('application/octet-stream')) {
    throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'send the SIE file as the body with Content-Type: application/octet-stream', [
      { path: 'header.Content-Type', message: 'must be application/octet-stream' },
    ]);
  }
  const declared = Number(raw.get('Content-Length') ?? '0');
  const tooLarge = () => new HttpProblem(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `the SIE file must be at most ${SIE_BODY_LIMIT_BYTES} bytes`);
  if (declared > SIE_BODY_LIMIT_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > SIE_BODY_LIMIT_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) throw new HttpProblem(400, 'INVALID_INPUT', 'Invalid input', 'body: the SIE file is empty', [{ path: 'body', message: 'the SIE file is empty' }]);
  return chunks;
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
      const chunks = await bodyOf(raw);
      const result = await importSie(ledger, () => chunks, query.mapping, { actor: caller?.name ?? 'anonymous', dryRun: query.dryRun });
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
