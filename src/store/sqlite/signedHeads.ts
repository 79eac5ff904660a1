import { StoreUnavailableError, type RecordedEvent } from '../port.js';
import { StreamingMerkleRoot } from '../../domain/merkle.js';
import type { SignedTreeHead } from '../treeHeads.js';
import { toTreeHead } from './rows.js';
import type { SqliteSession } from './session.js';

/**
 * Signed tree heads in the SQLite store: with a signer, every commit adds a signed head of the
 * whole log to tree_heads, in the same transaction as its events (moved here verbatim from the
 * store's class; `this` is now the session).
 */

/**
 * A log written before signed heads existed (no event carries a tokenId) gets its first head
 * when first opened with a key. A log with tokenIds but no head lost its heads: it is not
 * adopted, and verify and the server report it.
 */
export function adoptUnsignedLegacyLog(session: SqliteSession): void {
  if (session.statements.latestTreeHead.get()) return;
  if ((session.statements.head.get()?.position ?? 0) === 0) return;
  if (session.db.prepare('SELECT 1 FROM events WHERE token_id IS NOT NULL LIMIT 1').get()) return;
  try {
    session.db.transaction(() => {
      if (session.statements.latestTreeHead.get()) return;
      catchUpSignedLog(session);
      insertSignedHead(session, session.statements.lastRecordedAt.get()!.recorded_at);
    }).immediate();
  } catch {
    // A read-only file stays unsigned until it is opened writable; verify says so.
    session.merkle = null;
    session.treeHeadFault = null;
  }
}

/** Adds a commit's new events to the tree and signs the head, inside the commit's transaction. */
export function pushAndSign(session: SqliteSession, events: readonly RecordedEvent[], recordedAt: string): void {
  let grew = false;
  for (const event of events) {
    // A replayed append returns events stored before: they are in the tree already.
    if (event.position <= session.merkle!.position) continue;
    session.merkle!.root.pushHex(event.metadata.hash);
    session.merkle!.position = event.position;
    grew = true;
  }
  if (grew) insertSignedHead(session, recordedAt);
}

/**
 * Inside a commit's write lock, before anything is appended: brings this process's tree up to
 * the latest signed head (other processes sign their commits in the same transaction), checks
 * that the head signs exactly that tree, and that no event lies beyond it. Anything else means
 * the file was changed behind the ledger's back (or written without the key), and the ledger
 * refuses to sign over it: writes stop until an operator has looked (grantledger verify).
 */
export function catchUpSignedLog(session: SqliteSession): void {
  if (session.treeHeadFault) throw session.treeHeadFault;
  const signer = session.signer!;
  const latestRow = session.statements.latestTreeHead.get();
  const latest = latestRow ? toTreeHead(latestRow) : null;
  if (session.merkle === null) session.merkle = { root: new StreamingMerkleRoot(), position: 0, signed: null };
  const merkle = session.merkle;
  const fault = (problem: string) => {
    session.merkle = null;
    session.treeHeadFault = new StoreUnavailableError(`SQLite store ${session.path}: ${problem}; writes stop until this is examined (grantledger verify)`);
    return session.treeHeadFault;
  };
  if (latest === null) {
    if (merkle.root.size > 0) throw fault('its signed tree heads are gone');
    // A log from before signed heads (or a fresh one): its first head, at the end of this commit, adopts it.
    for (const row of session.statements.hashesAfter.iterate(merkle.position)) {
      merkle.root.pushHex(row.hash);
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
    for (const _row of session.statements.hashesAfter.iterate(merkle.position)) beyondOwn += 1;
    if (beyondOwn > 0) throw fault(`${beyondOwn} event(s) lie beyond the latest signed tree head: they were written behind the ledger's back or without its signing key`);
    return;
  }
  let beyond = 0;
  for (const row of session.statements.hashesAfter.iterate(merkle.position)) {
    if (merkle.root.size < latest.size) {
      merkle.root.pushHex(row.hash);
      merkle.position = row.position;
    } else {
      beyond += 1;
    }
  }
  if (merkle.root.size < latest.size) throw fault(`the log holds ${merkle.root.size} events, fewer than the ${latest.size} of its latest signed tree head: events were removed`);
  if (merkle.root.rootHex() !== latest.root || !signer.verify(latest)) {
    throw fault(`the log does not match its latest signed tree head (${latest.size} events): events were inserted, changed or removed`);
  }
  if (beyond > 0) throw fault(`${beyond} event(s) lie beyond the latest signed tree head: they were written behind the ledger's back or without its signing key`);
}

export function insertSignedHead(session: SqliteSession, time: string): void {
  const merkle = session.merkle!;
  const head = session.signer!.sign({ size: merkle.root.size, root: merkle.root.rootHex(), time });
  session.statements.insertTreeHead.run(head.size, head.root, head.time, head.signature, head.keyId);
  merkle.signed = head;
}

/** Every field equal: the same row (Ed25519 is deterministic, so the same key signs a head one way). */
function sameHead(a: SignedTreeHead, b: SignedTreeHead): boolean {
  return a.size === b.size && a.root === b.root && a.time === b.time && a.signature === b.signature && a.keyId === b.keyId;
}

/** The latest signed tree head, or null when the store keeps none (yet). */
export async function latestTreeHead(session: SqliteSession): Promise<SignedTreeHead | null> {
  session.assertOpen();
  const row = session.statements.latestTreeHead.get();
  return row ? toTreeHead(row) : null;
}

/** The signed head of exactly this many events, if one was signed. */
export async function treeHeadOfSize(session: SqliteSession, size: number): Promise<SignedTreeHead | null> {
  session.assertOpen();
  const row = session.statements.treeHeadOfSize.get(size);
  return row ? toTreeHead(row) : null;
}
