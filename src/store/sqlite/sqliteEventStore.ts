import { accessSync, constants as fsConstants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ChainVerifier, describeChainFailure, GENESIS_HASH, hashOf } from '../hashChain.js';
import {
  DuplicateEventIdError,
  ImportRefusedError,
  StoreUnavailableError,
  WrongExpectedVersionError,
  type AppendResult,
  type EventHandler,
  type EventStore,
  type EventFilter,
  type ExpectedRevision,
  type ImportOptions,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
  type Subscription,
} from '../port.js';
import { MIGRATE_1_TO_2_SQL, MIGRATE_2_TO_3_SQL, SCHEMA_SQL, SCHEMA_VERSION, TREE_HEADS_SQL } from './schema.js';
import { StreamingMerkleRoot } from '../../domain/merkle.js';
import type { SignedTreeHead, TreeHeadSigner } from '../treeHeads.js';

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

interface TreeHeadRow {
  size: number;
  root: string;
  time: string;
  signature: string;
  key_id: string;
}

/** Every field equal: the same row (Ed25519 is deterministic, so the same key signs a head one way). */
function sameHead(a: SignedTreeHead, b: SignedTreeHead): boolean {
  return a.size === b.size && a.root === b.root && a.time === b.time && a.signature === b.signature && a.keyId === b.keyId;
}

function toTreeHead(row: TreeHeadRow): SignedTreeHead {
  return { size: row.size, root: row.root, time: row.time, signature: row.signature, keyId: row.key_id };
}

type AppendOutcome = { result: AppendResult } | { error: unknown };

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedRevision: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface EventRow {
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

function toRecordedEvent(row: EventRow): RecordedEvent {
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
function translate(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SQLITE_UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) {
    return new StoreUnavailableError(`SQLite store ${path}: ${explain(code)} (${code}: ${(error as Error).message})`, { cause: error });
  }
  return error;
}

/**
 * The embedded event store: one SQLite file, WAL with synchronous = FULL (better-sqlite3's WAL
 * default of NORMAL may lose the last commits on power loss), writes in BEGIN IMMEDIATE
 * transactions, a busy timeout for other processes' writers.
 */
export class SqliteEventStore implements EventStore {
  readonly description: string;
  private db: Database.Database;
  private readonly clock: () => Date;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  /** In-process subscriptions, handed each commit's events so they need not read them back. */
  private readonly listeners = new Set<(committed: readonly RecordedEvent[]) => void>();
  private readonly maxAppendsPerCommit: number;
  private pending: PendingAppend[] = [];
  /** Counters of durable commits and of the appends they carried: appends / commits is the group size. */
  readonly stats = { commits: 0, appends: 0 };
  private flushScheduled = false;
  private closed = false;

  /** Transaction functions, compiled once per connection: better-sqlite3 would otherwise prepare them per call. */
  private commitGroup!: Database.Transaction<(batch: readonly PendingAppend[]) => AppendOutcome[]>;
  private commitStreams!: Database.Transaction<(appends: readonly StreamAppend[]) => AppendResult[]>;
  private appendOne!: Database.Transaction<(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, recordedAt: string) => AppendResult>;

  private statements: {
    streamHead: Database.Statement<[string], { revision: number; hash: string }>;
    lastRecordedAt: Database.Statement<[], { recorded_at: string }>;
    byEventId: Database.Statement<[string], EventRow>;
    commandElsewhere: Database.Statement<[string, string], { found: number }>;
    insert: Database.Statement<unknown[]>;
    insertRecorded: Database.Statement<unknown[]>;
    readStream: Database.Statement<[string, number, number], EventRow>;
    readAll: Database.Statement<[number, number], EventRow>;
    head: Database.Statement<[], { position: number | null }>;
    latestTreeHead: Database.Statement<[], TreeHeadRow>;
    treeHeadOfSize: Database.Statement<[number], TreeHeadRow>;
    insertTreeHead: Database.Statement<unknown[]>;
    hashesAfter: Database.Statement<[number], { position: number; hash: string }>;
  };

  readonly signer: TreeHeadSigner | undefined;
  /**
   * The Merkle tree of the log as far as this process has seen it, built on the first commit and
   * kept incrementally (the right edge of the tree: O(log n) hashes, see StreamingMerkleRoot).
   * null until then, and again after a commit failed (it is rebuilt from the file). `signed` is
   * the head this process signed over exactly this tree, as it wrote it: while the file's latest
   * head is still that row, the next commit's catch-up has nothing to hash or verify.
   */
  private merkle: { root: StreamingMerkleRoot; position: number; signed: SignedTreeHead | null } | null = null;
  /** Why this log may not be signed any more: it differs from its own latest signed head. */
  private treeHeadFault: StoreUnavailableError | null = null;

  /** The last commit that failed for a fault of the file; cleared by the next durable commit. */
  private writeFailure: StoreUnavailableError | null = null;
  /** Set when the connection was opened read-only: it must be opened again once the file is writable. */
  private reopenBeforeWrite = false;
  /** The file the connection holds, so a removed or replaced file is noticed before writing to it. */
  private fileIdentity: { dev: number; ino: number } | null = null;
  private readonly busyTimeoutMs: number;

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
    this.compileTransactions();
    if (this.signer) this.adoptUnsignedLegacyLog();
  }

  /**
   * A log written before signed heads existed (no event carries a tokenId) gets its first head
   * when first opened with a key. A log with tokenIds but no head lost its heads: it is not
   * adopted, and verify and the server report it.
   */
  private adoptUnsignedLegacyLog(): void {
    if (this.statements.latestTreeHead.get()) return;
    if ((this.statements.head.get()?.position ?? 0) === 0) return;
    if (this.db.prepare('SELECT 1 FROM events WHERE token_id IS NOT NULL LIMIT 1').get()) return;
    try {
      this.db.transaction(() => {
        if (this.statements.latestTreeHead.get()) return;
        this.catchUpSignedLog();
        this.insertSignedHead(this.statements.lastRecordedAt.get()!.recorded_at);
      }).immediate();
    } catch {
      // A read-only file stays unsigned until it is opened writable; verify says so.
      this.merkle = null;
      this.treeHeadFault = null;
    }
  }

  private compileTransactions(): void {
    this.commitGroup = this.db.transaction((batch: readonly PendingAppend[]) => this.commitGroupBody(batch));
    this.commitStreams = this.db.transaction((appends: readonly StreamAppend[]) => {
      const recordedAt = this.nextRecordedAt();
      if (this.signer) this.catchUpSignedLog();
      const results = appends.map((append) => this.appendInTransaction(append.streamId, append.events, append.expectedRevision, recordedAt));
      if (this.signer) this.pushAndSign(results.flatMap((result) => result.events), recordedAt);
      return results;
    });
    this.appendOne = this.db.transaction((streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, recordedAt: string) => {
      // A command belongs to one stream: event ids derive from the command and the stream, so a
      // command id (an Idempotency-Key) reused on another stream is caught here, as EventStoreDB's
      // command claim catches it. Multi-stream transactions (appendToStreams) may span streams.
      for (const commandId of new Set(events.map((event) => event.metadata.commandId))) {
        if (this.statements.commandElsewhere.get(commandId, streamId)) throw new DuplicateEventIdError(events[0]!.eventId, streamId);
      }
      return this.appendInTransaction(streamId, events, expected, recordedAt);
    });
  }

  /**
   * Opens the file. SQLite silently opens a write-protected file read-only, and such a connection
   * never writes again, so a failed commit that says "read-only" makes the next one reconnect.
   */
  private connect(): [Database.Database, SqliteEventStore['statements']] {
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path, { timeout: this.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA_SQL);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 0) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      else if (version === 1 || version === 2) migrateToCurrent(db);
      else if (version !== SCHEMA_VERSION) throw new StoreUnavailableError(`${this.path} has schema version ${version}, expected ${SCHEMA_VERSION}`);
      db.exec(TREE_HEADS_SQL);
      this.fileIdentity = this.path === ':memory:' ? null : this.identityOfFile();
    } catch (error) {
      db?.close();
      throw translate(error, this.path);
    }
    const statements = {
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
      readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: db.prepare<[], { position: number | null }>('SELECT max(position) AS position FROM events'),
      latestTreeHead: db.prepare<[], TreeHeadRow>('SELECT * FROM tree_heads ORDER BY size DESC LIMIT 1'),
      treeHeadOfSize: db.prepare<[number], TreeHeadRow>('SELECT * FROM tree_heads WHERE size = ?'),
      insertTreeHead: db.prepare<unknown[]>('INSERT INTO tree_heads (size, root, time, signature, key_id) VALUES (?, ?, ?, ?, ?)'),
      hashesAfter: db.prepare<[number], { position: number; hash: string }>('SELECT position, hash FROM events WHERE position > ? ORDER BY position'),
    };
    return [db, statements];
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
  private assertFileInPlace(): void {
    if (this.fileIdentity === null) return;
    const now = this.identityOfFile();
    if (now === null || now.dev !== this.fileIdentity.dev || now.ino !== this.fileIdentity.ino) {
      throw new StoreUnavailableError(`SQLite store ${this.path}: the database file or its directory is missing or was replaced; writes stop until it is back`);
    }
  }

  /** Translates a failed write and remembers a fault of the file for /health and the next commit. */
  private noteFault(error: unknown): unknown {
    const translated = translate(error, this.path);
    if (!(translated instanceof StoreUnavailableError)) return translated;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) this.reopenBeforeWrite = true;
    this.writeFailure = translated;
    return translated;
  }

  private reconnect(): void {
    const [db, statements] = this.connect();
    this.db.close();
    this.db = db;
    this.statements = statements;
    this.compileTransactions();
  }

  /**
   * Whether a write could be committed now, without writing: the file is in place and writable,
   * no other process holds the write lock, and the last commit did not fail. Throws
   * StoreUnavailableError saying which fault it found.
   */
  async probeWritable(): Promise<void> {
    this.assertOpen();
    if (this.path === ':memory:') return;
    this.assertFileInPlace();
    try {
      accessSync(this.path, fsConstants.W_OK);
    } catch (error) {
      throw new StoreUnavailableError(`SQLite store ${this.path}: the database file is read-only (${(error as NodeJS.ErrnoException).code ?? 'EACCES'})`, { cause: error });
    }
    try {
      this.db.pragma('busy_timeout = 250');
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    } catch (error) {
      throw translate(error, this.path);
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
    if (this.writeFailure) throw this.writeFailure;
  }

  /**
   * Appends join the next group commit: every append that arrives before the current turn of the
   * event loop ends shares one BEGIN IMMEDIATE … COMMIT, so one fsync makes many appends durable.
   * Each runs in its own savepoint and is checked against its own expected revision, so a conflict
   * fails only its own append. A promise resolves only after the commit is durable.
   */
  appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('an append needs at least one event'));
    if (this.closed) return Promise.reject(new StoreUnavailableError(`SQLite store ${this.path} is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ streamId, events, expectedRevision: options.expectedRevision, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending.splice(0, this.maxAppendsPerCommit);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (batch.length === 0) return;
    if (this.closed) {
      for (const append of batch) append.reject(new StoreUnavailableError(`SQLite store ${this.path} is closed`));
      return;
    }
    let outcomes: AppendOutcome[];
    try {
      this.assertFileInPlace();
      if (this.reopenBeforeWrite) this.reconnect();
      outcomes = this.commitGroup.immediate(batch);
    } catch (error) {
      // The commit itself failed (disk full, read-only, locked): nothing of the batch is stored,
      // and the tree may hold hashes of events that were rolled back: it is rebuilt next time.
      this.merkle = null;
      const translated = this.noteFault(error);
      for (const append of batch) append.reject(translated);
      return;
    }
    this.stats.commits += 1;
    this.stats.appends += batch.length;
    // Only an append that got through proves the file writable again.
    if (outcomes.some((outcome) => 'result' in outcome)) {
      this.reopenBeforeWrite = false;
      this.writeFailure = null;
    }
    const committed: RecordedEvent[] = [];
    for (const [index, append] of batch.entries()) {
      const outcome = outcomes[index]!;
      if ('result' in outcome) {
        append.resolve(outcome.result);
        committed.push(...outcome.result.events);
      } else {
        append.reject(this.noteFault(outcome.error));
      }
    }
    committed.sort((a, b) => a.position - b.position);
    for (const listener of this.listeners) listener(committed);
  }

  /** One group commit: every append in its own savepoint, all made durable by one COMMIT. */
  private commitGroupBody(batch: readonly PendingAppend[]): AppendOutcome[] {
    // recordedAt never decreases along the log, even if the clock steps back, so "known at a
    // moment" always cuts the log at one position. Read inside the write lock: other processes
    // may have written since.
    const recordedAt = this.nextRecordedAt();
    if (this.signer) this.catchUpSignedLog();
    const outcomes: AppendOutcome[] = batch.map((append) => {
      try {
        // A nested better-sqlite3 transaction is a savepoint: a refused append rolls back alone.
        return { result: this.appendOne(append.streamId, append.events, append.expectedRevision, recordedAt) };
      } catch (error) {
        // Only the append's own refusals stay its own. Anything else (disk full, I/O) may have
        // ended the whole transaction, so the whole group fails together and nothing is half-stored.
        if (this.db.inTransaction && (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError)) return { error };
        throw error;
      }
    });
    if (this.signer) this.pushAndSign(outcomes.flatMap((outcome) => ('result' in outcome ? outcome.result.events : [])), recordedAt);
    return outcomes;
  }

  /** Adds a commit's new events to the tree and signs the head, inside the commit's transaction. */
  private pushAndSign(events: readonly RecordedEvent[], recordedAt: string): void {
    let grew = false;
    for (const event of events) {
      // A replayed append returns events stored before: they are in the tree already.
      if (event.position <= this.merkle!.position) continue;
      this.merkle!.root.push(Buffer.from(event.metadata.hash, 'hex'));
      this.merkle!.position = event.position;
      grew = true;
    }
    if (grew) this.insertSignedHead(recordedAt);
  }

  /**
   * Inside a commit's write lock, before anything is appended: brings this process's tree up to
   * the latest signed head (other processes sign their commits in the same transaction), checks
   * that the head signs exactly that tree, and that no event lies beyond it. Anything else means
   * the file was changed behind the ledger's back (or written without the key), and the ledger
   * refuses to sign over it: writes stop until an operator has looked (grantledger verify).
   */
  private catchUpSignedLog(): void {
    if (this.treeHeadFault) throw this.treeHeadFault;
    const signer = this.signer!;
    const latestRow = this.statements.latestTreeHead.get();
    const latest = latestRow ? toTreeHead(latestRow) : null;
    if (this.merkle === null) this.merkle = { root: new StreamingMerkleRoot(), position: 0, signed: null };
    const merkle = this.merkle;
    const fault = (problem: string) => {
      this.merkle = null;
      this.treeHeadFault = new StoreUnavailableError(`SQLite store ${this.path}: ${problem}; writes stop until this is examined (grantledger verify)`);
      return this.treeHeadFault;
    };
    if (latest === null) {
      if (merkle.root.size > 0) throw fault('its signed tree heads are gone');
      // A log from before signed heads (or a fresh one): its first head, at the end of this commit, adopts it.
      for (const row of this.statements.hashesAfter.iterate(merkle.position)) {
        merkle.root.push(Buffer.from(row.hash, 'hex'));
        merkle.position = row.position;
      }
      return;
    }
    if (latest.size < merkle.root.size) throw fault(`its latest signed tree head covers ${latest.size} events, fewer than the ${merkle.root.size} signed before`);
    if (merkle.signed !== null && merkle.root.size === latest.size && sameHead(latest, merkle.signed)) {
      // The latest head is the very row this process signed over this tree in its last commit:
      // its root is this tree's and its signature is ours, so hashing the root again and
      // verifying the signature (a third of the signing cost per commit) would prove nothing
      // new. A head another process signed, or one edited in the file, differs in some field
      // and takes the full check below. Events written after it are still looked for.
      let beyondOwn = 0;
      for (const _row of this.statements.hashesAfter.iterate(merkle.position)) beyondOwn += 1;
      if (beyondOwn > 0) throw fault(`${beyondOwn} event(s) lie beyond the latest signed tree head: they were written behind the ledger's back or without its signing key`);
      return;
    }
    let beyond = 0;
    for (const row of this.statements.hashesAfter.iterate(merkle.position)) {
      if (merkle.root.size < latest.size) {
        merkle.root.push(Buffer.from(row.hash, 'hex'));
        merkle.position = row.position;
      } else {
        beyond += 1;
      }
    }
    if (merkle.root.size < latest.size) throw fault(`the log holds ${merkle.root.size} events, fewer than the ${latest.size} of its latest signed tree head: events were removed`);
    if (merkle.root.root().toString('hex') !== latest.root || !signer.verify(latest)) {
      throw fault(`the log does not match its latest signed tree head (${latest.size} events): events were inserted, changed or removed`);
    }
    if (beyond > 0) throw fault(`${beyond} event(s) lie beyond the latest signed tree head: they were written behind the ledger's back or without its signing key`);
  }

  private insertSignedHead(time: string): void {
    const merkle = this.merkle!;
    const head = this.signer!.sign({ size: merkle.root.size, root: merkle.root.root().toString('hex'), time });
    this.statements.insertTreeHead.run(head.size, head.root, head.time, head.signature, head.keyId);
    merkle.signed = head;
  }

  /** The latest signed tree head, or null when the store keeps none (yet). */
  async latestTreeHead(): Promise<SignedTreeHead | null> {
    this.assertOpen();
    const row = this.statements.latestTreeHead.get();
    return row ? toTreeHead(row) : null;
  }

  /** The signed head of exactly this many events, if one was signed. */
  async treeHeadOfSize(size: number): Promise<SignedTreeHead | null> {
    this.assertOpen();
    const row = this.statements.treeHeadOfSize.get(size);
    return row ? toTreeHead(row) : null;
  }

  /** recordedAt for a commit: now, or the log's last recordedAt if the clock stepped back. */
  private nextRecordedAt(): string {
    const last = this.statements.lastRecordedAt.get();
    const now = this.clock().toISOString();
    return last && last.recorded_at > now ? last.recorded_at : now;
  }

  /**
   * Several streams in one BEGIN IMMEDIATE … COMMIT: an import that touches many grants and
   * budgets is stored whole or not at all. Appends already queued for the group commit are
   * committed first, so the log's order is the order the appends were made in.
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    if (appends.length === 0 || appends.some((append) => append.events.length === 0)) return Promise.reject(new Error('every append needs at least one event'));
    if (this.closed) return Promise.reject(new StoreUnavailableError(`SQLite store ${this.path} is closed`));
    while (this.pending.length > 0) this.flush();
    let results: AppendResult[];
    try {
      this.assertFileInPlace();
      if (this.reopenBeforeWrite) this.reconnect();
      results = this.commitStreams.immediate(appends);
    } catch (error) {
      this.merkle = null;
      return Promise.reject(this.noteFault(error));
    }
    this.stats.commits += 1;
    this.stats.appends += appends.length;
    this.reopenBeforeWrite = false;
    this.writeFailure = null;
    const committed = results.flatMap((result) => result.events).sort((a, b) => a.position - b.position);
    for (const listener of this.listeners) listener(committed);
    return Promise.resolve(results);
  }

  private appendInTransaction(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, recordedAt: string): AppendResult {
    const head = this.statements.streamHead.get(streamId);
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && head === undefined) ||
      (expected === 'stream_exists' && head !== undefined) ||
      (typeof expected === 'number' && head !== undefined && head.revision === expected);
    if (!matches) {
      // The stream moved, perhaps by this very append sent before (a retry after a lost answer).
      const replayed = this.alreadyAppended(streamId, events, expected);
      if (replayed) return replayed;
      throw new WrongExpectedVersionError(streamId, expected, head ? head.revision : 'no_stream');
    }
    let revision = head ? head.revision : -1;
    let prevHash = head ? head.hash : GENESIS_HASH;
    const recorded: RecordedEvent[] = [];
    for (const [index, event] of events.entries()) {
      revision += 1;
      const { actor, commandId, correlationId, tokenId, requestHash, schemaVersion } = event.metadata;
      const metadata = { ...event.metadata, recordedAt, prevHash };
      const hash = hashOf({ streamId, revision, eventId: event.eventId, type: event.type, data: event.data, metadata });
      let info: Database.RunResult;
      try {
        info = this.statements.insert.run(
          streamId, revision, event.eventId, event.type, JSON.stringify(event.data),
          actor, commandId, correlationId, requestHash ?? null, tokenId ?? null, schemaVersion ?? null, recordedAt, prevHash, hash,
        );
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('event_id')) {
          // Only a whole append stored before is a repeat (with 'any' it may sit anywhere in the stream).
          const replayed = index === 0 ? this.alreadyAppended(streamId, events, expected) : null;
          if (replayed) return replayed;
          throw new DuplicateEventIdError(event.eventId, streamId);
        }
        throw error;
      }
      recorded.push({
        eventId: event.eventId,
        streamId,
        type: event.type,
        revision,
        position: Number(info.lastInsertRowid),
        data: event.data,
        metadata: { ...metadata, hash },
      });
      prevHash = hash;
    }
    const lastEvent = recorded[recorded.length - 1]!;
    return { nextExpectedRevision: lastEvent.revision, position: lastEvent.position, events: recorded };
  }

  /**
   * As EventStoreDB does: an append whose event ids are already stored, in this stream, in the
   * same order, right after the expected revision, succeeded before; it returns that result.
   */
  private alreadyAppended(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult | null {
    const first = this.statements.byEventId.get(events[0]!.eventId);
    if (!first) return null;
    if (first.stream_id !== streamId) throw new DuplicateEventIdError(first.event_id, streamId);
    const expectedFirstRevision = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : first.revision;
    if (first.revision !== expectedFirstRevision) return null;
    const stored: RecordedEvent[] = [];
    for (const [index, event] of events.entries()) {
      const row = this.statements.byEventId.get(event.eventId);
      if (!row || row.stream_id !== streamId || row.revision !== first.revision + index) {
        throw new DuplicateEventIdError(event.eventId, streamId);
      }
      stored.push(toRecordedEvent(row));
    }
    const lastEvent = stored[stored.length - 1]!;
    return { nextExpectedRevision: lastEvent.revision, position: lastEvent.position, events: stored };
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromRevision ?? 0;
    let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    while (left > 0) {
      this.assertOpen();
      const rows = this.statements.readStream.all(streamId, from, Math.min(this.pageSize, left));
      for (const row of rows) yield toRecordedEvent(row);
      if (rows.length < Math.min(this.pageSize, left)) return;
      left -= rows.length;
      from = rows[rows.length - 1]!.revision + 1;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let after = options.after ?? 0;
    let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    while (left > 0) {
      this.assertOpen();
      const rows = this.statements.readAll.all(after, Math.min(this.pageSize, left));
      for (const row of rows) yield toRecordedEvent(row);
      if (rows.length < Math.min(this.pageSize, left)) return;
      left -= rows.length;
      after = rows[rows.length - 1]!.position;
    }
  }

  /** One page of the log as rows, for callers that stream millions of events. */
  readAllPage(after: number, limit: number): RecordedEvent[] {
    this.assertOpen();
    return this.statements.readAll.all(after, limit).map(toRecordedEvent);
  }

  /**
   * Loads an export into this store, which must be empty, in one transaction: a failure leaves
   * the store empty. Every event must come after the previous one in global order and pass the
   * ChainVerifier that verify uses (it continues its stream's hash chain and is not recorded
   * before the event ahead of it). Ids, positions, recordedAt and hashes are kept, so the copy has the same
   * digest as the original.
   */
  async importRecorded(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: ImportOptions = {}): Promise<number> {
    this.assertOpen();
    const batchSize = 5000;
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw translate(error, this.path);
    }
    let count = 0;
    try {
      if ((this.statements.head.get()?.position ?? 0) !== 0) throw new ImportRefusedError(`${this.description} is not empty: import only into an empty store`);
      const verifier = new ChainVerifier();
      let previous: RecordedEvent | null = null;
      let batch: RecordedEvent[] = [];
      const flush = () => {
        for (const event of batch) this.insertRecorded(event);
        count += batch.length;
        batch = [];
        options.onProgress?.(count);
      };
      for await (const event of events) {
        if (previous !== null && event.position <= previous.position) {
          throw new ImportRefusedError(`event ${event.eventId} at position ${event.position} does not come after position ${previous.position}`);
        }
        if (!Number.isSafeInteger(event.position) || event.position < 1) throw new ImportRefusedError(`event ${event.eventId} has no valid position`);
        const failure = verifier.check(event);
        if (failure) throw new ImportRefusedError(describeChainFailure(failure));
        previous = event;
        batch.push(event);
        if (batch.length >= batchSize) flush();
      }
      flush();
      if (this.signer && count > 0) {
        // The copy is signed with this store's key: its first head adopts the imported log.
        this.merkle = null;
        this.catchUpSignedLog();
        this.insertSignedHead(previous!.metadata.recordedAt);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.merkle = null;
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ImportRefusedError(`duplicate event: ${(error as Error).message}`);
      }
      throw translate(error, this.path);
    }
    for (const listener of this.listeners) listener([]);
    return count;
  }

  private insertRecorded(event: RecordedEvent): void {
    this.statements.insertRecorded.run(
      event.position,
      event.streamId,
      event.revision,
      event.eventId,
      event.type,
      JSON.stringify(event.data),
      event.metadata.actor,
      event.metadata.commandId,
      event.metadata.correlationId,
      event.metadata.requestHash ?? null,
      event.metadata.tokenId ?? null,
      event.metadata.schemaVersion ?? null,
      event.metadata.recordedAt,
      event.metadata.prevHash,
      event.metadata.hash,
    );
  }

  async findEvents(filter: EventFilter, page: { after: number; limit: number }): Promise<RecordedEvent[]> {
    this.assertOpen();
    const conditions = ['position > ?'];
    const values: unknown[] = [page.after];
    if (filter.actor !== undefined) (conditions.push('actor = ?'), values.push(filter.actor));
    if (filter.from !== undefined) (conditions.push('recorded_at >= ?'), values.push(filter.from));
    if (filter.to !== undefined) (conditions.push('recorded_at <= ?'), values.push(filter.to));
    if (filter.type !== undefined) (conditions.push('type = ?'), values.push(filter.type));
    values.push(page.limit);
    const rows = this.db.prepare(`SELECT * FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`).all(...values) as EventRow[];
    return rows.map(toRecordedEvent);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.statements.head.get()?.position ?? 0;
  }

  subscribeToAll(options: SubscribeOptions, handler: EventHandler): Subscription {
    let cursor = options.after ?? 0;
    let stopped = false;
    let wake: (() => void) | null = null;
    // Events this process just committed. When they follow the cursor without a gap they are
    // delivered as they are; otherwise (another process wrote in between) the page is read.
    let inbox: RecordedEvent[] = [];
    const signal = (committed: readonly RecordedEvent[] = []) => {
      if (committed.length > 0) inbox.push(...committed);
      wake?.();
    };
    this.listeners.add(signal);
    const sleep = () =>
      new Promise<void>((resolveSleep) => {
        const timer = setTimeout(() => {
          wake = null;
          resolveSleep();
        }, this.pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolveSleep();
        };
      });
    const nextEvents = (): RecordedEvent[] => {
      const pending = inbox.filter((event) => event.position > cursor);
      inbox = [];
      const contiguous = pending.length > 0 && pending.every((event, index) => event.position === cursor + 1 + index);
      return contiguous ? pending : this.readAllPage(cursor, this.pageSize);
    };
    const loop = async () => {
      try {
        while (!stopped && !this.closed) {
          const events = nextEvents();
          for (const event of events) {
            if (stopped) return;
            await handler(event);
            cursor = event.position;
          }
          if (events.length < this.pageSize && inbox.length === 0) await sleep();
        }
      } finally {
        this.listeners.delete(signal);
      }
    };
    const done = loop();
    done.catch(() => undefined); // the caller observes failures through `done`
    return {
      done,
      stop: async () => {
        stopped = true;
        signal();
        await done.catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are committed before the file closes.
    while (this.pending.length > 0) this.flush();
    this.closed = true;
    for (const listener of this.listeners) listener([]);
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`SQLite store ${this.path} is closed`);
  }
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
