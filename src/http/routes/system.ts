import { z } from 'zod';
import { Role, TokenName, TOKENS_STREAM } from '../../domain/access.js';
import type { RecordedEvent } from '../../store/port.js';
import { checkDigest, findEvents, logDigest, verifyChains } from '../../app/audit.js';
import { formatDigest, parseDigest, type LogDigest } from '../../domain/merkle.js';
import { FromMoment, KnownAt } from '../querySchemas.js';
import { ADMINS, READERS, route } from '../route.js';

const CreateTokenBody = z.strictObject({ name: TokenName, role: Role });

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
    handle: async ({ ledger, body, caller }) => ({
      status: 201,
      body: await ledger.issueToken(body.name, body.role, caller?.name ?? 'anonymous'),
    }),
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
      const events: RecordedEvent[] = filtered ? await findEvents(ledger.store, { actor, from, to, type }, { after, limit }) : [];
      if (!filtered) for await (const event of ledger.store.readAll({ after, maxCount: limit })) events.push(event);
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
      const chains = await verifyChains(ledger.store);
      if (query.digest === undefined) return { status: 200, body: chains };
      const digest = await checkDigest(ledger.store, query.digest);
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
    handle: async ({ ledger }) => ({ status: 200, body: digestJson((await logDigest(ledger.store))!) }),
  }),
];
