import type { AllStreamResolvedEvent, Position, ResolvedEvent } from '@eventstore/db-client';
import type { RecordedEvent, RecordedMetadata } from '../port.js';

/** How the ledger's events look in EventStoreDB, and how they are read back into the port's shape. */

export function toSafeInteger(value: bigint, what: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`${what} ${value} is beyond the port's safe integer range`);
  return number;
}

export function isSystemEvent(streamId: string, type: string): boolean {
  return streamId.startsWith('$') || type.startsWith('$');
}

/** The stream of signed tree heads (see treeHeads.ts): beside the log, not in it. */
export const TREE_HEADS_STREAM = 'grantledger-tree-heads';

const LEDGER_METADATA_FIELDS = ['actor', 'commandId', 'correlationId', 'recordedAt', 'prevHash', 'hash'] as const;

/**
 * Whether an event of $all belongs to the ledger's log. A server may be shared: $all then also
 * holds the server's own events and other applications' events, which the ledger's log skips.
 * Ledger events are the JSON events that carry the ledger's metadata. Reading a stream, by
 * contrast, refuses an event without it (see toRecordedMetadata): a ledger stream must not hold one.
 */
export function isLedgerEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): boolean {
  const event = resolved.event;
  if (!event || isSystemEvent(event.streamId, event.type) || !event.isJson || event.streamId === TREE_HEADS_STREAM) return false;
  const metadata = event.metadata;
  if (metadata === null || typeof metadata !== 'object' || metadata instanceof Uint8Array) return false;
  return LEDGER_METADATA_FIELDS.every((field) => typeof (metadata as Record<string, unknown>)[field] === 'string');
}

/**
 * The position the port uses for an event is its prepare position. Why not the commit position:
 * the events of one append are one implicit transaction, and the proto gives each event a
 * (commit, prepare) pair while an append's result carries a single position for all of them; a
 * server may report the transaction's commit position for every event of it (explicit
 * transactions always did), so commit positions need not tell the events of one append apart.
 * Prepare positions are the log offsets of the events' own records: distinct, and in log order.
 * Servers from 20.6 commit every append as one uninterleaved run of records, so ordering by
 * prepare position equals ordering $all by (commit, prepare). To resume after a prepare position
 * P the adapter asks for (P, P), which is where such an event is read in $all (each record of an
 * implicit transaction is flagged committed at its own position), and it drops every event at or
 * before P itself, so the result is exclusive whichever of the two the server includes.
 */
export function portPosition(position: Position | undefined, eventId: string): number {
  if (position === undefined) throw new Error(`event ${eventId} was read without a position`);
  return toSafeInteger(position.prepare, `prepare position of event ${eventId}`);
}

export function resumePosition(after: number): Position {
  return { commit: BigInt(after), prepare: BigInt(after) };
}

function readString(record: Record<string, unknown>, key: string, eventId: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`event ${eventId} has no ledger metadata field ${key}`);
  return value;
}

function toRecordedMetadata(metadata: unknown, eventId: string): RecordedMetadata {
  if (metadata === null || typeof metadata !== 'object' || metadata instanceof Uint8Array) {
    throw new Error(`event ${eventId} carries no JSON ledger metadata`);
  }
  const record = metadata as Record<string, unknown>;
  const requestHash = record['requestHash'];
  const tokenId = record['tokenId'];
  const schemaVersion = record['schemaVersion'];
  return {
    actor: readString(record, 'actor', eventId),
    commandId: readString(record, 'commandId', eventId),
    correlationId: readString(record, 'correlationId', eventId),
    ...(typeof requestHash === 'string' ? { requestHash } : {}),
    ...(typeof tokenId === 'string' ? { tokenId } : {}),
    ...(typeof schemaVersion === 'number' ? { schemaVersion } : {}),
    recordedAt: readString(record, 'recordedAt', eventId),
    prevHash: readString(record, 'prevHash', eventId),
    hash: readString(record, 'hash', eventId),
  };
}

export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (event === undefined) return null;
  if (!event.isJson) throw new Error(`event ${event.id} in ${event.streamId} is not JSON`);
  return {
    eventId: event.id,
    streamId: event.streamId,
    type: event.type,
    revision: toSafeInteger(event.revision, `revision of event ${event.id}`),
    position: portPosition(event.position, event.id),
    data: event.data,
    metadata: toRecordedMetadata(event.metadata, event.id),
  };
}
