import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOidcConfig } from '../../src/oidc/config.js';
import { OidcIdentityProvider } from '../../src/oidc/provider.js';
import { CLIENT_ID, freePort, ROLES, startTestProvider, USERS, type TestProvider } from '../support/oidcProvider.js';

/**
 * The provider rotates its signing key: the ledger has the old key set cached, meets a token with a
 * kid it has not seen, fetches the key set again and accepts it, without a restart.
 */
describe('the provider\'s keys: cached, fetched again for an unknown kid', () => {
  let first: TestProvider;
  let second: TestProvider | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    first = await startTestProvider([], { port, kid: 'key-2026-a' });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('accepts a token signed with the new key after the rotation, and refuses one with a key never published', async () => {
    const config = parseOidcConfig({ LEDGER_OIDC_ISSUER: first.issuer, LEDGER_OIDC_CLIENT_ID: CLIENT_ID, LEDGER_OIDC_ROLES: JSON.stringify(ROLES) }, { host: '127.0.0.1', port: 8080 })!;
    // No cooldown between fetches here; in service jose waits 30 s between refetches.
    const oidc = await OidcIdentityProvider.discover(config, { jwksCooldownMs: 0 });
    const claims = { ...USERS.ekonom, groups: [...USERS.ekonom.groups] };
    const before = await oidc.verifyBearer(await first.sign(claims));
    expect(before.ok).toBe(true);

    // The same issuer, started again with a new key only (the old one withdrawn).
    await first.close();
    second = await startTestProvider([], { port, kid: 'key-2026-b' });
    expect(second.issuer).toBe(first.issuer);
    const rotated = await oidc.verifyBearer(await second.sign(claims));
    expect(rotated).toMatchObject({ ok: true, principal: { subject: USERS.ekonom.sub, displayName: USERS.ekonom.preferred_username }, roles: ['ekonom'] });

    // A token with the withdrawn key: its kid is no longer published.
    const withdrawn = await oidc.verifyBearer(await first.sign(claims));
    expect(withdrawn).toMatchObject({ ok: false, reason: 'unknown-key' });
    expect(await oidc.verifyBearer(await second.signWithUnknownKey(claims))).toMatchObject({ ok: false, reason: 'unknown-key' });
  });
});
