/**
 * Counts failed authentications per client address in fixed windows, so a client guessing tokens
 * is slowed to a handful of guesses a minute. Memory is bounded: beyond `clientsMax` addresses the
 * oldest window is forgotten first.
 */
export interface AuthFailureLimit {
  /** Failed attempts allowed per window; the next one is refused. @defaultValue 20 */
  readonly failuresMax: number;
  /** @defaultValue 60000 */
  readonly windowMs: number;
  /** Client addresses remembered at most. @defaultValue 10000 */
  readonly clientsMax: number;
}

export const DEFAULT_AUTH_FAILURE_LIMIT: AuthFailureLimit = { failuresMax: 20, windowMs: 60_000, clientsMax: 10_000 };

export class AuthFailureLimiter {
  private readonly clients = new Map<string, { failures: number; windowStartMs: number }>();

  constructor(
    private readonly limit: AuthFailureLimit = DEFAULT_AUTH_FAILURE_LIMIT,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Seconds the client must wait before presenting a token again; 0 when it may now. */
  retryAfterSeconds(client: string): number {
    const entry = this.clients.get(client);
    if (!entry) return 0;
    const elapsedMs = this.nowMs() - entry.windowStartMs;
    if (elapsedMs >= this.limit.windowMs) {
      this.clients.delete(client);
      return 0;
    }
    return entry.failures >= this.limit.failuresMax ? Math.ceil((this.limit.windowMs - elapsedMs) / 1000) : 0;
  }

  recordFailure(client: string): void {
    const now = this.nowMs();
    const entry = this.clients.get(client);
    if (entry && now - entry.windowStartMs < this.limit.windowMs) {
      entry.failures += 1;
      return;
    }
    this.clients.delete(client);
    this.clients.set(client, { failures: 1, windowStartMs: now });
    if (this.clients.size > this.limit.clientsMax) this.clients.delete(this.clients.keys().next().value!);
  }

  /** Addresses currently remembered (for tests of the memory bound). */
  get size(): number {
    return this.clients.size;
  }
}
