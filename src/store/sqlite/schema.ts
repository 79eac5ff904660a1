/**
 * The embedded store's schema. One table, append-only: triggers refuse every UPDATE and DELETE,
 * so no code path of the ledger (or a careless tool) can rewrite history through SQLite.
 * position is the global order; (stream_id, revision) and event_id are unique.
 */
export const SCHEMA_VERSION = 3;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id      TEXT    NOT NULL,
  revision       INTEGER NOT NULL CHECK (revision >= 0),
  event_id       TEXT    NOT NULL UNIQUE,
  type           TEXT    NOT NULL,
  data           TEXT    NOT NULL,
  actor          TEXT    NOT NULL,
  command_id     TEXT    NOT NULL,
  correlation_id TEXT    NOT NULL,
  request_hash   TEXT,
  token_id       TEXT,
  schema_version INTEGER CHECK (schema_version >= 1),
  recorded_at    TEXT    NOT NULL,
  prev_hash      TEXT    NOT NULL,
  hash           TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE INDEX IF NOT EXISTS events_by_command ON events (command_id);
CREATE INDEX IF NOT EXISTS events_by_actor ON events (actor, recorded_at);
CREATE TRIGGER IF NOT EXISTS events_are_never_updated BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: events are never updated'); END;
CREATE TRIGGER IF NOT EXISTS events_are_never_deleted BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: events are never deleted'); END;
`;

/**
 * Version 2: events carry the tokenId that wrote them, and every commit adds a signed tree head
 * (see treeHeads.ts) to its own append-only table, in the same transaction as the events.
 */
export const TREE_HEADS_SQL = `
CREATE TABLE IF NOT EXISTS tree_heads (
  size      INTEGER PRIMARY KEY CHECK (size >= 0),
  root      TEXT    NOT NULL,
  time      TEXT    NOT NULL,
  signature TEXT    NOT NULL,
  key_id    TEXT    NOT NULL
);
CREATE TRIGGER IF NOT EXISTS tree_heads_are_never_updated BEFORE UPDATE ON tree_heads
  BEGIN SELECT RAISE(ABORT, 'signed tree heads are never updated'); END;
CREATE TRIGGER IF NOT EXISTS tree_heads_are_never_deleted BEFORE DELETE ON tree_heads
  BEGIN SELECT RAISE(ABORT, 'signed tree heads are never deleted'); END;
`;

/** Brings a version-1 file to version 2: one nullable column (old events have no tokenId). */
export const MIGRATE_1_TO_2_SQL = 'ALTER TABLE events ADD COLUMN token_id TEXT';

/**
 * Version 3: events carry the schema version of their data (port.ts, EventMetadata). Events
 * stored before have none (NULL): they are version 1, and their hashes never covered one.
 */
export const MIGRATE_2_TO_3_SQL = 'ALTER TABLE events ADD COLUMN schema_version INTEGER CHECK (schema_version >= 1)';
