import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  FORWARDS,
  NO_STREAM,
  StreamNotFoundError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  jsonEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { StreamingMerkleRoot } from '../../domain/merkle.js';
import { StoreUnavailableError, TailSigningRefusedError, type RecordedEvent, type ReviewedTail } from '../port.js';
import type { SignedTreeHead, TailReviewRecord } from '../treeHeads.js';
import { translateClientError } from './clientErrors.js';
import { TREE_HEADS_STREAM } from './ledgerEvents.js';
import { readAll } from './readAll.js';
import { ON_LEADER, type EsdbSession, type TreeHeadState } from './session.js';

/**
 * Signed tree heads on EventStoreDB: after every append (the adapter's commit: one append is one
 * write to the server) the store signs (size, RFC 6962 root, time) of the whole log with the same
 * Ed25519 key as the SQLite store, and appends the head to a stream of its own, so `verify`
 * checks both stores the same way.
 *
 * The stream is `grantledger-tree-heads`, not a `$` stream: on a secure server only `$admins` may
 * write `$` streams by default (`$systemStreamAcl`), and the ledger's user should not need admin
 * rights for its own heads. Its events carry no ledger metadata and the stream is named in
 * isLedgerEvent, so neither readAll nor a subscription counts them as events of the log.
 *
 * EventStoreDB has no transaction across streams, so a head is appended after the events it
 * covers, not with them. Several ledger processes may write one store: each signs the log up to
 * its own append, and an event of another process that lies before its own and beyond the latest
 * head must be covered by that process's head within a grace period (`unsignedGraceMs`); an event
 * that stays unsigned was written behind the ledger's back or without the key (or by a writer
 * that died between its append and its head), and this store then refuses to sign over it: writes
 * stop with StoreUnavailableError until an operator has looked (grantledger verify).
 */

const TREE_HEAD_EVENT_TYPE = 'TreeHeadSigned';
/** How many times a head is appended again after another process appended one first. */
const HEAD_APPEND_ATTEMPTS_MAX = 10;
const GRACE_POLL_MS = 20;

interface StoredHead {
  readonly head: SignedTreeHead;
  readonly revision: number;
}

function toSignedTreeHead(resolved: ResolvedEvent): StoredHead | null {
  const event = resolved.event;
  if (!event) return null;
  const data = event.data as Record<string, unknown> | null;
  if (event.type !== TREE_HEAD_EVENT_TYPE || !event.isJson || data === null || typeof data !== 'object') {
    throw new Error(`event ${event.id} in ${TREE_HEADS_STREAM} is not a signed tree head`);
  }
  const { size, root, time, signature, keyId, review } = data;
  if (!Number.isSafeInteger(size) || typeof root !== 'string' || typeof time !== 'string' || typeof signature !== 'string' || typeof keyId !== 'string') {
    throw new Error(`event ${event.id} in ${TREE_HEADS_STREAM} is not a signed tree head`);
  }
  const head: SignedTreeHead = { size: size as number, root, time, signature, keyId };
  if (review === undefined) return { head, revision: Number(event.revision) };
  const record = review as Record<string, unknown> | null;
  if (
    record === null ||
    typeof record !== 'object' ||
    !Number.isSafeInteger(record.fromSize) ||
    typeof record.by !== 'string' ||
    typeof record.reason !== 'string' ||
    typeof record.at !== 'string' ||
    typeof record.signature !== 'string'
  ) {
    throw new Error(`event ${event.id} in ${TREE_HEADS_STREAM} carries a malformed review record`);
  }
  const { fromSize, by, reason, at } = record as unknown as TailReviewRecord;
  return { head: { ...head, review: { fromSize, by, reason, at, signature: record.signature } }, revision: Number(event.revision) };
}

async function readHeads(session: EsdbSession, from: bigint | typeof END, direction: 'forwards' | 'backwards', maxCount: number): Promise<StoredHead[]> {
  const heads: StoredHead[] = [];
  try {
    const reading = session.client.readStream(TREE_HEADS_STREAM, { fromRevision: from, maxCount, direction: direction === 'forwards' ? FORWARDS : BACKWARDS, ...ON_LEADER });
    for await (const resolved of reading) {
      const stored = toSignedTreeHead(resolved);
      if (stored) heads.push(stored);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return heads;
}

async function latestStoredHead(session: EsdbSession): Promise<StoredHead | null> {
  const [latest] = await session.retryingUnavailable(() => readHeads(session, END, 'backwards', 1));
  return latest ?? null;
}

/** The latest signed tree head, null before the first. */
export async function latestTreeHead(session: EsdbSession): Promise<SignedTreeHead | null> {
  session.assertOpen();
  try {
    return (await latestStoredHead(session))?.head ?? null;
  } catch (error) {
    throw translateClientError(error, session.description);
  }
}

/**
 * The signed head of exactly this many events. Heads are appended in growing size, so the stream
 * is searched by halves: O(log heads) reads, and one when the latest head is the one asked for.
 */
export async function treeHeadOfSize(session: EsdbSession, size: number): Promise<SignedTreeHead | null> {
  session.assertOpen();
  try {
    const latest = await latestStoredHead(session);
    if (!latest || latest.head.size < size) return null;
    if (latest.head.size === size) return latest.head;
    let low = 0;
    let high = latest.revision - 1;
    while (low <= high) {
      const middle = Math.floor((low + high) / 2);
      const [probe] = await session.retryingUnavailable(() => readHeads(session, BigInt(middle), 'forwards', 1));
      if (!probe) return null;
      if (probe.head.size === size) return probe.head;
      if (probe.head.size < size) low = middle + 1;
      else high = middle - 1;
    }
    return null;
  } catch (error) {
    throw translateClientError(error, session.description);
  }
}

/** The events of the log after a position, up to and including another, in global order. */
async function logBetween(session: EsdbSession, after: number, through: number): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  if (through <= after) return events;
  for await (const event of readAll(session, { after })) {
    if (event.position > through) break;
    events.push(event);
    if (event.position === through) break;
  }
  return events;
}

function fault(session: EsdbSession, problem: string): StoreUnavailableError {
  session.treeHeads = null;
  session.unsignedTailAfter = null;
  session.treeHeadFault = new StoreUnavailableError(`${session.description}: ${problem}; writes stop until this is examined (grantledger verify)`);
  return session.treeHeadFault;
}

/**
 * Events beyond the latest head that no writer signed: writes stop as for any other fault, but
 * this one ends when a bigger head appears, which only an operator's review can sign
 * (grantledger tree-head sign-tail, signReviewedTail): the next append then rebuilds its tree
 * from the log and checks it against that head.
 */
function unsignedTailFault(session: EsdbSession, signedSize: number, problem: string): StoreUnavailableError {
  const error = fault(session, `${problem}; review and sign them with grantledger tree-head sign-tail, or examine them (grantledger verify)`);
  session.unsignedTailAfter = signedSize;
  return error;
}

/** Whether the fault that stopped writes was an unsigned tail that has since been signed. */
async function unsignedTailSigned(session: EsdbSession): Promise<boolean> {
  if (session.unsignedTailAfter === null) return false;
  const latest = await session.retryingUnavailable(() => latestStoredHead(session));
  if (!latest || latest.head.size <= session.unsignedTailAfter) return false;
  session.treeHeadFault = null;
  session.unsignedTailAfter = null;
  session.treeHeads = null;
  session.ownUnsigned.clear();
  return true;
}

/** Compares the tree, grown to a head's size, with that head: its root and its signature. */
function matchesHead(session: EsdbSession, root: StreamingMerkleRoot, head: SignedTreeHead): boolean {
  return root.size === head.size && root.rootHex() === head.root && session.signer!.verify(head);
}

/**
 * This process's tree of the log, built on first use from the log and checked against the latest
 * signed head (as the SQLite store does at its first commit): a log that no longer has the root
 * its head signed, or is shorter than the head, stops writes. A store without any head yet (a log
 * from before heads, or a fresh one) is adopted by the first head.
 */
export async function ensureTreeHeads(session: EsdbSession): Promise<TreeHeadState> {
  if (session.treeHeadFault && !(await unsignedTailSigned(session))) throw session.treeHeadFault;
  if (session.treeHeads) return session.treeHeads;
  const latest = await latestStoredHead(session);
  const root = new StreamingMerkleRoot();
  let position = 0;
  if (latest) {
    for await (const event of readAll(session, {})) {
      root.pushHex(event.metadata.hash);
      position = event.position;
      if (root.size === latest.head.size) break;
    }
    if (root.size < latest.head.size) {
      throw fault(session, `the log holds ${root.size} events, fewer than the ${latest.head.size} of its latest signed tree head: events were removed`);
    }
    if (!matchesHead(session, root, latest.head)) {
      throw fault(session, `the log does not match its latest signed tree head (${latest.head.size} events): events were inserted, changed or removed`);
    }
  }
  session.treeHeads = { root, position, headRevision: latest?.revision ?? null, signedSize: latest?.head.size ?? 0, adopting: latest === null };
  return session.treeHeads;
}

/**
 * Signs a head over the log up to this process's events just stored (`own`), one signing at a
 * time per process. Events of others before them must be signed already, or be signed within the
 * grace period by the head of the process that wrote them.
 */
export async function signThrough(session: EsdbSession, own: ReadonlyArray<Pick<RecordedEvent, 'eventId' | 'position'>>): Promise<void> {
  if (!session.signer || own.length === 0) return;
  const through = Math.max(...own.map((event) => event.position));
  await session.oneSigningAtATime(async () => {
    try {
      await signLocked(session, own, through);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      // A failure of the server (not of the log) leaves the tree to be rebuilt from the log next time.
      session.treeHeads = null;
      throw translateClientError(error, session.description);
    }
  });
}

async function signLocked(session: EsdbSession, own: ReadonlyArray<Pick<RecordedEvent, 'eventId' | 'position'>>, through: number): Promise<void> {
  const state = await ensureTreeHeads(session);
  if (state.position >= through) return; // a later append of this process signed it already
  const ownIds = new Set(own.map((event) => event.eventId));
  for (const id of session.ownUnsigned) ownIds.add(id);
  const tail = await session.retryingUnavailable(() => logBetween(session, state.position, through));
  // The last event of another writer in the tail: it must be under a signed head before this one.
  let foreignSize = 0;
  if (!state.adopting) {
    tail.forEach((event, index) => {
      if (!ownIds.has(event.eventId)) foreignSize = state.root.size + index + 1;
    });
  }
  let coveringHead: StoredHead | null = null;
  if (foreignSize > state.signedSize) {
    const deadline = Date.now() + session.unsignedGraceMs;
    for (;;) {
      const latest = await latestStoredHead(session);
      if (latest && latest.head.size >= foreignSize) {
        coveringHead = latest;
        break;
      }
      if (Date.now() >= deadline) {
        const unsigned = foreignSize - state.signedSize;
        throw unsignedTailFault(
          session,
          state.signedSize,
          `${unsigned} event(s) lie beyond the latest signed tree head (${state.signedSize} events) and no head of their writer came within ${session.unsignedGraceMs} ms: they were written behind the ledger's back, without its signing key, or by a writer that stopped before signing them`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, GRACE_POLL_MS));
    }
  }
  const grow = (events: readonly RecordedEvent[]) => {
    for (const event of events) {
      state.root.pushHex(event.metadata.hash);
      state.position = event.position;
    }
  };
  let rest = tail;
  if (coveringHead) {
    const covered = coveringHead.head.size - state.root.size;
    let under = tail.slice(0, covered);
    if (covered > tail.length) {
      // Another process signed beyond this process's events: read on up to its size, no further.
      const after = tail.at(-1)?.position ?? state.position;
      const more: RecordedEvent[] = [];
      for await (const event of readAll(session, { after, maxCount: covered - tail.length })) more.push(event);
      under = [...tail, ...more];
    }
    grow(under);
    rest = tail.slice(covered);
    if (!matchesHead(session, state.root, coveringHead.head)) {
      throw fault(session, `the signed tree head of ${coveringHead.head.size} events does not match the log: events were inserted, changed or removed`);
    }
    state.headRevision = coveringHead.revision;
    state.signedSize = coveringHead.head.size;
  }
  grow(rest);
  if (state.root.size > state.signedSize) await appendHead(session, state, rest.at(-1)!.metadata.recordedAt);
  for (const event of tail) session.ownUnsigned.delete(event.eventId);
}

/**
 * Appends the head of the tree as it stands, at the revision after the latest head this process
 * knows: when another process appended a head meanwhile, it must be a prefix of this tree (then a
 * bigger head is appended after it) or cover it exactly or beyond.
 */
async function appendHead(session: EsdbSession, state: TreeHeadState, time: string): Promise<void> {
  const head = session.signer!.sign({ size: state.root.size, root: state.root.rootHex(), time });
  for (let attempt = 1; ; attempt += 1) {
    try {
      const expected = state.headRevision;
      const result = await session.retryingUnavailable(() =>
        session.client.appendToStream(TREE_HEADS_STREAM, jsonEvent({ id: randomUUID(), type: TREE_HEAD_EVENT_TYPE, data: { ...head } }), {
          expectedRevision: expected === null ? NO_STREAM : BigInt(expected),
          ...ON_LEADER,
        }),
      );
      state.headRevision = Number(result.nextExpectedRevision);
      state.signedSize = head.size;
      state.adopting = false;
      return;
    } catch (error) {
      if (!(error instanceof ClientWrongExpectedVersionError) || attempt >= HEAD_APPEND_ATTEMPTS_MAX) throw error;
    }
    const latest = (await latestStoredHead(session))!;
    if (latest.head.size >= head.size) {
      // Another process signed this tree or a bigger one: this tree must be its prefix.
      const same = latest.head.size === head.size ? latest.head : await treeHeadOfSize(session, head.size);
      if (same && !(same.root === head.root && session.signer!.verify(same))) {
        throw fault(session, `another signed tree head of ${head.size} events has another root: the log differs between writers`);
      }
      if (latest.head.size > head.size) {
        // The rest of its tree is checked when this process next signs: drop its own tree now.
        session.treeHeads = null;
      } else {
        state.headRevision = latest.revision;
        state.signedSize = latest.head.size;
      }
      return;
    }
    // A smaller head appended meanwhile covers events before this process's own, which it has
    // already grown its tree over; the frontier keeps no older roots, so that head's root is
    // checked by verify over the log, and here its signature and its place.
    if (!session.signer!.verify(latest.head) || latest.head.size < state.signedSize) {
      throw fault(session, `the signed tree head of ${latest.head.size} events, appended meanwhile, is not a valid head before this one`);
    }
    state.headRevision = latest.revision;
  }
}

/**
 * The operator's way out of an unsigned tail (grantledger tree-head sign-tail): signs a head over
 * the whole log, with the record of who reviewed it, once the log is exactly what was reviewed.
 * Inside this process's signing queue, it reads the latest head and the whole log again, and
 * signs nothing unless the head is still the reviewed one and matches the log, and the log holds
 * exactly the reviewed size and root (an event appended or changed since the review changes
 * one). The head is appended at the exact revision after the latest one, so a head appended
 * meanwhile by another process is not passed over. Writers stopped by the tail go on at their
 * next append (ensureTreeHeads), each after checking the log against this head.
 */
export async function signReviewedTail(session: EsdbSession, reviewed: ReviewedTail): Promise<SignedTreeHead> {
  session.assertOpen();
  const signer = session.signer;
  if (!signer) throw new TailSigningRefusedError('unsignable', `${session.description} is opened without a signing key: it signs no tree heads`);
  return session.oneSigningAtATime(async () => {
    try {
      const latest = await session.retryingUnavailable(() => latestStoredHead(session));
      if (!latest) throw new TailSigningRefusedError('unsignable', 'the log has no signed tree head yet: its first write signs it whole, there is no tail to review');
      if (!signer.verify(latest.head)) {
        throw new TailSigningRefusedError('unsignable', `the latest signed tree head (${latest.head.size} events) does not verify with the key ${signer.keyId}: sign-tail needs the key that signs this ledger's heads`);
      }
      if (latest.head.size !== reviewed.fromSize) {
        throw new TailSigningRefusedError('stale', `the latest signed tree head covers ${latest.head.size} events now, not the ${reviewed.fromSize} it covered when the tail was reviewed: review again`);
      }
      // The whole log, read afresh (a retry after a lost connection starts again from the first event).
      const { root, rootAtHead, lastRecordedAt } = await session.retryingUnavailable(async () => {
        const tree = new StreamingMerkleRoot();
        let atHead: string | null = latest.head.size === 0 ? tree.rootHex() : null;
        let last = '';
        for await (const event of readAll(session, {})) {
          tree.pushHex(event.metadata.hash);
          last = event.metadata.recordedAt;
          if (tree.size === latest.head.size) atHead = tree.rootHex();
        }
        return { root: tree, rootAtHead: atHead, lastRecordedAt: last };
      });
      if (root.size < latest.head.size || rootAtHead !== latest.head.root) {
        throw new TailSigningRefusedError('unsignable', `the log does not match its latest signed tree head (${latest.head.size} events): events under it were inserted, changed or removed, and sign-tail signs only events beyond it`);
      }
      if (root.size !== reviewed.size) {
        throw new TailSigningRefusedError('stale', `the log holds ${root.size} events now, not the ${reviewed.size} that were reviewed: review again`);
      }
      const rootHex = root.rootHex();
      if (rootHex !== reviewed.root) {
        throw new TailSigningRefusedError('stale', `the log's ${root.size} events do not have the reviewed root ${reviewed.root} (now ${rootHex}): events changed since the review; review again`);
      }
      if (root.size === latest.head.size) throw new TailSigningRefusedError('unsignable', `every event is under the signed tree head of ${root.size} events: there is no unsigned tail to sign`);
      const head = signer.signReviewed(
        { size: root.size, root: rootHex, time: lastRecordedAt },
        { fromSize: latest.head.size, by: reviewed.by, reason: reviewed.reason, at: session.clock().toISOString() },
      );
      // One id for every attempt: with an exact revision the server recognises a re-sent append.
      const id = randomUUID();
      try {
        await session.retryingUnavailable(() =>
          session.client.appendToStream(TREE_HEADS_STREAM, jsonEvent({ id, type: TREE_HEAD_EVENT_TYPE, data: { ...head } }), {
            expectedRevision: BigInt(latest.revision),
            ...ON_LEADER,
          }),
        );
      } catch (error) {
        if (error instanceof ClientWrongExpectedVersionError) {
          throw new TailSigningRefusedError('stale', 'another tree head was appended while the log was read: nothing was signed; review again');
        }
        throw error;
      }
      // This process's own writes go on from the new head; other processes at their next append.
      session.treeHeadFault = null;
      session.unsignedTailAfter = null;
      session.treeHeads = null;
      session.ownUnsigned.clear();
      return head;
    } catch (error) {
      if (error instanceof TailSigningRefusedError) throw error;
      throw translateClientError(error, session.description);
    }
  });
}
