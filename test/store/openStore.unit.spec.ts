import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { openStore } from '../../src/store/openStore.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';

// EventStoreDB has no file to keep its key beside: these tests name one, so none is made in data/.
const keyDirectory = mkdtempSync(join(tmpdir(), 'grantledger-open-key-'));
const signingKey = loadSigningKey(join(keyDirectory, 'key.pem'), { create: true }).path;
afterAll(() => rmSync(keyDirectory, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens the embedded store for sqlite:<path>', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grantledger-open-'));
    const store = await openStore(`sqlite:${join(directory, 'ledger.db')}`);
    expect(store).toBeInstanceOf(SqliteEventStore);
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each([
    'esdb://127.0.0.1:2113?tls=false',
    'esdb://esdb1:2113,esdb2:2113,esdb3:2113?tls=false&nodePreference=leader',
    'esdb+discover://cluster.example:2113?tls=true',
  ])('opens EventStoreDB for %s, parsed by the client', async (url) => {
    const store = await openStore(url, { signingKey });
    expect(store).toBeInstanceOf(EsdbEventStore);
    expect(store.signer?.keyId).toBeDefined();
    await store.close();
  });

  it('keeps credentials out of the description', async () => {
    const store = await openStore('esdb://admin:changeit@127.0.0.1:2113?tls=false', { signingKey });
    expect(store.description).toBe('esdb://127.0.0.1:2113?tls=false');
    await store.close();
  });

  it('refuses an unknown scheme without echoing credentials', async () => {
    await expect(openStore('postgres://user:secret@db/ledger')).rejects.toThrow(/unknown store URL postgres:\/\/db\/ledger/);
  });
});
