import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServe } from '../support/cli.js';
import { CLIENT_ID, freePort, ROLES, startTestProvider, USERS, type TestProvider } from '../support/oidcProvider.js';

/** `grantledger serve` with LEDGER_OIDC_*: a bad configuration stops the start, a good one serves both kinds of token. */
describe('grantledger serve with an OpenID Connect provider', () => {
  let directory: string;
  let idp: TestProvider;
  let port: number;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'grantledger-oidc-serve-'));
    port = await freePort();
    idp = await startTestProvider([`http://127.0.0.1:${port}/auth/callback`]);
  });
  afterAll(async () => {
    await idp?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) => ({
    LEDGER_STORE: `sqlite:${join(directory, 'ledger.db')}`,
    LEDGER_ADMIN_TOKEN: 'serve-admin-token-0123456789abcdef',
    HOST: '127.0.0.1',
    LEDGER_OIDC_ISSUER: idp.issuer,
    LEDGER_OIDC_CLIENT_ID: CLIENT_ID,
    LEDGER_OIDC_ROLES: JSON.stringify(ROLES),
    ...extra,
  });

  it('refuses to start on a malformed configuration, exit code 2, naming the variable', async () => {
    const result = await runCli(['serve'], env({ PORT: '0', LEDGER_OIDC_ROLES: '{"ekonom":"grp-ekonomer"}' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^grantledger: LEDGER_OIDC_ROLES: ekonom: /);
  });

  it('refuses to start when the issuer\'s discovery document cannot be read', async () => {
    const unreachable = await freePort();
    const result = await runCli(['serve'], env({ PORT: '0', LEDGER_OIDC_ISSUER: `http://127.0.0.1:${unreachable}`, LEDGER_OIDC_REDIRECT_URL: `http://127.0.0.1:${port}/auth/callback` }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`LEDGER_OIDC_ISSUER: could not read http://127.0.0.1:${unreachable}/.well-known/openid-configuration`);
  });

  it('starts, says which provider it trusts, and accepts its JWTs beside the ledger\'s tokens', async () => {
    const served = await startServe(env({ PORT: String(port) }));
    try {
      expect(served.stderr()).toContain(`signing in with ${idp.issuer}`);
      const jwt = await idp.sign({ ...USERS.revisor, groups: [...USERS.revisor.groups] });
      const response = await fetch(`${served.url}/api/reports/unused-grants`, { headers: { Authorization: `Bearer ${jwt}` } });
      expect(response.status).toBe(200);
      const admin = await fetch(`${served.url}/api/tokens`, { headers: { Authorization: 'Bearer serve-admin-token-0123456789abcdef' } });
      expect(admin.status).toBe(200);
      const login = await (await fetch(`${served.url}/logga-in`)).text();
      expect(login).toContain('Logga in med kommunens konto');
    } finally {
      served.child.kill('SIGTERM');
      await new Promise((resolve) => served.child.once('exit', resolve));
    }
  });
});
