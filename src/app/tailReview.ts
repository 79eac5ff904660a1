import { ChainVerifier, describeChainFailure, type ChainFailure } from '../store/hashChain.js';
import type { EventStore } from '../store/port.js';
import { StreamingMerkleRoot } from '../domain/merkle.js';
import { verifyTreeHead, type SignedTreeHead } from '../store/treeHeads.js';
import { pagedLog } from './audit.js';

/**
 * The review before an operator signs an unsigned tail (grantledger tree-head sign-tail): the
 * events beyond the latest signed tree head, what they are and who wrote them, and the size and
 * root of the whole log they end, which the signing must be given back exactly. On EventStoreDB a
 * writer killed between its events and their head leaves such a tail, and every writer stops
 * until it is signed or examined; an event written behind the ledger's back looks the same, so
 * the review shows what a person needs to tell them apart (types, writers, tokens issued).
 */

export interface TailEvent {
  /** Its place in the log, counting from 1: the tree's leaf number. */
  readonly index: number;
  readonly position: number;
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  /** The token that wrote it (null on events from before tokenIds). */
  readonly tokenId: string | null;
}

export interface TailReview {
  /** The latest signed head, which matches the log up to its size. */
  readonly head: SignedTreeHead;
  /** The whole log as it stands: what the operator passes back to sign. */
  readonly size: number;
  readonly root: string;
  /** The unsigned events, in log order (none when the head covers the whole log). */
  readonly events: readonly TailEvent[];
  /** Chain problems in the tail that still allow signing (recordedAt out of order between two writers). */
  readonly warnings: readonly string[];
}

/** The log cannot be signed from here: it differs from its signed heads, or the key is not theirs. */
export class TailNotSignableError extends Error {
  override readonly name = 'TailNotSignableError';
  constructor(
    message: string,
    /** True when what the operator gave is at fault (no key, another key), not the log. */
    readonly operatorInput = false,
  ) {
    super(message);
  }
}

/** Types that grant access: a forged one in a tail is how a token would be slipped in. */
const ACCESS_TYPES = new Set(['TokenIssued']);

/**
 * Reads the whole log and describes its unsigned tail. Refuses (TailNotSignableError) when there
 * is nothing a tail review can make right: no key, no head, a head that does not verify with the
 * key, a log that no longer has the head's root under it, or a broken hash chain anywhere.
 */
export async function reviewUnsignedTail(store: EventStore): Promise<TailReview> {
  const signer = store.signer;
  if (!signer || !store.latestTreeHead) throw new TailNotSignableError('this store signs no tree heads (it was opened without a signing key)', true);
  const head = await store.latestTreeHead();
  if (!head) throw new TailNotSignableError('the log has no signed tree head yet: nothing to review (its first write signs it whole)');
  if (!verifyTreeHead(head, signer.publicKey, signer.keyId)) {
    throw new TailNotSignableError(
      `the latest signed tree head (${head.size} events) does not verify with the key ${signer.keyId}: run this with the key that signs the ledger's heads (LEDGER_SIGNING_KEY)`,
      true,
    );
  }
  const tree = new StreamingMerkleRoot();
  const chains = new ChainVerifier();
  let rootAtHead: string | null = head.size === 0 ? tree.rootHex() : null;
  const events: TailEvent[] = [];
  const failures: ChainFailure[] = [];
  for await (const event of pagedLog(store)) {
    const failure = chains.check(event);
    tree.pushHex(event.metadata.hash);
    if (tree.size === head.size) rootAtHead = tree.rootHex();
    if (failure) failures.push(failure);
    if (tree.size <= head.size) continue;
    const m = event.metadata;
    events.push({
      index: tree.size,
      position: event.position,
      streamId: event.streamId,
      revision: event.revision,
      eventId: event.eventId,
      type: event.type,
      recordedAt: m.recordedAt,
      actor: m.actor,
      tokenId: m.tokenId ?? null,
    });
  }
  if (tree.size < head.size) throw new TailNotSignableError(`the log holds ${tree.size} events, fewer than the ${head.size} of its latest signed tree head: events were removed`);
  if (rootAtHead !== head.root) {
    throw new TailNotSignableError(`the first ${head.size} events do not have the root of the latest signed tree head: events under it were inserted, changed or removed; sign-tail signs only events beyond it`);
  }
  const broken = failures.filter((failure) => failure.problem !== 'recorded-before-previous-event');
  if (broken.length > 0) throw new TailNotSignableError(`the log has a ${describeChainFailure(broken[0]!)}: a tail is signed only over sound chains; examine the log (grantledger verify)`);
  const warnings = failures.map(describeChainFailure);
  for (const event of events) {
    if (ACCESS_TYPES.has(event.type)) warnings.push(`event ${event.index} (${event.streamId} revision ${event.revision}) issues a token: signing it makes the token valid`);
  }
  return { head, size: tree.size, root: tree.rootHex(), events, warnings };
}
