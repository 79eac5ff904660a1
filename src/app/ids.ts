import { v5 as uuidv5 } from 'uuid';

/** The ledger's own uuid namespace, so its derived ids never collide with other v5 ids. */
const LEDGER_NAMESPACE = '6c3c8f5e-2a4b-5d1e-9f0a-7b8c9d0e1f2a';

/**
 * Event ids derive from the command that caused them: a re-sent command yields the same ids, and
 * the store (SQLite's unique index, EventStoreDB's idempotent append) recognises the repeat.
 */
export function eventIdFor(commandId: string, index: number): string {
  return uuidv5(`${commandId}/event/${index}`, LEDGER_NAMESPACE);
}

/**
 * The id of a command's event in a stream: derived from the command, the stream and the event's
 * place in the command, so a re-sent command yields the same ids (the store recognises the repeat)
 * and no id can ever be meant for two streams, even when a client reuses an Idempotency-Key for a
 * command on another stream: EventStoreDB then needs no store-wide reservation of ids.
 */
export function commandEventIdFor(commandId: string, streamId: string, index: number): string {
  return uuidv5(`${commandId}/stream/${streamId}/event/${index}`, LEDGER_NAMESPACE);
}

/** An entity id derived from an Idempotency-Key, so a repeated "create" targets the same stream. */
export function entityIdFor(commandId: string, kind: string): string {
  return uuidv5(`${commandId}/${kind}`, LEDGER_NAMESPACE);
}
