import type { RecordedEvent, RecordedMetadata } from '../port.js';
import type { SignedTreeHead } from '../treeHeads.js';

/** The rows of the embedded store's two tables (schema.ts) and how they become the port's types. */

export interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  actor: string;
  command_id: string;
  correlation_id: string;
  request_hash: string | null;
  token_id: string | null;
  schema_version: number | null;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

/**
 * A row as the port's event. Replay builds a million of these, so the metadata is one object
 * literal of a fixed shape in the two usual cases (every optional column set, as the ledger writes
 * today; none set, as older logs and generated ones have), with the keys in the order the port
 * lists them; the optional ones are left out, never undefined, when their column is NULL.
 */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    revision: row.revision,
    position: row.position,
    data: JSON.parse(row.data) as unknown,
    metadata: metadataOf(row),
  };
}

function metadataOf(row: EventRow): RecordedMetadata {
  const requestHash = row.request_hash;
  const tokenId = row.token_id;
  const schemaVersion = row.schema_version;
  if (requestHash !== null && tokenId !== null && schemaVersion !== null) {
    return {
      actor: row.actor,
      commandId: row.command_id,
      correlationId: row.correlation_id,
      requestHash,
      tokenId,
      schemaVersion,
      recordedAt: row.recorded_at,
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }
  if (requestHash === null && tokenId === null && schemaVersion === null) {
    return { actor: row.actor, commandId: row.command_id, correlationId: row.correlation_id, recordedAt: row.recorded_at, prevHash: row.prev_hash, hash: row.hash };
  }
  const metadata: { -readonly [K in keyof RecordedMetadata]: RecordedMetadata[K] } = { actor: row.actor, commandId: row.command_id, correlationId: row.correlation_id } as RecordedMetadata;
  if (requestHash !== null) metadata.requestHash = requestHash;
  if (tokenId !== null) metadata.tokenId = tokenId;
  if (schemaVersion !== null) metadata.schemaVersion = schemaVersion;
  metadata.recordedAt = row.recorded_at;
  metadata.prevHash = row.prev_hash;
  metadata.hash = row.hash;
  return metadata;
}

export interface TreeHeadRow {
  size: number;
  root: string;
  time: string;
  signature: string;
  key_id: string;
}

export function toTreeHead(row: TreeHeadRow): SignedTreeHead {
  return { size: row.size, root: row.root, time: row.time, signature: row.signature, keyId: row.key_id };
}
