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
    metadata: metadataOf(row.actor, row.command_id, row.correlation_id, row.request_hash, row.token_id, row.schema_version, row.recorded_at, row.prev_hash, row.hash),
  };
}

/**
 * An event row's columns in a fixed order, for statements that return each row as an array of
 * values (better-sqlite3's raw mode): an array is about half the cost of a row object with named
 * columns, which counts when a replay reads a million rows. Named, not `*`: a migrated file has
 * its later columns at the end.
 */
export const EVENT_COLUMNS =
  'position, stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, token_id, schema_version, recorded_at, prev_hash, hash';

/** A row in EVENT_COLUMNS order. */
export type EventValues = readonly [
  position: number,
  streamId: string,
  revision: number,
  eventId: string,
  type: string,
  data: string,
  actor: string,
  commandId: string,
  correlationId: string,
  requestHash: string | null,
  tokenId: string | null,
  schemaVersion: number | null,
  recordedAt: string,
  prevHash: string,
  hash: string,
];

/** The position of a row given as EventValues. */
export const positionOfValues = (values: EventValues): number => values[0];

/** toRecordedEvent for a row given as EventValues. */
export function recordedEventOfValues(values: EventValues): RecordedEvent {
  return {
    eventId: values[3],
    streamId: values[1],
    type: values[4],
    revision: values[2],
    position: values[0],
    data: JSON.parse(values[5]) as unknown,
    metadata: metadataOf(values[6], values[7], values[8], values[9], values[10], values[11], values[12], values[13], values[14]),
  };
}

function metadataOf(
  actor: string,
  commandId: string,
  correlationId: string,
  requestHash: string | null,
  tokenId: string | null,
  schemaVersion: number | null,
  recordedAt: string,
  prevHash: string,
  hash: string,
): RecordedMetadata {
  if (requestHash !== null && tokenId !== null && schemaVersion !== null) {
    return { actor, commandId, correlationId, requestHash, tokenId, schemaVersion, recordedAt, prevHash, hash };
  }
  if (requestHash === null && tokenId === null && schemaVersion === null) return { actor, commandId, correlationId, recordedAt, prevHash, hash };
  const metadata: { -readonly [K in keyof RecordedMetadata]: RecordedMetadata[K] } = { actor, commandId, correlationId } as RecordedMetadata;
  if (requestHash !== null) metadata.requestHash = requestHash;
  if (tokenId !== null) metadata.tokenId = tokenId;
  if (schemaVersion !== null) metadata.schemaVersion = schemaVersion;
  metadata.recordedAt = recordedAt;
  metadata.prevHash = prevHash;
  metadata.hash = hash;
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
