import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/app/ledger.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';
import { readSieFully } from '../../src/sie/reader.js';
import { runCli } from '../support/cli.js';
import { sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';
import { fixture, FIXTURES, MAPPING, seed, sieFile, verification } from './sieLedger.js';

const mappingJson = readFileSync(new URL('mapping.json', FIXTURES), 'utf8');
const mappingParam = encodeURIComponent(JSON.stringify(JSON.parse(mappingJson)));

describe('SIE over HTTP', () => {
  let backend: Backend;
  let t: TestServer;
  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend);
    // The grants and budget the file books against, as the ekonom records them.
    const ledger = t.server.ledger;
    await seed(ledger);
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  const post = (body: Buffer | string, query: string, contentType = 'application/octet-stream', as: 'ekonom' | 'revisor' = 'ekonom') =>
    fetch(`${t.url}/api/imports/sie?${query}`, { method: 'POST', headers: { Authorization: `Bearer ${t.tokens[as]}`, 'Content-Type': contentType }, body });
  const eventCount = async () => (await t.api('GET', '/api/events?limit=10000')).body.events.length as number;

  it('documents the route in OpenAPI: the file as octet-stream, the mapping and dryRun as query parameters', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    const operation = doc.paths['/api/imports/sie'].post;
    expect(Object.keys(operation.requestBody.content)).toEqual(['application/octet-stream']);
    expect(operation.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required])).toEqual([
      ['mapping', 'query', true],
      ['dryRun', 'query', false],
    ]);
    expect(doc.paths['/api/exports/sie'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['year', 'mapping']);
  });

  it('imports as ekonom: a dry run first, then the file, then nothing on a repeat', async () => {
    const before = await eventCount();
    const dry = await post(fixture('kommun-2021-1.se'), `mapping=${mappingParam}&dryRun=true`);
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ status: 'dry-run', counts: { taken: 7, spendingEntries: 2, outcomeEntries: 3, unmatched: 2 } });
    expect(await eventCount()).toBe(before);
    const real = await post(fixture('kommun-2021-1.se'), `mapping=${mappingParam}`);
    expect(real.status).toBe(200);
    expect(await real.json()).toMatchObject({ status: 'imported', counts: { taken: 7, spendingEntries: 2, outcomeEntries: 3 } });
    expect(await eventCount()).toBe(before + 2 + 3 + 1);
    const grant = await t.api('GET', '/api/grants/tvv-seg-2021');
    expect(grant.body).toMatchObject({ spent: '200000.00' });
    const again = await post(fixture('kommun-2021-1.se'), `mapping=${mappingParam}`);
    expect(await again.json()).toMatchObject({ status: 'nothing-new', counts: { alreadyImported: 7 } });
    expect(await eventCount()).toBe(before + 6);
  });

  it('answers a refused file with 409 and every refused transaction, a malformed one with 400 and its lines', async () => {
    const before = await eventCount();
    const refused = await post(sieFile([verification('R', 1, '20210405', 'För mycket', ['7010 {1 "5100" 20 "410" 6 "SOS-PO-2021"} 9000000.00', '2440 {} -9000000.00'])]), `mapping=${mappingParam}`);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      code: 'SIE_IMPORT_REFUSED',
      errors: [{ path: 'body.line.8', message: expect.stringMatching(/^R 1: SPENDING_EXCEEDS_REMAINING: /) }],
      report: { status: 'refused', counts: { refused: 1 } },
    });
    const malformed = await post(sieFile([['#TRANS 4010 {} 5']]), `mapping=${mappingParam}`);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'SIE_FILE_MALFORMED', errors: [{ path: 'body.line.6', message: expect.stringContaining('#TRANS outside a verification') }] });
    expect(await eventCount()).toBe(before);
  });

  it('refuses bad requests precisely: content type, mapping path, role', async () => {
    const json = await post('{}', `mapping=${mappingParam}`, 'application/json');
    expect(json.status).toBe(415);
    const badMapping = JSON.parse(mappingJson) as { accounts: { costs: string[] } };
    badMapping.accounts.costs = ['40x0'];
    const bad = await post(fixture('kommun-2021-1.se'), `mapping=${encodeURIComponent(JSON.stringify(badMapping))}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ path: 'query.mapping.accounts.costs.0' }] });
    const empty = await post(Buffer.alloc(0), `mapping=${mappingParam}`);
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ errors: [{ path: 'body', message: 'the SIE file is empty' }] });
    const missing = await post(fixture('kommun-2021-1.se'), '');
    expect(missing.status).toBe(400);
    expect((await post(fixture('kommun-2021-1.se'), `mapping=${mappingParam}`, 'application/octet-stream', 'revisor')).status).toBe(403);
  });

  it('exports the year as a PC8 SIE file that reads back', async () => {
    const response = await fetch(`${t.url}/api/exports/sie?year=2021&mapping=${mappingParam}`, { headers: { Authorization: `Bearer ${t.tokens.revisor}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/octet-stream/);
    const read = await readSieFully([Buffer.from(await response.arrayBuffer())]);
    expect(read.problems).toEqual([]);
    expect(read.header).toMatchObject({ companyName: 'Sjöbo kommun', orgnr: '212000-1355', format: 'PC8', sieType: '4' });
    const revenue = read.verifications.flatMap((v) => v.transactions).filter((tr) => tr.account === '3510');
    expect(revenue.reduce((sum, tr) => sum + Number(tr.amount), 0)).toBe(-200000);
  });
});

describe('SIE on the command line', () => {
  const directory = mkdtempSync(join(tmpdir(), 'grantledger-sie-cli-'));
  const env = { LEDGER_STORE: `sqlite:${join(directory, 'ledger.db')}` };
  const mappingPath = join(directory, 'mapping.json');
  const filePath = join(directory, 'kommun.se');
  beforeAll(async () => {
    writeFileSync(mappingPath, mappingJson);
    writeFileSync(filePath, fixture('kommun-2021-1.se'));
    // As the CLI opens it: with the key beside the file, so its commits are signed.
    const store = new SqliteEventStore(join(directory, 'ledger.db'), { signer: loadSigningKey(join(directory, 'ledger.db.signing-key.pem'), { create: true }).signer });
    const ledger = new Ledger(store);
    await ledger.start();
    await seed(ledger);
    await ledger.stop();
    await store.close();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('imports with a table, then says nothing is new in JSON', async () => {
    const dry = await runCli(['import-sie', filePath, '--mapping', mappingPath, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing was recorded');
    expect(dry.stdout).toMatch(/tvv-seg-2021\s+a-ifo\s+IFO\s+120000\.00\s+2021-01-31\s+A 1\s+44/);
    const real = await runCli(['import-sie', filePath, '--mapping', mappingPath], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('verifications read 7, taken 7, already imported 0');
    expect(real.stdout).toMatch(/A 5\s+74\s+4010\s+500\.00\s+committee object 6100/);
    expect(real.stderr).toMatch(/import-sie: 7 verifications in/);
    const again = await runCli(['import-sie', filePath, '--mapping', mappingPath, '--format', 'json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'nothing-new', counts: { alreadyImported: 7 } });
  });

  it('exits 2 on a bad mapping or a malformed file, 1 on a refused one', async () => {
    writeFileSync(join(directory, 'bad.json'), '{"committee": {}}');
    const badMapping = await runCli(['import-sie', filePath, '--mapping', join(directory, 'bad.json')], env);
    expect(badMapping.code).toBe(2);
    expect(badMapping.stderr).toContain('committee.dimension');
    writeFileSync(join(directory, 'broken.se'), sieFile([['#TRANS 4010 {} 5']]));
    const broken = await runCli(['import-sie', join(directory, 'broken.se'), '--mapping', mappingPath], env);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain('6  #TRANS outside a verification');
    writeFileSync(join(directory, 'refused.se'), sieFile([verification('R', 1, '20210405', 'För mycket', ['7010 {1 "5100" 20 "410" 6 "SOS-PO-2021"} 9000000.00', '2440 {} -9000000.00'])]));
    const refused = await runCli(['import-sie', join(directory, 'refused.se'), '--mapping', mappingPath], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/R 1\s+8\s+SPENDING_EXCEEDS_REMAINING/);
  });

  it('exports the year to a PC8 file', async () => {
    const out = join(directory, 'export.se');
    const exported = await runCli(['export-sie', '--year', '2021', '--mapping', mappingPath, '--out', out], env);
    expect(exported.code).toBe(0);
    const read = await readSieFully([readFileSync(out)]);
    expect(read.problems).toEqual([]);
    expect(read.verificationsRead).toBe(4); // two receipts, two spendings
    expect(MAPPING.export?.accounts.grantRevenue).toBe('3510');
  });
});
