import type { Role } from '../domain/access.js';
import type { OidcConfig } from './config.js';

/**
 * A person (or a machine) as the municipality's identity provider vouches for them: its subject
 * and issuer say who, for good; the display name is what people read in the log.
 */
export interface OidcPrincipal {
  readonly issuer: string;
  readonly subject: string;
  /** preferred_username, else email, else the subject. */
  readonly displayName: string;
}

/**
 * The one place a principal becomes the `tokenId` and `actor` an event's metadata carries: both
 * are covered by the event's hash already, so the log records who did it (issuer, subject,
 * display name) without a new field in the stores and with every older event verifying as before.
 * `oidc:<issuer>#<subject>`: an issuer identifier never has a fragment, so the first "#" splits it.
 */
export function principalTokenId(principal: OidcPrincipal): string {
  return `oidc:${principal.issuer}#${principal.subject}`;
}

/** Reads back what principalTokenId wrote; null for a ledger token's id. */
export function principalOfTokenId(tokenId: string): { issuer: string; subject: string } | null {
  if (!tokenId.startsWith('oidc:')) return null;
  const rest = tokenId.slice('oidc:'.length);
  const split = rest.indexOf('#');
  return split <= 0 ? null : { issuer: rest.slice(0, split), subject: rest.slice(split + 1) };
}

/** Control, bidi and zero-width characters have no place in a name the log shows. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

function printable(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value.normalize('NFC').replace(UNPRINTABLE, '').trim().slice(0, 200);
  return cleaned === '' ? undefined : cleaned;
}

export function principalOf(claims: Record<string, unknown>, issuer: string): OidcPrincipal | null {
  const subject = typeof claims.sub === 'string' && claims.sub !== '' && claims.sub.length <= 255 ? claims.sub : null;
  if (subject === null) return null;
  return { issuer, subject, displayName: printable(claims.preferred_username) ?? printable(claims.email) ?? subject };
}

/** The claim's values: a list of strings, or one string (some providers send a single role so). */
function claimValues(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * The roles the claims give, most rights first. A person in both the ekonomer's and the
 * revisorer's group acts as ekonom; the pages and the API each take the first role they admit.
 */
export function rolesOf(config: Pick<OidcConfig, 'roles' | 'roleClaim'>, claims: Record<string, unknown>): Role[] {
  const values = new Set(claimValues(claims, config.roleClaim));
  const order: Role[] = ['admin', 'ekonom', 'revisor'];
  return order.filter((role) => (config.roles[role] ?? []).some((value) => values.has(value)));
}

/** The claim values that give access to the pages (ekonom or revisor), for the message to someone who has none. */
export function groupsGivingAccess(config: Pick<OidcConfig, 'roles'>, roles: readonly Role[] = ['ekonom', 'revisor']): string[] {
  return roles.flatMap((role) => config.roles[role] ?? []);
}
