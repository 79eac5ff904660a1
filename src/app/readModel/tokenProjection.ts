import type { RecordedEvent } from '../../store/port.js';
import { DEFAULT_TOKEN_DAYS, TOKENS_STREAM, TokenIssuedData, TokenRevokedData, type Role } from '../../domain/access.js';
import { ProjectionError } from './core.js';

/** Who a token speaks for: what a request's caller is known by. */
export interface IssuedToken {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
}

/** A token as the read model keeps it: never its secret, only where and when it was given and taken back. */
export interface TokenRecord extends IssuedToken {
  readonly createdAt: string;
  readonly expiresAt: string;
  revokedAt: string | null;
  /** Where its TokenIssued event is in the log (0 for the first event): a token counts only once a signed tree head covers it. */
  readonly logIndex: number;
}

/** What a snapshot keeps of the token table: each record under its secret's hash, in the order issued. */
export interface TokenProjectionSnapshot {
  readonly tokens: ReadonlyArray<readonly [tokenHash: string, record: TokenRecord]>;
  readonly revision: number | null;
}

function daysAfter(moment: string, days: number): string {
  return new Date(Date.parse(moment) + days * 86_400_000).toISOString();
}

/** The tokens stream: who may call the ledger, by the hash of their secret and by token id. */
export class TokenProjection {
  /** The revision of the tokens stream's last event, null before the first: token writes append at it. */
  revision: number | null = null;
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly tokensById = new Map<string, TokenRecord>();

  static handles(streamId: string): boolean {
    return streamId === TOKENS_STREAM;
  }

  /** @param logIndex how many events came before this one in the log. */
  apply(event: RecordedEvent, logIndex: number): void {
    if (event.type === 'TokenIssued') {
      const parsed = TokenIssuedData.safeParse(event.data);
      if (!parsed.success) throw new ProjectionError(event, 'its data does not fit TokenIssued');
      const { name, role, tokenHash } = parsed.data;
      const createdAt = event.metadata.recordedAt;
      const record: TokenRecord = {
        tokenId: parsed.data.tokenId ?? event.eventId,
        name,
        role,
        createdAt,
        expiresAt: parsed.data.expiresAt ?? daysAfter(createdAt, DEFAULT_TOKEN_DAYS),
        revokedAt: null,
        logIndex,
      };
      if (this.tokensById.has(record.tokenId)) throw new ProjectionError(event, `token ${record.tokenId} was issued before`);
      // The same secret issued again (an old LEDGER_ADMIN_TOKEN set once more) never revives a revoked token.
      const earlier = this.tokens.get(tokenHash);
      if (earlier && earlier.revokedAt === null) throw new ProjectionError(event, 'a live token has the same secret');
      this.tokens.set(tokenHash, record);
      this.tokensById.set(record.tokenId, record);
    } else if (event.type === 'TokenRevoked') {
      const parsed = TokenRevokedData.safeParse(event.data);
      if (!parsed.success) throw new ProjectionError(event, 'its data does not fit TokenRevoked');
      const record = this.tokensById.get(parsed.data.tokenId);
      if (!record) throw new ProjectionError(event, `token ${parsed.data.tokenId} was never issued`);
      record.revokedAt ??= event.metadata.recordedAt;
    } else {
      throw new ProjectionError(event, 'not a token event');
    }
    this.revision = event.revision;
  }

  snapshot(): TokenProjectionSnapshot {
    // tokensById holds every record in the order issued; a hash maps to its latest record.
    const hashes = new Map<TokenRecord, string>();
    for (const [hash, record] of this.tokens) hashes.set(record, hash);
    return { tokens: [...this.tokensById.values()].map((record) => [hashes.get(record) ?? '', { ...record }] as const), revision: this.revision };
  }

  restore(snapshot: TokenProjectionSnapshot): void {
    for (const [hash, saved] of snapshot.tokens) {
      const record: TokenRecord = { ...saved };
      if (hash !== '') this.tokens.set(hash, record);
      this.tokensById.set(record.tokenId, record);
    }
    this.revision = snapshot.revision;
  }

  token(tokenHash: string): TokenRecord | undefined {
    return this.tokens.get(tokenHash);
  }

  tokenById(tokenId: string): TokenRecord | undefined {
    return this.tokensById.get(tokenId);
  }

  /** Every token ever issued, in the order issued. */
  all(): TokenRecord[] {
    return [...this.tokensById.values()];
  }

  /** Tokens neither revoked nor expired at the moment given. */
  live(now: string): TokenRecord[] {
    return this.all().filter((token) => token.revokedAt === null && token.expiresAt > now);
  }

  hasLiveWithRole(role: Role, now: string): boolean {
    return this.live(now).some((token) => token.role === role);
  }
}
