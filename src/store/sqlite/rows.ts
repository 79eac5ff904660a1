import type { RecordedEvent } from '../port.js';
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

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    revision: row.revision,
    position: row.position,
    data: JSON.parse(row.data) as unknown,
    metadata: {
      actor: row.actor,
      commandId: row.command_id,
      correlationId: row.correlation_id,
      ...(row.request_hash === null ? {} : { requestHash: row.request_hash }),
      ...(row.token_id === null ? {} : { tokenId: row.token_id }),
      ...(row.schema_version === null ? {} : { schemaVersion: row.schema_version }),
      recordedAt: row.recorded_at,
      prevHash: row.prev_hash,
      hash: row.hash,
    },
  };
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
