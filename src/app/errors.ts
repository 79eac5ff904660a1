/** Failures of the application layer that are not domain rules; the HTTP layer maps each once. */

/** The If-Match revision no longer matches the stream (HTTP 412). */
export class StaleRevisionError extends Error {
  override readonly name = 'StaleRevisionError';
  constructor(readonly streamId: string, readonly expected: number, readonly actual: number | null) {
    super(`stream ${streamId} is at revision ${actual ?? 'none'}, not ${expected}`);
  }
}

/** An Idempotency-Key was used before with another request (HTTP 422). */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used with a different request`);
  }
}

/** Optimistic concurrency kept failing within the retry bound (HTTP 409, safe to retry). */
export class ContentionError extends Error {
  override readonly name = 'ContentionError';
  constructor(readonly streamId: string, readonly attempts: number) {
    super(`stream ${streamId} changed under ${attempts} attempts in a row; try again`);
  }
}

/**
 * The read model is being rebuilt from the log (a new projection version, or an unusable
 * snapshot) and cannot take this request yet (HTTP 503 with Retry-After): a command while any
 * rebuild runs, a query while there is no earlier read model to answer from.
 */
export class ReadModelRebuildingError extends Error {
  override readonly name = 'ReadModelRebuildingError';
  constructor(
    what: string,
    readonly progress: { readonly applied: number; readonly of: number },
    /** A guess from the rebuild's pace so far, within 1 to 30 s. */
    readonly retryAfterSeconds: number,
  ) {
    super(`${what}: the read model is being rebuilt from the log (position ${progress.applied} of ${progress.of}); try again shortly`);
  }
}
