/**
 * The embedded store's schema. One table, append-only: triggers refuse every UPDATE and DELETE,
 * so no code path of the ledger (or a careless tool) can rewrite history through SQLite.
 * position is the global order; (stream_id, revision) and event_id are unique.
 */
export const SCHEMA_VERSION = 1;

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
