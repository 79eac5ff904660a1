import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';
import { axeViolations, launchChromium, screenshots, type Chromium } from './browser.js';

/**
 * The pages end to end in Debian's chromium, found by role and accessible name as a screen reader
 * finds them: DOMAIN.md's worked example registered through the forms, read back by an ekonom and
 * a revisor, every page checked by axe-core and photographed at 1280 and 360 px.
 */
const BROWSER_TIMEOUT = 180_000;

describe('web pages in chromium', () => {
  let backend: Backend;
  let t: TestServer;
  let chromium: Chromium;
  let ekonom: BrowserContext;
  let page: Page;
  let grantPath = '';
  let beforeReturn = '';
  const cspViolations: string[] = [];
  const visited = new Map<string, string>();

  const watch = (target: Page) => {
    target.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
  };

  async function signIn(context: BrowserContext, token: string): Promise<Page> {
    const signedIn = await context.newPage();
    watch(signedIn);
    await signedIn.goto(`${t.url}/`);
    await expect.poll(() => signedIn.url()).toContain('/logga-in');
    await signedIn.getByLabel('Nyckel').fill(token);
    await signedIn.getByRole('button', { name: 'Logga in' }).click();
    await signedIn.getByRole('heading', { level: 1, name: 'Översikt' }).waitFor();
    return signedIn;
  }

  async function openForm(title: string): Promise<void> {
    await page.getByRole('link', { name: 'Registrera', exact: true }).click();
    await page.getByRole('link', { name: title, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  }

  async function fill(fields: Record<string, string>): Promise<void> {
    for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
  }

  async function submit(button = 'Registrera'): Promise<void> {
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: button, exact: true }).click()]);
  }

  beforeAll(async () => {
    backend = sqliteBackend();
    t = await startTestServer(backend);
    chromium = await launchChromium();
    ekonom = await chromium.newContext();
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await chromium?.close();
    await t?.stop();
    await backend?.dispose();
  });

  it('refuses a wrong key with a Swedish message and no stack', async () => {
    const context = await chromium.newContext();
    const login = await context.newPage();
    watch(login);
    await login.goto(`${t.url}/logga-in`);
    await login.getByLabel('Nyckel').fill('glt_not-a-key');
    await login.getByRole('button', { name: 'Logga in' }).click();
    const field = login.getByLabel('Nyckel');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => login.locator('main').innerText()).toContain('Nyckeln godtas inte');
    expect(await login.content()).not.toMatch(/at .*\.(ts|js):\d+/);
    // axe really runs here: a page without lang and with an image without text fails it.
    const bad = await context.newPage();
    await bad.goto(`${t.url}/static/app.css`);
    await bad.setContent('<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>');
    expect((await axeViolations(bad)).map((violation) => violation.id)).toEqual(expect.arrayContaining(['html-has-lang', 'image-alt']));
    expect(await axeViolations(login)).toEqual([]);
    visited.set('logga-in-fel', login.url());
    await screenshots(login, 'logga-in-fel');
    await context.close();
  }, BROWSER_TIMEOUT);

  it('an ekonom registers the worked example through the forms', async () => {
    page = await signIn(ekonom, t.tokens.ekonom);
    await expect.poll(() => page.getByRole('link', { name: 'Registrera', exact: true }).count()).toBe(1);

    await openForm('Registrera anslag');
    await fill({ Nämnd: 'socialnamnden', År: '2020', Belopp: '1 200 000 000', 'Beslutat den': '2020-01-15', Beslut: 'KF 2019-11-25 § 120' });
    await submit();
    await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Anslaget är registrerat');

    await openForm('Registrera statsbidrag');
    await fill({
      Bidragsgivare: 'Tillväxtverket',
      Benämning: 'Minska och motverka segregation',
      Ändamål: 'Motverka segregation',
      Nämnd: 'socialnamnden',
      Belopp: 'åtta miljoner',
      Mottaget: '2020-06-15',
      'Användas senast': '2020-12-31',
    });
    await page.getByLabel('Slag').selectOption('riktat');
    await page.getByRole('checkbox', { name: 'Återbetalningsskyldighet' }).check();
    await submit();

    // A bad amount: the error beside Belopp, the field marked, the summary linking to it, the rest kept.
    const amount = page.getByLabel('Belopp', { exact: true });
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await amount.getAttribute('aria-describedby')) ?? '';
    const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'));
    expect(errorId).toBeDefined();
    expect(await page.locator(`#${errorId}`).innerText()).toContain('Skriv beloppet i kronor');
    const summaryLink = page.getByRole('alert').getByRole('link', { name: /Belopp/ });
    expect(await summaryLink.getAttribute('href')).toBe(`#${await amount.getAttribute('id')}`);
    expect(await amount.inputValue()).toBe('åtta miljoner');
    expect(await page.getByLabel('Bidragsgivare').inputValue()).toBe('Tillväxtverket');
    expect(await page.getByLabel('Benämning').inputValue()).toBe('Minska och motverka segregation');
    expect(await page.getByLabel('Användas senast').inputValue()).toBe('2020-12-31');
    expect(await page.getByLabel('Slag').inputValue()).toBe('riktat');
    expect(await page.getByRole('checkbox', { name: 'Återbetalningsskyldighet' }).isChecked()).toBe(true);
    expect(await page.getByLabel('Bidragsgivare').getAttribute('aria-invalid')).toBeNull();
    expect(await axeViolations(page)).toEqual([]);
    visited.set('registrera-statsbidrag-fel', page.url());
    await screenshots(page, 'registrera-statsbidrag-fel');
    expect((await t.api('GET', '/api/reports/unused-grants')).body.rows).toHaveLength(0);

    await amount.fill('8 000 000,00');
    await submit();
    await page.getByRole('heading', { level: 1, name: 'Minska och motverka segregation' }).waitFor();
    grantPath = new URL(page.url()).pathname;
    expect(await page.locator('main').innerText()).toContain('8 000 000,00 kr');

    await openForm('Registrera utfall');
    await fill({ Nämnd: 'socialnamnden', År: '2020', Period: '2020-12', Verksamhet: 'IFO', Kostnader: '1 190 000 000,00', Intäkter: '20 000 000' });
    await submit();
    await expect.poll(() => page.locator('[role=status]').innerText()).toContain('Utfallet är registrerat');
  }, BROWSER_TIMEOUT);

  it('shows the figures on Översikt and Statsbidrag as of 2020-12-31', async () => {
    await page.getByRole('link', { name: 'Översikt', exact: true }).click();
    await page.getByLabel('Per datum').fill('2020-12-31');
    await submit('Visa');
    expect(page.url()).toContain('asOf=2020-12-31');
    const overview = await page.locator('main').innerText();
    expect(overview).toContain('socialnamnden');
    expect(overview).toMatch(/Outnyttjade riktade medel\s*8 000 000,00 kr/);
    expect(overview).toMatch(/Att återbetala\s*8 000 000,00 kr/);
    expect(overview).toMatch(/Årets resultat 2020[^\n]*\n\s*30 000 000,00 kr/);
    expect(await page.getByRole('img', { name: /Resultatfond för socialnamnden/ }).count()).toBe(1);

    await page.getByRole('link', { name: 'Statsbidrag', exact: true }).click();
    await page.getByLabel('Per datum').fill('2020-12-31');
    await submit('Visa');
    for (const header of ['Bidragsgivare', 'Outnyttjat', 'Status']) expect(await page.getByRole('columnheader', { name: header }).count()).toBe(1);
    const row = page.getByRole('row').filter({ hasText: 'Minska och motverka segregation' });
    const cells = await row.innerText();
    expect(cells).toContain('Tillväxtverket');
    expect(cells).toContain('8 000 000,00 kr');
    expect(cells).toContain('förfallen');

    // Resultat per verksamhet: the appropriation is the committee's as a whole, the outcome IFO's.
    await page.getByRole('link', { name: 'Resultat', exact: true }).click();
    await page.getByLabel('Per datum').fill('2020-12-31');
    await submit('Visa');
    const activities = page.getByRole('table', { name: /Resultat per verksamhet för socialnamnden/ });
    expect(await activities.getByRole('row').filter({ hasText: 'IFO' }).innerText()).toMatch(/2020\s+IFO\s+0,00 kr\s+0,00 kr\s+1 190 000 000,00 kr\s+20 000 000,00 kr\s+0,00 kr\s+-1 170 000 000,00 kr/);
    expect(await activities.getByRole('row').filter({ hasText: 'hela nämnden' }).innerText()).toMatch(/1 200 000 000,00 kr\s+1 200 000 000,00 kr/);
    expect(await activities.getByRole('row').filter({ hasText: 'Summa 2020' }).innerText()).toMatch(/30 000 000,00 kr/);
  }, BROWSER_TIMEOUT);

  it('writes a double-submitted form once', async () => {
    const grantId = decodeURIComponent(grantPath.split('/').pop()!);
    // Känt vid before the return: a moment strictly after every earlier entry and before the return.
    const events = (await t.api('GET', `/api/grants/${grantId}/events`)).body.events as Array<{ recordedAt: string }>;
    const last = Date.parse(events[events.length - 1]!.recordedAt);
    await expect.poll(() => Date.now()).toBeGreaterThan(last + 2);
    beforeReturn = new Date(last + 1).toISOString();

    await page.goto(`${t.url}${grantPath}`);
    await page.getByRole('link', { name: 'Registrera återbetalning' }).click();
    expect(await page.getByLabel('Statsbidrag', { exact: true }).inputValue()).toBe(grantId);
    await fill({ Belopp: '8000000', 'Återbetalt den': '2021-03-20' });
    const form = page.locator('form.stack');
    const body = new URLSearchParams();
    for (const input of await form.locator('input, select, textarea').all()) {
      const name = await input.getAttribute('name');
      if (name) body.set(name, await input.inputValue());
    }
    await page.getByRole('button', { name: 'Registrera', exact: true }).dblclick();
    await page.getByRole('heading', { level: 1, name: 'Minska och motverka segregation' }).waitFor();
    // The same rendered form sent once more, as a browser's "resend" does.
    const resent = await page.request.post(`${t.url}/registrera/aterbetalning`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      data: body.toString(),
      maxRedirects: 0,
    });
    expect(resent.status()).toBe(303);
    expect(resent.headers().location).toBe(grantPath);
    const after = (await t.api('GET', `/api/grants/${grantId}/events`)).body.events as Array<{ type: string }>;
    expect(after.filter((event) => event.type === 'FundsReturned')).toHaveLength(1);
    expect((await t.api('GET', `/api/grants/${grantId}`)).body.unused).toBe('0.00');
  }, BROWSER_TIMEOUT);

  it('passes axe on every page as an ekonom, and photographs them', async () => {
    const pages: Array<[string, string]> = [
      ['oversikt', '/'],
      ['oversikt-per-datum', '/?asOf=2020-12-31'],
      ['statsbidrag', '/statsbidrag'],
      ['statsbidrag-sida', grantPath],
      ['resultat', '/resultat'],
      ['registrera', '/registrera'],
      ['registrera-statsbidrag', '/registrera/statsbidrag'],
      ['registrera-anslag', '/registrera/anslag'],
      ['registrera-utfall', '/registrera/utfall'],
      ['registrera-prognos', '/registrera/prognos'],
      ['registrera-bokslut', '/registrera/bokslut'],
      ['registrera-fordelning', '/registrera/fordelning'],
      ['registrera-rattelse', '/registrera/rattelse-statsbidrag'],
      ['registrera-andra', `/registrera/andra-statsbidrag?grantId=${encodeURIComponent(grantPath.split('/').pop()!)}`],
      ['per-datum-fel', '/statsbidrag?asOf=2020-13-45'],
    ];
    for (const [name, path] of pages) {
      await page.goto(`${t.url}${path}`);
      expect(await page.getAttribute('html', 'lang'), name).toBe('sv');
      expect(await axeViolations(page), name).toEqual([]);
      const { overflow360 } = await screenshots(page, `ekonom-${name}`);
      expect(overflow360, `${name} scrolls sideways at 360 px`).toBeLessThanOrEqual(0);
      visited.set(name, path);
    }
    // The skip link is the first thing the keyboard reaches, and it is visible when focused.
    await page.goto(`${t.url}/`);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Hoppa till innehållet' });
    expect(await skip.evaluate((element) => element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
    const box = await skip.boundingBox();
    expect(box !== null && box.y >= 0).toBe(true);
    expect(cspViolations).toEqual([]);
  }, BROWSER_TIMEOUT);

  it('a revisor sees no Registrera, moves Per datum and Känt vid, and passes axe', async () => {
    await page.getByRole('button', { name: 'Logga ut' }).click();
    await page.getByRole('heading', { level: 1, name: 'Logga in' }).waitFor();
    expect((await page.goto(`${t.url}/statsbidrag`))!.url()).toContain('/logga-in');
    await ekonom.close();

    const context = await chromium.newContext();
    const revisor = await signIn(context, t.tokens.revisor);
    expect(await revisor.getByRole('link', { name: 'Registrera', exact: true }).count()).toBe(0);
    expect((await revisor.goto(`${t.url}/registrera/statsbidrag`))!.status()).toBe(403);
    const csrf = await revisor.locator('input[name=csrf]').first().inputValue();
    const refused = await revisor.request.post(`${t.url}/registrera/aterbetalning`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      data: new URLSearchParams({ csrf, grantId: 'x', amount: '1', returnedOn: '2021-03-21' }).toString(),
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);

    /** The grant's row on Statsbidrag with Per datum and Känt vid typed in: its status and Outnyttjat. */
    const rowOn = async (asOf: string, knownAt = '') => {
      await revisor.goto(`${t.url}/statsbidrag`);
      await revisor.getByLabel('Per datum').fill(asOf);
      await revisor.getByLabel('Känt vid').fill(knownAt);
      await Promise.all([revisor.waitForLoadState('load'), revisor.getByRole('button', { name: 'Visa' }).click()]);
      expect(revisor.url()).toContain(`asOf=${asOf}`);
      const row = revisor.getByRole('row').filter({ hasText: 'Minska och motverka segregation' });
      const headers = await revisor.getByRole('columnheader').allInnerTexts();
      const cells = [await row.getByRole('rowheader').innerText(), ...(await row.getByRole('cell').allInnerTexts())];
      const cell = (name: string) => cells[headers.findIndex((header) => header.startsWith(name))]!;
      return { status: cell('Status'), unused: cell('Outnyttjat'), url: revisor.url() };
    };
    expect((await rowOn('2020-12-30')).status).toBe('öppen');
    expect((await rowOn('2020-12-31')).status).toBe('förfallen');
    expect((await rowOn('2021-03-31')).unused).toBe('0,00 kr');
    const knownBefore = await rowOn('2021-03-31', beforeReturn);
    expect(knownBefore.unused).toBe('8 000 000,00 kr');
    expect(knownBefore.url).toContain(`knownAt=${encodeURIComponent(beforeReturn)}`);

    const pages: Array<[string, string]> = [
      ['oversikt', '/'],
      ['statsbidrag', '/statsbidrag?asOf=2020-12-31'],
      ['statsbidrag-sida', `${grantPath}?asOf=2021-03-31&knownAt=${encodeURIComponent(beforeReturn)}`],
      ['resultat', '/resultat?asOf=2020-12-31'],
      ['ingen-behorighet', '/registrera'],
    ];
    for (const [name, path] of pages) {
      await revisor.goto(`${t.url}${path}`);
      expect(await axeViolations(revisor), name).toEqual([]);
      const { overflow360 } = await screenshots(revisor, `revisor-${name}`);
      expect(overflow360, `${name} scrolls sideways at 360 px`).toBeLessThanOrEqual(0);
    }
    expect(cspViolations).toEqual([]);
    await context.close();
  }, BROWSER_TIMEOUT);

  it("shows issue 14's early warning on Översikt and as a column on Statsbidrag: 650 000,00 kr as of 2021-04-30", async () => {
    const post = async (path: string, body: unknown) => expect((await t.api('POST', path, { body })).status, path).toBeLessThan(300);
    await post('/api/grants', {
      grantId: 'seg-2021', grantor: 'Tillväxtverket', title: 'Segregation 2021', purpose: 'Segregation', kind: 'riktat',
      committee: 'socialnamnden', amount: '1200000.00', receivedOn: '2021-01-15', useBy: '2021-12-31', repaymentRequired: true,
    });
    await post('/api/grants/seg-2021/allocations', { allocationId: 'ifo', activity: 'IFO', amount: '1200000.00', allocatedOn: '2021-01-20' });
    for (const spentOn of ['2021-02-28', '2021-03-31', '2021-04-30']) await post('/api/grants/seg-2021/spending', { allocationId: 'ifo', amount: '50000', spentOn, voucher: `V-${spentOn}` });

    const context = await chromium.newContext();
    const revisor = await signIn(context, t.tokens.revisor);
    await revisor.goto(`${t.url}/?asOf=2021-04-30`);
    const panel = revisor.getByRole('heading', { level: 3, name: 'Tidig varning' }).locator('xpath=following-sibling::ul[1]');
    await expect.poll(() => panel.innerText()).toContain('Segregation 2021: 650 000,00 kr kvar 2021-12-31 i nuvarande takt (50 000,00 kr per månad, 8 mån kvar) i riskzonen');
    expect(await axeViolations(revisor)).toEqual([]);
    await screenshots(revisor, 'revisor-oversikt-tidig-varning');

    await revisor.goto(`${t.url}/statsbidrag?asOf=2021-04-30`);
    const headers = await revisor.getByRole('columnheader').allInnerTexts();
    const row = revisor.getByRole('row').filter({ hasText: 'Segregation 2021' });
    const cells = [await row.getByRole('rowheader').innerText(), ...(await row.getByRole('cell').allInnerTexts())];
    expect(cells[headers.findIndex((header) => header.startsWith('Beräknat kvar'))]).toBe('650 000,00 kr i riskzonen');
    expect(await axeViolations(revisor)).toEqual([]);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, BROWSER_TIMEOUT);
});
