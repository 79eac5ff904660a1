import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { TREE_HEADS_STREAM } from '../../src/store/esdb/ledgerEvents.js';
import { hashOf } from '../../src/store/hashChain.js';
import { readStreamToArray, StoreUnavailableError, type NewEvent } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey, verifyReview, type TreeHeadSigner } from '../../src/store/treeHeads.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { runCli } from '../support/cli.js';

/**
 * grantledger tree-head sign-tail, as an operator runs it: on EventStoreDB a writer killed
 * between its events and their signed head leaves an unsigned tail, and every writer stops. The
 * command shows the tail, and signs exactly the size and root that were reviewed, with the key.
 */

const directory = mkdtempSync(join(tmpdir(), 'grantledger-sign-tail-'));
const keyPath = join(directory, 'ledger-signing-key.pem');
const strangerKey = join(directory, 'someone-elses-key.pem');
let signer: TreeHeadSigner;
beforeAll(() => {
  signer = loadSigningKey(keyPath, { create: true }).signer;
  loadSigningKey(strangerKey, { create: true });
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const event = (n: number, tokenId = 'cli'): NewEvent => ({
  eventId: randomUUID(),
  type: n === 2 ? 'TokenIssued' : 'ThingHappened',
  data: { n },
  metadata: { actor: 'anna', commandId: randomUUID(), correlationId: randomUUID(), tokenId },
});

function open(connectionString: string, withKey: boolean): EsdbEventStore {
  const store = new EsdbEventStore(connectionString, { signer: withKey ? signer : undefined, unsignedGraceMs: 100 });
  cleanups.push(() => store.close());
  return store;
}

/** A double whose log has one signed event, then one of a writer that died before its head. */
async function stoppedLedger(): Promise<{ server: EsdbDouble; writer: EsdbEventStore; env: Record<string, string> }> {
  const server = await EsdbDouble.start();
  cleanups.push(() => server.stop());
  const writer = open(server.connectionString, true);
  await writer.appendToStream('grant-a', [event(1)], { expectedRevision: 'no_stream' });
  await open(server.connectionString, false).appendToStream('tokens-x', [event(2, 'token-of-bertil')], { expectedRevision: 'no_stream' });
  return { server, writer, env: { LEDGER_STORE: server.connectionString, LEDGER_SIGNING_KEY: keyPath, USER: 'operator-olle' } };
}

const headsIn = (server: EsdbDouble) => server.log.stream(TREE_HEADS_STREAM)?.length ?? 0;
const rootIn = (reviewText: string) => /root ([0-9a-f]{64})/.exec(reviewText.split('the log now:')[1] ?? '')![1]!;

describe('grantledger tree-head sign-tail (EventStoreDB double)', () => {
  it('shows the unsigned tail, signs exactly the reviewed size and root with a record of who did it, and writers go on', async () => {
    const { server, writer, env } = await stoppedLedger();
    await expect(writer.appendToStream('grant-b', [event(3)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(StoreUnavailableError);
    const before = await runCli(['verify'], env);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/unsigned events: 2/);

    const review = await runCli(['tree-head', 'sign-tail'], env);
    expect(review.code, review.stderr).toBe(0);
    expect(review.stdout).toMatch(/unsigned tail: 2 event\(s\) beyond the signed tree head of 1 events \(events 2 to 3\)/);
    const [tokens] = server.log.stream('tokens-x')!;
    expect(review.stdout).toContain(`2  position ${tokens!.logPosition}  tokens-x revision 0  TokenIssued  recorded `);
    expect(review.stdout).toMatch(/by anna {2}token token-of-bertil/);
    expect(review.stdout).toMatch(/grant-b revision 0 {2}ThingHappened/);
    expect(review.stdout).toMatch(/warning: event 2 \(tokens-x revision 0\) issues a token: signing it makes the token valid/);
    expect(review.stdout).toMatch(/--reviewed-size 3 --reviewed-root [0-9a-f]{64} --reason/);
    const json = await runCli(['tree-head', 'sign-tail', '--json'], env);
    const reviewed = JSON.parse(json.stdout) as { size: number; root: string; signedHead: { size: number }; events: Array<{ index: number; type: string; tokenId: string; recordedAt: string; position: number }> };
    expect(reviewed).toMatchObject({ size: 3, root: rootIn(review.stdout), signedHead: { size: 1 } });
    expect(reviewed.events.map((tail) => [tail.index, tail.type, tail.tokenId])).toEqual([
      [2, 'TokenIssued', 'token-of-bertil'],
      [3, 'ThingHappened', 'cli'],
    ]);
    expect(headsIn(server)).toBe(1);

    const signed = await runCli(['tree-head', 'sign-tail', '--reviewed-size', '3', '--reviewed-root', reviewed.root, '--reason', 'writer pod killed during deploy; Bertil confirms his token'], env);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toMatch(/signed: the tree head of 3 events/);
    expect(signed.stderr).toMatch(/tree-head sign-tail: cli:operator-olle signed the tree head of 3 events .* over the 2 reviewed unsigned event\(s\) 2 to 3: writer pod killed/);
    expect(headsIn(server)).toBe(2);
    const head = await runCli(['tree-head'], env);
    expect(head.stdout).toMatch(/signed after review of events 2 to 3 by cli:operator-olle at \S+ \(record signed\): writer pod killed during deploy/);
    const latest = (await writer.latestTreeHead())!;
    expect(verifyReview(latest, signer.publicKey)).toBe(true);

    // The writer that stopped goes on, and verify says ok.
    await writer.appendToStream('grant-c', [event(4)], { expectedRevision: 'no_stream' });
    const after = await runCli(['verify'], env);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toMatch(/signed tree head: ok: the signed tree head of 4 events matches the log/);
    const nothing = await runCli(['tree-head', 'sign-tail'], env);
    expect(nothing.stdout).toMatch(/nothing to sign/);
  });

  it('refuses a stale review (an event appended after it) with exit 2 and signs nothing', async () => {
    const { server, env } = await stoppedLedger();
    const review = JSON.parse((await runCli(['tree-head', 'sign-tail', '--json'], env)).stdout) as { size: number; root: string };
    expect(review.size).toBe(2);
    // Mallory appends a forged event between the review and the signing.
    await open(server.connectionString, false).appendToStream('tokens-y', [event(2, 'token-of-mallory')], { expectedRevision: 'no_stream' });
    const stale = await runCli(['tree-head', 'sign-tail', '--reviewed-size', '2', '--reviewed-root', review.root, '--reason', 'reviewed'], env);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/the log holds 3 events now, not the 2 that were reviewed: events were appended since; review again \(nothing was signed\)/);
    const otherRoot = await runCli(['tree-head', 'sign-tail', '--reviewed-size', '3', '--reviewed-root', review.root, '--reason', 'reviewed'], env);
    expect(otherRoot.code).toBe(2);
    expect(otherRoot.stderr).toMatch(/do not have the reviewed root/);
    expect(headsIn(server)).toBe(1);
    expect((await runCli(['verify'], env)).stdout).toMatch(/unsigned events: 2/);
  });

  it('refuses bad input and another key (someone without the ledger\'s key) with exit 2 and signs nothing', async () => {
    const { server, env } = await stoppedLedger();
    const review = JSON.parse((await runCli(['tree-head', 'sign-tail', '--json'], env)).stdout) as { size: number; root: string };
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--reviewed-size', '2', '--reviewed-root', review.root], env, /needs --reviewed-size, --reviewed-root and --reason together/],
      [['--reviewed-size', '2', '--reason', 'ok'], env, /needs --reviewed-size, --reviewed-root and --reason together/],
      [['--reviewed-size', 'two', '--reviewed-root', review.root, '--reason', 'ok'], env, /--reviewed-size must be the size the review showed/],
      [['--reviewed-size', '0', '--reviewed-root', review.root, '--reason', 'ok'], env, /--reviewed-size must be/],
      [['--reviewed-size', '2', '--reviewed-root', 'abc', '--reason', 'ok'], env, /--reviewed-root must be the root the review showed \(64 hexadecimal digits\)/],
      [['--reviewed-size', '2', '--reviewed-root', review.root, '--reason', ' '], env, /--reason must not be blank/],
      [['--reviewed-size', '2', '--reviewed-root', review.root, '--reason', 'ok\u202e'], env, /--reason must not contain bidi controls/],
      [['--reviewed-size', '2', '--reviewed-root', review.root, '--reason', 'ok', '--force'], env, /Unknown option '--force'/],
      [['--reviewed-size', '2', '--reviewed-root', review.root, '--reason', 'ok'], { ...env, LEDGER_SIGNING_KEY: strangerKey }, /does not verify with the key .*: run this with the key that signs the ledger's heads/],
    ];
    for (const [args, caseEnv, message] of cases) {
      const result = await runCli(['tree-head', 'sign-tail', ...args], caseEnv);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(headsIn(server)).toBe(1);
  });
});

describe('grantledger tree-head sign-tail (SQLite)', () => {
  it('shows an unsigned tail but does not sign it: SQLite signs each commit with its events, so no writer stops between them', async () => {
    const path = join(directory, `ledger-${randomUUID()}.db`);
    const store = new SqliteEventStore(path, { signer });
    await store.appendToStream('grant-a', [event(1)], { expectedRevision: 'no_stream' });
    const [first] = await readStreamToArray(store, 'grant-a');
    await store.close();
    // An event inserted into the file behind the ledger's back, chained to the last.
    const m = first!.metadata;
    const unchained = { streamId: 'grant-a', revision: 1, eventId: randomUUID(), type: 'ThingHappened', data: { n: 9 }, metadata: { actor: 'mallory', commandId: randomUUID(), correlationId: randomUUID(), tokenId: 'cli', recordedAt: m.recordedAt, prevHash: m.hash } };
    const forged = { ...unchained, metadata: { ...unchained.metadata, hash: hashOf(unchained) } };
    const db = new Database(path);
    const f = forged.metadata;
    db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, token_id, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(forged.streamId, 1, forged.eventId, forged.type, JSON.stringify(forged.data), f.actor, f.commandId, f.correlationId, f.tokenId, f.recordedAt, f.prevHash, f.hash);
    db.close();
    const env = { LEDGER_STORE: `sqlite:${path}`, LEDGER_SIGNING_KEY: keyPath };
    const review = await runCli(['tree-head', 'sign-tail', '--json'], env);
    expect(review.code, review.stderr).toBe(0);
    const reviewed = JSON.parse(review.stdout) as { size: number; root: string; events: Array<{ actor: string }> };
    expect(reviewed).toMatchObject({ size: 2, events: [{ actor: 'mallory' }] });
    const refused = await runCli(['tree-head', 'sign-tail', '--reviewed-size', '2', '--reviewed-root', reviewed.root, '--reason', 'looks fine'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/signs each commit's tree head in the same transaction as its events.*nothing was signed/);
    expect((await runCli(['verify'], env)).stdout).toMatch(/unsigned events: 1/);
  });
});
