import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Ledger } from '../app/ledger.js';
import type { Role } from '../domain/access.js';

/**
 * Browser sessions of the web pages. The cookie holds only a random id; the identity lives here,
 * in the server's memory, for at most eight hours. The cookie has no Max-Age, so it also ends
 * when the browser closes. A server restart signs everyone out, which is the safe failure.
 */
export const SESSION_COOKIE = 'gl_session';
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;
/** Bounds memory if someone signs in in a loop: the oldest sessions go first. */
const MAX_SESSIONS = 10_000;

export interface Session {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The id of the token signed in with: written into the metadata of every event the session records. */
  readonly tokenId?: string;
  /** Synchronizer token: every form carries it, every POST must return it. */
  readonly csrfToken: string;
  readonly expiresAt: number;
  /**
   * The token presented at sign-in, checked again on every request so a revoked token ends the
   * session. None for a sign-in with the municipality's account: that session lasts its 8 hours.
   */
  readonly token?: string | undefined;
  /** A one-time message for the next page ("Statsbidraget är registrerat"). */
  flash?: string;
}

/**
 * The one place the web pages ask who a token belongs to (tokens are being reworked; keep this
 * the only caller of the ledger's authenticate here).
 */
export async function identityOfToken(ledger: Ledger, token: string): Promise<{ name: string; role: Role; tokenId: string } | null> {
  if (!/^[A-Za-z0-9._~+/=-]{1,256}$/.test(token)) return null;
  const caller = await ledger.authenticate(token);
  return caller.ok ? { name: caller.identity.name, role: caller.identity.role, tokenId: caller.identity.tokenId } : null;
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(identity: { name: string; role: Role; tokenId?: string }, token: string | undefined): Session {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const session: Session = { id: randomId(), ...identity, csrfToken: randomId(), expiresAt: this.now() + SESSION_LIFETIME_MS, token };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

export function cookieOf(request: Request, name: string): string | undefined {
  const header = request.get('Cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, Secure over TLS; no Max-Age or Expires: a browser-session cookie. */
export function setSessionCookie(request: Request, response: Response, value: string): void {
  const secure = request.secure ? '; Secure' : '';
  response.append('Set-Cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure}`);
}

export function clearSessionCookie(request: Request, response: Response): void {
  const secure = request.secure ? '; Secure' : '';
  response.append('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`);
}

export function csrfMatches(session: Session, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
