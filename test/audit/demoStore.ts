import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { eventHash } from '../../src/store/hashChain.js';
import type { EventRow } from '../../src/store/sqlite/rows.js';

/** Loads the demo (the built scripts/demo.js) into a fresh SQLite file; returns its path. */
export function loadDemo(path: string): string {
  execFileSync(process.execPath, [resolve('dist/scripts/demo.js')], { env: { PATH: process.env.PATH ?? '', LEDGER_STORE: `sqlite:${path}` }, stdio: 'ignore', timeout: 60_000 });
  return path;
}

/** A copy of a closed SQLite store (no WAL pending: the demo closed it). */
export function copyStore(from: string, to: string): string {
  copyFileSync(from, to);
  return to;
}

/** A row as the embedded store keeps it (the store's own type: a tamper edits what the product reads). */
type Row = EventRow;

/**
 * Opens the file as an attacker with write access would: the product's triggers refuse UPDATE
 * and DELETE, so the first thing such a person does is drop them.
 */
export function tamper<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER events_are_never_updated; DROP TRIGGER events_are_never_deleted;');
    return work(db);
  } finally {
    db.close();
  }
}

/**
 * Appends an event behind the ledger's back with a valid chain: the next revision of its stream,
 * prevHash and hash computed as the store would. Returns the appended row's position.
 */
export function forgeAppend(db: Database.Database, streamId: string, type: string, data: unknown, actor = 'system'): number {
  const head = db.prepare('SELECT * FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').get(streamId) as Row | undefined;
  const last = db.prepare('SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1').get() as { recorded_at: string };
  const revision = head ? head.revision + 1 : 0;
  const prevHash = head ? head.hash : '0'.repeat(64);
  const eventId = randomUUID();
  const commandId = randomUUID();
  const recordedAt = last.recorded_at;
  const hash = eventHash(prevHash, { streamId, revision, eventId, type, recordedAt, actor, commandId, correlationId: commandId, tokenId: 'system', data });
  const info = db
    .prepare(
      `INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, request_hash, token_id, recorded_at, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 'system', ?, ?, ?)`,
    )
    .run(streamId, revision, eventId, type, JSON.stringify(data), actor, commandId, commandId, recordedAt, prevHash, hash);
  return Number(info.lastInsertRowid);
}

export function rowAt(db: Database.Database, position: number): Row {
  return db.prepare('SELECT * FROM events WHERE position = ?').get(position) as Row;
}

export function firstOfType(db: Database.Database, type: string): Row {
  return db.prepare('SELECT * FROM events WHERE type = ? ORDER BY position LIMIT 1').get(type) as Row;
}

/** Recomputes a stream's chain from a revision on, as a careful forger would after an edit. */
export function rechain(db: Database.Database, streamId: string): void {
  const rows = db.prepare('SELECT * FROM events WHERE stream_id = ? ORDER BY revision').all(streamId) as Row[];
  let prevHash = '0'.repeat(64);
  for (const row of rows) {
    const hash = eventHash(prevHash, {
      streamId: row.stream_id,
      revision: row.revision,
      eventId: row.event_id,
      type: row.type,
      recordedAt: row.recorded_at,
      actor: row.actor,
      commandId: row.command_id,
      correlationId: row.correlation_id,
      tokenId: row.token_id ?? undefined,
      requestHash: row.request_hash ?? undefined,
      schemaVersion: row.schema_version ?? undefined,
      data: JSON.parse(row.data) as unknown,
    });
    db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE position = ?').run(prevHash, hash, row.position);
    prevHash = hash;
  }
}
