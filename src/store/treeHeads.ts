import { closeSync, constants as fsConstants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { formatDigest } from '../domain/merkle.js';

/**
 * Signed tree heads: after every commit the store signs (size, RFC 6962 root, time) of the whole
 * log with an Ed25519 key that is never stored in the log. Someone who can write the database but
 * does not hold the key can recompute every hash chain, but cannot sign a head over what they
 * changed: verify compares the log with the latest signed head and finds it.
 */
export interface TreeHead {
  /** The number of events the head covers: the first `size` events of the log in global order. */
  readonly size: number;
  /** The RFC 6962 Merkle root over their hashes, lowercase hex. */
  readonly root: string;
  /** When the last covered event was recorded (the digest's time), ISO-8601 UTC. */
  readonly time: string;
}

export interface SignedTreeHead extends TreeHead {
  /** Ed25519 over `grantledger-tree-head\n` + the head as a digest (gl1:size:root:time), base64. */
  readonly signature: string;
  /** The first 16 hex digits of SHA-256 over the public key (SPKI DER): which key signed it. */
  readonly keyId: string;
  /**
   * Present only on a head an operator signed over a reviewed unsigned tail (grantledger
   * tree-head sign-tail): who did it, when and why. Kept with the head, never rewritten.
   */
  readonly review?: TailReviewRecord;
}

/**
 * Who signed a head over events that no writer had signed (a writer killed between its events and
 * their head), after reviewing them: kept beside the head in its append-only store, with its own
 * signature, so the record cannot be changed or moved to another head without the key.
 */
export interface TailReviewRecord {
  /** The size of the signed head the reviewed tail followed: events fromSize+1 .. size were reviewed. */
  readonly fromSize: number;
  /** Who ran it: `cli:<user>` (the command line acts with access to the store and the key). */
  readonly by: string;
  /** Why, in the operator's words. */
  readonly reason: string;
  /** When it was signed, ISO-8601 UTC. */
  readonly at: string;
  /** Ed25519 over `grantledger-tail-review\n` + the record's fields and the head's digest, base64. */
  readonly signature: string;
}

const REVIEW_PREFIX = 'grantledger-tail-review\n';

/** The exact bytes a review record's signature covers: its fields and the head it goes with. */
export function reviewBytes(head: TreeHead, review: Omit<TailReviewRecord, 'signature'>): Buffer {
  const digest = formatDigest({ treeSize: head.size, rootHex: head.root, time: head.time });
  return Buffer.from(`${REVIEW_PREFIX}${JSON.stringify([digest, review.fromSize, review.by, review.reason, review.at])}`, 'utf8');
}

/** Checks a review record's signature, against the head it is kept with. */
export function verifyReview(head: SignedTreeHead, publicKey: KeyObject): boolean {
  if (!head.review) return false;
  try {
    return verify(null, reviewBytes(head, head.review), publicKey, Buffer.from(head.review.signature, 'base64'));
  } catch {
    return false;
  }
}

const SIGNED_PREFIX = 'grantledger-tree-head\n';

/** The exact bytes a head's signature covers. */
export function signedBytes(head: TreeHead): Buffer {
  return Buffer.from(`${SIGNED_PREFIX}${formatDigest({ treeSize: head.size, rootHex: head.root, time: head.time })}`, 'utf8');
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Checks a head's signature with a public key; false for a head signed by another key. */
export function verifyTreeHead(head: SignedTreeHead, publicKey: KeyObject, publicKeyId = keyIdOf(publicKey)): boolean {
  if (head.keyId !== publicKeyId) return false;
  try {
    return verify(null, signedBytes(head), publicKey, Buffer.from(head.signature, 'base64'));
  } catch {
    return false;
  }
}

export class TreeHeadSigner {
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key must be Ed25519, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  sign(head: TreeHead): SignedTreeHead {
    return { ...head, signature: sign(null, signedBytes(head), this.privateKey).toString('base64'), keyId: this.keyId };
  }

  /** Signs a head with the record of the operator's review of the tail it covers (sign-tail). */
  signReviewed(head: TreeHead, review: Omit<TailReviewRecord, 'signature'>): SignedTreeHead {
    const signed = this.sign(head);
    return { ...signed, review: { ...review, signature: sign(null, reviewBytes(head, review), this.privateKey).toString('base64') } };
  }

  verify(head: SignedTreeHead): boolean {
    // The key id is known: exporting the key to hash it again cost 4 % of a command's CPU.
    return verifyTreeHead(head, this.publicKey, this.keyId);
  }

  /** The public key as PEM (SPKI), for GET /api/audit/public-key and auditors' own checks. */
  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  static generate(): TreeHeadSigner {
    return new TreeHeadSigner(generateKeyPairSync('ed25519').privateKey);
  }
}

/** Where a store keeps its signing key unless LEDGER_SIGNING_KEY says otherwise. */
export function defaultKeyPath(storePath: string | null): string {
  return storePath === null ? 'data/grantledger-signing-key.pem' : `${storePath}.signing-key.pem`;
}

export interface LoadedSigner {
  readonly signer: TreeHeadSigner;
  /** True when the file was just created (a fresh install): the operator is told once. */
  readonly created: boolean;
  readonly path: string;
}

/**
 * Reads the Ed25519 key (PKCS#8 PEM) from a file, or, when the file does not exist and `create`
 * is set, creates it with mode 0600 (O_EXCL, no symlink followed, so two processes starting at
 * once cannot each make their own key).
 */
export function loadSigningKey(path: string, options: { create: boolean }): LoadedSigner {
  if (!existsSync(path)) {
    if (!options.create) throw new Error(`the signing key ${path} does not exist`);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      try {
        writeSync(fd, pem);
      } finally {
        closeSync(fd);
      }
      return { signer: new TreeHeadSigner(privateKey), created: true, path };
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the signing key ${path}: ${(error as Error).message}`);
    }
  }
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the signing key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`the signing key ${path} is not a PEM private key`);
  }
  return { signer: new TreeHeadSigner(key), created: false, path };
}
