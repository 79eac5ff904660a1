import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (oidc-provider, certified) on 127.0.0.1 for the tests: one
 * confidential client for the ledger and a user in each group, signing with a key the test holds,
 * so the API's refusals can be tried with tokens the provider would sign (and tokens it would not).
 */
export const CLIENT_ID = 'grantledger-test';
/** Test-only: never a real secret. */
export const CLIENT_SECRET = 'test-client-secret-not-for-production';
export const ROLES = { ekonom: ['grp-ekonomer'], revisor: ['grp-revisorer'], admin: ['grp-it'] } as const;

export interface TestUser {
  readonly sub: string;
  readonly preferred_username: string;
  readonly email: string;
  readonly groups: readonly string[];
}

export const USERS: Record<'ekonom' | 'revisor' | 'admin' | 'nobody', TestUser> = {
  ekonom: { sub: 'b3f1c2d4-0001-4e6a-9c1d-ekonom000001', preferred_username: 'eva.ekonom@kommun.example', email: 'eva.ekonom@kommun.example', groups: ['grp-ekonomer', 'grp-alla'] },
  revisor: { sub: 'b3f1c2d4-0002-4e6a-9c1d-revisor00001', preferred_username: 'rut.revisor@kommun.example', email: 'rut.revisor@kommun.example', groups: ['grp-revisorer'] },
  admin: { sub: 'b3f1c2d4-0003-4e6a-9c1d-admin0000001', preferred_username: 'ivar.it@kommun.example', email: 'ivar.it@kommun.example', groups: ['grp-it'] },
  nobody: { sub: 'b3f1c2d4-0004-4e6a-9c1d-nobody000001', preferred_username: 'nils.utan.grupp@kommun.example', email: 'nils@kommun.example', groups: ['grp-alla'] },
};

export interface TestProvider {
  /** The issuer identifier (http://localhost:PORT: another site than the ledger's 127.0.0.1, as a real provider is). */
  readonly issuer: string;
  /** Signs a JWT with the provider's own key; claims and times as the test wants them. */
  sign(claims: Record<string, unknown>, options?: { expiresIn?: string | number; notBefore?: string | number; issuedAt?: number }): Promise<string>;
  /** Signs with a key the provider never published (same kid scheme, unknown kid). */
  signWithUnknownKey(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A free port on 127.0.0.1 for the ledger, whose redirect URL the provider must know before the ledger starts. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `port` and `kid`: the same provider started again with a new signing key (a key rotation). */
export async function startTestProvider(redirectUris: readonly string[], options: { port?: number; kid?: string } = {}): Promise<TestProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = options.kid ?? 'test-provider-key-1';
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  // The provider needs its issuer URL, so its port, before it exists: the server listens first.
  let handler: RequestListener | null = null;
  const server = createServer((request, response) => {
    if (handler) handler(request, response);
    else response.writeHead(503).end();
  });
  const port = await listen(server, options.port);
  const issuer = `http://localhost:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [...redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['test-provider-cookie-key-0123456789'] },
    pkce: { required: () => true },
    // The ID token carries the claims its scopes grant (as Entra ID puts groups in it), not only sub.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'], email: ['email'] },
    features: { devInteractions: { enabled: true } },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 600, AccessToken: 600 },
    findAccount: async (_ctx: unknown, id: string) => {
      const user = Object.values(USERS).find((candidate) => candidate.preferred_username === id || candidate.sub === id);
      if (!user) return undefined;
      return { accountId: user.sub, claims: async () => ({ ...user, groups: [...user.groups] }) };
    },
    // A first-party application the municipality's IT consented to for everyone (as an Entra ID admin consent does).
    loadExistingGrant: async (ctx: any) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });
  // A failure inside the provider shows only "server_error" in the browser: say what it was.
  provider.on('server_error', (_ctx: unknown, error: Error) => process.stderr.write(`test provider: ${error.stack ?? String(error)}\n`));
  handler = provider.callback();

  const sign = async (claims: Record<string, unknown>, options: { expiresIn?: string | number; notBefore?: string | number; issuedAt?: number } = {}, key = privateKey, keyId = kid) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: keyId, typ: 'JWT' });
    if (claims.iss === undefined) jwt.setIssuer(issuer);
    if (claims.aud === undefined) jwt.setAudience(CLIENT_ID);
    jwt.setIssuedAt(options.issuedAt);
    if (claims.exp === undefined) jwt.setExpirationTime(options.expiresIn ?? '10m');
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    return jwt.sign(key);
  };
  return {
    issuer,
    sign: (claims, options) => sign(claims, options),
    async signWithUnknownKey(claims) {
      const other = await generateKeyPair('RS256');
      return sign(claims, {}, other.privateKey, 'test-provider-key-unknown');
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
