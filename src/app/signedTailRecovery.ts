import { ChainVerifier, describeChainFailure } from '../store/hashChain.js';
import type { EventStore } from '../store/port.js';
import { StreamingMerkleRoot } from '../domain/merkle.js';
import { verifyTreeHead, type SignedTreeHead } from '../store/treeHeads.js';
import { pagedLog, type VerifiedTree } from './audit.js';
import { LedgerReadModel } from './readModel/index.js';

/**
 * The way back for a ledger that started while the log had an unsigned tail (on EventStoreDB, a
 * writer killed between its events and their signed head): its read model stopped at start, and
 * serves again only from a read model built from the log and verified against a signed head that
 * covers the whole log as it stood when the recovery began, i.e. once the operator has signed the
 * reviewed tail (grantledger tree-head sign-tail).
 *
 * The candidate read model is folded in the same pass that checks what it folds: every event
 * continues its stream's hash chain (its hash recomputed from its content) and goes into the
 * Merkle tree whose root must be the signed head's. So the figures it serves come from exactly the
 * events the signed head covers, never from the stopped read model, which folded the tail before
 * anyone signed it. The pass reads the log in small pages and gives the event loop back between
 * slices (pagedLog), like verify.
 */

/** What one step of the recovery found. */
export type RecoveryStep =
  /** The candidate holds the whole log as it stood at the first step, under a signed head whose root it has. */
  | { readonly kind: 'verified'; readonly head: SignedTreeHead; readonly readModel: LedgerReadModel; readonly tree: VerifiedTree }
  /** Events of the log as it stood are still beyond the latest signed head: try again when a bigger head appears. */
  | { readonly kind: 'waiting'; readonly signedSize: number; readonly unsignedEvents: number }
  /** The log differs from its signed heads (or cannot be projected): the read model stays stopped until a restart. */
  | { readonly kind: 'refused'; readonly reason: string };

/** How often one step follows a head that grew while it folded up to the previous one. */
const ROUNDS_MAX = 3;

export class SignedTailRecovery {
  private readonly readModel = new LedgerReadModel();
  private readonly tree = new StreamingMerkleRoot();
  private readonly chains = new ChainVerifier();
  private last = { position: 0, hash: '' };
  /** The log's end when the recovery began: a signed head must cover at least this much. */
  private target: number | null = null;

  constructor(private readonly store: EventStore) {}

  /** Events the candidate holds (all of them under a signed head whose root it has). */
  get size(): number {
    return this.tree.size;
  }

  /**
   * Folds the log up to the latest signed head and checks the root; returns what it found. The
   * candidate is kept between steps, so a later step only reads what is new.
   */
  async step(cancelled: () => boolean = () => false): Promise<RecoveryStep> {
    const signer = this.store.signer;
    if (!signer || !this.store.latestTreeHead) return { kind: 'refused', reason: 'the store signs no tree heads' };
    if (this.target === null) this.target = await this.store.headPosition();
    let previous: SignedTreeHead | null = null;
    for (let round = 0; round < ROUNDS_MAX; round += 1) {
      const head = await this.store.latestTreeHead();
      if (head === null) return { kind: 'refused', reason: 'the store holds no signed tree head any more: the heads were removed' };
      if (head.size < this.tree.size) {
        return { kind: 'refused', reason: `the latest signed tree head covers ${head.size} events, fewer than the ${this.tree.size} a signed head covered before: heads were removed` };
      }
      if (!verifyTreeHead(head, signer.publicKey, signer.keyId)) {
        return { kind: 'refused', reason: `the latest tree head (${head.size} events) does not carry a valid signature of key ${signer.keyId}: it was forged or signed with another key` };
      }
      if (previous !== null && head.size === previous.size) break;
      previous = head;
      const problem = await this.foldTo(head.size, cancelled);
      if (problem !== null) return { kind: 'refused', reason: problem };
      if (cancelled()) return { kind: 'waiting', signedSize: head.size, unsignedEvents: 0 };
      if (this.tree.size < head.size) return { kind: 'refused', reason: `the log holds ${this.tree.size} events, fewer than the ${head.size} its latest signed tree head covers: events were removed` };
      if (this.tree.rootHex() !== head.root) {
        return { kind: 'refused', reason: `the first ${head.size} events do not have the root of the signed tree head: events were inserted, changed, removed or reordered` };
      }
      if (this.last.position >= this.target) {
        return { kind: 'verified', head, readModel: this.readModel, tree: { tree: this.tree, ...this.last } };
      }
    }
    return { kind: 'waiting', signedSize: this.tree.size, unsignedEvents: await this.countUpToTarget() };
  }

  /** Folds, chain-checks and hashes the events after the candidate's end, until it holds `size` events; a reason when it cannot. */
  private async foldTo(size: number, cancelled: () => boolean): Promise<string | null> {
    if (this.tree.size >= size) return null;
    for await (const event of pagedLog(this.store, this.last.position)) {
      const failure = this.chains.check(event);
      // Two writers' clocks may interleave by a little: sign-tail allows it too, with a warning.
      if (failure && failure.problem !== 'recorded-before-previous-event') return `the log has a ${describeChainFailure(failure)}`;
      try {
        this.readModel.apply(event);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      this.tree.pushHex(event.metadata.hash);
      this.last = { position: event.position, hash: event.metadata.hash };
      if (this.tree.size >= size || cancelled()) break;
    }
    return null;
  }

  /** The events between the candidate's end and the log's end at the first step: those still unsigned. */
  private async countUpToTarget(): Promise<number> {
    let count = 0;
    for await (const event of pagedLog(this.store, this.last.position)) {
      if (event.position > this.target!) break;
      count += 1;
    }
    return count;
  }
}
