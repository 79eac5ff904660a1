import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../port.js';
import { translate } from './faults.js';
import { EVENT_COLUMNS, type EventRow, type EventValues, type TreeHeadRow } from './rows.js';
import { MIGRATE_1_TO_2_SQL, MIGRATE_2_TO_3_SQL, SCHEMA_SQL, SCHEMA_VERSION, TREE_HEADS_SQL } from './schema.js';

/** The statements every operation uses, prepared once per connection. */
export interface Statements {
  streamHead: Database.Statement<[string], { revision: number; hash: string }>;
  lastRecordedAt: Database.Statement<[], { recorded_at: string }>;
  byEventId: Database.Statement<[string], EventRow>;
  commandElsewhere: Database.Statement<[string, string], { found: number }>;
  insert: Database.Statement<unknown[]>;
  insertRecorded: Database.Statement<unknown[]>;
  readStream: Database.Statement<[string, number, number], EventRow>;
  /** The log in global order, each row an array of values in EVENT_COLUMNS order (raw mode). */
  readAll: Database.Statement<[number, number], EventValues>;
  head: Database.Statement<[], { position: number | null }>;
  latestTreeHead: Database.Statement<[], TreeHeadRow>;
  treeHeadOfSize: Database.Statement<[number], TreeHeadRow>;
  insertTreeHead: Database.Statement<unknown[]>;
  hashesAfter: Database.Statement<[number], { position: number; hash: string }>;
}

/**
 * Opens the file: WAL with synchronous = FULL (better-sqlite3's WAL default of NORMAL may lose
 * the last commits on power loss), the schema created or migrated, the statements prepared.
 */
export function openConnection(path: string, busyTimeoutMs: number): [Database.Database, Statements] {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA_SQL);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    else if (version === 1 || version === 2) migrateToCurrent(db);
    else if (version !== SCHEMA_VERSION) throw new StoreUnavailableError(`${path} has schema version ${version}, expected ${SCHEMA_VERSION}`);
    db.exec(TREE_HEADS_SQL);
  } catch (error) {
    db?.close();
    throw translate(error, path);
  }
  const statements: Statements = {
    streamHead: db.prepare<[string], { revision: number; hash: string }>('SELECT revision, hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
    lastRecordedAt: db.prepare<[], { recorded_at: string }>('SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1'),
    byEventId: db.prepare<[string], EventRow>('SELECT * FROM events WHERE event_id = ?'),
    commandElsewhere: db.prepare<[string, string], { found: number }>('SELECT 1 AS found FROM events WHERE command_id = ? AND stream_id <> ? LIMIT 1'),
    insert: db.prepare<unknown[]>(
      `INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, token_id, schema_version, recorded_at, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertRecorded: db.prepare<unknown[]>(
      `INSERT INTO events (position, stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, token_id, schema_version, recorded_at, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    readStream: db.prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?'),
    readAll: db.prepare<[number, number], EventValues>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true),
    head: db.prepare<[], { position: number | null }>('SELECT max(position) AS position FROM events'),
    latestTreeHead: db.prepare<[], TreeHeadRow>('SELECT * FROM tree_heads ORDER BY size DESC LIMIT 1'),
    treeHeadOfSize: db.prepare<[number], TreeHeadRow>('SELECT * FROM tree_heads WHERE size = ?'),
    insertTreeHead: db.prepare<unknown[]>('INSERT INTO tree_heads (size, root, time, signature, key_id) VALUES (?, ?, ?, ?, ?)'),
    hashesAfter: db.prepare<[number], { position: number; hash: string }>('SELECT position, hash FROM events WHERE position > ? ORDER BY position'),
  };
  return [db, statements];
}

/** An older file to the current version, once, under the write lock so that two processes opening the file do not race. */
function migrateToCurrent(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const columns = db.prepare('PRAGMA table_info(events)').all() as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'token_id')) db.exec(MIGRATE_1_TO_2_SQL);
    if (!columns.some((column) => column.name === 'schema_version')) db.exec(MIGRATE_2_TO_3_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
