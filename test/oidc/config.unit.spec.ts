import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { parseOidcConfig } from '../../src/oidc/config.js';
import { groupsGivingAccess, principalOf, principalOfTokenId, principalTokenId, rolesOf } from '../../src/oidc/identity.js';

const listen = { host: '127.0.0.1', port: 8080 };
const entra = {
  LEDGER_OIDC_ISSUER: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
  LEDGER_OIDC_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  LEDGER_OIDC_ROLES: '{"ekonom":["grp-ekonomer"],"revisor":["grp-revisorer"],"admin":["grp-it"]}',
  LEDGER_OIDC_REDIRECT_URL: 'https://ekonomi.kommun.example/auth/callback',
};

function refusal(env: Record<string, string>): string {
  try {
    parseOidcConfig(env, listen);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('LEDGER_OIDC_* configuration', () => {
  it('is off without an issuer, and reads a whole configuration with its defaults', () => {
    expect(parseOidcConfig({}, listen)).toBeNull();
    const config = parseOidcConfig(entra, listen)!;
    expect(config.issuer.href).toBe(entra.LEDGER_OIDC_ISSUER);
    expect(config.roleClaim).toBe('groups');
    expect(config.audience).toBe(entra.LEDGER_OIDC_CLIENT_ID);
    expect(config.clientSecret).toBeUndefined();
    expect(config.roles).toEqual({ ekonom: ['grp-ekonomer'], revisor: ['grp-revisorer'], admin: ['grp-it'] });
    const local = parseOidcConfig({ ...entra, LEDGER_OIDC_ISSUER: 'http://127.0.0.1:9000', LEDGER_OIDC_REDIRECT_URL: '' }, { host: '127.0.0.1', port: 8123 })!;
    expect(local.redirectUrl.href).toBe('http://127.0.0.1:8123/auth/callback');
  });

  it('stops the start with a message naming the variable at fault', () => {
    expect(refusal({ LEDGER_OIDC_CLIENT_ID: 'x' })).toMatch(/^LEDGER_OIDC_ISSUER: is required when LEDGER_OIDC_CLIENT_ID is set/);
    expect(refusal({ ...entra, LEDGER_OIDC_ISSUER: 'not a url' })).toMatch(/^LEDGER_OIDC_ISSUER: must be an absolute URL/);
    expect(refusal({ ...entra, LEDGER_OIDC_ISSUER: 'http://idp.kommun.example' })).toMatch(/^LEDGER_OIDC_ISSUER: must use https/);
    expect(refusal({ ...entra, LEDGER_OIDC_CLIENT_ID: '' })).toMatch(/^LEDGER_OIDC_CLIENT_ID: is required/);
    expect(refusal({ ...entra, LEDGER_OIDC_ROLES: '' })).toMatch(/^LEDGER_OIDC_ROLES: is required/);
    expect(refusal({ ...entra, LEDGER_OIDC_ROLES: '{ekonom:' })).toMatch(/^LEDGER_OIDC_ROLES: is not JSON/);
    expect(refusal({ ...entra, LEDGER_OIDC_ROLES: '{"kassor":["grp-x"]}' })).toMatch(/^LEDGER_OIDC_ROLES: /);
    expect(refusal({ ...entra, LEDGER_OIDC_ROLES: '{"ekonom":[]}' })).toMatch(/^LEDGER_OIDC_ROLES: ekonom: lists no claim value/);
    expect(refusal({ ...entra, LEDGER_OIDC_ROLES: '{}' })).toMatch(/^LEDGER_OIDC_ROLES: must map at least one role/);
    expect(refusal({ ...entra, LEDGER_OIDC_ROLE_CLAIM: 'groups claim' })).toMatch(/^LEDGER_OIDC_ROLE_CLAIM: /);
    expect(refusal({ ...entra, LEDGER_OIDC_REDIRECT_URL: 'https://ekonomi.kommun.example/callback' })).toMatch(/^LEDGER_OIDC_REDIRECT_URL: must end in \/auth\/callback/);
    // Behind a proxy on 0.0.0.0 the default would be plain http to a public address: it must be said.
    expect(() => parseOidcConfig({ ...entra, LEDGER_OIDC_REDIRECT_URL: '' }, { host: '0.0.0.0', port: 8080 })).toThrow(/LEDGER_OIDC_REDIRECT_URL: must use https/);
  });
});

describe('claims to an identity and a role', () => {
  const config = { roles: { ekonom: ['grp-ekonomer'], revisor: ['grp-revisorer'], admin: ['grp-it'] }, roleClaim: 'groups' };

  it('gives the roles the groups map to, most rights first, and none for other groups', () => {
    expect(rolesOf(config, { groups: ['grp-revisorer', 'grp-ekonomer'] })).toEqual(['ekonom', 'revisor']);
    expect(rolesOf(config, { groups: 'grp-it' })).toEqual(['admin']);
    expect(rolesOf(config, { groups: ['grp-alla'] })).toEqual([]);
    expect(rolesOf(config, {})).toEqual([]);
    expect(rolesOf({ ...config, roleClaim: 'roles' }, { groups: ['grp-ekonomer'] })).toEqual([]);
    expect(groupsGivingAccess(config)).toEqual(['grp-ekonomer', 'grp-revisorer']);
  });

  it('names a person by preferred_username, then email, then subject, never with control or bidi characters', () => {
    const issuer = 'https://login.microsoftonline.com/t/v2.0';
    expect(principalOf({ sub: 's1', preferred_username: 'eva@kommun.se', email: 'e@kommun.se' }, issuer)?.displayName).toBe('eva@kommun.se');
    expect(principalOf({ sub: 's1', email: 'e@kommun.se' }, issuer)?.displayName).toBe('e@kommun.se');
    expect(principalOf({ sub: 's1' }, issuer)?.displayName).toBe('s1');
    expect(principalOf({ sub: 's1', preferred_username: 'eva\u202e@kommun.se\n' }, issuer)?.displayName).toBe('eva@kommun.se');
    expect(principalOf({ preferred_username: 'no subject' }, issuer)).toBeNull();
  });

  it('writes issuer and subject into one tokenId and reads them back', () => {
    const principal = { issuer: 'https://login.microsoftonline.com/t/v2.0', subject: 'a#b@c', displayName: 'x' };
    const tokenId = principalTokenId(principal);
    expect(tokenId).toBe('oidc:https://login.microsoftonline.com/t/v2.0#a#b@c');
    expect(principalOfTokenId(tokenId)).toEqual({ issuer: principal.issuer, subject: 'a#b@c' });
    expect(principalOfTokenId('0b7d1c9e-2c1e-4a43-9a55-2a3b4c5d6e7f')).toBeNull();
  });
});
