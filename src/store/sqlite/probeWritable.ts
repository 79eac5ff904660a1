import { accessSync, constants as fsConstants } from 'node:fs';
import { StoreUnavailableError } from '../port.js';
import { translate } from './faults.js';
import type { SqliteSession } from './session.js';

/**
 * Whether a write could be committed now, without writing: the file is in place and writable,
 * no other process holds the write lock, and the last commit did not fail. Throws
 * StoreUnavailableError saying which fault it found.
 */
export async function probeWritable(session: SqliteSession): Promise<void> {
  session.assertOpen();
  if (session.path === ':memory:') return;
  session.assertFileInPlace();
  try {
    accessSync(session.path, fsConstants.W_OK);
  } catch (error) {
    throw new StoreUnavailableError(`SQLite store ${session.path}: the database file is read-only (${(error as NodeJS.ErrnoException).code ?? 'EACCES'})`, { cause: error });
  }
  try {
    session.db.pragma('busy_timeout = 250');
    session.db.exec('BEGIN IMMEDIATE');
    session.db.exec('ROLLBACK');
  } catch (error) {
    throw translate(error, session.path);
  } finally {
    session.db.pragma(`busy_timeout = ${session.busyTimeoutMs}`);
  }
  if (session.writeFailure) throw session.writeFailure;
}
