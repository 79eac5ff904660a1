import * as client from 'openid-client';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../config.js';
import type { Role } from '../domain/access.js';
import type { OidcConfig } from './config.js';
import { principalOf, rolesOf, type OidcPrincipal } from './identity.js';

/** Clocks of the provider and the ledger may differ a little; a minute is what Entra ID and most libraries allow. */
export const CLOCK_SKEW_SECONDS = 60;
/** Keys the provider publishes are kept this long, and fetched again at once (at most every 30 s) for a `kid` not seen before. */
const JWKS_CACHE_MS = 10 * 60_000;
const JWKS_COOLDOWN_MS = 30_000;
/** Signature algorithms a provider's tokens may use: asymmetric only, never `none` or a shared secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** What the browser must bring back from the provider: kept on the server, keyed by a cookie. */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export type SignInResult =
  | { readonly ok: true; readonly principal: OidcPrincipal; readonly roles: Role[] }
  | { readonly ok: false; readonly reason: 'refused' | 'no-subject' };

/** Why a bearer JWT was refused, in the 401 problem's words. */
export type BearerRefusal = 'expired' | 'not-yet-valid' | 'wrong-issuer' | 'wrong-audience' | 'unknown-key' | 'bad-signature' | 'malformed' | 'no-subject' | 'provider-unreachable';

export type BearerResult =
  | { readonly ok: true; readonly principal: OidcPrincipal; readonly roles: Role[] }
  | { readonly ok: false; readonly reason: BearerRefusal; readonly detail: string };

/**
 * The municipality's OpenID Connect provider, as the ledger uses it: the authorization code flow
 * with PKCE, state and nonce for the pages (openid-client), and JWT bearer tokens for the API
 * (jose, against the provider's published keys).
 */
export class OidcIdentityProvider {
  private constructor(
    readonly config: OidcConfig,
    private readonly client: client.Configuration,
    private readonly keys: JWTVerifyGetKey,
    /** The issuer identifier exactly as the discovery document states it (tokens must carry this). */
    readonly issuer: string,
  ) {}

  /**
   * Reads the provider's discovery document. A provider that cannot be reached, or whose
   * document names another issuer, stops the start: the operator sees why at once, not the first
   * person who tries to sign in.
   */
  static async discover(config: OidcConfig, options: { jwksCooldownMs?: number } = {}): Promise<OidcIdentityProvider> {
    const insecure = config.issuer.protocol === 'http:';
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(
        config.issuer,
        config.clientId,
        { redirect_uris: [config.redirectUrl.href], response_types: ['code'] },
        config.clientSecret === undefined ? client.None() : client.ClientSecretPost(config.clientSecret),
        { ...(insecure ? { execute: [client.allowInsecureRequests] } : {}), timeout: 10 },
      );
    } catch (error) {
      throw new ConfigError(`LEDGER_OIDC_ISSUER: could not read ${new URL('.well-known/openid-configuration', config.issuer.href.endsWith('/') ? config.issuer : `${config.issuer.href}/`).href}: ${(error as Error).message}`);
    }
    const metadata = discovered.serverMetadata();
    if (!metadata.jwks_uri) throw new ConfigError('LEDGER_OIDC_ISSUER: the provider publishes no jwks_uri, so its tokens cannot be checked');
    if (metadata.code_challenge_methods_supported && !metadata.code_challenge_methods_supported.includes('S256')) {
      throw new ConfigError('LEDGER_OIDC_ISSUER: the provider does not offer PKCE with S256');
    }
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { cacheMaxAge: JWKS_CACHE_MS, cooldownDuration: options.jwksCooldownMs ?? JWKS_COOLDOWN_MS, timeoutDuration: 10_000 });
    return new OidcIdentityProvider(config, discovered, keys, metadata.issuer);
  }

  /** The origin of the provider's sign-in page: the pages' form-action must allow the redirect there. */
  get authorizationOrigin(): string {
    return new URL(this.client.serverMetadata().authorization_endpoint!).origin;
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async startSignIn(): Promise<{ url: URL; pending: PendingSignIn }> {
    const pending: PendingSignIn = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(this.client, {
      redirect_uri: this.config.redirectUrl.href,
      scope: 'openid profile email',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * Takes the provider's answer at the callback: checks state, exchanges the code with the PKCE
   * verifier, validates the ID token (signature, issuer, audience, expiry, nonce) and reads the
   * role claim from it.
   */
  async finishSignIn(callbackUrl: URL, pending: PendingSignIn): Promise<SignInResult> {
    const tokens = await client.authorizationCodeGrant(this.client, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims() as Record<string, unknown> | undefined;
    if (!claims) return { ok: false, reason: 'refused' };
    const principal = principalOf(claims, this.issuer);
    if (!principal) return { ok: false, reason: 'no-subject' };
    return { ok: true, principal, roles: rolesOf(this.config, claims) };
  }

  /** A bearer JWT for the API: the provider's signature, issuer, audience and times, then the role claim. */
  async verifyBearer(jwt: string): Promise<BearerResult> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(jwt, this.keys, {
        issuer: this.issuer,
        audience: this.config.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      return { ok: false, ...refusalOf(error) };
    }
    const principal = principalOf(payload, this.issuer);
    if (!principal) return { ok: false, reason: 'no-subject', detail: 'the token names no subject (sub)' };
    return { ok: true, principal, roles: rolesOf(this.config, payload) };
  }
}

function refusalOf(error: unknown): { reason: BearerRefusal; detail: string } {
  if (error instanceof joseErrors.JWTExpired) return { reason: 'expired', detail: 'the token has expired; get a new one from the identity provider' };
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return { reason: 'wrong-issuer', detail: 'the token was not issued by the identity provider this ledger trusts' };
    if (error.claim === 'aud') return { reason: 'wrong-audience', detail: 'the token was issued for another application (its aud is not this ledger)' };
    if (error.claim === 'nbf') return { reason: 'not-yet-valid', detail: 'the token is not valid yet (nbf)' };
    return { reason: 'malformed', detail: `the token's ${error.claim} claim is not acceptable` };
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return { reason: 'unknown-key', detail: 'the token is signed with a key the identity provider does not publish' };
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return { reason: 'bad-signature', detail: 'the token\'s signature does not verify' };
  if (error instanceof joseErrors.JWKSTimeout || (error instanceof joseErrors.JOSEError && error.code === 'ERR_JWKS_INVALID') || (error instanceof Error && /fetch failed/.test(error.message))) {
    return { reason: 'provider-unreachable', detail: 'the identity provider\'s keys could not be fetched; try again shortly' };
  }
  return { reason: 'malformed', detail: 'the token is not a valid signed JWT' };
}

