import type Database from 'better-sqlite3';
import { eventHash, GENESIS_HASH } from '../hashChain.js';
import {
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '../port.js';
import { toRecordedEvent } from './rows.js';
import { perConnection, type PendingAppend, type SqliteSession } from './session.js';
import { catchUpSignedLog, pushAndSign } from './signedHeads.js';

type AppendOutcome = { result: AppendResult } | { error: unknown };

/**
 * Appends join the next group commit: every append that arrives before the current turn of the
 * event loop ends shares one BEGIN IMMEDIATE … COMMIT, so one fsync makes many appends durable.
 * Each is checked against its own expected revision, so a conflict fails only its own append (a
 * refused append leaves nothing behind: see appendOneOf). A promise resolves only after the commit is durable.
 */
export function appendToStream(session: SqliteSession, streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
  if (events.length === 0) return Promise.reject(new Error('an append needs at least one event'));
  if (session.closed) return Promise.reject(session.closedError());
  return new Promise((resolve, reject) => {
    session.pending.push({ streamId, events, expectedRevision: options.expectedRevision, resolve, reject });
    if (!session.flushScheduled) {
      session.flushScheduled = true;
      setImmediate(() => flush(session));
    }
  });
}

/** Commits the appends waiting (at most maxAppendsPerCommit of them) as one group. */
export function flush(session: SqliteSession): void {
  session.flushScheduled = false;
  const batch = session.pending.splice(0, session.maxAppendsPerCommit);
  if (session.pending.length > 0) {
    session.flushScheduled = true;
    setImmediate(() => flush(session));
  }
  if (batch.length === 0) return;
  if (session.closed) {
    for (const append of batch) append.reject(session.closedError());
    return;
  }
  let outcomes: AppendOutcome[];
  try {
    session.assertFileInPlace();
    if (session.reopenBeforeWrite) session.reconnect();
    outcomes = commitGroupOf(session).immediate(batch);
  } catch (error) {
    // The commit itself failed (disk full, read-only, locked): nothing of the batch is stored,
    // and the tree may hold hashes of events that were rolled back: it is rebuilt next time.
    session.merkle = null;
    const translated = session.noteFault(error);
    for (const append of batch) append.reject(translated);
    return;
  }
  session.stats.commits += 1;
  session.stats.appends += batch.length;
  // Only an append that got through proves the file writable again.
  if (outcomes.some((outcome) => 'result' in outcome)) {
    session.reopenBeforeWrite = false;
    session.writeFailure = null;
  }
  const committed: RecordedEvent[] = [];
  for (const [index, append] of batch.entries()) {
    const outcome = outcomes[index]!;
    if ('result' in outcome) {
      append.resolve(outcome.result);
      committed.push(...outcome.result.events);
    } else {
      append.reject(session.noteFault(outcome.error));
    }
  }
  committed.sort((a, b) => a.position - b.position);
  session.notify(committed);
}

/** One group commit: every append checked on its own, all made durable by one COMMIT. */
const commitGroupOf = perConnection((session) =>
  session.db.transaction((batch: readonly PendingAppend[]): AppendOutcome[] => {
    // recordedAt never decreases along the log, even if the clock steps back, so "known at a
    // moment" always cuts the log at one position. Read inside the write lock: other processes
    // may have written since.
    const recordedAt = session.nextRecordedAt();
    if (session.signer) catchUpSignedLog(session);
    const appendOne = appendOneOf(session);
    const outcomes: AppendOutcome[] = batch.map((append) => {
      try {
        // A refused append rolls back alone: it wrote nothing, or its savepoint is rolled back.
        return { result: appendOne(append.streamId, append.events, append.expectedRevision, recordedAt) };
      } catch (error) {
        // Only the append's own refusals stay its own. Anything else (disk full, I/O) may have
        // ended the whole transaction, so the whole group fails together and nothing is half-stored.
        if (session.db.inTransaction && (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError)) return { error };
        throw error;
      }
    });
    if (session.signer) pushAndSign(session, outcomes.flatMap((outcome) => ('result' in outcome ? outcome.result.events : [])), recordedAt);
    return outcomes;
  }),
);

/**
 * One append of a group. An append of several events runs in its own savepoint: a refusal found
 * at its second or later event (an id stored before) must take back the events it wrote. A
 * one-event append needs none, and skips its cost: everything it may be refused for is checked
 * before it writes, and its one INSERT either stores the row or fails whole (SQLite undoes a
 * failed statement), so a refused one-event append leaves nothing behind either.
 */
const appendOneOf = perConnection((session) => {
  const inSavepoint = session.db.transaction(appendChecked);
  return (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, recordedAt: string): AppendResult =>
    events.length === 1 ? appendChecked(streamId, events, expected, recordedAt) : inSavepoint(streamId, events, expected, recordedAt);

  function appendChecked(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, recordedAt: string): AppendResult {
    // A command belongs to one stream: event ids derive from the command and the stream, so a
    // command id (an Idempotency-Key) reused on another stream is caught here, as EventStoreDB's
    // command claim catches it. Multi-stream transactions (appendToStreams) may span streams.
    if (events.length === 1) {
      if (session.statements.commandElsewhere.get(events[0]!.metadata.commandId, streamId)) throw new DuplicateEventIdError(events[0]!.eventId, streamId);
    } else {
      for (const commandId of new Set(events.map((event) => event.metadata.commandId))) {
        if (session.statements.commandElsewhere.get(commandId, streamId)) throw new DuplicateEventIdError(events[0]!.eventId, streamId);
      }
    }
    return appendInTransaction(session, streamId, events, expected, recordedAt);
  }
});

/** Checks the expected revision and inserts the events, chained, inside the caller's transaction. */
export function appendInTransaction(session: SqliteSession, streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, recordedAt: string): AppendResult {
  const head = session.statements.streamHead.get(streamId);
  const matches =
    expected === 'any' ||
    (expected === 'no_stream' && head === undefined) ||
    (expected === 'stream_exists' && head !== undefined) ||
    (typeof expected === 'number' && head !== undefined && head.revision === expected);
  if (!matches) {
    // The stream moved, perhaps by this very append sent before (a retry after a lost answer).
    const replayed = alreadyAppended(session, streamId, events, expected);
    if (replayed) return replayed;
    throw new WrongExpectedVersionError(streamId, expected, head ? head.revision : 'no_stream');
  }
  let revision = head ? head.revision : -1;
  let prevHash = head ? head.hash : GENESIS_HASH;
  const recorded: RecordedEvent[] = [];
  for (const [index, event] of events.entries()) {
    revision += 1;
    const { actor, commandId, correlationId, tokenId, requestHash, schemaVersion } = event.metadata;
    // What the hash covers, in one object (eventHash reads only the fields it covers).
    const hash = eventHash(prevHash, { ...event.metadata, streamId, revision, eventId: event.eventId, type: event.type, recordedAt, data: event.data });
    let info: Database.RunResult;
    try {
      info = session.statements.insert.run(
        streamId, revision, event.eventId, event.type, JSON.stringify(event.data),
        actor, commandId, correlationId, requestHash ?? null, tokenId ?? null, schemaVersion ?? null, recordedAt, prevHash, hash,
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('event_id')) {
        // Only a whole append stored before is a repeat (with 'any' it may sit anywhere in the stream).
        const replayed = index === 0 ? alreadyAppended(session, streamId, events, expected) : null;
        if (replayed) return replayed;
        throw new DuplicateEventIdError(event.eventId, streamId);
      }
      throw error;
    }
    recorded.push({
      eventId: event.eventId,
      streamId,
      type: event.type,
      revision,
      position: Number(info.lastInsertRowid),
      data: event.data,
      metadata: { ...event.metadata, recordedAt, prevHash, hash },
    });
    prevHash = hash;
  }
  const lastEvent = recorded[recorded.length - 1]!;
  return { nextExpectedRevision: lastEvent.revision, position: lastEvent.position, events: recorded };
}

/**
 * As EventStoreDB does: an append whose event ids are already stored, in this stream, in the
 * same order, right after the expected revision, succeeded before; it returns that result.
 */
function alreadyAppended(session: SqliteSession, streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult | null {
  const first = session.statements.byEventId.get(events[0]!.eventId);
  if (!first) return null;
  if (first.stream_id !== streamId) throw new DuplicateEventIdError(first.event_id, streamId);
  const expectedFirstRevision = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : first.revision;
  if (first.revision !== expectedFirstRevision) return null;
  const stored: RecordedEvent[] = [];
  for (const [index, event] of events.entries()) {
    const row = session.statements.byEventId.get(event.eventId);
    if (!row || row.stream_id !== streamId || row.revision !== first.revision + index) {
      throw new DuplicateEventIdError(event.eventId, streamId);
    }
    stored.push(toRecordedEvent(row));
  }
  const lastEvent = stored[stored.length - 1]!;
  return { nextExpectedRevision: lastEvent.revision, position: lastEvent.position, events: stored };
}
