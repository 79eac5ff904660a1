import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreUnavailableError, type AppendResult, type ExpectedRevision, type NewEvent, type RecordedEvent } from '../port.js';
import type { StreamingMerkleRoot } from '../../domain/merkle.js';
import type { SignedTreeHead, TreeHeadSigner } from '../treeHeads.js';
import { openConnection, type Statements } from './connection.js';
import { translate } from './faults.js';

/**
 * What every operation of the SQLite store shares: the connection and its statements, the
 * options, and this process's state (the group-commit queue, the listeners of its commits, the
 * Merkle tree it signs, the faults it remembers). The operations themselves live one per file
 * beside it, as the EventStoreDB adapter's do.
 */

export interface SqliteStoreOptions {
  /** Server time; injectable for tests. */
  readonly clock?: () => Date;
  /** How long a writer waits for another process's write lock before giving up. @defaultValue 5000 */
  readonly busyTimeoutMs?: number;
  /** How often subscriptions look for events written by other processes. @defaultValue 200 */
  readonly pollIntervalMs?: number;
  /** Rows fetched per page when reading. @defaultValue 1000 */
  readonly pageSize?: number;
  /** The most appends that share one durable transaction (group commit). @defaultValue 256 */
  readonly maxAppendsPerCommit?: number;
  /**
   * Signs a tree head of the whole log in every commit, in the same transaction. Without one the
   * store keeps no heads (and a store that has heads refuses to be written without the key).
   */
  readonly signer?: TreeHeadSigner;
}

/** An append waiting for the next group commit. */
export interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export class SqliteSession {
  readonly description: string;
  db: Database.Database;
  statements: Statements;
  readonly clock: () => Date;
  readonly pollIntervalMs: number;
  readonly pageSize: number;
  readonly maxAppendsPerCommit: number;
  readonly busyTimeoutMs: number;
  readonly signer: TreeHeadSigner | undefined;
  /** In-process subscriptions, handed each commit's events so they need not read them back. */
  readonly listeners = new Set<(committed: readonly RecordedEvent[]) => void>();
  pending: PendingAppend[] = [];
  /** Counters of durable commits and of the appends they carried: appends / commits is the group size. */
  readonly stats = { commits: 0, appends: 0 };
  flushScheduled = false;
  closed = false;
  /**
   * The Merkle tree of the log as far as this process has seen it, built on the first commit and
   * kept incrementally (the right edge of the tree: O(log n) hashes, see StreamingMerkleRoot).
   * null until then, and again after a commit failed (it is rebuilt from the file). `signed` is
   * the head this process signed over exactly this tree, as it wrote it: while the file's latest
   * head is still that row, the next commit's catch-up has nothing to hash or verify.
   */
  merkle: { root: StreamingMerkleRoot; position: number; signed: SignedTreeHead | null } | null = null;
  /** Why this log may not be signed any more: it differs from its own latest signed head. */
  treeHeadFault: StoreUnavailableError | null = null;
  /** The last commit that failed for a fault of the file; cleared by the next durable commit. */
  writeFailure: StoreUnavailableError | null = null;
  /** Set when the connection was opened read-only: it must be opened again once the file is writable. */
  reopenBeforeWrite = false;
  /** The file the connection holds, so a removed or replaced file is noticed before writing to it. */
  private fileIdentity: { dev: number; ino: number } | null = null;

  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.description = `sqlite:${path}`;
    this.clock = options.clock ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.pageSize = options.pageSize ?? 1000;
    this.maxAppendsPerCommit = options.maxAppendsPerCommit ?? 256;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.signer = options.signer;
    try {
      if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    } catch (error) {
      throw new StoreUnavailableError(`SQLite store ${path}: cannot create its directory (${(error as Error).message})`, { cause: error });
    }
    [this.db, this.statements] = this.connect();
  }

  /**
   * Opens the file. SQLite silently opens a write-protected file read-only, and such a connection
   * never writes again, so a failed commit that says "read-only" makes the next one reconnect.
   */
  private connect(): [Database.Database, Statements] {
    const opened = openConnection(this.path, this.busyTimeoutMs);
    this.fileIdentity = this.path === ':memory:' ? null : this.identityOfFile();
    return opened;
  }

  /** A fresh connection in place of this one; transactions compiled for the old one are dropped with it. */
  reconnect(): void {
    const [db, statements] = this.connect();
    this.db.close();
    this.db = db;
    this.statements = statements;
  }

  private identityOfFile(): { dev: number; ino: number } | null {
    try {
      const stat = statSync(this.path);
      return { dev: stat.dev, ino: stat.ino };
    } catch {
      return null;
    }
  }

  /**
   * Refuses to commit into a file that is no longer at its path (its directory was removed or
   * moved, or the file replaced): the commit would land in an orphaned inode and vanish on restart.
   */
  assertFileInPlace(): void {
    if (this.fileIdentity === null) return;
    const now = this.identityOfFile();
    if (now === null || now.dev !== this.fileIdentity.dev || now.ino !== this.fileIdentity.ino) {
      throw new StoreUnavailableError(`SQLite store ${this.path}: the database file or its directory is missing or was replaced; writes stop until it is back`);
    }
  }

  /** Translates a failed write and remembers a fault of the file for /health and the next commit. */
  noteFault(error: unknown): unknown {
    const translated = translate(error, this.path);
    if (!(translated instanceof StoreUnavailableError)) return translated;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) this.reopenBeforeWrite = true;
    this.writeFailure = translated;
    return translated;
  }

  /** recordedAt for a commit: now, or the log's last recordedAt if the clock stepped back. */
  nextRecordedAt(): string {
    const last = this.statements.lastRecordedAt.get();
    const now = this.clock().toISOString();
    return last && last.recorded_at > now ? last.recorded_at : now;
  }

  /** Hands a durable commit's events (in log order) to this process's subscriptions; [] just wakes them. */
  notify(committed: readonly RecordedEvent[]): void {
    for (const listener of this.listeners) listener(committed);
  }

  closedError(): StoreUnavailableError {
    return new StoreUnavailableError(`SQLite store ${this.path} is closed`);
  }

  assertOpen(): void {
    if (this.closed) throw this.closedError();
  }
}

/**
 * A transaction function compiled once per connection (better-sqlite3 would otherwise prepare
 * its BEGIN and COMMIT per call), compiled again after a reconnect.
 */
export function perConnection<T>(compile: (session: SqliteSession) => T): (session: SqliteSession) => T {
  const compiled = new WeakMap<Database.Database, T>();
  return (session) => {
    let transaction = compiled.get(session.db);
    if (transaction === undefined) {
      transaction = compile(session);
      compiled.set(session.db, transaction);
    }
    return transaction;
  };
}
