import { GrantEvent } from './grant/events.js';
import { BudgetEvent } from './budget/events.js';
import { checkAndShare, compileShapes, shareValues } from './eventShape.js';
import { currentSchemaVersion, upcastData } from './upcast/index.js';

/**
 * The one way stored events enter the domain. A stored event is decoded into its stream's
 * discriminated union: its schema version read (events written before versions existed are
 * version 1), its data upcast to the type's current shape, and that shape checked against the
 * zod schemas (eventShape.ts, compiled from them). Deciders and projections only ever see the
 * current shape; the store and the hash chain only ever see the bytes as they were written.
 */

/** What the domain needs of a stored event (the store's RecordedEvent is one). */
export interface StoredEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly revision: number;
  readonly position: number;
  readonly data: unknown;
  readonly metadata: {
    readonly recordedAt: string;
    /** The schema version of the data as stored; absent on events written before versions existed. */
    readonly schemaVersion?: number | undefined;
  };
}

/** Where an event sits in the log: what a projection keeps of it besides the event itself. */
export interface EventEnvelope {
  readonly eventId: string;
  readonly revision: number;
  readonly position: number;
  readonly metadata: { readonly recordedAt: string };
}

/** A domain event of the current shape, with its place in the log. */
export type Decoded<E> = E & EventEnvelope;
export type DecodedGrantEvent = Decoded<GrantEvent>;
export type DecodedBudgetEvent = Decoded<BudgetEvent>;

/** A stored event that is not an event of its stream, or whose data does not fit its type. */
export class UndecodableEventError extends Error {
  override readonly name = 'UndecodableEventError';
  constructor(readonly event: { readonly streamId: string; readonly position: number; readonly type: string }, readonly reason: string) {
    super(`cannot decode ${event.type} at position ${event.position} of ${event.streamId}: ${reason}`);
  }
}

/** The schema version an event of this type is written at now: stored in its metadata. */
export { currentSchemaVersion };

const GRANT_SHAPES = compileShapes(GrantEvent);
const BUDGET_SHAPES = compileShapes(BudgetEvent);

/**
 * The events of one command are recorded at the same moment: they share one metadata object
 * (it is read only), so a read model keeps one per command rather than one per event.
 */
let lastMetadata: { readonly recordedAt: string } = { recordedAt: '' };

function metadataOf(recordedAt: string): { readonly recordedAt: string } {
  if (lastMetadata.recordedAt !== recordedAt) lastMetadata = { recordedAt };
  return lastMetadata;
}

function decode(shapes: ReturnType<typeof compileShapes>, stored: StoredEvent): EventEnvelope & { type: string; data: unknown } {
  const version = stored.metadata.schemaVersion ?? 1;
  if (!shapes.has(stored.type)) throw new UndecodableEventError(stored, `${stored.type} is not an event of this stream`);
  const current = currentSchemaVersion(stored.type);
  if (!Number.isSafeInteger(version) || version < 1 || version > current) {
    throw new UndecodableEventError(stored, `schema version ${String(version)} is not one this ledger reads (1 to ${current}): written by a newer ledger?`);
  }
  const data = upcastData(stored.type, version, stored.data);
  const { type, problem } = checkAndShare(shapes, stored.type, data);
  if (problem !== null) throw new UndecodableEventError(stored, `its data does not fit ${stored.type} version ${current} (${problem})`);
  // A fresh, compact object: hashes, actors and command ids stay in the store; the type's name and
  // the data's repeated values (dates, amounts, allocation ids) are shared across events.
  return {
    eventId: stored.eventId,
    type,
    revision: stored.revision,
    position: stored.position,
    data,
    metadata: metadataOf(stored.metadata.recordedAt),
  };
}

/**
 * A stored event of a grant stream as a GrantEvent of the current shape; throws
 * UndecodableEventError for anything else. The shape check is what makes the narrowing sound.
 */
export function decodeGrantEvent(stored: StoredEvent): DecodedGrantEvent {
  return decode(GRANT_SHAPES, stored) as DecodedGrantEvent;
}

/** A stored event of a budget stream as a BudgetEvent of the current shape; see decodeGrantEvent. */
export function decodeBudgetEvent(stored: StoredEvent): DecodedBudgetEvent {
  return decode(BUDGET_SHAPES, stored) as DecodedBudgetEvent;
}

/**
 * Grant events a read-model snapshot kept (decoded before they were written, so of the current
 * shape), parsed again from its JSON: their type's name, repeated values and recordedAt shared as
 * decoding shares them, so events read from a snapshot cost what replayed ones do. In place.
 */
export function shareSnapshotGrantEvents<E extends { type: string; data: unknown; metadata: { recordedAt: string } }>(events: E[]): E[] {
  for (const event of events) {
    event.type = shareValues(GRANT_SHAPES, event.type, event.data);
    event.metadata = metadataOf(event.metadata.recordedAt);
  }
  return events;
}
