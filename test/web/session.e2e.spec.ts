import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';
import { PAGE_CSP } from '../../src/web/security.js';

/** Sessions, CSRF and headers of the pages over plain HTTP on 127.0.0.1 (the browser tests cover the rest). */
describe('web sessions over HTTP', () => {
  let backend: Backend;
  let t: TestServer;

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend);
  });
  afterAll(async () => {
    await t.stop();
    await backend.dispose();
  });

  const get = (path: string, cookie?: string) => fetch(`${t.url}${path}`, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} });
  const post = (path: string, form: Record<string, string>, cookie?: string) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
      body: new URLSearchParams(form).toString(),
    });

  async function signIn(token: string): Promise<{ cookie: string; setCookie: string; csrf: string }> {
    const form = await get('/logga-in');
    const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const response = await post('/logga-in', { csrf, token }, loginCookie);
    expect(response.status).toBe(303);
    const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('gl_session='))!;
    const cookie = setCookie.split(';')[0]!;
    const page = await (await get('/', cookie)).text();
    return { cookie, setCookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]! };
  }

  const eventCount = async () => (await t.api('GET', '/api/events?limit=10000')).body.events.length as number;

  it('sends a stranger to Logga in, with the pages\' CSP; the API keeps its own', async () => {
    const response = await get('/statsbidrag');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/logga-in');
    const login = await get('/logga-in');
    expect(login.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(await login.text()).toContain('<html lang="sv">');
    expect((await t.api('GET', '/api/reports/unused-grants')).headers.get('content-security-policy')).toBe(
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;form-action 'self';frame-ancestors 'none';base-uri 'self'",
    );
    const css = await get('/static/app.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('sets a browser-session cookie: HttpOnly, SameSite=Strict, no Max-Age or Expires, not Secure over plain HTTP', async () => {
    const { setCookie } = await signIn(t.tokens.ekonom);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Max-Age|Expires/i);
    expect(setCookie).not.toMatch(/Secure/);
  });

  it('refuses a sign-in without the login form\'s CSRF value, and a wrong key, in Swedish', async () => {
    const noCsrf = await post('/logga-in', { csrf: 'forged', token: t.tokens.ekonom });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.headers.getSetCookie().some((cookie) => cookie.startsWith('gl_session='))).toBe(false);
    const form = await get('/logga-in');
    const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const wrong = await post('/logga-in', { csrf, token: 'glt_wrong' }, loginCookie);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Nyckeln godtas inte');
    const admin = await post('/logga-in', { csrf, token: t.tokens.admin }, loginCookie);
    expect(admin.status).toBe(403);
  });

  it('writes nothing for a form without the session\'s CSRF token, or from a revisor', async () => {
    const ekonom = await signIn(t.tokens.ekonom);
    const before = await eventCount();
    const form = { committee: 'socialnamnden', fiscalYear: '2020', amount: '100', decidedOn: '2020-01-15', decisionRef: 'KF 1', idempotencyKey: crypto.randomUUID() };
    expect((await post('/registrera/anslag', form, ekonom.cookie)).status).toBe(403);
    expect((await post('/registrera/anslag', { ...form, csrf: 'x'.repeat(ekonom.csrf.length) }, ekonom.cookie)).status).toBe(403);
    const revisor = await signIn(t.tokens.revisor);
    expect((await post('/registrera/anslag', { ...form, csrf: revisor.csrf }, revisor.cookie)).status).toBe(403);
    expect(await eventCount()).toBe(before);
    const written = await post('/registrera/anslag', { ...form, csrf: ekonom.csrf }, ekonom.cookie);
    expect(written.status).toBe(303);
    expect(await eventCount()).toBe(before + 1);
    // The same rendered form again: replayed, not written twice.
    expect((await post('/registrera/anslag', { ...form, csrf: ekonom.csrf }, ekonom.cookie)).status).toBe(303);
    expect(await eventCount()).toBe(before + 1);
  });

  it('Logga ut ends the session on the server, not only in the browser', async () => {
    const { cookie, csrf } = await signIn(t.tokens.revisor);
    expect((await get('/resultat', cookie)).status).toBe(200);
    const out = await post('/logga-ut', { csrf }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().join()).toMatch(/gl_session=;.*Max-Age=0/);
    const again = await get('/resultat', cookie);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/logga-in');
  });

  it('lists generella grants too, filtered by Slag, and sorts and pages server-side', async () => {
    for (let index = 0; index < 55; index += 1) {
      const kind = index === 0 ? 'generellt' : 'riktat';
      const grant = { grantId: `g-list-${String(index).padStart(2, '0')}`, grantor: index % 2 ? 'Socialstyrelsen' : 'Migrationsverket', title: `Bidrag ${index}`, purpose: 'Test', kind, committee: 'socialnamnden', amount: `${1000 + index}`, receivedOn: '2020-02-01', useBy: '2020-12-31', repaymentRequired: false };
      expect((await t.api('POST', '/api/grants', { body: grant })).status).toBe(201);
    }
    const { cookie } = await signIn(t.tokens.revisor);
    const general = await (await get('/statsbidrag?kind=generellt', cookie)).text();
    expect(general).toContain('Bidrag 0');
    expect(general).not.toContain('Bidrag 1<');
    expect(general).toContain('1 000,00 kr');
    const sorted = await (await get('/statsbidrag?sort=received&order=desc', cookie)).text();
    expect(sorted.indexOf('Bidrag 54')).toBeGreaterThan(0);
    expect(sorted.indexOf('Bidrag 54')).toBeLessThan(sorted.indexOf('Bidrag 53'));
    expect(sorted).toContain('aria-sort="descending"');
    expect(sorted).toContain('Sida 1 av 2');
    const second = await (await get('/statsbidrag?sort=received&order=desc&page=2', cookie)).text();
    expect(second).toContain('Bidrag 0<');
    expect(second).not.toContain('Bidrag 54');
    // Totals are of every grant in the filter, not only the page shown.
    const total = (55 * 1000 + (54 * 55) / 2).toLocaleString('sv-SE').replace(/\u00a0/g, ' ');
    expect(second).toContain(`${total},00 kr`);
    // Downloads: the ledger's own report formats behind the session, as links can carry no Bearer token.
    const csv = await get('/statsbidrag/g-list-01/bidragsredovisning.csv', cookie);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="bidragsredovisning-g-list-01\.csv"/);
    expect(await csv.text()).toContain('1001');
    const xlsx = await get('/nedladdning/statsbidrag.xlsx?kind=generellt', cookie);
    expect(xlsx.headers.get('content-type')).toMatch(/spreadsheetml/);
    expect((await xlsx.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  it('answers an unknown grant and a bad Per datum with Swedish pages, never a stack', async () => {
    const { cookie } = await signIn(t.tokens.revisor);
    const missing = await get('/statsbidrag/no-such-grant', cookie);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Statsbidraget finns inte');
    const bad = await get('/resultat?asOf=2020-02-30', cookie);
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('aria-invalid="true"');
    expect(text).toContain('Skriv ett riktigt datum');
  });
});
