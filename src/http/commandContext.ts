import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { canonicalJson } from '../store/hashChain.js';
import type { CommandContext } from '../app/commandHandler.js';
import type { IssuedToken } from '../app/readModel.js';
import { invalidInput } from './problems.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ETAG_REVISION = /^(?:W\/)?"(\d{1,15})"$/;

/**
 * The headers a write route reads (API.md): an Idempotency-Key (a uuid) and an If-Match revision
 * as sent in ETag. A bad one is refused with a problem naming the header; X-Correlation-Id is
 * only a hint, kept when it is a uuid and otherwise ignored.
 */
export const WriteHeaders = z.strictObject({
  'Idempotency-Key': z
    .string()
    .regex(UUID, 'must be a uuid')
    .transform((key) => key.toLowerCase())
    .optional(),
  'If-Match': z
    .string()
    .transform((text) => text.trim())
    .pipe(z.string().regex(ETAG_REVISION, 'must be a revision in quotes, as sent in ETag, e.g. "3"'))
    .transform((text) => Number(ETAG_REVISION.exec(text)![1]))
    .optional(),
  'X-Correlation-Id': z
    .string()
    .optional()
    .transform((id) => (id !== undefined && UUID.test(id) ? id : undefined)),
});
export type WriteHeaders = z.output<typeof WriteHeaders>;

/** What the router hands a write route: the command's context, and the key the caller chose, if any. */
export interface WriteCommand {
  readonly context: CommandContext;
  readonly idempotencyKey: string | undefined;
}

/**
 * The names of the write headers, read from the schema once: keyof() builds a new zod enum on
 * every call, which cost 3 % of the server's time per write in the HTTP benchmark's profile.
 */
const WRITE_HEADER_NAMES = WriteHeaders.keyof().options;

/** The write headers the request carries, parsed; a bad one is a 400 naming it (header.If-Match). */
export function writeHeadersOf(request: Request): WriteHeaders {
  const given: Record<string, string> = {};
  for (const name of WRITE_HEADER_NAMES) {
    const value = request.get(name);
    if (value !== undefined) given[name] = value;
  }
  const parsed = WriteHeaders.safeParse(given);
  if (!parsed.success) throw invalidInput(parsed.error, 'header');
  return parsed.data;
}

/**
 * The command context of a write request, built by the router at the edge: who, which command
 * (the Idempotency-Key or a fresh id), the hash of the request, and the If-Match revision. A key
 * reused with another request is refused by the command handler (same stream) or by the store
 * (its event ids are taken).
 */
export function writeCommandOf(request: Request, caller: IssuedToken | null, headers: WriteHeaders): WriteCommand {
  const key = headers['Idempotency-Key'];
  const commandId = key ?? randomUUID();
  const requestHash = createHash('sha256')
    .update(`${request.method} ${request.baseUrl}${request.path}\n`)
    .update(canonicalJson(request.body ?? null))
    .digest('hex');
  const expectedRevision = headers['If-Match'];
  return {
    idempotencyKey: key,
    context: {
      actor: caller?.name ?? 'anonymous',
      tokenId: caller?.tokenId ?? 'anonymous',
      commandId,
      correlationId: headers['X-Correlation-Id'] ?? request.id ?? commandId,
      requestHash,
      ...(expectedRevision === undefined ? {} : { expectedRevision }),
    },
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id (set by the access log first thing), echoed in X-Request-Id and written in the log line. */
    id: string;
  }
}
