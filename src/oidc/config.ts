import { z } from 'zod';
import { ConfigError } from '../config.js';
import { Role } from '../domain/access.js';

/**
 * Signing in with the municipality's identity provider (OpenID Connect), configured from the
 * environment. All optional: without LEDGER_OIDC_ISSUER the ledger knows only its own tokens.
 */
export interface OidcConfig {
  /** The issuer identifier, exactly as the provider's discovery document and its tokens name it. */
  readonly issuer: URL;
  readonly clientId: string;
  /** Absent for a public client (PKCE alone); Entra ID web apps have one. */
  readonly clientSecret?: string | undefined;
  readonly redirectUrl: URL;
  /** Which claim values give which role, e.g. {"ekonom":["grp-ekonomer"]}. */
  readonly roles: Readonly<Partial<Record<Role, readonly string[]>>>;
  /** The claim that holds group ids or names (Entra ID: "groups"; or "roles" for app roles). */
  readonly roleClaim: string;
  /** The `aud` a bearer token must carry to be accepted by the API. */
  readonly audience: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http only on this machine (a provider started by the tests, or a developer's). */
function secureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

function urlOf(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name}: must be an absolute URL, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0`);
  }
  if (!secureOrLoopback(url)) throw new ConfigError(`${name}: must use https (plain http only on 127.0.0.1 or localhost)`);
  if (url.hash !== '' || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`${name}: must have no query, fragment or credentials`);
  }
  return url;
}

const RolesJson = z
  .partialRecord(Role, z.array(z.string().min(1, 'a claim value must not be empty').max(256)).min(1, 'lists no claim value'))
  .refine((roles) => Object.keys(roles).length > 0, 'must map at least one role');

const ClaimName = /^[A-Za-z0-9_:.\-/]{1,100}$/;

/**
 * Reads LEDGER_OIDC_*; null when no issuer is given. Anything half-configured or malformed is
 * refused with a message naming the variable, so the server does not start signing people in
 * with a configuration that would fail (or worse, let the wrong people in) later.
 */
export function parseOidcConfig(env: NodeJS.ProcessEnv, listen: { host: string; port: number }): OidcConfig | null {
  const given = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const issuerText = given('LEDGER_OIDC_ISSUER');
  if (issuerText === undefined) {
    const stray = ['LEDGER_OIDC_CLIENT_ID', 'LEDGER_OIDC_CLIENT_SECRET', 'LEDGER_OIDC_REDIRECT_URL', 'LEDGER_OIDC_ROLES', 'LEDGER_OIDC_ROLE_CLAIM', 'LEDGER_OIDC_AUDIENCE'].filter(
      (name) => given(name) !== undefined,
    );
    if (stray.length > 0) throw new ConfigError(`LEDGER_OIDC_ISSUER: is required when ${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set`);
    return null;
  }
  const issuer = urlOf('LEDGER_OIDC_ISSUER', issuerText);
  if (issuer.href.length > 300) throw new ConfigError('LEDGER_OIDC_ISSUER: must be at most 300 characters');
  const clientId = given('LEDGER_OIDC_CLIENT_ID');
  if (clientId === undefined) throw new ConfigError('LEDGER_OIDC_CLIENT_ID: is required with LEDGER_OIDC_ISSUER (the application (client) id registered at the provider)');
  if (clientId.length > 256) throw new ConfigError('LEDGER_OIDC_CLIENT_ID: must be at most 256 characters');
  const rolesText = given('LEDGER_OIDC_ROLES');
  if (rolesText === undefined) throw new ConfigError('LEDGER_OIDC_ROLES: is required with LEDGER_OIDC_ISSUER, e.g. {"ekonom":["grp-ekonomer"],"revisor":["grp-revisorer"]}');
  let rolesValue: unknown;
  try {
    rolesValue = JSON.parse(rolesText);
  } catch {
    throw new ConfigError('LEDGER_OIDC_ROLES: is not JSON; expected e.g. {"ekonom":["grp-ekonomer"],"revisor":["grp-revisorer"]}');
  }
  const roles = RolesJson.safeParse(rolesValue);
  if (!roles.success) {
    const issues = roles.error.issues.map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('; ');
    throw new ConfigError(`LEDGER_OIDC_ROLES: ${issues} (the roles are ekonom, revisor and admin, each with a list of claim values)`);
  }
  const roleClaim = given('LEDGER_OIDC_ROLE_CLAIM') ?? 'groups';
  if (!ClaimName.test(roleClaim)) throw new ConfigError('LEDGER_OIDC_ROLE_CLAIM: must be a claim name such as groups or roles');
  const listenHost = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const redirectText = given('LEDGER_OIDC_REDIRECT_URL') ?? `http://${listenHost}:${listen.port}/auth/callback`;
  const redirectUrl = urlOf('LEDGER_OIDC_REDIRECT_URL', redirectText);
  if (redirectUrl.pathname !== '/auth/callback') throw new ConfigError('LEDGER_OIDC_REDIRECT_URL: must end in /auth/callback, where the ledger takes the answer');
  const audience = given('LEDGER_OIDC_AUDIENCE') ?? clientId;
  return { issuer, clientId, clientSecret: given('LEDGER_OIDC_CLIENT_SECRET'), redirectUrl, roles: roles.data, roleClaim, audience };
}
