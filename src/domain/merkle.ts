import { createHash, hash } from 'node:crypto';

/**
 * The Merkle tree of RFC 6962 §2.1 (Certificate Transparency), over the log's event hashes in
 * global order. Pure: no I/O. Hashes are 32-byte Buffers here and lowercase hex on every boundary.
 *
 *   MTH({})     = SHA-256()
 *   MTH({d0})   = SHA-256(0x00 || d0)
 *   MTH(D[n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n
 *
 * Proofs are built per RFC 6962 §2.1.1 (PATH) and §2.1.2 (PROOF/SUBPROOF) and verified per
 * RFC 9162 §2.1.3.2 and §2.1.4.2, which need nothing but the proof and the two roots.
 */

// One-shot crypto.hash over one buffer: a third cheaper than a Hash object with its updates, and
// every commit of a signing store hashes about two nodes per event it appends. The digest comes
// out as hex and is turned into a Buffer here: Node's one-shot hash is about three times slower
// when it makes the Buffer itself (it allocates a fresh backing store per call).
export function leafHash(leaf: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + leaf.length);
  input[0] = 0x00;
  input.set(leaf, 1);
  return Buffer.from(hash('sha256', input, 'hex'), 'hex');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return Buffer.from(hash('sha256', input, 'hex'), 'hex');
}

export const EMPTY_ROOT: Buffer = createHash('sha256').digest();
const EMPTY_ROOT_HEX = EMPTY_ROOT.toString('hex');

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 2)) throw new Error(`splitPoint needs n >= 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Scratch inputs of the streaming tree's hashes (0x00 || a 32-byte leaf, 0x01 || two 32-byte children), filled and hashed synchronously. */
const LEAF_INPUT = Buffer.alloc(33);
const NODE_INPUT = Buffer.alloc(65);
NODE_INPUT[0] = 0x01;

/** nodeHash of two children given in lowercase hex, in hex: no Buffer made for either side. */
function nodeHashHex(leftHex: string, rightHex: string): string {
  NODE_INPUT.write(leftHex, 1, 'hex');
  NODE_INPUT.write(rightHex, 33, 'hex');
  return hash('sha256', NODE_INPUT, 'hex');
}

/**
 * Computes the root while leaves arrive one at a time, in O(log n) memory: the RFC tree of n
 * leaves is the right fold of the perfect subtrees that n's binary digits describe, so keeping
 * one hash per set bit is enough. Used to digest millions of events without holding them, and by
 * a signing store in every commit. The subtree hashes are kept in hex (as the log stores event
 * hashes and heads their roots), hashed through two scratch buffers: a signing commit pushes
 * some 64 leaves and computes a root, and a Buffer made and turned into hex for each hash cost
 * more than the hashing.
 */
export class StreamingMerkleRoot {
  private readonly stack: Array<{ size: number; hex: string }> = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a leaf (the raw leaf data; it is leaf-hashed here). */
  push(leaf: Uint8Array): void {
    let leafHex: string;
    if (leaf.length === 32) {
      LEAF_INPUT.set(leaf, 1);
      leafHex = hash('sha256', LEAF_INPUT, 'hex');
    } else {
      leafHex = leafHash(leaf).toString('hex');
    }
    this.pushLeafHash(leafHex);
  }

  /** Adds a leaf given in hex, as push(Buffer.from(leafHex, 'hex')) does (an event's hash as stored). */
  pushHex(leafHex: string): void {
    if (leafHex.length === 64 && LEAF_INPUT.write(leafHex, 1, 'hex') === 32) this.pushLeafHash(hash('sha256', LEAF_INPUT, 'hex'));
    else this.push(Buffer.from(leafHex, 'hex'));
  }

  private pushLeafHash(leafHex: string): void {
    let size = 1;
    let hex = leafHex;
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.size === size) {
      const left = this.stack.pop()!;
      size *= 2;
      hex = nodeHashHex(left.hex, hex);
    }
    this.stack.push({ size, hex });
    this.count += 1;
  }

  root(): Buffer {
    return Buffer.from(this.rootHex(), 'hex');
  }

  /** The root in lowercase hex, as a signed head holds it. */
  rootHex(): string {
    if (this.stack.length === 0) return EMPTY_ROOT_HEX;
    let hex = this.stack[this.stack.length - 1]!.hex;
    for (let index = this.stack.length - 2; index >= 0; index -= 1) hex = nodeHashHex(this.stack[index]!.hex, hex);
    return hex;
  }

  /**
   * The frontier: the roots of the perfect subtrees that make up the tree so far (RFC 6962's
   * compact range [0, size)), largest first. With it the tree can be continued later without its
   * leaves: see ofFrontier.
   */
  frontier(): MerkleFrontier {
    return { size: this.count, hashes: this.stack.map((entry) => entry.hex) };
  }

  /** Continues a tree from a frontier another StreamingMerkleRoot gave; throws if it is malformed. */
  static ofFrontier(frontier: MerkleFrontier): StreamingMerkleRoot {
    const { size, hashes } = frontier;
    if (!Number.isSafeInteger(size) || size < 0) throw new Error('a Merkle frontier needs a size of 0 or more');
    const sizes: number[] = [];
    for (let bit = 2 ** Math.floor(Math.log2(Math.max(1, size))); bit >= 1; bit /= 2) if (Math.floor(size / bit) % 2 === 1) sizes.push(bit);
    if (!Array.isArray(hashes) || hashes.length !== sizes.length || !hashes.every((hash) => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash))) {
      throw new Error(`a Merkle frontier of ${size} leaves needs ${sizes.length} hashes of 64 hex digits`);
    }
    const tree = new StreamingMerkleRoot();
    hashes.forEach((hash, index) => tree.stack.push({ size: sizes[index]!, hex: hash }));
    tree.count = size;
    return tree;
  }
}

/** The right edge of a Merkle tree: one subtree root per set bit of its size, largest first, hex. */
export interface MerkleFrontier {
  readonly size: number;
  readonly hashes: readonly string[];
}

/**
 * A tree over leaf hashes held in memory (32 bytes per event), for building proofs. Subtree
 * hashes of perfect, aligned subtrees are memoised, so a proof costs O(n) hashing once and
 * O(log n) afterwards.
 */
export class MerkleTree {
  private readonly leafHashes: Buffer[];
  private readonly perfect = new Map<string, Buffer>();

  /** @param leaves the raw leaves (event hashes, decoded), in order. */
  constructor(leaves: readonly Uint8Array[], alreadyHashed = false) {
    this.leafHashes = alreadyHashed ? [...(leaves as readonly Buffer[])] : leaves.map(leafHash);
  }

  /** A tree over leaf hashes computed beforehand (leafHash of each leaf), e.g. while reading the log. */
  static ofLeafHashes(hashes: readonly Buffer[]): MerkleTree {
    return new MerkleTree(hashes, true);
  }

  /**
   * Computes and keeps the roots of the aligned perfect subtrees of `chunk` leaves (a power of
   * two) and of every larger aligned perfect subtree, one per step, so a caller can pause between
   * steps; afterwards a root or a proof needs at most a few dozen more hashes.
   */
  *precompute(chunk = 64): Generator<void> {
    if (!(Number.isSafeInteger(chunk) && chunk >= 2 && (chunk & (chunk - 1)) === 0)) throw new Error(`chunk must be a power of two, got ${chunk}`);
    // The chunks' roots are folded without keeping their inner nodes (a proof recomputes the few
    // it needs), so a tree of a million leaves keeps thousands of hashes, not millions.
    for (let start = 0; start + chunk <= this.size; start += chunk) {
      let level = this.leafHashes.slice(start, start + chunk);
      while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, index) => nodeHash(level[2 * index]!, level[2 * index + 1]!));
      this.perfect.set(`${start}:${chunk}`, level[0]!);
      yield;
    }
    // Then level by level above the chunks: each step one hash, its halves already kept.
    for (let size = chunk * 2; size <= this.size; size *= 2) {
      for (let start = 0; start + size <= this.size; start += size) {
        this.subtreeRoot(start, start + size);
        yield;
      }
    }
  }

  get size(): number {
    return this.leafHashes.length;
  }

  /** MTH(D[start:end]). */
  subtreeRoot(start: number, end: number): Buffer {
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= this.size)) {
      throw new Error(`subtree [${start}, ${end}) is outside a tree of ${this.size}`);
    }
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    if (n === 1) return this.leafHashes[start]!;
    const isPerfect = (n & (n - 1)) === 0;
    const key = `${start}:${n}`;
    if (isPerfect) {
      const cached = this.perfect.get(key);
      if (cached) return cached;
    }
    const k = splitPoint(n);
    const hash = nodeHash(this.subtreeRoot(start, start + k), this.subtreeRoot(start + k, end));
    if (isPerfect) this.perfect.set(key, hash);
    return hash;
  }

  /** The root of the first treeSize leaves. */
  root(treeSize = this.size): Buffer {
    return this.subtreeRoot(0, treeSize);
  }

  /** RFC 6962 §2.1.1: the audit path of leaf `index` in the tree of the first treeSize leaves. */
  inclusionProof(index: number, treeSize = this.size): Buffer[] {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < treeSize && treeSize <= this.size)) {
      throw new Error(`leaf ${index} is not in a tree of ${treeSize}`);
    }
    const path = (m: number, start: number, end: number): Buffer[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = splitPoint(n);
      return m < k
        ? [...path(m, start, start + k), this.subtreeRoot(start + k, end)]
        : [...path(m - k, start + k, end), this.subtreeRoot(start, start + k)];
    };
    return path(index, 0, treeSize);
  }

  /** RFC 6962 §2.1.2: the consistency proof between the trees of the first m and n leaves. */
  consistencyProof(m: number, n = this.size): Buffer[] {
    if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m <= n && n <= this.size)) {
      throw new Error(`no consistency proof from ${m} to ${n} in a tree of ${this.size}`);
    }
    if (m === 0 || m === n) return [];
    const subproof = (m2: number, start: number, end: number, whole: boolean): Buffer[] => {
      const n2 = end - start;
      if (m2 === n2) return whole ? [] : [this.subtreeRoot(start, end)];
      const k = splitPoint(n2);
      return m2 <= k
        ? [...subproof(m2, start, start + k, whole), this.subtreeRoot(start + k, end)]
        : [...subproof(m2 - k, start + k, end, false), this.subtreeRoot(start, start + k)];
    };
    return subproof(m, 0, n, true);
  }
}

/** RFC 9162 §2.1.3.2: does the audit path prove that the leaf is at index in the tree with this root? */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(treeSize) && index >= 0 && index < treeSize)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = leafHash(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.compare(r, Buffer.from(root)) === 0;
}

/** RFC 9162 §2.1.4.2: does the proof show that the tree (size1, root1) is a prefix of (size2, root2)? */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && size1 >= 0 && size1 <= size2)) return false;
  const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  // Every tree is consistent with the empty one; RFC 9162 gives the empty tree no proof.
  if (size1 === 0) return proof.length === 0 && equal(root1, EMPTY_ROOT);
  if (proof.length === 0) return false;
  // Steps 1–2: when size1 is a power of two, root1 itself starts the path.
  const path = (size1 & (size1 - 1)) === 0 ? [Buffer.from(root1), ...proof.map((p) => Buffer.from(p))] : proof.map((p) => Buffer.from(p));
  let fn = size1 - 1;
  let sn = size2 - 1;
  // Step 4: shift out the common right edge.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = path[0]!;
  let sr: Buffer = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, root1) && equal(sr, root2) && sn === 0;
}

/**
 * A digest of the log (the tree head an auditor keeps): `gl1:<treeSize>:<rootHex>:<time>`, the
 * time being the recordedAt of the last event it covers, so the same log always has the same
 * digest, whichever copy of it is asked.
 */
export interface LogDigest {
  readonly treeSize: number;
  readonly rootHex: string;
  readonly time: string;
}

export const EPOCH = '1970-01-01T00:00:00.000Z';

const DIGEST_PATTERN = /^gl1:(0|[1-9]\d{0,14}):([0-9a-f]{64}):(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;

export function formatDigest(digest: LogDigest): string {
  return `gl1:${digest.treeSize}:${digest.rootHex}:${digest.time}`;
}

/** Parses a digest strictly; null when it is not one (wrong prefix, case, length or time). */
export function parseDigest(text: string): LogDigest | null {
  const match = DIGEST_PATTERN.exec(text);
  if (!match) return null;
  const time = match[3]!;
  const parsed = new Date(time);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== time) return null;
  const treeSize = Number(match[1]);
  if (!Number.isSafeInteger(treeSize)) return null;
  return { treeSize, rootHex: match[2]!, time };
}
