import { ChainVerifier, hashOf, type ChainFailure } from '../store/hashChain.js';
import type { EventFilter, EventStore, RecordedEvent } from '../store/port.js';
import {
  EPOCH,
  formatDigest,
  leafHash,
  MerkleTree,
  parseDigest,
  StreamingMerkleRoot,
  verifyConsistency,
  verifyInclusion,
  type LogDigest,
  type MerkleFrontier,
} from '../domain/merkle.js';
import { verifyTreeHead, type SignedTreeHead } from '../store/treeHeads.js';
import { Yielder } from './yielder.js';

export { Yielder };

/**
 * The auditors' checks over the whole log: every stream's hash chain, the digest of the log (the
 * head of an RFC 6962 Merkle tree over the event hashes in global order) and proofs between
 * digests. Everything streams the log a page at a time, so a log of millions of events needs
 * memory for one page, one link per stream and, for proofs only, 32 bytes per event.
 */

/** Events read per page by the audits: small, so reading one never holds the event loop for long. */
const AUDIT_PAGE = 200;

/**
 * The whole log in global order, read in small pages and giving the event loop back between
 * them whenever a slice of time is used up (the store's own pages are 1000 events, read at once).
 */
export async function* pagedLog(store: EventStore, after = 0): AsyncIterable<RecordedEvent> {
  const yielder = new Yielder();
  let cursor = after;
  for (;;) {
    let read = 0;
    for await (const event of store.readAll({ after: cursor, maxCount: AUDIT_PAGE })) {
      await yielder.tick();
      read += 1;
      cursor = event.position;
      yield event;
    }
    if (read < AUDIT_PAGE) return;
  }
}

/** The first treeSize events of the log (all when absent), in global order. */
async function* logUpTo(store: EventStore, treeSize?: number): AsyncIterable<RecordedEvent> {
  if (treeSize === 0) return;
  let count = 0;
  for await (const event of pagedLog(store)) {
    yield event;
    count += 1;
    if (treeSize !== undefined && count >= treeSize) return;
  }
}

export type AuditFailure = ChainFailure;

export interface ChainReport {
  readonly ok: boolean;
  readonly streams: number;
  readonly events: number;
  /** Every failure, in global order; the first names the first broken event. */
  readonly failures: readonly AuditFailure[];
}

/**
 * Recomputes every stream's hash chain, and checks that recordedAt never decreases along the log
 * (the store guarantees it, so a decrease means rows were moved). Failures are capped so a
 * wholly rewritten log still gives a short answer.
 */
export async function verifyChains(
  store: EventStore,
  onEvent?: (count: number) => void,
  failuresMax = 100,
  /** Sees every event in global order (verifyLog builds the Merkle tree with it). */
  visit?: (event: RecordedEvent) => void,
): Promise<ChainReport> {
  const verifier = new ChainVerifier();
  const failures: AuditFailure[] = [];
  for await (const event of pagedLog(store)) {
    const failure = verifier.check(event);
    if (failure && failures.length < failuresMax) failures.push(failure);
    visit?.(event);
    onEvent?.(verifier.events);
  }
  return { ok: failures.length === 0, streams: verifier.streams, events: verifier.events, failures };
}

export interface TreeHeadCheck {
  /** True when the latest signed head is intact and covers the whole log. */
  readonly ok: boolean;
  /** The latest signed head, or null when the store has none. */
  readonly head: SignedTreeHead | null;
  readonly signatureValid: boolean;
  /** The log's first head.size events have the head's root. */
  readonly rootMatches: boolean;
  /** Events beyond the latest signed head: written behind the ledger's back or without its key. */
  readonly unsignedEvents: number;
  readonly detail: string;
}

export interface LogReport extends ChainReport {
  /** Present where the store signs tree heads. */
  readonly treeHead?: TreeHeadCheck;
}

/**
 * verify: every hash chain, and, where the store signs tree heads, the latest signed head: its
 * signature, and that the log up to its size has its root. An event inserted, edited or removed
 * behind the ledger's back, even with every chain recomputed, changes the root; one appended
 * without the key lies beyond every signed head and is reported unsigned.
 */
export async function verifyLog(
  store: EventStore,
  onEvent?: (count: number) => void,
  /** Given the whole log's Merkle tree and its last event once read (the ledger keeps it when the log verified). */
  onTree?: (tree: VerifiedTree) => void,
): Promise<LogReport> {
  const signer = store.signer;
  if (!signer || !store.latestTreeHead) return verifyChains(store, onEvent);
  const head = await store.latestTreeHead();
  const root = new StreamingMerkleRoot();
  let rootAtHead: string | null = head && head.size === 0 ? root.rootHex() : null;
  let last = { position: 0, hash: '' };
  const chains = await verifyChains(store, (count) => onEvent?.(count), 100, (event) => {
    root.pushHex(event.metadata.hash);
    last = { position: event.position, hash: event.metadata.hash };
    if (head && root.size === head.size) rootAtHead = root.rootHex();
  });
  onTree?.({ tree: root, ...last });
  let covering = head;
  // Commits made while the log was read are signed by heads newer than the one read first.
  if (head && chains.events > head.size && store.treeHeadOfSize) {
    const later = await store.treeHeadOfSize(chains.events);
    if (later && later.root === root.rootHex() && verifyTreeHead(later, signer.publicKey)) covering = later;
  }
  if (!covering) {
    const detail = chains.events === 0 ? 'the log is empty; nothing is signed yet' : `no signed tree head: all ${chains.events} events are unsigned`;
    const treeHead = { ok: chains.events === 0, head: null, signatureValid: false, rootMatches: false, unsignedEvents: chains.events, detail };
    return { ...chains, ok: chains.ok && treeHead.ok, treeHead };
  }
  const signatureValid = verifyTreeHead(covering, signer.publicKey);
  const rootMatches = covering === head ? rootAtHead === covering.root : true;
  const unsignedEvents = Math.max(0, chains.events - covering.size);
  let detail: string;
  if (!signatureValid) detail = `the latest tree head (${covering.size} events) does not carry a valid signature of key ${signer.keyId}: it was forged or signed with another key`;
  else if (chains.events < covering.size) detail = `the log holds ${chains.events} events, fewer than the ${covering.size} its latest signed tree head covers: events were removed`;
  else if (!rootMatches) detail = `the first ${covering.size} events do not have the root of the signed tree head: events were inserted, changed, removed or reordered`;
  else if (unsignedEvents > 0) detail = `${unsignedEvents} event(s) beyond the latest signed tree head are unsigned: written behind the ledger's back or without its signing key`;
  else detail = `the signed tree head of ${covering.size} events matches the log`;
  const ok = signatureValid && rootMatches && chains.events >= covering.size && unsignedEvents === 0;
  const treeHead = { ok, head: covering, signatureValid, rootMatches: rootMatches && chains.events >= covering.size, unsignedEvents, detail };
  return { ...chains, ok: chains.ok && ok, treeHead };
}

/** A log's Merkle tree (its frontier) as far as the event at `position`, whose stored hash is `hash`. */
export interface VerifiedTree {
  readonly tree: StreamingMerkleRoot;
  readonly position: number;
  readonly hash: string;
}

/** Where a start checked the log: the tail after a snapshot, or, when that could not decide, nothing yet (verify the whole log). */
export type TailCheck =
  | { readonly kind: 'matches'; readonly head: SignedTreeHead; readonly tailEvents: number; readonly tree: VerifiedTree }
  | { readonly kind: 'undecided'; readonly reason: string };

/**
 * The signed start's fast path: the log's tail after a snapshot, checked against the latest
 * signed head from the snapshot's Merkle frontier (O(log n) hashes) instead of from every event.
 *
 * 1. The frontier is bound to the signed head of exactly its size: its root must be that head's
 *    root, and the head's signature valid. A frontier forged by someone who can write the
 *    snapshot file therefore needs a head signed with the key, which they do not hold.
 * 2. The events after the snapshot's position are read and added to it; the result must be the
 *    latest signed head (same size, same root, valid signature), and no event may lie beyond it.
 *
 * What this does NOT check, and the full `verify` (CLI and HTTP) does: that the log's events up
 * to the snapshot's position still hash to that frontier. Someone who edits those rows (with
 * every chain recomputed) is not noticed by this start, only by the next verify, which reports
 * that the first n events do not have the signed root. The snapshot itself (figures and
 * frontier alike) is trusted as it is trusted without a signer: whoever can write it can make a
 * start serve wrong figures until the next rebuild, though not sign them. The caller (the
 * ledger's start) trusts a snapshot only when the log still holds its last event with its hash.
 *
 * Anything else (no frontier, no head of its size, a tail beyond the latest head, a mismatch) is
 * `undecided`, with why, and the caller verifies the whole log as before.
 */
export async function checkTailAgainstTreeHead(store: EventStore, saved: { readonly frontier: MerkleFrontier; readonly position: number; readonly hash: string }): Promise<TailCheck> {
  const signer = store.signer;
  if (!signer || !store.latestTreeHead || !store.treeHeadOfSize) return { kind: 'undecided', reason: 'the store signs no tree heads' };
  let tree: StreamingMerkleRoot;
  try {
    tree = StreamingMerkleRoot.ofFrontier(saved.frontier);
  } catch (error) {
    return { kind: 'undecided', reason: `the snapshot's Merkle frontier is malformed (${(error as Error).message})` };
  }
  const bound = await store.treeHeadOfSize(tree.size);
  if (bound === null) return { kind: 'undecided', reason: `no signed tree head of exactly ${tree.size} events to bind the snapshot's Merkle frontier to` };
  if (!verifyTreeHead(bound, signer.publicKey) || bound.root !== tree.rootHex()) {
    return { kind: 'undecided', reason: `the snapshot's Merkle frontier does not have the root of the signed tree head of ${tree.size} events` };
  }
  let last = { position: saved.position, hash: saved.hash };
  const startSize = tree.size;
  // Commits by another process while the tail is read are signed by later heads: read on (bounded).
  for (let round = 0; round < 3; round += 1) {
    let read = 0;
    for await (const event of pagedLog(store, last.position)) {
      tree.pushHex(event.metadata.hash);
      last = { position: event.position, hash: event.metadata.hash };
      read += 1;
    }
    const latest = await store.latestTreeHead();
    if (latest === null) return { kind: 'undecided', reason: 'the store has no signed tree head' };
    if (latest.size > tree.size && read === 0) return { kind: 'undecided', reason: `the log holds ${tree.size} events, fewer than the ${latest.size} of its latest signed tree head` };
    if (latest.size > tree.size) continue;
    if (latest.size < tree.size) return { kind: 'undecided', reason: `${tree.size - latest.size} event(s) lie beyond the latest signed tree head` };
    if (latest.root !== tree.rootHex()) return { kind: 'undecided', reason: `the log's tail with the snapshot's frontier does not have the root of the latest signed tree head (${latest.size} events)` };
    if (!verifyTreeHead(latest, signer.publicKey)) return { kind: 'undecided', reason: `the latest signed tree head (${latest.size} events) does not carry a valid signature` };
    return { kind: 'matches', head: latest, tailEvents: tree.size - startSize, tree: { tree, ...last } };
  }
  return { kind: 'undecided', reason: 'the log kept growing while its tail was read' };
}

function leafOf(event: RecordedEvent): Buffer {
  return Buffer.from(event.metadata.hash, 'hex');
}

/** The digest of the first treeSize events (all when absent); null when the log is shorter. */
export async function logDigest(store: EventStore, treeSize?: number, onEvent?: (count: number) => void): Promise<LogDigest | null> {
  const root = new StreamingMerkleRoot();
  let time = EPOCH;
  for await (const event of logUpTo(store, treeSize)) {
    root.pushHex(event.metadata.hash);
    time = event.metadata.recordedAt;
    onEvent?.(root.size);
  }
  if (treeSize !== undefined && root.size < treeSize) return null;
  return { treeSize: root.size, rootHex: root.rootHex(), time };
}

export interface DigestCheck {
  readonly ok: boolean;
  readonly claimed: string;
  /** The digest of the log's first treeSize events now, or null when it has fewer. */
  readonly actual: string | null;
  readonly detail: string;
}

/** Does the log still hold exactly the prefix that an earlier digest describes? */
export async function checkDigest(store: EventStore, claimed: LogDigest): Promise<DigestCheck> {
  return compareDigest(claimed, await logDigest(store, claimed.treeSize));
}

/** The check of a claimed digest against the digest of the log's first `claimed.treeSize` events now (null: it has fewer). */
export function compareDigest(claimed: LogDigest, actual: LogDigest | null): DigestCheck {
  const claimedText = formatDigest(claimed);
  if (actual === null) {
    return { ok: false, claimed: claimedText, actual: null, detail: `the log holds fewer than the ${claimed.treeSize} events the digest covers: events were removed` };
  }
  const actualText = formatDigest(actual);
  if (actual.rootHex !== claimed.rootHex) {
    return { ok: false, claimed: claimedText, actual: actualText, detail: `the first ${claimed.treeSize} events differ from those the digest covers: history was altered, removed or reordered` };
  }
  if (actual.time !== claimed.time) {
    return { ok: false, claimed: claimedText, actual: actualText, detail: `the events match but the digest's time ${claimed.time} is not that of event ${claimed.treeSize} (${actual.time})` };
  }
  return { ok: true, claimed: claimedText, actual: actualText, detail: `the log still holds exactly the ${claimed.treeSize} events of the digest` };
}

/** The digest could not be proved against this log (it is not a prefix of it). */
export class ProofUnavailableError extends Error {
  override readonly name = 'ProofUnavailableError';
}

/**
 * The Merkle tree of the first treeSize events, and where the wanted event (if any) lies in it.
 * Leaf hashes live in one buffer (not one object each) and only the wanted event is remembered,
 * so a tree of a million events costs the garbage collector little: its pauses, not the hashing,
 * were what held the event loop longest.
 */
async function treeOf(store: EventStore, treeSize: number, wantedEventId?: string): Promise<{ tree: MerkleTree; wanted: { leafIndex: number; position: number } | null }> {
  const hashes = Buffer.allocUnsafe(32 * treeSize);
  const leafHashes: Buffer[] = [];
  let wanted: { leafIndex: number; position: number } | null = null;
  for await (const event of logUpTo(store, treeSize)) {
    const offset = 32 * leafHashes.length;
    leafHash(leafOf(event)).copy(hashes, offset);
    if (event.eventId === wantedEventId && wanted === null) wanted = { leafIndex: leafHashes.length, position: event.position };
    leafHashes.push(hashes.subarray(offset, offset + 32));
  }
  if (leafHashes.length < treeSize) throw new ProofUnavailableError(`the log holds ${leafHashes.length} events, fewer than the ${treeSize} of the digest`);
  // The tree's inner hashes are computed a subtree at a time between turns of the event loop:
  // built at once, a proof over a million events would hold every other request for seconds.
  const tree = MerkleTree.ofLeafHashes(leafHashes);
  const yielder = new Yielder();
  for (const _step of tree.precompute()) await yielder.tick();
  return { tree, wanted };
}

function assertRoot(tree: MerkleTree, digest: LogDigest): void {
  if (tree.root(digest.treeSize).toString('hex') !== digest.rootHex) {
    throw new ProofUnavailableError(`${formatDigest(digest)} is not a digest of this log's first ${digest.treeSize} events`);
  }
}

export interface ConsistencyProof {
  readonly proof: 'consistency';
  readonly from: string;
  readonly to: string;
  readonly hashes: readonly string[];
}

export interface InclusionProof {
  readonly proof: 'inclusion';
  readonly digest: string;
  readonly leafIndex: number;
  /** The event, with every field its hash covers, so its leaf can be recomputed from it. */
  readonly event: ExportedEvent;
  readonly hashes: readonly string[];
}

export type Proof = ConsistencyProof | InclusionProof;

/** A consistency proof (RFC 6962 §2.1.2) that the log of `from` is a prefix of the log of `to`. */
export async function proveConsistency(store: EventStore, from: LogDigest, to: LogDigest): Promise<ConsistencyProof> {
  if (from.treeSize > to.treeSize) throw new ProofUnavailableError('--from must not cover more events than --to');
  const { tree } = await treeOf(store, to.treeSize);
  assertRoot(tree, from);
  assertRoot(tree, to);
  return {
    proof: 'consistency',
    from: formatDigest(from),
    to: formatDigest(to),
    hashes: tree.consistencyProof(from.treeSize, to.treeSize).map((hash) => hash.toString('hex')),
  };
}

/** An inclusion proof (RFC 6962 §2.1.1) of one event in the log of a digest. */
export async function proveInclusion(store: EventStore, eventId: string, digest: LogDigest): Promise<InclusionProof> {
  const { tree, wanted } = await treeOf(store, digest.treeSize, eventId);
  assertRoot(tree, digest);
  if (wanted === null) throw new ProofUnavailableError(`event ${eventId} is not among the ${digest.treeSize} events of the digest`);
  // EventStoreDB positions are byte offsets, and a server refuses a read from inside a record: read there exactly.
  let recorded: RecordedEvent | undefined = store.eventAt ? ((await store.eventAt(wanted.position)) ?? undefined) : undefined;
  if (!store.eventAt) for await (const event of store.readAll({ after: wanted.position - 1, maxCount: 1 })) recorded = event;
  if (!recorded) throw new ProofUnavailableError(`event ${eventId} could not be read`);
  return {
    proof: 'inclusion',
    digest: formatDigest(digest),
    leafIndex: wanted.leafIndex,
    event: exportedEvent(recorded),
    hashes: tree.inclusionProof(wanted.leafIndex, digest.treeSize).map((hash) => hash.toString('hex')),
  };
}

export interface ProofCheck {
  readonly ok: boolean;
  readonly detail: string;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * Checks a proof with nothing but the proof itself: no database. The caller must compare the
 * digests the proof names with the ones it kept; the proof shows only how they relate.
 */
export function checkProof(proof: unknown): ProofCheck {
  const candidate = (typeof proof === 'object' && proof !== null ? proof : {}) as {
    proof?: unknown;
    hashes?: unknown;
    from?: unknown;
    to?: unknown;
    digest?: unknown;
    leafIndex?: unknown;
    event?: Partial<ExportedEvent> | null;
  };
  const hashes = candidate.hashes;
  if (!Array.isArray(hashes) || hashes.length > 128 || !hashes.every((hash) => typeof hash === 'string' && HEX_HASH.test(hash))) {
    return { ok: false, detail: 'the proof has no valid list of hashes' };
  }
  const path = hashes.map((hash) => Buffer.from(hash, 'hex'));
  if (candidate.proof === 'consistency') {
    const from = typeof candidate.from === 'string' ? parseDigest(candidate.from) : null;
    const to = typeof candidate.to === 'string' ? parseDigest(candidate.to) : null;
    if (!from || !to) return { ok: false, detail: 'the proof does not name two valid digests' };
    const ok = verifyConsistency(from.treeSize, to.treeSize, path, Buffer.from(from.rootHex, 'hex'), Buffer.from(to.rootHex, 'hex'));
    return ok
      ? { ok, detail: `the log of ${candidate.from} is a prefix of the log of ${candidate.to}` }
      : { ok, detail: `the proof does not show that ${candidate.from} is a prefix of ${candidate.to}` };
  }
  if (candidate.proof === 'inclusion') {
    const digest = typeof candidate.digest === 'string' ? parseDigest(candidate.digest) : null;
    if (!digest) return { ok: false, detail: 'the proof does not name a valid digest' };
    const event = candidate.event;
    if (typeof event !== 'object' || event === null || typeof event.hash !== 'string' || !HEX_HASH.test(event.hash)) {
      return { ok: false, detail: 'the proof carries no event with a hash' };
    }
    let recomputed: string;
    try {
      recomputed = hashOf(
        recordedEventOf({
          position: Number(event.position),
          streamId: String(event.streamId),
          revision: Number(event.revision),
          eventId: String(event.eventId),
          type: String(event.type),
          recordedAt: String(event.recordedAt),
          actor: String(event.actor),
          commandId: String(event.commandId),
          correlationId: String(event.correlationId),
          ...(typeof event.tokenId === 'string' ? { tokenId: event.tokenId } : {}),
          ...(typeof event.requestHash === 'string' ? { requestHash: event.requestHash } : {}),
          ...(typeof event.schemaVersion === 'number' ? { schemaVersion: event.schemaVersion } : {}),
          data: event.data,
          prevHash: String(event.prevHash),
          hash: event.hash,
        }),
      );
    } catch {
      return { ok: false, detail: 'the proof\'s event cannot be hashed' };
    }
    if (recomputed !== event.hash) return { ok: false, detail: `event ${event.eventId} does not have the hash it claims: it was altered` };
    const ok = typeof candidate.leafIndex === 'number' && verifyInclusion(Buffer.from(event.hash, 'hex'), candidate.leafIndex, digest.treeSize, path, Buffer.from(digest.rootHex, 'hex'));
    return ok
      ? { ok, detail: `event ${event.eventId} is event ${Number(candidate.leafIndex) + 1} of the log of ${candidate.digest}` }
      : { ok, detail: `the proof does not show that event ${event.eventId} is in the log of ${candidate.digest}` };
  }
  return { ok: false, detail: 'not a grantledger proof: "proof" must be "consistency" or "inclusion"' };
}

/** One event as exported (NDJSON line, HTTP): everything stored, so a copy keeps its hashes. */
export interface ExportedEvent {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly commandId: string;
  readonly correlationId: string;
  readonly requestHash?: string;
  readonly tokenId?: string;
  /** Absent on events written before schema versions existed (version 1). */
  readonly schemaVersion?: number;
  readonly data: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

export function exportedEvent(event: RecordedEvent): ExportedEvent {
  return {
    position: event.position,
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    recordedAt: event.metadata.recordedAt,
    actor: event.metadata.actor,
    commandId: event.metadata.commandId,
    correlationId: event.metadata.correlationId,
    ...(event.metadata.requestHash === undefined ? {} : { requestHash: event.metadata.requestHash }),
    ...(event.metadata.tokenId === undefined ? {} : { tokenId: event.metadata.tokenId }),
    ...(event.metadata.schemaVersion === undefined ? {} : { schemaVersion: event.metadata.schemaVersion }),
    data: event.data,
    prevHash: event.metadata.prevHash,
    hash: event.metadata.hash,
  };
}

export function recordedEventOf(exported: ExportedEvent): RecordedEvent {
  return {
    eventId: exported.eventId,
    streamId: exported.streamId,
    type: exported.type,
    revision: exported.revision,
    position: exported.position,
    data: exported.data,
    metadata: {
      actor: exported.actor,
      commandId: exported.commandId,
      correlationId: exported.correlationId,
      ...(exported.requestHash === undefined ? {} : { requestHash: exported.requestHash }),
      ...(exported.tokenId === undefined ? {} : { tokenId: exported.tokenId }),
      ...(exported.schemaVersion === undefined ? {} : { schemaVersion: exported.schemaVersion }),
      recordedAt: exported.recordedAt,
      prevHash: exported.prevHash,
      hash: exported.hash,
    },
  };
}

/** The events that match a filter, a page at a time: the store's index when it has one, else a scan. */
export async function findEvents(store: EventStore, filter: EventFilter, page: { after: number; limit: number }): Promise<RecordedEvent[]> {
  if (store.findEvents) return store.findEvents(filter, page);
  const found: RecordedEvent[] = [];
  for await (const event of store.readAll({ after: page.after })) {
    const { actor, recordedAt } = event.metadata;
    if (filter.actor !== undefined && actor !== filter.actor) continue;
    if (filter.from !== undefined && recordedAt < filter.from) continue;
    if (filter.to !== undefined && recordedAt > filter.to) continue;
    if (filter.type !== undefined && event.type !== filter.type) continue;
    found.push(event);
    if (found.length >= page.limit) break;
  }
  return found;
}
