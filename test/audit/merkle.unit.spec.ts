import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  formatDigest,
  leafHash,
  MerkleTree,
  parseDigest,
  StreamingMerkleRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/domain/merkle.js';

const hex = (hash: Buffer) => hash.toString('hex');

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** RFC 6962 §2.1 written as literally as possible, to check the real one against. */
function naiveRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.from([0]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

/** Leaves like the ledger's: 32-byte event hashes. */
const leavesOf = (count: number) => Array.from({ length: count }, (_, index) => sha256(Buffer.from(`event ${index}`)));

// RFC 6962's test vectors (certificate-transparency's merkle_tree_test): leaves are these byte
// strings, roots the expected MTH of the first n of them.
const RFC_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'));
const RFC_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('RFC 6962 Merkle tree', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new MerkleTree([]).root().toString('hex')).toBe(EMPTY_ROOT.toString('hex'));
  });

  it.each(RFC_ROOTS.map((root, index) => [index + 1, root] as const))('matches the RFC test vector root for %i leaves', (size, root) => {
    const leaves = RFC_LEAVES.slice(0, size);
    expect(new MerkleTree(leaves).root().toString('hex')).toBe(root);
    expect(naiveRoot(leaves).toString('hex')).toBe(root);
    const streaming = new StreamingMerkleRoot();
    for (const leaf of leaves) streaming.push(leaf);
    expect(streaming.root().toString('hex')).toBe(root);
  });

  it('agrees with the naive recursion and the streaming root for every size up to 70', () => {
    const leaves = leavesOf(70);
    const tree = new MerkleTree(leaves);
    const streaming = new StreamingMerkleRoot();
    for (let n = 0; n <= 70; n += 1) {
      expect(tree.root(n).equals(naiveRoot(leaves.slice(0, n)))).toBe(true);
      expect(streaming.root().equals(naiveRoot(leaves.slice(0, n)))).toBe(true);
      if (n < 70) streaming.push(leaves[n]!);
    }
  });

  it('takes a leaf in hex (an event hash as stored) exactly as push takes its bytes, odd hex included', () => {
    const hexes = [...leavesOf(40).map((leaf) => createHash('sha256').update(leaf).digest('hex')), 'AB'.repeat(32), 'zz'.repeat(32), '00ff', 'a'.repeat(63), '0'.repeat(66)];
    const fromHex = new StreamingMerkleRoot();
    const fromBytes = new StreamingMerkleRoot();
    for (const hex of hexes) {
      fromHex.pushHex(hex);
      fromBytes.push(Buffer.from(hex, 'hex'));
      expect(fromHex.rootHex()).toBe(fromBytes.root().toString('hex'));
      expect(fromHex.frontier()).toEqual(fromBytes.frontier());
    }
  });

  it('continues a tree from its frontier (one hash per set bit of its size) to the same root as the whole tree, for every split up to 40', () => {
    const leaves = leavesOf(40);
    for (let cut = 0; cut <= 40; cut += 1) {
      const prefix = new StreamingMerkleRoot();
      for (const leaf of leaves.slice(0, cut)) prefix.push(leaf);
      const frontier = prefix.frontier();
      expect(frontier.size).toBe(cut);
      expect(frontier.hashes.length).toBe(cut.toString(2).split('').filter((bit) => bit === '1').length);
      const continued = StreamingMerkleRoot.ofFrontier(JSON.parse(JSON.stringify(frontier)));
      expect(continued.root().equals(naiveRoot(leaves.slice(0, cut)))).toBe(true);
      for (const leaf of leaves.slice(cut)) continued.push(leaf);
      expect(continued.size).toBe(40);
      expect(continued.root().equals(naiveRoot(leaves))).toBe(true);
    }
  });

  it('refuses a frontier whose hashes do not fit its size', () => {
    const prefix = new StreamingMerkleRoot();
    for (const leaf of leavesOf(5)) prefix.push(leaf);
    const { hashes } = prefix.frontier();
    expect(() => StreamingMerkleRoot.ofFrontier({ size: 7, hashes })).toThrow(/needs 3 hashes/);
    expect(() => StreamingMerkleRoot.ofFrontier({ size: 5, hashes: [hashes[0]!, 'zz'] })).toThrow(/64 hex digits/);
    expect(() => StreamingMerkleRoot.ofFrontier({ size: -1, hashes: [] })).toThrow(/size/);
  });

  it('gives the same roots and proofs when built from leaf hashes and precomputed in steps, for every size up to 70', () => {
    const leaves = leavesOf(70);
    for (let n = 0; n <= 70; n += 1) {
      const whole = new MerkleTree(leaves.slice(0, n));
      const stepped = MerkleTree.ofLeafHashes(leaves.slice(0, n).map(leafHash));
      let steps = 0;
      for (const _step of stepped.precompute(4)) steps += 1;
      // One step per aligned perfect subtree of 4, 8, 16, … leaves: bounded work between pauses.
      let expected = 0;
      for (let size = 4; size <= n; size *= 2) expected += Math.floor(n / size);
      expect(steps).toBe(expected);
      expect(stepped.root().equals(naiveRoot(leaves.slice(0, n)))).toBe(true);
      for (let index = 0; index < n; index += 1) {
        expect(stepped.inclusionProof(index).map(hex)).toEqual(whole.inclusionProof(index).map(hex));
      }
      for (let m = 0; m <= n; m += 1) expect(stepped.consistencyProof(m).map(hex)).toEqual(whole.consistencyProof(m).map(hex));
    }
    expect(() => [...new MerkleTree(leaves).precompute(6)]).toThrow(/power of two/);
  });

  it('proves and verifies the inclusion of every leaf in every tree up to 20, and refuses a wrong leaf or index', () => {
    const leaves = leavesOf(20);
    const tree = new MerkleTree(leaves);
    for (let n = 1; n <= 20; n += 1) {
      const root = tree.root(n);
      for (let index = 0; index < n; index += 1) {
        const proof = tree.inclusionProof(index, n);
        expect(verifyInclusion(leaves[index]!, index, n, proof, root)).toBe(true);
        expect(verifyInclusion(leaves[(index + 1) % 20]!, index, n, proof, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(leaves[index]!, (index + 1) % n, n, proof, root)).toBe(false);
        expect(verifyInclusion(leaves[index]!, n, n, proof, root)).toBe(false);
        expect(verifyInclusion(leaves[index]!, index, n, [...proof, leaves[0]!], root)).toBe(false);
      }
    }
  });

  it('proves and verifies consistency for every 0 ≤ m ≤ n ≤ 20, and refuses a proof against another history', () => {
    const leaves = leavesOf(20);
    const tree = new MerkleTree(leaves);
    const other = new MerkleTree(leaves.map((leaf, index) => (index === 3 ? sha256(Buffer.from('rewritten')) : leaf)));
    let checked = 0;
    for (let n = 0; n <= 20; n += 1) {
      for (let m = 0; m <= n; m += 1) {
        const proof = tree.consistencyProof(m, n);
        expect(verifyConsistency(m, n, proof, tree.root(m), tree.root(n))).toBe(true);
        checked += 1;
        if (m > 3 && m < n) {
          // The old head was of a history whose fourth event differed: no proof can join them.
          expect(verifyConsistency(m, n, proof, other.root(m), tree.root(n))).toBe(false);
          expect(verifyConsistency(m, n, other.consistencyProof(m, n), other.root(m), tree.root(n))).toBe(false);
        }
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, proof.slice(1), tree.root(m), tree.root(n))).toBe(false);
          expect(verifyConsistency(m - 1, n, proof, tree.root(m), tree.root(n))).toBe(false);
        }
      }
    }
    expect(checked).toBe(231);
  });

  it('gives RFC-sized proofs: at most ⌈log2 n⌉ + 1 hashes', () => {
    const tree = new MerkleTree(leavesOf(20));
    expect(tree.consistencyProof(3, 7).length).toBeLessThanOrEqual(4);
    expect(tree.inclusionProof(5, 20).length).toBe(5);
    expect(tree.consistencyProof(4, 8)).toHaveLength(1);
  });
});

describe('log digest', () => {
  const digest = { treeSize: 42, rootHex: 'ab'.repeat(32), time: '2021-03-09T12:00:00.000Z' };

  it('round-trips', () => {
    expect(parseDigest(formatDigest(digest))).toEqual(digest);
    expect(formatDigest(digest)).toBe(`gl1:42:${'ab'.repeat(32)}:2021-03-09T12:00:00.000Z`);
  });

  it.each([
    '',
    'gl2:42:' + 'ab'.repeat(32) + ':2021-03-09T12:00:00.000Z',
    'gl1:042:' + 'ab'.repeat(32) + ':2021-03-09T12:00:00.000Z',
    'gl1:-1:' + 'ab'.repeat(32) + ':2021-03-09T12:00:00.000Z',
    'gl1:42:' + 'AB'.repeat(32) + ':2021-03-09T12:00:00.000Z',
    'gl1:42:' + 'ab'.repeat(31) + ':2021-03-09T12:00:00.000Z',
    'gl1:42:' + 'ab'.repeat(32) + ':2021-02-30T12:00:00.000Z',
    'gl1:42:' + 'ab'.repeat(32) + ':2021-03-09T12:00:00Z',
    'gl1:42:' + 'ab'.repeat(32) + ':2021-03-09T12:00:00.000Z ',
  ])('refuses %j', (text) => {
    expect(parseDigest(text)).toBeNull();
  });
});
