import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { canonicalJson } from '../store/hashChain.js';
import type { CommandContext } from '../app/commandHandler.js';
import type { IssuedToken } from '../app/readModel.js';
import { HttpProblem } from './problems.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ETAG_REVISION = /^(?:W\/)?"(\d{1,15})"$/;

function headerProblem(header: string, message: string): HttpProblem {
  return new HttpProblem(400, 'INVALID_INPUT', 'Invalid input', `header.${header}: ${message}`, [{ path: `header.${header}`, message }]);
}

/** The Idempotency-Key header, if any: a uuid (API.md). */
export function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!UUID.test(key)) throw headerProblem('Idempotency-Key', 'must be a uuid');
  return key.toLowerCase();
}

function expectedRevisionOf(request: Request): number | undefined {
  const ifMatch = request.get('If-Match');
  if (ifMatch === undefined) return undefined;
  const match = ETAG_REVISION.exec(ifMatch.trim());
  if (!match) throw headerProblem('If-Match', 'must be a revision in quotes, as sent in ETag, e.g. "3"');
  return Number(match[1]);
}

/**
 * The command context of a write request: who, which command (the Idempotency-Key or a fresh id),
 * the hash of the request, and the If-Match revision. A key reused with another request is
 * refused by the command handler (same stream) or by the store (its event ids are taken).
 */
export function commandContextOf(request: Request, caller: IssuedToken | null): CommandContext {
  const key = idempotencyKeyOf(request);
  const commandId = key ?? randomUUID();
  const requestHash = createHash('sha256')
    .update(`${request.method} ${request.baseUrl}${request.path}\n`)
    .update(canonicalJson(request.body ?? null))
    .digest('hex');
  const expectedRevision = expectedRevisionOf(request);
  const correlation = request.get('X-Correlation-Id');
  return {
    actor: caller?.name ?? 'anonymous',
    tokenId: caller?.tokenId ?? 'anonymous',
    commandId,
    correlationId: correlation !== undefined && UUID.test(correlation) ? correlation : (request.id ?? commandId),
    requestHash,
    ...(expectedRevision === undefined ? {} : { expectedRevision }),
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id, echoed in X-Request-Id and written in the log line. */
    id?: string;
  }
}
