import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseOidcConfig } from '../../src/oidc/config.js';
import { OidcIdentityProvider } from '../../src/oidc/provider.js';
import { principalOfTokenId } from '../../src/oidc/identity.js';
import { segregationGrant, sqliteBackend, startTestServer, type Backend, type TestServer } from '../support/server.js';
import { CLIENT_ID, CLIENT_SECRET, freePort, ROLES, startTestProvider, USERS, type TestProvider } from '../support/oidcProvider.js';
import { ARTIFACTS, axeViolations, launchChromium, screenshots, type Chromium } from './browser.js';
import { join } from 'node:path';

/**
 * Signing in with the municipality's account against a real OpenID Connect provider
 * (oidc-provider) on localhost, the ledger on 127.0.0.1: two sites, as in production, so the
 * SameSite rules of the cookies are exercised. The pages are driven in Debian's chromium; the
 * bearer path over HTTP.
 */
const BROWSER_TIMEOUT = 180_000;

describe('sign-in with the municipality\'s OpenID Connect provider', () => {
  let backend: Backend;
  let t: TestServer;
  let idp: TestProvider;
  let chromium: Chromium;

  beforeAll(async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/auth/callback`;
    idp = await startTestProvider([redirect]);
    const config = parseOidcConfig(
      {
        LEDGER_OIDC_ISSUER: idp.issuer,
        LEDGER_OIDC_CLIENT_ID: CLIENT_ID,
        LEDGER_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        LEDGER_OIDC_ROLES: JSON.stringify(ROLES),
      },
      { host: '127.0.0.1', port },
    )!;
    expect(config.redirectUrl.href).toBe(redirect);
    const oidc = await OidcIdentityProvider.discover(config);
    backend = sqliteBackend();
    t = await startTestServer(backend, { port, http: { oidc } });
    chromium = await launchChromium();
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await chromium?.close();
    await t?.stop();
    await idp?.close();
    await backend?.dispose();
  });

  /** Through the provider's own sign-in page, back to the ledger. */
  async function signInAtProvider(page: Page, user: keyof typeof USERS): Promise<void> {
    await page.goto(`${t.url}/logga-in`);
    await page.getByRole('button', { name: 'Logga in med kommunens konto', exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    // The provider's development sign-in page takes any password; the login is the account id (sub).
    await page.locator('input[name="login"]').fill(USERS[user].sub);
    await page.locator('input[name="password"]').fill('any-password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
  }

  it('offers the button beside the key field, and the login page still passes axe-core', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await page.goto(`${t.url}/logga-in`);
    await expect.poll(() => page.getByRole('button', { name: 'Logga in med kommunens konto', exact: true }).count()).toBe(1);
    await expect.poll(() => page.getByLabel('Nyckel').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    const { overflow360 } = await screenshots(page, 'logga-in-oidc');
    expect(overflow360).toBeLessThanOrEqual(0);
    await context.close();
  }, BROWSER_TIMEOUT);

  it('signs an ekonom in through the provider; the grant registered names that user in its hashed metadata', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await signInAtProvider(page, 'ekonom');
    await page.getByRole('heading', { level: 1, name: 'Översikt' }).waitFor();
    await expect.poll(() => page.locator('header').innerText()).toContain('eva.ekonom@kommun.example (ekonom)');
    await page.getByRole('link', { name: 'Registrera', exact: true }).click();
    await page.getByRole('link', { name: 'Registrera statsbidrag', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Registrera statsbidrag' }).waitFor();
    const fields: Record<string, string> = {
      Bidragsgivare: segregationGrant.grantor,
      Benämning: segregationGrant.title,
      Ändamål: segregationGrant.purpose,
      Nämnd: segregationGrant.committee,
      Belopp: '8 000 000,00',
      Mottaget: segregationGrant.receivedOn,
      'Användas senast': segregationGrant.useBy,
    };
    for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByLabel('Slag', { exact: true }).selectOption(segregationGrant.kind);
    await page.getByLabel('Återbetalningsskyldighet', { exact: true }).check();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Registrera', exact: true }).click()]);
    await expect.poll(() => page.locator('main').innerText()).toContain('registrerat');
    await page.screenshot({ path: join(ARTIFACTS, 'oidc-ekonom-registrerat-1280.png'), fullPage: true });

    const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as Array<Record<string, any>>;
    const received = events.find((event) => event.type === 'GrantReceived');
    expect(received).toBeDefined();
    expect(received!.actor).toBe('eva.ekonom@kommun.example');
    expect(received!.tokenId).toBe(`oidc:${idp.issuer}#${USERS.ekonom.sub}`);
    expect(principalOfTokenId(received!.tokenId)).toEqual({ issuer: idp.issuer, subject: USERS.ekonom.sub });
    // The name is inside what the hash covers: the chains verify.
    const verified = await t.api('GET', '/api/audit/verify', { as: 'revisor' });
    expect(verified.status).toBe(200);
    expect(verified.body.ok).toBe(true);
    await context.close();
  }, BROWSER_TIMEOUT);

  it('signs a revisor in as revisor: no Registrera', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await signInAtProvider(page, 'revisor');
    await page.getByRole('heading', { level: 1, name: 'Översikt' }).waitFor();
    await expect.poll(() => page.locator('header').innerText()).toContain('(revisor)');
    expect(await page.getByRole('link', { name: 'Registrera', exact: true }).count()).toBe(0);
    await context.close();
  }, BROWSER_TIMEOUT);

  it('shows a user in no group a Swedish message naming the groups that give access, and nothing else', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await signInAtProvider(page, 'nobody');
    await page.getByRole('heading', { level: 1, name: 'Ingen behörighet' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('grp-ekonomer');
    expect(text).toContain('grp-revisorer');
    expect(await page.getByRole('navigation', { name: 'Huvudmeny' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'oidc-ingen-behorighet-1280.png'), fullPage: true });
    // No session was made: the pages still send this browser to Logga in.
    await page.goto(`${t.url}/statsbidrag`);
    await expect.poll(() => page.url()).toContain('/logga-in');
    await context.close();
  }, BROWSER_TIMEOUT);

  it('refuses a callback that this browser did not start (no state kept for it)', async () => {
    const response = await fetch(`${t.url}/auth/callback?code=forged&state=forged`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('hade gått ut eller startades inte här');
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('gl_session='))).toBe(false);
  });

  describe('bearer JWTs from the provider on the API', () => {
    const claimsOf = (user: keyof typeof USERS) => ({ ...USERS[user], groups: [...USERS[user].groups] });
    const call = (token: string, method = 'GET', path = '/api/reports/unused-grants', body?: unknown) => t.api(method, path, { as: { token }, ...(body === undefined ? {} : { body }) });

    it('accepts a token the provider signed, with the role its groups give, and records the person on the event', async () => {
      const token = await idp.sign(claimsOf('ekonom'));
      expect((await call(token)).status).toBe(200);
      const grant = { ...segregationGrant, grantId: 'tvv-via-bearer-2020' };
      const created = await call(token, 'POST', '/api/grants', grant);
      expect(created.status).toBe(201);
      const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as Array<Record<string, any>>;
      const received = events.find((event) => event.type === 'GrantReceived' && event.data.grantId === 'tvv-via-bearer-2020');
      expect(received).toMatchObject({ actor: 'eva.ekonom@kommun.example', tokenId: `oidc:${idp.issuer}#${USERS.ekonom.sub}` });
      const revisor = await idp.sign(claimsOf('revisor'));
      expect((await call(revisor)).status).toBe(200);
      expect((await call(revisor, 'POST', '/api/grants', { ...grant, grantId: 'refused-for-revisor' })).status).toBe(403);
      const admin = await idp.sign(claimsOf('admin'));
      expect((await call(admin, 'GET', '/api/tokens')).status).toBe(200);
    });

    it('uses email as the display name when there is no preferred_username', async () => {
      const { preferred_username: _unused, ...claims } = claimsOf('ekonom');
      const token = await idp.sign(claims);
      const created = await call(token, 'POST', '/api/grants', { ...segregationGrant, grantId: 'tvv-email-name-2020' });
      expect(created.status).toBe(201);
      const events = (await t.api('GET', '/api/events?limit=10000', { as: 'revisor' })).body.events as Array<Record<string, any>>;
      expect(events.find((event) => event.data.grantId === 'tvv-email-name-2020')?.actor).toBe(USERS.ekonom.email);
    });

    it('refuses a token from another issuer', async () => {
      const token = await idp.sign({ ...claimsOf('ekonom'), iss: 'http://localhost:1/other-issuer' });
      const refused = await call(token);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('TOKEN_WRONG_ISSUER');
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('refuses an expired token, but allows a minute of clock skew', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await idp.sign(claimsOf('ekonom'), { issuedAt: now - 3600, expiresIn: now - 300 });
      const refused = await call(expired);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('TOKEN_EXPIRED');
      const justExpired = await idp.sign(claimsOf('ekonom'), { issuedAt: now - 3600, expiresIn: now - 20 });
      expect((await call(justExpired)).status).toBe(200);
    });

    it('refuses a token not valid yet (nbf beyond the skew)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const early = await idp.sign(claimsOf('ekonom'), { notBefore: now + 600, expiresIn: now + 1200 });
      const refused = await call(early);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('TOKEN_NOT_YET_VALID');
    });

    it('refuses a token for another audience', async () => {
      const token = await idp.sign({ ...claimsOf('ekonom'), aud: 'some-other-app' });
      const refused = await call(token);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('TOKEN_WRONG_AUDIENCE');
    });

    it('refuses a token signed with a key the provider does not publish', async () => {
      const token = await idp.signWithUnknownKey(claimsOf('ekonom'));
      const refused = await call(token);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('TOKEN_UNKNOWN_KEY');
    });

    it('refuses a token whose signature was tampered with', async () => {
      const token = await idp.sign(claimsOf('revisor'));
      const [header, , signature] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claimsOf('admin'), iss: idp.issuer, aud: CLIENT_ID, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
      const refused = await call(`${header}.${payload}.${signature}`, 'GET', '/api/tokens');
      expect(refused.status).toBe(401);
    });

    it('answers a user in no group with 403 naming the groups that give access', async () => {
      const token = await idp.sign(claimsOf('nobody'));
      const refused = await call(token);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('NO_ROLE');
      expect(refused.body.detail).toContain('grp-ekonomer');
      expect(refused.body.detail).toContain('grp-revisorer');
    });

    it('keeps the ledger\'s own tokens working beside the provider\'s', async () => {
      expect((await t.api('GET', '/api/reports/unused-grants', { as: 'ekonom' })).status).toBe(200);
      expect((await t.api('GET', '/api/reports/unused-grants', { as: { token: 'glt_not-a-real-token' } })).status).toBe(401);
    });
  });
});
