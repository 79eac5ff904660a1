import type { ActivitiesReport } from '../../projections/activities.js';
import type { EventStore, RecordedEvent, Subscription } from '../store/port.js';
import type { GrantCommand } from '../domain/grant/commands.js';
import type { BudgetKey } from '../domain/budget/events.js';
import type { BudgetCommand } from '../domain/budget/commands.js';
import { dateOfMoment, type IsoDate } from '../domain/dates.js';
import type { LogDigest, MerkleFrontier } from '../domain/merkle.js';
import type { TokenRegistry, Authentication } from './tokens.js';
import type { CommandContext, CommandOutcome } from './commandHandler.js';
import { followStore, LedgerReadModel } from './readModel/index.js';
import { loadSnapshot, removeUnfinishedSnapshots, writeSnapshot, type PreviousReadModel } from './readModel/snapshotFile.js';
import { buildReadModel, type RebuildProgress } from './readModel/rebuild.js';
import { ReadModelRebuildingError } from './errors.js';
import { checkTailAgainstTreeHead, compareDigest, findEvents, logDigest, verifyLog, type DigestCheck, type LogReport, type VerifiedTree } from './audit.js';
import type { LogCheckpoint } from './readModel/core.js';
import type { EventFilter } from '../store/port.js';
import type { SignedTreeHead, TreeHeadSigner } from '../store/treeHeads.js';
import type { GrantView } from '../../projections/grantView.js';
import type { UnusedGrantsFilter, UnusedGrantsReport } from '../../projections/unusedGrants.js';
import type { BudgetInView, CommitteeResultRow } from '../../projections/committeeResults.js';
import type { EarlyWarningReport, EarlyWarningRow } from '../../projections/earlyWarning.js';
import type { Clocks } from '../../projections/clocks.js';
import { SignedTailRecovery } from './signedTailRecovery.js';
import { LedgerCommands } from './ledger/commands.js';
import type { Pauses } from './yielder.js';
import { LedgerQueries, type GrantList, type GrantListFilter } from './ledger/queries.js';
import { tokenRegistryOf } from './ledger/tokenWiring.js';

export type { GrantList, GrantListFilter } from './ledger/queries.js';

/** What /health shows: the read model and the store, each with its problem in words. */
export interface LedgerHealth {
  readonly status: 'ok' | 'failing' | 'rebuilding';
  readonly store: string;
  readonly position: number;
  /** The projection stopped on an event it cannot apply. */
  readonly problem?: string;
  /** The store refuses writes: read-only, missing, full, locked. */
  readonly storeProblem?: string;
  /** While the read model is rebuilt from the log in the background. */
  readonly rebuild?: RebuildStatus;
}

/** A background rebuild under way: how far it is, why it runs, and what queries are answered from meanwhile. */
export interface RebuildStatus extends RebuildProgress {
  /** 'previous': the last good read model (another projection version's snapshot) answers queries; 'none': queries answer 503. */
  readonly serving: 'previous' | 'none';
  readonly reason: string;
}

export interface LedgerOptions {
  readonly clock?: () => Date;
  /**
   * Where the read model is saved (see ./readModel/snapshotFile.ts): loaded at start so only the
   * tail of the log is folded, written in the background as the log grows and at stop. None by
   * default; the server puts it beside the store.
   */
  readonly snapshotPath?: string | null;
  /** Operational messages (a snapshot loaded or ignored, and why). @defaultValue stderr */
  readonly log?: (message: string) => void;
  /** Events after the last snapshot that make the background writer save a new one. @defaultValue 10 000 */
  readonly snapshotEveryEvents?: number;
  /**
   * When the snapshot cannot be used but the log can (another projection version, a checkpoint
   * the log no longer has), start() returns at once and the read model is rebuilt in the
   * background (see `rebuilt`), instead of start() folding the whole log first. The server sets it.
   */
  readonly rebuildInBackground?: boolean;
  /** Awaited before every chunk of a background rebuild: a test holds the rebuild here. */
  readonly beforeRebuildChunk?: (progress: RebuildProgress) => Promise<void> | void;
  /** Events per chunk of a background rebuild (the event loop runs between chunks). @defaultValue 5 000 */
  readonly rebuildChunkEvents?: number;
  /**
   * While the read model is stopped on an unsigned tail (see awaitSignedTail), how often the
   * ledger asks whether a bigger signed head exists; commands and the admin's /health ask too.
   * @defaultValue 5 000
   */
  readonly signedTailCheckMs?: number;
  /**
   * Where a historical view gives the event loop back while ready() folds it. @defaultValue a
   * Yielder with 15 ms slices; a test pauses at every grant, or writes during a pause.
   */
  readonly reportPauses?: (checkEvery: number) => Pauses;
}

/** How often the background writer looks whether a snapshot is due. */
const SNAPSHOT_CHECK_MS = 5_000;
/** Fewer new events than snapshotEveryEvents are saved too, once this old. */
const SNAPSHOT_MAX_AGE_MS = 10 * 60_000;

export { hashToken, newToken } from './tokens.js';

/**
 * The application layer: commands (./ledger/commands.ts) go through the deciders to the store;
 * queries (./ledger/queries.ts, the one owner of every cache) read the projections; tokens
 * (./ledger/tokenWiring.ts). Every command waits until the read model has seen its events, so a
 * client reads its own writes. Routes call the ledger only, never its read model or store.
 */
/** Grants warmed per turn of the event loop after a start (about 10 ms of folding). */
const WARM_UP_SLICE = 50;

export class Ledger {
  readonly readModel = new LedgerReadModel();
  private readonly clock: () => Date;
  private subscription: Subscription | null = null;
  private readonly commands: LedgerCommands;
  readonly queries: LedgerQueries;

  /** Bearer tokens: issue, list, revoke, authenticate. */
  readonly tokens: TokenRegistry;

  private readonly snapshotPath: string | null;
  private readonly snapshotEveryEvents: number;
  private readonly log: (message: string) => void;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotWriting: Promise<void> | null = null;
  private snapshotSaved = { position: 0, at: Date.now() };
  /**
   * With a signer: the last snapshot saved or loaded lacks the Merkle frontier (it was written
   * before the start's verify had the log's tree), so one is saved again as soon as the tree is known.
   */
  private snapshotLacksFrontier = false;
  private readonly rebuildInBackground: boolean;
  private readonly beforeRebuildChunk: LedgerOptions['beforeRebuildChunk'];
  private readonly rebuildChunkEvents: number | undefined;
  private rebuildStatus: RebuildStatus | null = null;
  private rebuildStarted = 0;
  /** Settles when a background rebuild is done (swapped in, or failed: see /health); at once when none runs. */
  rebuilt: Promise<void> = Promise.resolve();

  constructor(readonly store: EventStore, options: LedgerOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.snapshotPath = options.snapshotPath ?? null;
    this.snapshotEveryEvents = options.snapshotEveryEvents ?? 10_000;
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
    this.rebuildInBackground = options.rebuildInBackground ?? false;
    this.beforeRebuildChunk = options.beforeRebuildChunk;
    this.rebuildChunkEvents = options.rebuildChunkEvents;
    this.signedTailCheckMs = options.signedTailCheckMs ?? 5_000;
    this.commands = new LedgerCommands(store, this.readModel, () => this.catchUp(), () => this.assertNotRebuilding('commands are refused'));
    this.queries = new LedgerQueries(this.readModel, store, () => this.today(), options.reportPauses);
    this.tokens = tokenRegistryOf(store, this.readModel, this.commands, this.clock);
  }

  /**
   * Replays the log into the read model and follows the store from there. Where the store signs
   * tree heads, the log must match its latest signed head: one changed behind the ledger's back
   * (an inserted admin token, a removed event) stops the read model, so nothing is answered from
   * it and /health says why, until an operator has examined it.
   */
  async start(): Promise<void> {
    if (this.snapshotPath !== null) {
      const unusable = await this.loadSnapshot(this.snapshotPath);
      if (unusable !== null && this.rebuildInBackground) {
        this.rebuildBehind(unusable.reason, unusable.previous);
        await this.verifyAgainstTreeHead();
        return;
      }
    }
    this.subscription = followStore(this.store, this.readModel);
    await this.catchUp();
    this.warmUp();
    if (this.snapshotPath !== null) {
      this.snapshotTimer = setInterval(() => void this.saveSnapshotIfDue(), SNAPSHOT_CHECK_MS);
      this.snapshotTimer.unref();
    }
    await this.verifyAgainstTreeHead();
  }

  /**
   * Where the store signs tree heads, a start checks the log against the latest one. From a
   * snapshot that carries its Merkle frontier, only the tail after it is read and hashed (see
   * checkTailAgainstTreeHead for what that proves and what it leaves to `verify`); otherwise, or
   * when that cannot decide, the whole log is verified as before.
   */
  private async verifyAgainstTreeHead(): Promise<void> {
    if (!this.store.signer) return;
    const saved = this.snapshotFrontier;
    this.snapshotFrontier = null;
    if (saved !== null) {
      const started = Date.now();
      const check = await checkTailAgainstTreeHead(this.store, saved);
      if (check.kind === 'matches') {
        this.merkleTree = check.tree;
        this.log(
          `grantledger: the log's ${check.tailEvents} event(s) after the snapshot, with its Merkle frontier, match the signed tree head of ${check.head.size} events (checked in ${((Date.now() - started) / 1000).toFixed(2)} s); the events before it are checked by verify`,
        );
        return;
      }
      this.log(`grantledger: the whole log is verified against its signed tree head at start: ${check.reason}`);
    }
    const report = await this.verify();
    const check = report.treeHead;
    if (!check || check.ok) return;
    // Only events beyond an intact head, which a bigger signed head can cover, can end by themselves.
    const tailOnly = check.head !== null && check.signatureValid && check.rootMatches && check.unsignedEvents > 0;
    if (!tailOnly || check.head === null) {
      this.readModel.fail(new Error(`the log does not match its signed tree head: ${check.detail}`));
      return;
    }
    this.awaitSignedTail(check.head.size, check.unsignedEvents);
  }

  /**
   * The log has events beyond its latest signed head and nothing else wrong (on EventStoreDB: a
   * writer killed between its events and their head, or one whose head is on its way). Nothing is
   * served from the read model, which folded them unverified: it stops, /health says why, and
   * commands are refused. It runs again, with no restart, once a bigger signed head appears (the
   * operator's grantledger tree-head sign-tail, or the late writer's head): asked on a timer, by
   * every command and by the admin's /health, the ledger then verifies the log against that head
   * while building a new read model from it (SignedTailRecovery), and serves that one.
   */
  private awaitSignedTail(signedSize: number, unsignedEvents: number): void {
    this.readModel.fail(new Error(this.unsignedTailProblem(signedSize, unsignedEvents)));
    this.signedTail = { signedSize, recovery: null };
    if (this.signedTailTimer === null) {
      this.signedTailTimer = setInterval(() => void this.resumeIfTailSigned().catch(() => undefined), this.signedTailCheckMs);
      this.signedTailTimer.unref();
    }
  }

  private unsignedTailProblem(signedSize: number, unsignedEvents: number): string {
    const way = this.store.signReviewedTail
      ? "nothing is served until they are signed after review (grantledger tree-head sign-tail) or examined (grantledger verify); once a signed head covers them the ledger verifies the log against it and serves again by itself"
      : 'nothing is served until they are examined (grantledger verify)';
    return `the log does not match its signed tree head: ${unsignedEvents} event(s) beyond the latest signed tree head are unsigned (it covers ${signedSize} events): written behind the ledger's back or without its signing key, or by a writer that stopped before signing them; ${way}`;
  }

  private readonly signedTailCheckMs: number;
  /** While the read model is stopped on an unsigned tail: the head it lies beyond, and the recovery once a bigger head appeared. */
  private signedTail: { signedSize: number; recovery: SignedTailRecovery | null } | null = null;
  private signedTailTimer: NodeJS.Timeout | null = null;
  /** The check under way: one at a time, and every caller shares it. */
  private signedTailCheck: Promise<boolean> | null = null;
  private readonly resumeListeners: Array<() => unknown> = [];

  /** Called each time the ledger serves again after an unsigned tail was signed (the server registers its admin token then). */
  onResume(listener: () => unknown): void {
    this.resumeListeners.push(listener);
  }

  /**
   * Whether the ledger serves again after an unsigned tail: false at once while none stopped it.
   * Otherwise asks for the latest signed head (one read); when it is bigger than the one the tail
   * lay beyond, verifies the log against it and swaps in the read model built in that pass.
   */
  resumeIfTailSigned(): Promise<boolean> {
    if (this.signedTail === null) return Promise.resolve(false);
    if (this.signedTailCheck === null) {
      const check = this.checkSignedTail();
      this.signedTailCheck = check;
      const clear = () => {
        if (this.signedTailCheck === check) this.signedTailCheck = null;
      };
      check.then(clear, clear);
    }
    return this.signedTailCheck;
  }

  private async checkSignedTail(): Promise<boolean> {
    const waiting = this.signedTail;
    // A background rebuild swaps in its own read model: wait until it has.
    if (waiting === null || this.stopping || this.rebuildStatus !== null || !this.store.latestTreeHead) return false;
    if (waiting.recovery === null) {
      const latest = await this.store.latestTreeHead();
      if (latest === null || latest.size <= waiting.signedSize) return false;
      this.log(`grantledger: a signed tree head of ${latest.size} events covers more than the ${waiting.signedSize} the unsigned tail lay beyond; verifying the log against it and building the read model from it`);
      waiting.recovery = new SignedTailRecovery(this.store);
    }
    const started = Date.now();
    const step = await waiting.recovery.step(() => this.stopping);
    if (this.stopping || this.signedTail !== waiting) return false;
    if (step.kind === 'refused') {
      this.endSignedTailWait();
      this.readModel.fail(new Error(`the log does not match its signed tree head: ${step.reason}`));
      this.log(`grantledger: the read model stays stopped: ${step.reason}`);
      return false;
    }
    if (step.kind === 'waiting') {
      if (step.signedSize > waiting.signedSize) {
        this.readModel.fail(new Error(this.unsignedTailProblem(step.signedSize, step.unsignedEvents)));
        waiting.signedSize = step.signedSize;
      }
      return false;
    }
    await this.subscription?.stop();
    this.subscription = null;
    if (this.stopping) return false;
    this.readModel.resumeWith(step.readModel);
    this.endSignedTailWait();
    if (this.merkleTree === null || step.tree.position > this.merkleTree.position) this.merkleTree = step.tree;
    this.verified = null;
    this.subscription = followStore(this.store, this.readModel);
    this.warmUp();
    this.log(
      `grantledger: the log matches the signed tree head of ${step.head.size} events (verified and folded in ${((Date.now() - started) / 1000).toFixed(2)} s); the read model serves again`,
    );
    for (const listener of this.resumeListeners) {
      try {
        await listener();
      } catch (error) {
        this.log(`grantledger: after resuming: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return true;
  }

  private endSignedTailWait(): void {
    this.signedTail = null;
    if (this.signedTailTimer) clearInterval(this.signedTailTimer);
    this.signedTailTimer = null;
  }

  /** The Merkle frontier a loaded snapshot carried, for the start's check; null once used. */
  private snapshotFrontier: { frontier: MerkleFrontier; position: number; hash: string } | null = null;
  /**
   * With a signer: the log's Merkle tree (its frontier, O(log n) hashes) up to an event, known to
   * match a signed head (from a verify that passed, or the start's tail check). Snapshots carry
   * it at their checkpoint; it is advanced from the store only as far as a snapshot needs.
   */
  private merkleTree: VerifiedTree | null = null;
  private merkleTreeWork: Promise<unknown> = Promise.resolve();

  /** The saved snapshot lacks the frontier, and the log's tree is now known as far as it: save again (a start from it would verify the whole log). */
  private frontierDue(): boolean {
    return this.snapshotLacksFrontier && this.merkleTree !== null && this.merkleTree.position <= this.readModel.position;
  }

  /** The Merkle frontier of the log up to a snapshot's checkpoint, or null when it is not known. */
  private merkleFrontierAt(checkpoint: LogCheckpoint): Promise<MerkleFrontier | null> {
    if (!this.store.signer) return Promise.resolve(null);
    const work = this.merkleTreeWork.then(() => this.advanceMerkleTree(checkpoint));
    this.merkleTreeWork = work.catch(() => undefined);
    return work;
  }

  private async advanceMerkleTree(checkpoint: LogCheckpoint): Promise<MerkleFrontier | null> {
    const known = this.merkleTree;
    if (known === null || checkpoint.position < known.position) return null;
    let { position, hash } = known;
    if (position < checkpoint.position) {
      for await (const event of this.store.readAll({ after: position })) {
        if (event.position > checkpoint.position) break;
        known.tree.pushHex(event.metadata.hash);
        ({ position } = event);
        hash = event.metadata.hash;
        if (position === checkpoint.position) break;
      }
      this.merkleTree = { tree: known.tree, position, hash };
    }
    if (position !== checkpoint.position || hash !== checkpoint.lastHash) {
      // The log and the read model disagree about the event at the checkpoint: keep no frontier.
      this.merkleTree = null;
      return null;
    }
    return known.tree.frontier();
  }

  /**
   * Rebuilds the read model from the log in the background while the server answers: queries
   * from the previous read model if there is one, else 503 with Retry-After. Commands are refused
   * with 503 until the swap, with or without a previous model: one decided on the previous model
   * could be decided on figures the new projection code disagrees with, and feeding both models
   * would need a second copy of every write's wait. Refusing is the simple correct choice.
   * The swap is at once (adopt): the subscription feeding the previous model stops, the new one
   * catches up to the log's head, takes its place, and the subscription resumes after it.
   */
  private rebuildBehind(reason: string, previous: PreviousReadModel | undefined): void {
    if (previous) {
      this.readModel.adopt(previous.readModel);
      this.subscription = followStore(this.store, this.readModel);
    }
    this.rebuildStarted = Date.now();
    this.rebuildStatus = { applied: 0, of: 0, serving: previous ? 'previous' : 'none', reason };
    this.log(
      `grantledger: rebuilding the read model from the log in the background; ${previous ? `answering queries from the snapshot of projection version ${previous.projectionVersion} meanwhile` : 'queries answer 503 meanwhile'}, commands 503`,
    );
    const progress = (reached: RebuildProgress) => {
      if (this.rebuildStatus) this.rebuildStatus = { ...this.rebuildStatus, ...reached };
    };
    this.rebuilt = (async () => {
      const built = await buildReadModel(this.store, {
        onProgress: progress,
        betweenChunks: async (reached) => {
          progress(reached);
          await this.beforeRebuildChunk?.(reached);
        },
        cancelled: () => this.stopping,
        ...(this.rebuildChunkEvents === undefined ? {} : { chunkEvents: this.rebuildChunkEvents }),
      });
      if (built.cancelled || this.stopping) return;
      await this.subscription?.stop();
      this.subscription = null;
      // Events appended meanwhile (by another process on the store) are folded in before the swap.
      for await (const event of this.store.readAll({ after: built.readModel.position })) built.readModel.apply(event);
      if (this.stopping) return;
      this.readModel.adopt(built.readModel);
      previous?.release();
      this.rebuildStatus = null;
      this.subscription = followStore(this.store, this.readModel);
      this.log(`grantledger: the read model is rebuilt from the log (${built.readModel.eventsApplied} events in ${((Date.now() - this.rebuildStarted) / 1000).toFixed(2)} s) and answers from now on`);
      if (this.snapshotPath !== null) {
        this.snapshotTimer = setInterval(() => void this.saveSnapshotIfDue(), SNAPSHOT_CHECK_MS);
        this.snapshotTimer.unref();
        void this.saveSnapshot();
      }
    })().catch((error: unknown) => {
      // A rebuild that meets an event it cannot apply stops the read model, as a start would.
      this.rebuildStatus = null;
      this.readModel.fail(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** The background rebuild under way, or null. */
  rebuilding(): RebuildStatus | null {
    return this.rebuildStatus;
  }

  /** Refuses what must wait for the rebuild: every command, and queries while no previous read model answers. */
  assertNotRebuilding(what: string): void {
    const status = this.rebuildStatus;
    if (status === null) return;
    throw new ReadModelRebuildingError(what, status, this.retryAfterSeconds(status));
  }

  /** Assert that queries can be answered: refused only while a rebuild runs with no previous read model. */
  assertQueryable(): void {
    if (this.rebuildStatus?.serving === 'none') this.assertNotRebuilding('queries are refused');
  }

  /** While a rebuild runs, when to ask again (Retry-After); null when none runs. */
  rebuildRetryAfterSeconds(): number | null {
    return this.rebuildStatus ? this.retryAfterSeconds(this.rebuildStatus) : null;
  }

  /** The rest of the rebuild at its pace so far, within 1 to 30 s. */
  private retryAfterSeconds(status: RebuildProgress): number {
    const elapsed = (Date.now() - this.rebuildStarted) / 1000;
    if (status.applied === 0 || status.of === 0) return 5;
    const rest = (elapsed * (status.of - status.applied)) / status.applied;
    return Math.min(30, Math.max(1, Math.ceil(rest)));
  }

  private verifying: { position: number; report: Promise<LogReport> } | null = null;
  private keepVerifiedTree: VerifiedTree | null = null;
  private verified: { position: number; report: LogReport } | null = null;

  /**
   * verify over the whole log: one at a time (a caller shares a running one that covers as much
   * as it would), and the result kept for the log position it covered, so repeating it costs
   * nothing until the log grows.
   */
  async verify(): Promise<LogReport> {
    for (;;) {
      const position = await this.store.headPosition();
      if (this.verified && this.verified.position >= position) {
        if (!(await this.signedSince(this.verified.report))) return this.verified.report;
        this.verified = null;
      }
      const running = this.verifying;
      if (running && running.position >= position) return running.report;
      if (running) {
        await running.report.catch(() => undefined);
        continue;
      }
      const report = verifyLog(this.store, undefined, (tree) => {
        if (this.store.signer && (this.merkleTree === null || tree.position > this.merkleTree.position)) this.keepVerifiedTree = tree;
      }).then((result) => {
        // Only a log that matched its signed head gives the frontier snapshots carry.
        const tree = this.keepVerifiedTree;
        this.keepVerifiedTree = null;
        if (tree && result.ok && (this.merkleTree === null || tree.position > this.merkleTree.position)) this.merkleTree = tree;
        this.verified = { position, report: result };
        return result;
      });
      const entry = { position, report };
      this.verifying = entry;
      const clear = () => {
        if (this.verifying === entry) this.verifying = null;
      };
      report.then(clear, clear);
      return report;
    }
  }

  /** A report that found events beyond the latest head is out of date once a bigger head is signed (sign-tail), though the log did not grow. */
  private async signedSince(report: LogReport): Promise<boolean> {
    const check = report.treeHead;
    if (!check || check.unsignedEvents === 0) return false;
    const latest = await this.latestTreeHead();
    return latest !== null && latest.size > (check.head?.size ?? 0);
  }

  async latestTreeHead(): Promise<SignedTreeHead | null> {
    return (await this.store.latestTreeHead?.()) ?? null;
  }

  /** The key that signs tree heads, if the store signs them. */
  get signer(): TreeHeadSigner | undefined {
    return this.store.signer;
  }

  /** A page of the log in global order, all of it or filtered (actor, moments, type). */
  async events(filter: EventFilter | null, page: { after: number; limit: number }): Promise<RecordedEvent[]> {
    if (filter !== null) return findEvents(this.store, filter, page);
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readAll({ after: page.after, maxCount: page.limit })) events.push(event);
    return events;
  }

  /** The digest (Merkle tree head) of the whole log: shared and kept, see digestOf. */
  digest(): Promise<LogDigest | null> {
    return this.digestOf(undefined);
  }

  /** Whether the log still holds exactly the prefix a digest describes (its prefix's digest shared and kept like the whole log's). */
  async checkDigest(claimed: LogDigest): Promise<DigestCheck> {
    return compareDigest(claimed, await this.digestOf(claimed.treeSize));
  }

  /** Whole-log reads for digests, one at a time: the tail of the queue. */
  private digestTurn: Promise<unknown> = Promise.resolve();
  /** Digests being computed, by tree size ('all' for the whole log), with the log position they started at. */
  private readonly digestsRunning = new Map<string, { position: number; digest: Promise<LogDigest | null> }>();
  /** Digests computed, by tree size, with the log position they were asked at; the newest few. */
  private readonly digestsKept = new Map<string, { position: number; digest: LogDigest | null }>();

  /**
   * The digest of the whole log (treeSize undefined) or of its first treeSize events, read as
   * verify is: callers asking at once share one read of the log, the result is kept for the log
   * position it was asked at (a repeat costs one look at the head until the log grows), and the
   * reads run one at a time, so N callers never read the log N times side by side (issue 12).
   * A kept whole-log digest of exactly treeSize events answers a check of that size too.
   */
  private async digestOf(treeSize: number | undefined): Promise<LogDigest | null> {
    const key = treeSize === undefined ? 'all' : String(treeSize);
    for (;;) {
      const position = await this.store.headPosition();
      const kept = this.digestsKept.get(key);
      if (kept && kept.position === position) return kept.digest;
      const whole = this.digestsKept.get('all');
      if (treeSize !== undefined && whole && whole.position === position && whole.digest && whole.digest.treeSize === treeSize) return whole.digest;
      const running = this.digestsRunning.get(key);
      if (running && running.position >= position) return running.digest;
      if (running) {
        await running.digest.catch(() => undefined);
        continue;
      }
      const digest = this.digestTurn.then(() => logDigest(this.store, treeSize));
      this.digestTurn = digest.catch(() => undefined);
      const entry = { position, digest };
      this.digestsRunning.set(key, entry);
      digest.then(
        (result) => {
          if (this.digestsRunning.get(key) === entry) this.digestsRunning.delete(key);
          this.digestsKept.delete(key);
          this.digestsKept.set(key, { position, digest: result });
          // The newest few sizes: a caller checking many old digests keeps no more than these.
          for (const oldest of this.digestsKept.keys()) {
            if (this.digestsKept.size <= 8) break;
            this.digestsKept.delete(oldest);
          }
        },
        () => {
          if (this.digestsRunning.get(key) === entry) this.digestsRunning.delete(key);
        },
      );
      return digest;
    }
  }

  /** /health for anyone: up or not, from what is known already, without probing or locking the store. */
  quickStatus(): 'ok' | 'failing' | 'rebuilding' {
    if (this.readModel.failure || this.commands.storeFault) return 'failing';
    return this.rebuildStatus ? 'rebuilding' : 'ok';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.signedTailTimer) clearInterval(this.signedTailTimer);
    this.signedTailTimer = null;
    await this.signedTailCheck?.catch(() => undefined);
    await this.subscription?.stop();
    this.subscription = null;
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    this.snapshotTimer = null;
    await this.rebuilt;
    // A rebuild that swapped in meanwhile started following the store again.
    await (this.subscription as Subscription | null)?.stop();
    this.subscription = null;
    await this.snapshotWriting;
    // A read model still being rebuilt is another version's (or none): it is never saved as this one.
    if (this.snapshotPath !== null && !this.readModel.failure && this.rebuildStatus === null && (this.readModel.position !== this.snapshotSaved.position || this.frontierDue())) await this.saveSnapshot();
  }

  /** Loads the snapshot; when there is one that cannot be used, says why (and hands back another version's if the log still matches it). */
  private async loadSnapshot(path: string): Promise<{ reason: string; previous?: PreviousReadModel } | null> {
    await removeUnfinishedSnapshots(path);
    const loaded = await loadSnapshot(path, this.store);
    if (loaded.kind === 'ignored') {
      this.log(`grantledger: the read-model snapshot ${path} is ignored, the read model is rebuilt from the log: ${loaded.reason}`);
      if (!this.rebuildInBackground) loaded.previous?.release();
      return loaded.previous ? { reason: loaded.reason, previous: loaded.previous } : { reason: loaded.reason };
    }
    if (loaded.kind !== 'loaded') return null;
    this.readModel.adopt(loaded.readModel);
    this.snapshotSaved = { position: loaded.position, at: Date.now() };
    this.snapshotLacksFrontier = this.store.signer !== undefined && loaded.merkle === undefined;
    if (loaded.merkle) this.snapshotFrontier = { frontier: loaded.merkle, position: loaded.position, hash: loaded.lastHash };
    this.log(`grantledger: loaded the read-model snapshot ${path} at position ${loaded.position} in ${loaded.seconds.toFixed(2)} s; folding the log after it`);
    return null;
  }

  /**
   * After a start, every grant's events (unread while they are a snapshot's bytes) are read and its
   * current facts and summary folded, a slice at a time in the background: the first report then
   * finds them ready rather than folding ten thousand grants while its caller waits, and no slice
   * holds the event loop for long.
   */
  private warmUp(): void {
    let warm!: () => void;
    this.warm = new Promise((resolve) => (warm = resolve));
    const step = () => {
      if (this.stopping) return warm();
      let more: boolean;
      try {
        more = this.readModel.grants.warmUp(WARM_UP_SLICE, this.today());
      } catch {
        // A history that cannot be folded is reported by the first query that folds it, not here.
        return warm();
      }
      if (more) setImmediate(step);
      else warm();
    };
    setImmediate(step);
  }

  private warm: Promise<void> = Promise.resolve();

  /** Settles when the background warm-up after the last start has warmed every grant (or stopped). */
  whenWarm(): Promise<void> {
    return this.warm;
  }

  private stopping = false;

  /** Saves the read model when enough happened since the last snapshot; one write at a time. */
  private async saveSnapshotIfDue(): Promise<void> {
    if (this.snapshotWriting || this.readModel.failure || this.rebuildStatus) return;
    const fresh = this.readModel.position - this.snapshotSaved.position;
    if (this.frontierDue()) {
      await this.saveSnapshot();
      return;
    }
    if (fresh <= 0) return;
    if (fresh < this.snapshotEveryEvents && Date.now() - this.snapshotSaved.at < SNAPSHOT_MAX_AGE_MS) return;
    await this.saveSnapshot();
  }

  /** Writes a snapshot now (waiting for one under way first); a failed write is logged, never thrown at a command. */
  async saveSnapshot(): Promise<void> {
    if (this.snapshotPath === null || this.rebuildStatus) return;
    await this.snapshotWriting;
    const path = this.snapshotPath;
    let withFrontier = false;
    const merkleFrontierAt = async (checkpoint: LogCheckpoint) => {
      const frontier = await this.merkleFrontierAt(checkpoint);
      withFrontier = frontier !== null;
      return frontier;
    };
    const writing = writeSnapshot(this.readModel, path, { merkleFrontierAt }).then(
      (checkpoint) => {
        this.snapshotSaved = { position: checkpoint.position, at: Date.now() };
        this.snapshotLacksFrontier = this.store.signer !== undefined && !withFrontier;
      },
      (error: unknown) => this.log(`grantledger: could not write the read-model snapshot ${path}: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.snapshotWriting = writing;
    try {
      await writing;
    } finally {
      if (this.snapshotWriting === writing) this.snapshotWriting = null;
    }
  }

  /** Waits until the read model holds everything the store holds now. */
  async catchUp(): Promise<void> {
    await this.readModel.waitFor(await this.store.headPosition(), 60_000);
  }

  today(): IsoDate {
    return dateOfMoment(this.clock());
  }

  /** The read model's and the store's state; the store is probed when it can be. */
  async health(): Promise<LedgerHealth> {
    // An unsigned tail signed since is noticed here too; the check runs on and the answer does not wait for it.
    if (this.signedTail !== null) void this.resumeIfTailSigned().catch(() => undefined);
    let storeProblem: string | undefined;
    try {
      if (this.store.probeWritable) await this.store.probeWritable();
      else if (this.commands.storeFault) throw this.commands.storeFault;
    } catch (error) {
      storeProblem = error instanceof Error ? error.message : String(error);
    }
    const failure = this.readModel.failure;
    const rebuild = this.rebuildStatus;
    return {
      status: failure || storeProblem !== undefined ? 'failing' : rebuild ? 'rebuilding' : 'ok',
      store: this.store.description,
      position: this.readModel.position,
      ...(failure ? { problem: failure.message } : {}),
      ...(storeProblem !== undefined ? { storeProblem } : {}),
      ...(rebuild ? { rebuild } : {}),
    };
  }

  /** The identity behind a bearer token, or why it is refused (unknown, expired, revoked, unsigned). */
  authenticate(token: string): Promise<Authentication> {
    return this.tokens.authenticate(token);
  }

  // Commands

  // A command on a ledger stopped by an unsigned tail first asks whether it was signed since (and
  // waits for the log to be verified against the new head): refused as before when it was not.

  async executeGrant(grantId: string, command: GrantCommand, context: CommandContext): Promise<CommandOutcome> {
    if (this.signedTail !== null) await this.resumeIfTailSigned();
    return this.commands.executeGrant(grantId, command, context);
  }

  async executeBudget(key: BudgetKey, command: BudgetCommand, context: CommandContext): Promise<CommandOutcome> {
    if (this.signedTail !== null) await this.resumeIfTailSigned();
    return this.commands.executeBudget(key, command, context);
  }

  async closeFiscalYear(key: BudgetKey, data: { closedOn: string; carriedForward?: string | undefined }, context: CommandContext): Promise<CommandOutcome> {
    if (this.signedTail !== null) await this.resumeIfTailSigned();
    return this.commands.closeFiscalYear(key, data, context);
  }

  // Queries

  grant(grantId: string, clocks: Clocks): { view: GrantView; revision: number } | null {
    return this.queries.grant(grantId, clocks);
  }

  grantExists(grantId: string): boolean {
    return this.queries.grantExists(grantId);
  }

  grantEvents(grantId: string): Promise<readonly RecordedEvent[] | undefined> {
    return this.queries.grantEvents(grantId);
  }

  /**
   * Readies a historical view before its reports are asked for, giving the event loop back
   * between slices (see LedgerQueries.ready): 'summaries' for unused grants and the Statsbidrag
   * list, 'revenue' for committee results and budgets. The reports answer without it too,
   * folding the view in one go.
   */
  ready(clocks: Clocks, ...parts: ReadonlyArray<'summaries' | 'revenue'>): Promise<void> {
    return this.queries.ready(clocks, ...parts);
  }

  unusedGrants(filter: UnusedGrantsFilter, clocks: Clocks): UnusedGrantsReport {
    return this.queries.unusedGrants(filter, clocks);
  }

  committeeResults(filter: { committee?: string }, clocks: Clocks): { rows: CommitteeResultRow[] } {
    return this.queries.committeeResults(filter, clocks);
  }

  budget(key: BudgetKey, clocks: Clocks): { row: CommitteeResultRow; revision: number } | null {
    return this.queries.budget(key, clocks);
  }

  budgetsIn(clocks: Clocks, committee?: string): BudgetInView[] {
    return this.queries.budgetsIn(clocks, committee);
  }

  grantList(filter: GrantListFilter, clocks: Clocks): GrantList {
    return this.queries.grantList(filter, clocks);
  }

  earlyWarningRow(grantId: string, clocks: Clocks): EarlyWarningRow | null {
    return this.queries.earlyWarningRow(grantId, clocks);
  }

  earlyWarning(committee: string, clocks: Clocks): EarlyWarningReport {
    return this.queries.earlyWarning(committee, clocks);
  }

  activities(committee: string, year: number, clocks: Clocks): ActivitiesReport {
    return this.queries.activities(committee, year, clocks);
  }
}
