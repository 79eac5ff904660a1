import { z } from 'zod';
import { Role, TokenName } from '../../domain/access.js';
import { checkLink, type ChainFailure } from '../../store/hashChain.js';
import type { RecordedEvent } from '../../store/port.js';
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
});

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
    summary: 'The whole log in global order, a page at a time, for replay and export',
    access: READERS,
    successStatus: 200,
    query: EventsQuery,
    handle: async ({ ledger, query }) => {
      const after = query.after ?? 0;
      const events: RecordedEvent[] = [];
      for await (const event of ledger.store.readAll({ after, maxCount: query.limit ?? 1000 })) events.push(event);
      const next = events.length > 0 ? events[events.length - 1]!.position : after;
      return { status: 200, body: { events: events.map(eventJson), next } };
    },
  }),
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/api/audit/verify',
    summary: 'Recompute every stream hash chain',
    access: READERS,
    successStatus: 200,
    query: z.strictObject({}),
    handle: async ({ ledger }) => {
      const heads = new Map<string, RecordedEvent>();
      const failures: ChainFailure[] = [];
      let count = 0;
      for await (const event of ledger.store.readAll()) {
        count += 1;
        const failure = checkLink(heads.get(event.streamId) ?? null, event);
        if (failure) failures.push(failure);
        heads.set(event.streamId, event);
      }
      return { status: 200, body: { ok: failures.length === 0, streams: heads.size, events: count, failures } };
    },
  }),
];
