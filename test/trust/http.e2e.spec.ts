import { gzipSync, brotliCompressSync } from 'node:zlib';
import { createPublicKey, randomUUID, verify as verifySignature } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDigest } from '../../src/domain/merkle.js';
import { hashToken, newToken } from '../../src/app/tokens.js';
import { eventHash } from '../../src/store/hashChain.js';
import { segregationGrant, sqliteBackend, startTestServer, ADMIN_TOKEN, type Backend, type TestServer } from '../support/server.js';

describe('tree heads, health and hostile bodies over HTTP', () => {
  let backend: Backend;
  let t: TestServer;

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend);
    expect((await t.api('POST', '/api/grants', { body: segregationGrant })).status).toBe(201);
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  const send = (path: string, init: { headers?: Record<string, string>; body?: Buffer | string; method?: string }) =>
    fetch(`${t.url}${path}`, { method: init.method ?? 'POST', headers: init.headers, body: init.body });

  it('publishes the latest signed tree head and the public key that verifies it', async () => {
    const head = await t.api('GET', '/api/audit/tree-head', { as: 'revisor' });
    expect(head.status).toBe(200);
    const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as unknown[];
    expect(head.body).toMatchObject({ size: events.length, root: expect.stringMatching(/^[0-9a-f]{64}$/), time: expect.any(String), signature: expect.any(String) });
    const digest = await t.api('GET', '/api/audit/digest', { as: 'revisor' });
    expect(head.body.digest).toBe(digest.body.digest);
    const key = await t.api('GET', '/api/audit/public-key', { as: 'revisor' });
    expect(key.body).toMatchObject({ algorithm: 'Ed25519', keyId: head.body.keyId });
    const message = Buffer.from(`grantledger-tree-head\n${formatDigest({ treeSize: head.body.size, rootHex: head.body.root, time: head.body.time })}`);
    expect(verifySignature(null, message, createPublicKey(key.body.publicKey), Buffer.from(head.body.signature, 'base64'))).toBe(true);
    const verify = await t.api('GET', '/api/audit/verify', { as: 'revisor' });
    expect(verify.body).toMatchObject({ ok: true, treeHead: { ok: true, unsignedEvents: 0, signatureValid: true } });
  });

  it('answers /health to anyone with its status only, and the details (store, position) to an admin', async () => {
    const anonymous = await t.api('GET', '/health', { as: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: 'ok' });
    expect(anonymous.text).not.toContain('ledger.db');
    const ekonom = await t.api('GET', '/health', { as: 'ekonom' });
    expect(ekonom.body).toEqual({ status: 'ok' });
    const admin = await t.api('GET', '/health', { as: 'admin' });
    expect(admin.body).toMatchObject({ status: 'ok', store: expect.stringContaining('ledger.db'), position: expect.any(Number) });
  });

  it('does not hold the write lock for /health: a writer in another process is not delayed by it', async () => {
    const path = (t.server.ledger.store as unknown as { path: string }).path;
    const other = new Database(path, { timeout: 0 });
    try {
      other.exec('BEGIN IMMEDIATE');
      // Anyone's /health neither waits for the lock nor takes it.
      const health = await t.api('GET', '/health', { as: null });
      expect(health.status).toBe(200);
      other.exec('COMMIT');
      const polls = await Promise.all(Array.from({ length: 20 }, () => t.api('GET', '/health', { as: null })));
      other.exec('BEGIN IMMEDIATE');
      other.exec('COMMIT');
      expect(polls.every((poll) => poll.status === 200)).toBe(true);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('answers 400, not 500, to a body whose gzip or br compression is broken, and reads a good one', async () => {
    const headers = (encoding: string) => ({ Authorization: `Bearer ${t.tokens.ekonom}`, 'Content-Type': 'application/json', 'Content-Encoding': encoding });
    const grant = (id: string) => JSON.stringify({ ...segregationGrant, grantId: id });
    for (const [encoding, body] of [
      ['gzip', Buffer.from('this is not gzip at all')],
      ['gzip', gzipSync(grant('g-cut')).subarray(0, 20)],
      ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01])],
      ['deflate', Buffer.from('not deflate')],
    ] as const) {
      const response = await send('/api/grants', { headers: headers(encoding), body });
      expect(response.status, encoding).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await send('/api/grants', { headers: headers('gzip'), body: gzipSync(grant('g-gzip')) })).status).toBe(201);
    expect((await send('/api/grants', { headers: headers('br'), body: brotliCompressSync(grant('g-br')) })).status).toBe(201);
    expect((await send('/api/grants', { headers: headers('compress'), body: 'x' })).status).toBe(415);
  });

  it('reads no body before the token is checked: a bad or missing token gets 401 whatever the body', async () => {
    const huge = 'x'.repeat(512 * 1024);
    for (const headers of [{}, { Authorization: 'Bearer glt_not-a-token-000000000000' }] as Array<Record<string, string>>) {
      for (const [contentType, encoding, body] of [
        ['application/json', undefined, '{"broken'],
        ['application/json', undefined, huge],
        ['application/json', 'gzip', 'not gzip'],
      ] as const) {
        const sent: Record<string, string> = { ...headers, 'Content-Type': contentType };
        if (encoding) sent['Content-Encoding'] = encoding;
        const response = await send('/api/grants', { headers: sent, body });
        expect(response.status, `${JSON.stringify(headers)} ${body.slice(0, 10)}`).toBe(401);
      }
    }
    // A revisor may not write: 403 before the body is read, too.
    expect((await send('/api/grants', { headers: { Authorization: `Bearer ${t.tokens.revisor}`, 'Content-Type': 'application/json' }, body: '{"broken' })).status).toBe(403);
  });

  it('refuses hidden characters in free text with 400 naming the field, and finds look-alike grantors with one filter', async () => {
    for (const [field, value] of [
      ['title', 'Minska\u202e segregation'],
      ['grantor', 'Tillväxt\u200bverket'],
      ['purpose', 'Motverka\u0000segregation'],
      ['reference', 'dnr\ud800'],
    ] as const) {
      const response = await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: `g-hidden-${field}`, [field]: value } });
      expect(response.status, field).toBe(400);
      expect(response.body.errors[0].path).toBe(`body.${field}`);
    }
    const spending = await t.api('POST', `/api/grants/${segregationGrant.grantId}/spending`, { body: { allocationId: 'x', amount: '1', spentOn: '2020-07-01', voucher: 'V\u200d1' } });
    expect(spending.status).toBe(400);
    expect(spending.body.errors[0].path).toBe('body.voucher');
    // The same grantor typed with a composed and a decomposed "ä": stored alike, found by either.
    expect((await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g-nfd', grantor: 'Tillva\u0308xtverket' } })).status).toBe(201);
    for (const grantor of ['Tillväxtverket', 'Tillva\u0308xtverket']) {
      const report = await t.api('GET', `/api/reports/unused-grants?grantor=${encodeURIComponent(grantor)}`);
      expect(report.status).toBe(200);
      expect(report.body.rows.map((row: { grantId: string }) => row.grantId).sort()).toEqual(['g-br', 'g-gzip', 'g-nfd', segregationGrant.grantId]);
    }
    const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as Array<{ streamId: string; data: { grantor?: string } }>;
    expect(events.find((event) => event.streamId === 'grant-g-nfd')!.data.grantor).toBe('Tillväxtverket');
  });

  it('refuses a TokenIssued inserted into the file while the server runs: the token is never honoured, and writes stop', async () => {
    const path = (t.server.ledger.store as unknown as { path: string }).path;
    const token = newToken();
    const db = new Database(path);
    try {
      const tip = db.prepare("SELECT * FROM events WHERE stream_id = 'tokens' ORDER BY revision DESC LIMIT 1").get() as { revision: number; hash: string; recorded_at: string };
      const data = { name: 'mallory', role: 'admin', tokenHash: hashToken(token), tokenId: randomUUID(), expiresAt: '2099-01-01T00:00:00.000Z' };
      const fields = { streamId: 'tokens', revision: tip.revision + 1, eventId: randomUUID(), type: 'TokenIssued', recordedAt: tip.recorded_at, actor: 'system', commandId: 'c', correlationId: 'c', tokenId: 'system', data };
      db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, actor, command_id, correlation_id, token_id, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        'tokens', fields.revision, fields.eventId, 'TokenIssued', JSON.stringify(data), 'system', 'c', 'c', 'system', tip.recorded_at, tip.hash, eventHash(tip.hash, fields),
      );
    } finally {
      db.close();
    }
    let forged = await t.api('GET', '/api/tokens', { as: { token } });
    for (let attempt = 0; attempt < 300 && forged.body?.code !== 'TOKEN_NOT_SIGNED'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      forged = await t.api('GET', '/api/tokens', { as: { token } });
    }
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('TOKEN_NOT_SIGNED');
    const write = await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'g-after-forgery' } });
    expect(write.status).toBe(503);
    expect(write.body.detail).toMatch(/beyond the latest signed tree head/);
    expect((await t.api('GET', '/api/audit/verify', { as: 'revisor' })).body).toMatchObject({ ok: false, treeHead: { unsignedEvents: 1 } });
    expect((await t.api('GET', '/api/tokens', { as: { token: ADMIN_TOKEN } })).status).toBe(200);
  });
});
