import { z } from 'zod';
import { ExpiresInDays, IssuableTokenName, Role, TOKENS_STREAM } from '../../domain/access.js';
import { TokenNameTakenError, UnknownTokenError } from '../../app/tokens.js';
import { HttpProblem } from '../problems.js';
import type { RecordedEvent } from '../../store/port.js';
import { formatDigest, parseDigest, type LogDigest } from '../../domain/merkle.js';
import { FromMoment, KnownAt } from '../../domain/querySchemas.js';
import { ADMINS, READERS, route } from '../route.js';

const CreateTokenBody = z.strictObject({ name: IssuableTokenName, role: Role, expiresInDays: ExpiresInDays.optional() });
const TokenParams = z.strictObject({ tokenId: z.uuid('must be a token id (a uuid)') });

const EventsQuery = z.strictObject({
  after: z.string().regex(/^\d{1,15}$/, 'must be a position (a whole number)').transform(Number).optional(),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a whole number from 1 to 10000')
    .transform(Number)
    .refine((limit) => limit >= 1 && limit <= 10_000, 'must be a whole number from 1 to 10000')
    .optional(),
  actor: z.string().min(1).max(200).optional(),
  from: FromMoment.optional(),
  /** A moment, or a date meaning the end of that day in Sweden. */
  to: KnownAt.optional(),
  type: z.string().regex(/^[A-Za-z]{1,64}$/, 'must be an event type such as FundsSpent').optional(),
});

/** A digest as `gl1:<treeSize>:<rootHex>:<time>`, parsed strictly. */
export const DigestText = z.string().transform((text, context) => {
  const digest = parseDigest(text);
  if (!digest) {
    context.addIssue({ code: 'custom', message: 'must be a digest gl1:<treeSize>:<64 lowercase hex>:<YYYY-MM-DDTHH:MM:SS.sssZ>' });
    return z.NEVER;
  }
  return digest;
});

const VerifyQuery = z.strictObject({ digest: DigestText.optional() });

function digestJson(digest: LogDigest) {
  return { digest: formatDigest(digest), treeSize: digest.treeSize, root: digest.rootHex, time: digest.time };
}

function eventJson(event: RecordedEvent) {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    type: event.type,
    revision: event.revision,
    position: event.position,
    recordedAt: event.metadata.recordedAt,
    actor: event.metadata.actor,
    commandId: event.metadata.commandId,
    correlationId: event.metadata.correlationId,
    ...(event.metadata.tokenId === undefined ? {} : { tokenId: event.metadata.tokenId }),
    ...(event.metadata.requestHash === undefined ? {} : { requestHash: event.metadata.requestHash }),
    ...(event.metadata.schemaVersion === undefined ? {} : { schemaVersion: event.metadata.schemaVersion }),
    data: event.data,
    prevHash: event.metadata.prevHash,
    hash: event.metadata.hash,
  };
}

/**
 * Token events show who got which role when, but not the token's hash: an operator-chosen admin
 * token could be guessed offline from it. The chain is still checked by /api/audit/verify; the
 * CLI's export, which needs the database itself, keeps the hash.
 */
function redactTokenHash(event: RecordedEvent): RecordedEvent {
  if (event.streamId !== TOKENS_STREAM) return event;
  return { ...event, data: { ...(event.data as Record<string, unknown>), tokenHash: 'redacted' } };
}

export const systemRoutes = [
  route<z.output<typeof CreateTokenBody>, unknown, unknown>({
    method: 'post',
    path: '/api/tokens',
    summary: 'Issue a bearer token for a person or tool; only its hash is stored',
    access: ADMINS,
    successStatus: 201,
    body: CreateTokenBody,
    handle: async ({ ledger, body, caller }) => {
      try {
        const issued = await ledger.tokens.issue(body.name, body.role, body.expiresInDays, { actor: caller!.name, tokenId: caller!.tokenId });
        return { status: 201, body: issued };
      } catch (error) {
        if (error instanceof TokenNameTakenError) {
          throw new HttpProblem(409, 'TOKEN_NAME_TAKEN', 'Refused by a rule', error.message, [{ path: 'body.name', message: error.message }]);
        }
        throw error;
      }
    },
  }),
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/api/tokens',
    summary: 'Every token issued: id, name, role, when created, when it expires and when it was revoked; never a secret',
    access: ADMINS,
    successStatus: 200,
    query: z.strictObject({}),
    handle: ({ ledger }) => ({ status: 200, body: { tokens: ledger.tokens.list() } }),
  }),
  route<unknown, unknown, z.output<typeof TokenParams>>({
    method: 'delete',
    path: '/api/tokens/:tokenId',
    summary: 'Revoke a token: every process serving the store refuses it within a second',
    access: ADMINS,
    successStatus: 204,
    params: TokenParams,
    handle: async ({ ledger, params, caller }) => {
      try {
        await ledger.tokens.revoke(params.tokenId, { actor: caller!.name, tokenId: caller!.tokenId });
      } catch (error) {
        if (error instanceof UnknownTokenError) throw new HttpProblem(404, 'NO_SUCH_TOKEN', 'Not found', error.message);
        throw error;
      }
      return { status: 204, body: null };
    },
  }),
  route<unknown, z.output<typeof EventsQuery>, unknown>({
    method: 'get',
    path: '/api/events',
    summary: 'The whole log in global order, a page at a time, for replay and export; actor, from, to and type filter it ("what did this user record in March")',
    access: READERS,
    successStatus: 200,
    query: EventsQuery,
    handle: async ({ ledger, query }) => {
      const after = query.after ?? 0;
      const limit = query.limit ?? 1000;
      const { actor, from, to, type } = query;
      const filtered = actor !== undefined || from !== undefined || to !== undefined || type !== undefined;
      const events: RecordedEvent[] = await ledger.events(filtered ? { actor, from, to, type } : null, { after, limit });
      const next = events.length > 0 ? events[events.length - 1]!.position : after;
      return { status: 200, body: { events: events.map(redactTokenHash).map(eventJson), next } };
    },
  }),
  route<unknown, z.output<typeof VerifyQuery>, unknown>({
    method: 'get',
    path: '/api/audit/verify',
    summary: 'Recompute every stream hash chain; with digest=, also prove that the log still holds exactly the prefix that digest describes',
    access: READERS,
    successStatus: 200,
    query: VerifyQuery,
    handle: async ({ ledger, query }) => {
      const chains = await ledger.verify();
      if (query.digest === undefined) return { status: 200, body: chains };
      const digest = await ledger.checkDigest(query.digest);
      return { status: 200, body: { ...chains, ok: chains.ok && digest.ok, digest } };
    },
  }),
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/api/audit/digest',
    summary: 'The digest of the whole log: the RFC 6962 Merkle tree head over the event hashes, with tree size and time',
    access: READERS,
    successStatus: 200,
    query: z.strictObject({}),
    handle: async ({ ledger }) => ({ status: 200, body: digestJson((await ledger.digest())!) }),
  }),
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/api/audit/tree-head',
    summary: 'The latest signed tree head {size, root, time, signature, keyId}: the Ed25519 signature of the log as of its last commit',
    access: READERS,
    successStatus: 200,
    query: z.strictObject({}),
    handle: async ({ ledger }) => {
      const head = await ledger.latestTreeHead();
      if (!head) throw new HttpProblem(404, 'NO_TREE_HEAD', 'Not found', 'this store has no signed tree head yet (nothing committed, or no signing key)');
      return { status: 200, body: { ...head, digest: formatDigest({ treeSize: head.size, rootHex: head.root, time: head.time }) } };
    },
  }),
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/api/audit/public-key',
    summary: 'The Ed25519 public key (PEM) that verifies the tree heads, with its keyId',
    access: READERS,
    successStatus: 200,
    query: z.strictObject({}),
    handle: ({ ledger }) => {
      const signer = ledger.signer;
      if (!signer) throw new HttpProblem(404, 'NO_SIGNING_KEY', 'Not found', 'this store signs no tree heads');
      return { status: 200, body: { algorithm: 'Ed25519', keyId: signer.keyId, publicKey: signer.publicKeyPem() } };
    },
  }),
];
