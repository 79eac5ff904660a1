import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  CLI_TOKEN_ID,
  DEFAULT_TOKEN_DAYS,
  MAX_TOKEN_DAYS,
  SYSTEM_TOKEN_ID,
  TOKENS_STREAM,
  type Role,
  type TokenIssuedData,
  type TokenRevokedData,
} from '../domain/access.js';
import { WrongExpectedVersionError, type EventStore, type ExpectedRevision, type NewEvent } from '../store/port.js';
import type { IssuedToken, LedgerReadModel, TokenRecord } from './readModel.js';
import { currentSchemaVersion } from '../domain/storedEvent.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A bearer token: 32 random bytes, prefixed so a leaked one is recognisable in a scan. */
export function newToken(): string {
  return `glt_${randomBytes(32).toString('base64url')}`;
}

/** Who asks for a token to be issued or revoked, as the log will name them. */
export interface TokenActor {
  readonly actor: string;
  /** The caller's token id; "system" for the server, "cli" for the command line. */
  readonly tokenId: string;
}

export const SYSTEM_ACTOR: TokenActor = { actor: 'system', tokenId: SYSTEM_TOKEN_ID };
export function cliActor(user: string | undefined): TokenActor {
  return { actor: `cli:${user ?? 'unknown'}`, tokenId: CLI_TOKEN_ID };
}

/** Why a bearer token was refused, in the words of the 401 problem. */
export type TokenRefusal = 'unknown' | 'expired' | 'revoked' | 'unsigned';

/**
 * What authenticate answers: the identity behind a token, or why there is none. The HTTP layer
 * and the web pages' session adapter both build on it.
 */
export type Authentication = { readonly ok: true; readonly identity: IssuedToken } | { readonly ok: false; readonly reason: TokenRefusal };

/** A name is taken while a token of that name is live (names compare without case). */
export class TokenNameTakenError extends Error {
  override readonly name = 'TokenNameTakenError';
  constructor(readonly tokenName: string) {
    super(`a live token is already named ${tokenName}; revoke it first or choose another name`);
  }
}

export class UnknownTokenError extends Error {
  override readonly name = 'UnknownTokenError';
  constructor(readonly tokenId: string) {
    super(`no token ${tokenId}`);
  }
}

export interface IssuedSecret {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  readonly token: string;
  readonly expiresAt: string;
}

/** A token as listed to admins: never its secret nor its hash. */
export interface ListedToken {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

/**
 * Issuing, revoking and checking bearer tokens. Every change is an event in the `tokens` stream,
 * so every process serving the same store learns of a revocation by following the store, as it
 * learns of every other event (SQLite: within its poll interval of 200 ms).
 */
export class TokenRegistry {
  /** The size of the latest signed tree head seen: tokens are honoured only inside it. */
  private signedSize = 0;

  constructor(
    private readonly store: EventStore,
    private readonly readModel: LedgerReadModel,
    private readonly clock: () => Date,
    private readonly append: (events: NewEvent[], expectedRevision: ExpectedRevision) => Promise<number>,
  ) {}

  /** Token writes in this process, one at a time; other processes are caught by the expected revision. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Decides on the tokens as the read model holds them, caught up with the store, and appends at
   * the revision decided on; when another process wrote meanwhile, decides again. So two admins
   * giving out the same name at once get one token and one 409.
   */
  private write<T>(decide: () => { events: NewEvent[]; result: T }): Promise<T> {
    const run = async (): Promise<T> => {
      for (let attempt = 1; ; attempt += 1) {
        await this.catchUp();
        const { events, result } = decide();
        if (events.length === 0) return result;
        const revision = this.readModel.tokensRevision;
        try {
          await this.append(events, revision === null ? 'no_stream' : revision);
          return result;
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError) || attempt >= 10) throw error;
        }
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /**
   * The identity behind a bearer token, or why it is refused. The token is hashed and the hash
   * looked up, so no comparison runs over the secret itself. Where the store signs tree heads, a
   * token counts only once a signed head covers its TokenIssued event: one appended behind the
   * ledger's back (a forged admin) is never signed, so never honoured.
   */
  async authenticate(token: string): Promise<Authentication> {
    const record = this.readModel.token(hashToken(token));
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revokedAt !== null) return { ok: false, reason: 'revoked' };
    if (record.expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    if (this.store.signer && this.store.latestTreeHead && record.logIndex >= this.signedSize) {
      this.signedSize = (await this.store.latestTreeHead())?.size ?? 0;
      if (record.logIndex >= this.signedSize) return { ok: false, reason: 'unsigned' };
    }
    return { ok: true, identity: { tokenId: record.tokenId, name: record.name, role: record.role } };
  }

  list(): ListedToken[] {
    return this.readModel.allTokens().map(({ tokenId, name, role, createdAt, expiresAt, revokedAt }) => ({ tokenId, name, role, createdAt, expiresAt, revokedAt }));
  }

  private liveNamed(name: string): TokenRecord[] {
    const wanted = name.toLowerCase();
    return this.readModel.liveTokens(this.now()).filter((token) => token.name.toLowerCase() === wanted);
  }

  /**
   * Issues a new token with a fresh secret, shown only in the answer. Names are checked by the
   * caller's schema (reserved names refused there); a live name is refused here.
   */
  issue(name: string, role: Role, expiresInDays: number | undefined, by: TokenActor): Promise<IssuedSecret> {
    const token = newToken();
    return this.write(() => {
      if (this.liveNamed(name).length > 0) throw new TokenNameTakenError(name);
      const { event, issued } = this.issuedEvent(name, role, hashToken(token), expiresInDays ?? DEFAULT_TOKEN_DAYS, by);
      return { events: [event], result: { ...issued, token } };
    });
  }

  private issuedEvent(name: string, role: Role, tokenHash: string, days: number, by: TokenActor): { event: NewEvent; issued: Omit<IssuedSecret, 'token'> } {
    const tokenId = randomUUID();
    const expiresAt = new Date(this.clock().getTime() + Math.min(days, MAX_TOKEN_DAYS) * 86_400_000).toISOString();
    const data: TokenIssuedData = { name, role, tokenHash, tokenId, expiresAt };
    return { event: this.event('TokenIssued', data, by), issued: { tokenId, name, role, expiresAt } };
  }

  /** Revokes a token (204 when it was live or already revoked: revoking is idempotent). */
  revoke(tokenId: string, by: TokenActor): Promise<void> {
    return this.write(() => {
      const record = this.readModel.tokenById(tokenId);
      if (!record) throw new UnknownTokenError(tokenId);
      if (record.revokedAt !== null) return { events: [], result: undefined };
      return { events: [this.event('TokenRevoked', { tokenId, reason: 'revoked' } satisfies TokenRevokedData, by)], result: undefined };
    });
  }

  /**
   * The admin token from LEDGER_ADMIN_TOKEN is a token like any other, named `admin`. When the
   * variable changes, every earlier `admin` token (the previous variable's, or the one-time token
   * of a fresh store) is revoked in the same append that issues the new one. A token revoked or
   * expired is never revived by setting it again: the answer says so and the server starts
   * without it (an admin, or the CLI, issues another).
   */
  ensureEnvironmentAdmin(token: string): Promise<'kept' | 'issued' | 'revoked' | 'expired'> {
    const tokenHash = hashToken(token);
    return this.write(() => {
      const known = this.readModel.token(tokenHash);
      if (known) {
        if (known.revokedAt !== null) return { events: [], result: 'revoked' as const };
        if (known.expiresAt <= this.now()) return { events: [], result: 'expired' as const };
        return { events: [], result: 'kept' as const };
      }
      const previous = this.liveNamed('admin');
      const { event } = this.issuedEvent('admin', 'admin', tokenHash, MAX_TOKEN_DAYS, SYSTEM_ACTOR);
      return {
        events: [...previous.map((old) => this.event('TokenRevoked', { tokenId: old.tokenId, reason: 'replaced' } satisfies TokenRevokedData, SYSTEM_ACTOR)), event],
        result: 'issued' as const,
      };
    });
  }

  /** For a store without a live admin: a one-time admin token (shown once, never logged). */
  issueFirstAdmin(): Promise<IssuedSecret | null> {
    const token = newToken();
    return this.write(() => {
      if (this.readModel.hasLiveTokenWithRole('admin', this.now())) return { events: [], result: null };
      const { event, issued } = this.issuedEvent('admin', 'admin', hashToken(token), DEFAULT_TOKEN_DAYS, SYSTEM_ACTOR);
      return { events: [event], result: { ...issued, token } };
    });
  }

  /** Issues a token with a secret chosen elsewhere (tests, scripted set-ups), unless one with it exists. */
  ensureToken(name: string, role: Role, token: string, by: TokenActor): Promise<boolean> {
    const tokenHash = hashToken(token);
    return this.write(() => {
      if (this.readModel.token(tokenHash)) return { events: [], result: false };
      if (this.liveNamed(name).length > 0) throw new TokenNameTakenError(name);
      return { events: [this.issuedEvent(name, role, tokenHash, DEFAULT_TOKEN_DAYS, by).event], result: true };
    });
  }

  private event(type: 'TokenIssued' | 'TokenRevoked', data: TokenIssuedData | TokenRevokedData, by: TokenActor): NewEvent {
    const commandId = randomUUID();
    return { eventId: randomUUID(), type, data, metadata: { actor: by.actor, commandId, correlationId: commandId, tokenId: by.tokenId, schemaVersion: currentSchemaVersion(type) } };
  }

  private async catchUp(): Promise<void> {
    await this.readModel.waitFor(await this.store.headPosition(), 60_000);
  }
}

export { TOKENS_STREAM };
