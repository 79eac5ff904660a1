import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { openStore } from '../../src/store/openStore.js';
import { EsdbDouble } from '../esdb-double/esdbDouble.js';
import { runCli } from '../support/cli.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-copy-'));
const source = `sqlite:${join(directory, 'source.db')}`;
// One key, source.db's (made by the demo), named for every store: EventStoreDB has no file to put
// one beside, and without a name it would be created in data/ of the checkout.
const esdbKey = { LEDGER_SIGNING_KEY: join(directory, 'source.db.signing-key.pem') };
let double: EsdbDouble;

/** Every report a revisor reads, as the ledger on a store answers them. */
async function reportsOf(url: string) {
  const store = await openStore(url, { signingKey: esdbKey.LEDGER_SIGNING_KEY });
  const ledger = new Ledger(store, { clock: () => new Date('2026-11-23T12:00:00Z') });
  await ledger.start();
  const reports = {
    unusedNow: ledger.unusedGrants({}, {}),
    unusedAtYearEnd: ledger.unusedGrants({}, { asOf: '2020-12-31' }),
    results: ledger.committeeResults({}, {}),
    resultsAtYearEnd: ledger.committeeResults({}, { asOf: '2020-12-31' }),
  };
  await ledger.stop();
  await store.close();
  return reports;
}

beforeAll(async () => {
  double = await EsdbDouble.start();
  const demo = await runCli([], { LEDGER_STORE: source }, 60_000, undefined, 'dist/scripts/demo.js');
  expect(demo.code, demo.stderr).toBe(0);
});
afterAll(async () => {
  await double.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('grantledger copy', () => {
  it('moves the demo log to EventStoreDB and back with the same events, hashes, digest and reports', async () => {
    const toEsdb = await runCli(['copy', '--from', source, '--to', double.connectionString], esdbKey);
    expect(toEsdb.code, toEsdb.stderr).toBe(0);
    const summary = JSON.parse(toEsdb.stdout) as { copied: number; digest: string };
    expect(summary.copied).toBeGreaterThan(70);
    expect(toEsdb.stderr).toMatch(/copy: \d+ events in/);

    const back = `sqlite:${join(directory, 'back.db')}`;
    const toSqlite = await runCli(['copy', '--from', double.connectionString, '--to', back], esdbKey);
    expect(toSqlite.code, toSqlite.stderr).toBe(0);
    expect(JSON.parse(toSqlite.stdout)).toMatchObject({ copied: summary.copied, digest: summary.digest });

    const digest = await runCli(['digest'], { LEDGER_STORE: source });
    expect(digest.stdout).toContain(summary.digest.split(':').slice(0, 3).join(':'));
    const [original, onEsdb, copiedBack] = await Promise.all([reportsOf(source), reportsOf(double.connectionString), reportsOf(back)]);
    expect(onEsdb).toEqual(original);
    expect(copiedBack).toEqual(original);
    expect(original.unusedAtYearEnd.rows.find((row) => row.grantId === 'tvv-segregation-2020')).toMatchObject({ unused: '8000000.00', status: 'expired' });
  });

  it('refuses a target that already holds events, and changes nothing', async () => {
    const target = `sqlite:${join(directory, 'occupied.db')}`;
    expect((await runCli(['token', 'create', '--name', 'x', '--role', 'revisor'], { LEDGER_STORE: target })).code).toBe(0);
    const refused = await runCli(['copy', '--from', source, '--to', target], {});
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty/);
    const db = new Database(join(directory, 'occupied.db'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(1);
    db.close();
  });

  it('refuses a source whose chain is broken before copying anything', async () => {
    const tamperedPath = join(directory, 'tampered.db');
    expect((await runCli(['copy', '--from', source, '--to', `sqlite:${tamperedPath}`], {})).code).toBe(0);
    const db = new Database(tamperedPath);
    db.exec('DROP TRIGGER events_are_never_updated');
    db.prepare("UPDATE events SET data = replace(data, '8000000.00', '1.00') WHERE type = 'GrantReceived'").run();
    db.close();
    const target = join(directory, 'from-tampered.db');
    const refused = await runCli(['copy', '--from', `sqlite:${tamperedPath}`, '--to', `sqlite:${target}`], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/chains are broken .*hash-mismatch.*nothing copied/);
    const copy = new Database(target, { readonly: true });
    expect((copy.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(0);
    copy.close();
  });

  it.each([
    [['copy', '--to', 'sqlite:/tmp/x.db'], /--from is required/],
    [['copy', '--from', 'mysql://x', '--to', 'sqlite:/tmp/x.db'], /--from must be sqlite/],
    [['copy', '--from', 'sqlite:/tmp/same.db', '--to', 'sqlite:/tmp/same.db'], /same store/],
  ])('exits 2 on %j', async (args, message) => {
    const result = await runCli(args, {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
