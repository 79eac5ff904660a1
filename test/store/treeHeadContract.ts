import { randomUUID, verify as verifySignature } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logDigest, verifyLog } from '../../src/app/audit.js';
import { hashOf } from '../../src/store/hashChain.js';
import { readStreamToArray, type EventStore, type NewEvent, type RecordedEvent } from '../../src/store/port.js';
import { signedBytes, TreeHeadSigner, verifyTreeHead } from '../../src/store/treeHeads.js';

/**
 * Signed tree heads, written once and run against every store that signs them (the SQLite file
 * and EventStoreDB through the double), so `verify` means the same on both. Each store is fresh
 * and holds only the test's events: a head covers the whole log.
 */
export interface TreeHeadSubject {
  /** The store, opened with `signer`. */
  readonly store: EventStore;
  /** The same log opened again, as a restarted process would (the caller closes it). */
  readonly reopen: () => Promise<EventStore>;
  /**
   * Replaces a stored event behind the store's back (raw file or server access): same place,
   * same id, the given data and hashes.
   */
  readonly replaceStored: (event: RecordedEvent) => Promise<void>;
  /** Writes an event at the end of a stream behind the store's back, as given (its chain computed by the caller). */
  readonly forgeAppend: (event: RecordedEvent) => Promise<void>;
  readonly dispose: () => Promise<void>;
}

export interface TreeHeadContractOptions {
  readonly open: (signer: TreeHeadSigner) => Promise<TreeHeadSubject>;
}

const newEvent = (n: number): NewEvent => ({
  eventId: randomUUID(),
  type: 'ThingHappened',
  data: { n },
  metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID(), tokenId: 'cli' },
});

/** An event with new data and a chain recomputed over it: only the signed head can tell. */
function rewritten(event: RecordedEvent, data: unknown): RecordedEvent {
  const metadata = { ...event.metadata, hash: '' };
  const changed = { ...event, data, metadata };
  return { ...changed, metadata: { ...metadata, hash: hashOf(changed) } };
}

export function describeTreeHeadContract(storeName: string, options: TreeHeadContractOptions): void {
  describe(`signed tree heads: ${storeName}`, () => {
    const signer = TreeHeadSigner.generate();
    let subject: TreeHeadSubject;
    let store: EventStore;

    beforeEach(async () => {
      subject = await options.open(signer);
      store = subject.store;
    });
    afterEach(async () => {
      await subject.dispose();
    });

    it('signs a head over the whole log after each commit, with the time of its last event', async () => {
      expect(store.signer?.keyId).toBe(signer.keyId);
      expect(await store.latestTreeHead!()).toBeNull();
      await store.appendToStream('grant-a', [newEvent(1), newEvent(2)], { expectedRevision: 'no_stream' });
      const first = (await store.latestTreeHead!())!;
      expect(first.size).toBe(2);
      await store.appendToStream('grant-b', [newEvent(3)], { expectedRevision: 'no_stream' });
      const head = (await store.latestTreeHead!())!;
      expect(head.size).toBe(3);
      const digest = (await logDigest(store))!;
      expect(head.root).toBe(digest.rootHex);
      expect(head.time).toBe(digest.time);
      expect(head.keyId).toBe(signer.keyId);
      expect(await store.treeHeadOfSize!(2)).toEqual(first);
      expect(await store.treeHeadOfSize!(3)).toEqual(head);
      expect(await store.treeHeadOfSize!(1)).toBeNull();
      expect(await store.treeHeadOfSize!(4)).toBeNull();
    });

    it('signs with the Ed25519 key: the public key checks the signature, another key does not', async () => {
      await store.appendToStream('grant-a', [newEvent(1)], { expectedRevision: 'no_stream' });
      const head = (await store.latestTreeHead!())!;
      expect(verifySignature(null, signedBytes(head), signer.publicKey, Buffer.from(head.signature, 'base64'))).toBe(true);
      expect(verifyTreeHead(head, signer.publicKey)).toBe(true);
      expect(verifyTreeHead(head, TreeHeadSigner.generate().publicKey)).toBe(false);
      expect(verifyTreeHead({ ...head, size: head.size + 1 }, signer.publicKey)).toBe(false);
    });

    it('verifies a log that matches its latest head, also after a restart that signs on', async () => {
      await store.appendToStream('grant-a', [newEvent(1), newEvent(2)], { expectedRevision: 'no_stream' });
      expect(await verifyLog(store)).toMatchObject({ ok: true, events: 2, treeHead: { ok: true, signatureValid: true, rootMatches: true, unsignedEvents: 0 } });
      const again = await subject.reopen();
      try {
        await again.appendToStream('grant-a', [newEvent(3)], { expectedRevision: 1 });
        expect((await again.latestTreeHead!())?.size).toBe(3);
        expect(await verifyLog(again)).toMatchObject({ ok: true, events: 3, treeHead: { ok: true, unsignedEvents: 0 } });
      } finally {
        await again.close();
      }
    });

    it('catches an event changed under the head even when its hash chain was recomputed', async () => {
      await store.appendToStream('grant-a', [newEvent(1), newEvent(2)], { expectedRevision: 'no_stream' });
      await store.appendToStream('grant-b', [newEvent(3)], { expectedRevision: 'no_stream' });
      const [target] = await readStreamToArray(store, 'grant-b');
      await subject.replaceStored(rewritten(target!, { n: 666 }));
      expect((await readStreamToArray(store, 'grant-b'))[0]!.data).toEqual({ n: 666 });
      const report = await verifyLog(store);
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(false);
      expect(report.treeHead).toMatchObject({ ok: false, signatureValid: true, rootMatches: false });
      expect(report.treeHead!.detail).toMatch(/do not have the root of the signed tree head/);
    });

    it('reports an event appended behind its back with a valid chain as unsigned', async () => {
      await store.appendToStream('grant-a', [newEvent(1)], { expectedRevision: 'no_stream' });
      const [last] = await readStreamToArray(store, 'grant-a');
      const forged = rewritten(
        { ...last!, eventId: randomUUID(), revision: 1, position: last!.position + 1, data: {}, metadata: { ...last!.metadata, actor: 'mallory', prevHash: last!.metadata.hash } },
        { n: 999 },
      );
      await subject.forgeAppend(forged);
      const report = await verifyLog(store);
      expect(report.failures).toEqual([]);
      expect(report.treeHead).toMatchObject({ ok: false, signatureValid: true, unsignedEvents: 1 });
      expect(report.ok).toBe(false);
    });
  });
}
