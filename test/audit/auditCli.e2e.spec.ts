import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { loadDemo } from './demoStore.js';

const directory = mkdtempSync(join(tmpdir(), 'grantledger-audit-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const env = (path: string) => ({ LEDGER_STORE: `sqlite:${path}` });

let demo: Record<string, string>;

beforeAll(() => {
  demo = env(loadDemo(join(directory, 'demo.db')));
}, 60_000);

describe('grantledger report', () => {
  it('prints the unused earmarked funds as of year end in Swedish formats with totals', async () => {
    const result = await runCli(['report', 'unused-grants', '--as-of', '2020-12-31'], demo);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Outnyttjade riktade statsbidrag, per 2020-12-31');
    expect(result.stdout).toMatch(/tvv-segregation-2020 .* 8 000 000,00 .* förfallen +ja/);
    expect(result.stdout).toMatch(/^Summa +8 000 000,00/m);
  });

  it('reproduces the report as known before the return was recorded', async () => {
    const asOfLater = await runCli(['report', 'unused-grants', '--as-of', '2021-03-31', '--format', 'json'], demo);
    expect(JSON.parse(asOfLater.stdout).rows.find((row: { grantId: string }) => row.grantId === 'tvv-segregation-2020').unused).toBe('0.00');
    const log = await runCli(['log', '--type', 'FundsReturned', '--format', 'ndjson'], demo);
    const returned = JSON.parse(log.stdout.trim().split('\n')[0]!) as { recordedAt: string };
    const before = new Date(Date.parse(returned.recordedAt) - 1).toISOString();
    const knownBefore = await runCli(['report', 'unused-grants', '--as-of', '2021-03-31', '--known-at', before, '--format', 'json'], demo);
    const row = JSON.parse(knownBefore.stdout).rows.find((candidate: { grantId: string }) => candidate.grantId === 'tvv-segregation-2020');
    expect(row.unused).toBe('8000000.00');
  });

  it('writes CSV for machines with --dialect rfc4180: comma, decimal point, BOM, CRLF', async () => {
    const out = join(directory, 'results.csv');
    const result = await runCli(['report', 'committee-results', '--committee', 'socialnamnden', '--as-of', '2020-12-31', '--format', 'csv', '--dialect', 'rfc4180', '--out', out], demo);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('\uFEFFcommittee,fiscalYear,budget,')).toBe(true);
    const header = text.slice(1).split('\r\n')[0]!.split(',');
    const row = text.split('\r\n').find((line) => line.startsWith('socialnamnden,2020,'))!.split(',');
    const field = (name: string) => row[header.indexOf(name)];
    expect([field('budget'), field('costs'), field('revenues'), field('grantRevenue'), field('result'), field('closed')]).toEqual(['1200000000.00', '1190000000.00', '20000000.00', '0.00', '30000000.00', 'false']);
  });

  it('writes CSV for Swedish Excel by default: semicolons, decimal comma, quoted text, Swedish words', async () => {
    const result = await runCli(['report', 'committee-results', '--committee', 'socialnamnden', '--as-of', '2020-12-31', '--format', 'csv'], demo);
    expect(result.code).toBe(0);
    const lines = result.stdout.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]!.startsWith('"Nämnd";"År";"Budget";')).toBe(true);
    expect(lines[1]!.startsWith('"socialnamnden";2020;1200000000,00;')).toBe(true);
    expect(lines[1]).toContain(';"nej";');
    expect(lines.some((line) => line.startsWith('"Summa'))).toBe(false);
  });

  it('writes an xlsx a revisor can sum: numeric cells in SEK, frozen headings, SUM totals', async () => {
    const out = join(directory, 'unused.xlsx');
    const result = await runCli(['report', 'unused-grants', '--as-of', '2020-12-31', '--format', 'xlsx', '--out', out], demo);
    expect(result.code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const sheet = workbook.getWorksheet('unused-grants')!;
    expect(sheet.getRow(2).getCell(1).value).toBe('Bidrag');
    expect(sheet.getRow(2).getCell(8).value).toBe('Outnyttjat');
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    const grantRow = sheet.getRow(3);
    expect(grantRow.getCell(1).value).toBe('tvv-segregation-2020');
    expect(grantRow.getCell(5).value).toBe(8000000);
    expect(grantRow.getCell(8).value).toBe(8000000);
    expect(grantRow.getCell(8).numFmt).toContain('"kr"');
    const totals = sheet.getRow(sheet.rowCount);
    expect(totals.getCell(1).value).toBe('Summa');
    expect(totals.getCell(8).value).toMatchObject({ formula: 'SUM(H3:H3)', result: 8000000 });
  });

  it('lists the at-risk grants: riktade, unused, useBy within the days asked', async () => {
    const within200 = await runCli(['report', 'unused-grants', '--status', 'at-risk', '--within', '200', '--as-of', '2021-06-30', '--format', 'json'], demo);
    const ids = (JSON.parse(within200.stdout).rows as Array<{ grantId: string }>).map((row) => row.grantId).sort();
    expect(ids).toEqual(['sos-aldreomsorgslyftet-2021', 'sos-barn-unga-2021']);
    const within90 = await runCli(['report', 'unused-grants', '--status', 'at-risk', '--as-of', '2021-06-30', '--format', 'json'], demo);
    expect(JSON.parse(within90.stdout).rows).toEqual([]);
  });

  it.each([
    [['report', 'unused-grants', '--format', 'xlsx'], /--format xlsx needs --out/],
    [['report', 'unused-grants', '--format', 'pdf'], /--format must be table, csv, json, xlsx/],
    [['report', 'unused-grants', '--status', 'open', '--within', '30'], /--within goes with --status at-risk/],
    [['report', 'unused-grants', '--as-of', '2020-02-30'], /--as-of/],
    [['verify', '--digest', 'gl1:nonsense'], /--digest must be a digest/],
    [['prove', '--from', 'x', '--to', 'y'], /--from must be a digest/],
    [['import'], /give one file to import/],
  ])('exits 2 for %j', async (args, message) => {
    const result = await runCli(args, demo);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});

describe('grantledger replay', () => {
  it('rebuilds every projection and finds it identical to the live read models, with a summary line', async () => {
    const result = await runCli(['replay', '--progress'], demo);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^replay: 73 events in \d+\.\d\d s \(\d+ events\/s\)$/m);
    expect(result.stdout).toContain('projections: identical to the live read models');
    expect(result.stderr).toMatch(/replay \[#+\] 100% 73\/73 \d+ events\/s/);
  });

  it('replays up to a moment', async () => {
    const log = await runCli(['log', '--type', 'FundsReturned', '--format', 'ndjson'], demo);
    const returned = JSON.parse(log.stdout.trim()) as { position: number; recordedAt: string };
    const result = await runCli(['replay', '--known-at', new Date(Date.parse(returned.recordedAt) - 1).toISOString()], demo);
    expect(result.code).toBe(0);
    const replayed = Number(/replayed up to position (\d+)/.exec(result.stdout)![1]);
    expect(replayed).toBeLessThan(returned.position);
    expect(result.stdout).toContain('identical');
  });
});

describe('grantledger digest, prove and check-proof', () => {
  it('proves that an older digest is a prefix of a newer one, checkable without the database, and catches a forged proof', async () => {
    const copy = env(join(directory, 'growing.db'));
    const exported = join(directory, 'growing.ndjson');
    expect((await runCli(['export', '--out', exported], demo)).code).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n');
    const prefix = join(directory, 'prefix.ndjson');
    writeFileSync(prefix, `${lines.slice(0, 30).join('\n')}\n`);
    expect((await runCli(['import', prefix], copy)).code).toBe(0);
    const old = (await runCli(['digest'], copy)).stdout.trim();
    expect(old).toMatch(/^gl1:30:[0-9a-f]{64}:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const current = (await runCli(['digest'], demo)).stdout.trim();
    expect(current).toMatch(/^gl1:73:/);

    const proofFile = join(directory, 'consistency.json');
    const proved = await runCli(['prove', '--from', old, '--to', current, '--out', proofFile], demo);
    expect(proved.code).toBe(0);
    const checked = await runCli(['check-proof', proofFile], {});
    expect(checked.stdout).toMatch(/^proof holds: the log of gl1:30:.* is a prefix of the log of gl1:73:/);
    expect(checked.code).toBe(0);

    const proof = JSON.parse(readFileSync(proofFile, 'utf8')) as { hashes: string[] };
    proof.hashes[0] = proof.hashes[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const forged = await runCli(['check-proof', '-'], {}, 20_000, JSON.stringify(proof));
    expect(forged.stdout).toMatch(/^PROOF FAILS/);
    expect(forged.code).toBe(1);
  });

  it('proves that one event is in the log, and refuses the proof once the event is altered', async () => {
    const log = await runCli(['log', '--type', 'FundsSpent', '--format', 'ndjson'], demo);
    const spent = JSON.parse(log.stdout.trim().split('\n')[0]!) as { eventId: string; position: number };
    const proved = await runCli(['prove', '--event', spent.eventId], demo);
    expect(proved.code).toBe(0);
    const proof = JSON.parse(proved.stdout) as { leafIndex: number; event: { data: { amount: string } } };
    expect(proof.leafIndex).toBe(spent.position - 1);
    expect((await runCli(['check-proof', '-'], {}, 20_000, proved.stdout)).code).toBe(0);
    proof.event.data.amount = '1.00';
    const altered = await runCli(['check-proof', '-'], {}, 20_000, JSON.stringify(proof));
    expect(altered.stdout).toMatch(/does not have the hash it claims/);
    expect(altered.code).toBe(1);
  });
});

describe('grantledger export and import', () => {
  it('copies the log into an empty store that gives identical reports, hashes and digest', async () => {
    const file = join(directory, 'export.ndjson');
    const exported = await runCli(['export', '--format', 'ndjson', '--out', file], demo);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/export: 73 events in/);
    const copy = env(join(directory, 'copy.db'));
    const imported = await runCli(['import', file], copy);
    expect(imported.stdout).toMatch(/import: 73 events in/);
    expect(imported.code).toBe(0);
    for (const args of [['digest'], ['report', 'unused-grants', '--format', 'json'], ['report', 'committee-results', '--as-of', '2020-12-31', '--format', 'csv'], ['export']]) {
      const [original, copied] = await Promise.all([runCli(args, demo), runCli(args, copy)]);
      expect(copied.stdout).toBe(original.stdout);
      expect(copied.stdout.length).toBeGreaterThan(50);
    }
    const verified = await runCli(['verify'], copy);
    expect(verified.code).toBe(0);
    // Twelve CLI processes, each replaying the log: bounded by each run's own timeout, not by
    // how idle the machine is.
  }, 120_000);

  it('exports to standard output when no file is given', async () => {
    const result = await runCli(['export'], demo);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { position: number; hash: string; actor: string });
    expect(lines).toHaveLength(73);
    expect(lines.map((line) => line.position)).toEqual(Array.from({ length: 73 }, (_, index) => index + 1));
    expect(lines[0]).toMatchObject({ actor: 'demo', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses a non-empty store', async () => {
    const file = join(directory, 'again.ndjson');
    await runCli(['export', '--out', file], demo);
    const result = await runCli(['import', file], demo);
    expect(result.stderr).toMatch(/is not empty: import only into an empty store/);
    expect(result.code).toBe(1);
  });

  it('refuses a broken chain and leaves the store empty', async () => {
    const file = join(directory, 'broken.ndjson');
    await runCli(['export', '--out', file], demo);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const index = lines.findIndex((line) => line.includes('"FundsReturned"'));
    lines[index] = lines[index]!.replace('"amount":"8000000.00"', '"amount":"1.00"');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const target = join(directory, 'broken.db');
    const result = await runCli(['import', file], env(target));
    expect(result.stderr).toMatch(/broken chain: hash-mismatch at grant-tvv-segregation-2020 revision 1/);
    expect(result.code).toBe(1);
    expect(existsSync(target)).toBe(true);
    expect((await runCli(['digest'], env(target))).stdout).toMatch(/^gl1:0:/);
  });
});

describe('grantledger log', () => {
  it('answers who recorded what, filtered by actor, type and time', async () => {
    const all = await runCli(['log', '--actor', 'demo'], demo);
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('73 events\n');
    const nobody = await runCli(['log', '--actor', 'mallory'], demo);
    expect(nobody.stdout).toBe('');
    const grants = await runCli(['log', '--actor', 'demo', '--type', 'GrantReceived', '--format', 'ndjson'], demo);
    const received = grants.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; recordedAt: string });
    expect(received).toHaveLength(4);
    expect(received.every((event) => event.type === 'GrantReceived')).toBe(true);
    const future = await runCli(['log', '--from', '2999-01-01'], demo);
    expect(future.stderr).toBe('0 events\n');
    const untilFirst = await runCli(['log', '--to', received[0]!.recordedAt, '--type', 'GrantReceived'], demo);
    expect(untilFirst.stderr).toBe('1 events\n');
  });
});
