import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segregationGrant, sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';

let backend: Backend;
let t: TestServer;

beforeAll(async () => {
  backend = sqliteBackend();
  t = await startTestServer(backend);
  expect((await t.api('POST', '/api/budgets/socialnamnden/2020/appropriations', { body: { amount: '1200000000.00', decidedOn: '2020-01-15', decisionRef: 'KF § 1' } })).status).toBe(201);
  expect((await t.api('POST', '/api/grants', { body: segregationGrant })).status).toBe(201);
  expect((await t.api('POST', '/api/grants', { body: { ...segregationGrant, grantId: 'near-use-by', title: 'Kort, "brådskande", bidrag', useBy: '2021-02-28' } })).status).toBe(201);
});
afterAll(async () => {
  await t.stop();
  await backend.dispose();
});

describe('audit over HTTP', () => {
  it('gives the digest of the whole log and verifies it', async () => {
    const digest = await t.api('GET', '/api/audit/digest', { as: 'revisor' });
    expect(digest.status).toBe(200);
    // Three tokens (the admin's and two issued), an appropriation and two grants.
    expect(digest.body).toMatchObject({ treeSize: 6, root: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(digest.body.digest).toBe(`gl1:6:${digest.body.root}:${digest.body.time}`);
    const verified = await t.api('GET', `/api/audit/verify?digest=${encodeURIComponent(digest.body.digest)}`, { as: 'revisor' });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, events: 6, streams: 4, failures: [], digest: { ok: true } });
  });

  it('says when a digest does not describe this log', async () => {
    const digest = await t.api('GET', '/api/audit/digest');
    const other = `gl1:3:${'0'.repeat(64)}:${digest.body.time}`;
    const verified = await t.api('GET', `/api/audit/verify?digest=${encodeURIComponent(other)}`);
    expect(verified.status).toBe(200);
    expect(verified.body.ok).toBe(false);
    expect(verified.body.digest).toMatchObject({ ok: false, claimed: other });
    const longer = await t.api('GET', `/api/audit/verify?digest=${encodeURIComponent(`gl1:999:${'0'.repeat(64)}:${digest.body.time}`)}`);
    expect(longer.body.digest.detail).toMatch(/fewer than the 999 events/);
  });

  it('refuses a malformed digest with 400 naming the parameter', async () => {
    const response = await t.api('GET', '/api/audit/verify?digest=gl1:5:abc', { as: 'revisor' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors[0].path).toBe('query.digest');
  });

  it('filters the log by actor, type and time', async () => {
    const byAnna = await t.api('GET', '/api/events?actor=anna.ekonom', { as: 'revisor' });
    expect(byAnna.body.events.map((event: { type: string }) => event.type)).toEqual(['AppropriationGranted', 'GrantReceived', 'GrantReceived']);
    const grants = await t.api('GET', '/api/events?actor=anna.ekonom&type=GrantReceived&limit=1');
    expect(grants.body.events).toHaveLength(1);
    const rest = await t.api('GET', `/api/events?actor=anna.ekonom&type=GrantReceived&after=${grants.body.next}`);
    expect(rest.body.events.map((event: { streamId: string }) => event.streamId)).toEqual(['grant-near-use-by']);
    const future = await t.api('GET', '/api/events?from=2999-01-01');
    expect(future.body.events).toEqual([]);
    const past = await t.api('GET', '/api/events?to=2000-01-01');
    expect(past.body.events).toEqual([]);
    expect((await t.api('GET', '/api/events?from=yesterday')).status).toBe(400);
  });
});

describe('reports in the formats auditors use, over HTTP', () => {
  it('serves CSV for Swedish Excel by ?format=csv and by the Accept header', async () => {
    const byQuery = await t.api('GET', '/api/reports/unused-grants?asOf=2020-12-31&format=csv', { as: 'revisor' });
    expect(byQuery.status).toBe(200);
    expect(byQuery.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    // fetch's text() drops the BOM; the bytes keep it, so Excel reads UTF-8.
    const bytes = new Uint8Array(await (await fetch(`${t.url}/api/reports/unused-grants?asOf=2020-12-31&format=csv`, { headers: { Authorization: `Bearer ${t.tokens.revisor}` } })).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = byQuery.text.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe(
      '"Bidrag";"Bidragsgivare";"Benämning";"Nämnd";"Erhållet";"Förbrukat";"Återbetalt";"Outnyttjat";"Ej fördelat";"Fördelat kvar";"Användas senast";"Återrapport";"Status";"Återbetalningsskyldighet";"Återkrav kvar";"Att återbetala"',
    );
    expect(lines.some((line) => line.startsWith('"tvv-segregation-2020";"Tillväxtverket";"Minska och motverka segregation";"socialnamnden";8000000,00;0,00;0,00;8000000,00;8000000,00;0,00;2020-12-31;;"förfallen";"ja";0,00;'))).toBe(true);
    expect(lines.some((line) => line.startsWith('"near-use-by";"Tillväxtverket";"Kort, ""brådskande"", bidrag";'))).toBe(true);
    const byAccept = await t.api('GET', '/api/reports/unused-grants?asOf=2020-12-31', { headers: { Accept: 'text/csv' } });
    expect(byAccept.text).toBe(byQuery.text);
  });

  it('serves RFC 4180 CSV for machines with dialect=rfc4180: comma, decimal point, codes', async () => {
    const response = await t.api('GET', '/api/reports/unused-grants?asOf=2020-12-31&format=csv&dialect=rfc4180', { as: 'revisor' });
    const lines = response.text.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('grantId,grantor,title,committee,received,spent,returned,unused,unallocated,allocatedRemaining,useBy,reportDue,status,repaymentRequired,repaymentOutstanding,toRepay');
    expect(lines.some((line) => line.startsWith('tvv-segregation-2020,Tillväxtverket,Minska och motverka segregation,socialnamnden,8000000.00,0.00,0.00,8000000.00,8000000.00,0.00,2020-12-31,,expired,true,0.00,'))).toBe(true);
    expect(lines.some((line) => line.startsWith('near-use-by,Tillväxtverket,"Kort, ""brådskande"", bidrag",'))).toBe(true);
    const bad = await t.api('GET', '/api/reports/unused-grants?format=csv&dialect=semicolon');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors[0].path).toBe('query.dialect');
  });

  it('serves an xlsx workbook with numeric cells', async () => {
    const response = await fetch(`${t.url}/api/reports/committee-results?format=xlsx&asOf=2020-12-31`, { headers: { Authorization: `Bearer ${t.tokens.revisor}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.getWorksheet('committee-results')!;
    expect(sheet.getRow(3).getCell(1).value).toBe('socialnamnden');
    const headings = (sheet.getRow(2).values as unknown[]).slice(1);
    const column = (label: string) => headings.indexOf(label) + 1;
    expect(sheet.getRow(3).getCell(column('Budget')).value).toBe(1200000000);
    expect(sheet.getRow(3).getCell(column('Resultat')).value).toBe(1200000000);
    expect(sheet.getRow(3).getCell(column('Bokslut')).value).toBe('nej');
    // Totals per fiscal year, never across years.
    expect(sheet.getRow(4).getCell(1).value).toBe('Summa 2020');
    expect(sheet.getRow(4).getCell(3).value).toMatchObject({ formula: 'SUMIF(B3:B3,2020,C3:C3)', result: 1200000000 });
  });

  it('lists grants at risk: useBy within the days asked, 90 by default', async () => {
    const atRisk = await t.api('GET', '/api/reports/unused-grants?status=at-risk&asOf=2020-12-15', { as: 'revisor' });
    expect(atRisk.status).toBe(200);
    expect(atRisk.body.rows.map((row: { grantId: string }) => row.grantId)).toEqual(['tvv-segregation-2020', 'near-use-by']);
    const within30 = await t.api('GET', '/api/reports/unused-grants?status=at-risk&within=30&asOf=2020-12-15');
    expect(within30.body.rows.map((row: { grantId: string }) => row.grantId)).toEqual(['tvv-segregation-2020']);
    const afterUseBy = await t.api('GET', '/api/reports/unused-grants?status=at-risk&asOf=2021-01-01');
    expect(afterUseBy.body.rows.map((row: { grantId: string }) => row.grantId)).toEqual(['near-use-by']);
    expect((await t.api('GET', '/api/reports/unused-grants?status=open&within=30')).status).toBe(400);
    expect((await t.api('GET', '/api/reports/unused-grants?status=at-risk&within=-1')).status).toBe(400);
  });

  it('documents the new routes and parameters in the OpenAPI document', async () => {
    const document = (await t.api('GET', '/api/openapi.json', { as: null })).body;
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/audit/digest', '/api/audit/verify', '/api/events']));
    const names = (path: string) => document.paths[path].get.parameters.map((parameter: { name: string }) => parameter.name);
    expect(names('/api/reports/unused-grants')).toEqual(expect.arrayContaining(['status', 'within', 'format']));
    expect(names('/api/audit/verify')).toEqual(['digest']);
    expect(names('/api/events')).toEqual(expect.arrayContaining(['actor', 'from', 'to', 'type']));
    expect(Object.keys(document.paths['/api/reports/committee-results'].get.responses['200'].content)).toEqual([
      'application/json',
      'text/csv; charset=utf-8; header=present',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
  });
});
