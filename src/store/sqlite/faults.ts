import { StoreUnavailableError } from '../port.js';

const SQLITE_UNAVAILABLE_CODES = new Set([
  'SQLITE_READONLY',
  'SQLITE_READONLY_DBMOVED',
  'SQLITE_FULL',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_IOERR_WRITE',
  'SQLITE_IOERR_FSYNC',
  'SQLITE_PERM',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
]);

/** What an operator should read first: the fault in words, before the driver's code. */
function explain(code: string): string {
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') return 'the database file is read-only';
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE') return 'the disk is full or the file may not grow';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'the database is locked by another process';
  if (code === 'SQLITE_CANTOPEN') return 'the database file cannot be opened';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return 'the file is not an intact ledger database';
  return 'the database file cannot be written';
}

/** Translates the driver's failures of the file itself into the port's StoreUnavailableError. */
export function translate(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SQLITE_UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) {
    return new StoreUnavailableError(`SQLite store ${path}: ${explain(code)} (${code}: ${(error as Error).message})`, { cause: error });
  }
  return error;
}
