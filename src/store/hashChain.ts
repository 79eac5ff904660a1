import { hash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** What the hash covers: everything that says what happened, where, when and by whom. */
export interface HashedFields {
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly commandId: string;
  readonly correlationId: string;
  /**
   * The token that wrote it. Events recorded before tokenIds existed have none; their hash covers
   * neither this nor requestHash (so old logs still verify). Every newer event has one, and its
   * hash covers both, requestHash as null when the event has none.
   */
  readonly tokenId?: string | undefined;
  readonly requestHash?: string | undefined;
  /** The schema version of the data as written (see OPTIONAL_HASHED_METADATA); absent on old events. */
  readonly schemaVersion?: number | undefined;
  readonly data: unknown;
}

/**
 * Metadata fields the hash covers only when an event has them: events written before a field
 * existed lack it and keep the hashes they were stored with. This is the one list of them: a new
 * optional metadata field (who signed in, through which issuer, …) is named here, in HashedFields
 * and in the port's EventMetadata; hashedFieldsOf and eventHash then carry it without other changes.
 */
export const OPTIONAL_HASHED_METADATA = ['schemaVersion'] as const satisfies ReadonlyArray<keyof HashedFields & keyof ChainedEvent['metadata']>;

/**
 * JSON with object keys sorted at every level and no insignificant white space, so the same event
 * always has the same bytes whichever store or process wrote it. Event data holds only strings,
 * booleans, integers and nested objects, for which this equals RFC 8785's canonical form.
 */
export function canonicalJson(value: unknown): string {
  const copy = canonicalCopy(value);
  return copy === UNCOMMON ? canonicalJsonOfAnything(value) : JSON.stringify(copy);
}

/** What canonicalCopy answers for a value it leaves to canonicalJsonOfAnything. */
const UNCOMMON: unique symbol = Symbol('uncommon');

/**
 * A copy of value whose JSON.stringify is exactly its canonical JSON (objects rebuilt with their
 * keys inserted in sorted order), so an event is serialised by one native call instead of one
 * per key and value. Anything this cannot promise is UNCOMMON and goes the general way: numbers
 * that are not safe integers and undefined (refused there), holes in arrays, objects with toJSON,
 * keys an object would not keep in insertion order (those that start with a digit, which may be
 * array indices) and __proto__, and any other type.
 */
function canonicalCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? value : UNCOMMON;
    case 'object': {
      if (value === null) return null;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return UNCOMMON;
      if (Array.isArray(value)) {
        const items: unknown[] = [];
        for (let index = 0; index < value.length; index += 1) {
          if (!(index in value)) return UNCOMMON;
          const item = canonicalCopy(value[index]);
          if (item === UNCOMMON) return UNCOMMON;
          items.push(item);
        }
        return items;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const copy: Record<string, unknown> = {};
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        const first = key.charCodeAt(0);
        if ((first >= 48 && first <= 57) || key === '__proto__') return UNCOMMON;
        const memberCopy = canonicalCopy(member);
        if (memberCopy === UNCOMMON) return UNCOMMON;
        copy[key] = memberCopy;
      }
      return copy;
    }
    default:
      return UNCOMMON;
  }
}

/** canonicalJson for any value, by hand: what canonicalCopy leaves to it, refusing what cannot be hashed. */
function canonicalJsonOfAnything(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`cannot hash the number ${value}`);
    if (value === undefined) throw new Error('cannot hash undefined');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJsonOfAnything).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let json = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (json.length > 1) json += ',';
    json += `${JSON.stringify(key)}:${canonicalJsonOfAnything(member)}`;
  }
  return `${json}}`;
}

/**
 * The keys an event's hash may cover, in the order canonicalJson sorts them, so an event's
 * canonical JSON is built field by field without building the object and sorting its keys.
 */
const HASHED_KEYS: readonly string[] = [
  'streamId', 'revision', 'eventId', 'type', 'recordedAt', 'actor', 'commandId', 'correlationId', 'data', 'tokenId', 'requestHash', ...OPTIONAL_HASHED_METADATA,
].sort();

/**
 * The canonical JSON the hash covers: exactly canonicalJson of { streamId, revision, eventId, type,
 * recordedAt, actor, commandId, correlationId, data, tokenId and requestHash (null when absent)
 * if the event has a tokenId, and the optional metadata it has }.
 */
function hashedJson(fields: HashedFields): string {
  const source = fields as unknown as Record<string, unknown>;
  const hashed: Record<string, unknown> = {};
  for (const key of HASHED_KEYS) {
    const member = key === 'requestHash' ? (fields.tokenId === undefined ? undefined : (fields.requestHash ?? null)) : source[key];
    if (member === undefined) continue;
    const copy = canonicalCopy(member);
    if (copy === UNCOMMON) return canonicalJsonOfAnything(hashedRecordOf(fields));
    hashed[key] = copy;
  }
  return JSON.stringify(hashed);
}

/** The record hashedJson serialises, for the general way. */
function hashedRecordOf(fields: HashedFields): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const key of HASHED_KEYS) {
    record[key] = key === 'requestHash' ? (fields.tokenId === undefined ? undefined : (fields.requestHash ?? null)) : (fields as unknown as Record<string, unknown>)[key];
  }
  return record;
}

export function eventHash(prevHash: string, fields: HashedFields): string {
  // One-shot hash of one string: the same UTF-8 bytes as updating with prevHash and then the JSON.
  return hash('sha256', prevHash + hashedJson(fields), 'hex');
}

/** The optional metadata fields an event has (absent ones left out, so old events hash as before). */
function optionalMetadataOf(source: Partial<Record<(typeof OPTIONAL_HASHED_METADATA)[number], unknown>>): Record<string, unknown> {
  const present: Record<string, unknown> = {};
  for (const key of OPTIONAL_HASHED_METADATA) if (source[key] !== undefined) present[key] = source[key];
  return present;
}

/** An event about to be chained: everything its hash covers, before it has a hash. */
export type UnchainedEvent = Omit<ChainedEvent, 'metadata'> & { readonly metadata: Omit<ChainedEvent['metadata'], 'prevHash' | 'hash'> };

/** The fields of a stored (or about to be stored) event that its hash covers. */
export function hashedFieldsOf(event: UnchainedEvent): HashedFields {
  return {
    streamId: event.streamId,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    recordedAt: event.metadata.recordedAt,
    actor: event.metadata.actor,
    commandId: event.metadata.commandId,
    correlationId: event.metadata.correlationId,
    tokenId: event.metadata.tokenId,
    requestHash: event.metadata.requestHash,
    ...optionalMetadataOf(event.metadata),
    data: event.data,
  };
}

/** The hash of an event as stored or about to be stored: SHA-256 over its prevHash and its canonical JSON. */
export function hashOf(event: UnchainedEvent & { readonly metadata: { readonly prevHash: string } }): string {
  return eventHash(event.metadata.prevHash, hashedFieldsOf(event));
}

export interface ChainFailure {
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly problem: 'revision-gap' | 'prev-hash-mismatch' | 'hash-mismatch' | 'recorded-before-previous-event';
}

/** The parts of a stored event that its hash covers or links. */
export interface ChainedEvent {
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: {
    readonly recordedAt: string;
    readonly actor: string;
    readonly commandId: string;
    readonly correlationId: string;
    readonly tokenId?: string | undefined;
    readonly requestHash?: string | undefined;
    readonly schemaVersion?: number | undefined;
    readonly prevHash: string;
    readonly hash: string;
  };
}

/** Checks one event against the previous one of its stream (null for the first). */
export function checkLink(previous: ChainedEvent | null, event: ChainedEvent): ChainFailure | null {
  const at = { streamId: event.streamId, revision: event.revision, eventId: event.eventId };
  const expectedRevision = previous === null ? 0 : previous.revision + 1;
  if (event.revision !== expectedRevision) return { ...at, problem: 'revision-gap' };
  const expectedPrev = previous === null ? GENESIS_HASH : previous.metadata.hash;
  if (event.metadata.prevHash !== expectedPrev) return { ...at, problem: 'prev-hash-mismatch' };
  const recomputed = hashOf(event);
  return recomputed === event.metadata.hash ? null : { ...at, problem: 'hash-mismatch' };
}

/**
 * The one verifier of a log read in global order, used by verify (audit.ts) and by both stores'
 * imports: every event must continue its stream's hash chain (checkLink), and recordedAt never
 * decreases along the log (the stores guarantee it, so a decrease means events were moved). It
 * keeps one link per stream, not the events, so a log of millions needs memory by streams.
 */
export class ChainVerifier {
  private readonly heads = new Map<string, ChainedEvent>();
  private lastRecordedAt = '';
  /** Events checked so far. */
  events = 0;

  /** Checks the next event of the log; null when it is sound. The chain goes on from it either way. */
  check(event: ChainedEvent): ChainFailure | null {
    this.events += 1;
    let failure = checkLink(this.heads.get(event.streamId) ?? null, event);
    if (failure === null && event.metadata.recordedAt < this.lastRecordedAt) {
      failure = { streamId: event.streamId, revision: event.revision, eventId: event.eventId, problem: 'recorded-before-previous-event' };
    }
    if (event.metadata.recordedAt > this.lastRecordedAt) this.lastRecordedAt = event.metadata.recordedAt;
    // Only the link fields of a stream head are needed for the next check.
    this.heads.set(event.streamId, { ...event, data: null });
    return failure;
  }

  /** Streams seen so far. */
  get streams(): number {
    return this.heads.size;
  }
}

/** A failure in words, for an import's refusal. */
export function describeChainFailure(failure: ChainFailure): string {
  return failure.problem === 'recorded-before-previous-event'
    ? `event ${failure.eventId} (${failure.streamId} revision ${failure.revision}) is recorded before the event ahead of it`
    : `broken chain: ${failure.problem} at ${failure.streamId} revision ${failure.revision} (event ${failure.eventId})`;
}
