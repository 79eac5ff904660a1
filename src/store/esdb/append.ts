import { randomUUID } from 'node:crypto';
import { NO_STREAM, END, FORWARDS, START, WrongExpectedVersionError as ClientWrongExpectedVersionError, jsonEvent } from '@eventstore/db-client';
import { GENESIS_HASH, hashOf } from '../hashChain.js';
import { DuplicateEventIdError, WrongExpectedVersionError, type AppendResult, type ExpectedRevision, type NewEvent, type RecordedMetadata } from '../port.js';
import { translateClientError } from './clientErrors.js';
import { ensureTreeHeads, signThrough } from './treeHeads.js';
import { ON_LEADER, toAppendResult, toTip, type AppendTarget, type EsdbSession } from './session.js';

/**
 * Event ids: EventStoreDB recognises a re-sent event id only inside its stream, at the revision an
 * append names. That is all the ledger needs: its command handler derives every event id from the
 * command and the stream (app/ids.ts), so one id can never be meant for two streams, and it always
 * appends at the exact revision it decided on, so a re-sent append is recognised by the server. (Up
 * to issue 13 each id was first claimed in a `$grantledger-event-id-<id>` stream of its own: one more
 * append per event, and write rights on `$` streams, which only admins have by default.)
 */


export async function appendToStream(
  session: EsdbSession,
  streamId: string,
  events: readonly NewEvent[],
  options: { expectedRevision: ExpectedRevision },
): Promise<AppendResult> {
  if (events.length === 0) throw new Error('an append needs at least one event');
  if (new Set(events.map((event) => event.eventId)).size !== events.length) throw new Error('an append must not repeat an event id');
  session.assertOpen();
  const expected = options.expectedRevision;
  let result: AppendResult;
  try {
    // With a signer, a log that no longer matches its signed heads is refused before writing.
    if (session.signer) await session.oneSigningAtATime(() => ensureTreeHeads(session));
    result = await session.retryingUnavailable(() => appendOnce(session, streamId, events, expected));
  } catch (error) {
    throw translateClientError(error, session.description, { streamId, expected });
  }
  // The events are stored; a head over them follows (see treeHeads.ts). A re-sent append that
  // was stored before is signed here too, in case its first attempt ended before its head.
  await signThrough(session, result.events);
  return result;
}

/**
 * One append: chain to the expected event, then write with that exact revision, so the server
 * both protects the chain and recognises a re-sent append. `any` and `stream_exists` name no
 * revision, so losing a race to another writer only means reading the new head and trying
 * again, a bounded number of times.
 */
async function appendOnce(session: EsdbSession, streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
  for (const commandId of new Set(events.map((event) => event.metadata.commandId))) await claimCommand(session, streamId, commandId, events[0]!.eventId);
  for (let attempt = 1; ; attempt += 1) {
    const target = await resolveTarget(session, streamId, expected, events);
    if ('stored' in target) return target.stored;
    try {
      return await write(session, streamId, events, target);
    } catch (error) {
      const retriable = expected === 'any' || expected === 'stream_exists';
      if (error instanceof ClientWrongExpectedVersionError && retriable && attempt < session.appendAttemptsMax) continue;
      throw error;
    }
  }
}

const COMMAND_STREAM_PREFIX = '$grantledger-command-';
const COMMAND_EVENT_TYPE = '$grantledger-command-stream';

/**
 * A command (its Idempotency-Key) belongs to one stream. Event ids derive from the command and
 * the stream, so a key reused for a command on another stream yields other ids, which no server
 * check catches; the HTTP API answers such a reuse 422. So the first append of a command claims
 * the command for its stream, once per command rather than once per event: a `$` stream created
 * with NO_STREAM, so the server decides which stream got a command first. Claims this process made
 * are remembered, so retries and further appends of the command cost nothing.
 */
async function claimCommand(session: EsdbSession, streamId: string, commandId: string, eventId: string): Promise<void> {
  const claim = `${commandId}\n${streamId}`;
  if (session.claimedCommands.has(claim)) return;
  const reservationStream = `${COMMAND_STREAM_PREFIX}${commandId}`;
  try {
    await session.client.appendToStream(reservationStream, jsonEvent({ id: randomUUID(), type: COMMAND_EVENT_TYPE, data: { streamId } }), {
      expectedRevision: NO_STREAM,
      ...ON_LEADER,
    });
  } catch (error) {
    if (!(error instanceof ClientWrongExpectedVersionError)) throw error;
    let claimedFor: unknown;
    for await (const resolved of session.client.readStream(reservationStream, { fromRevision: START, maxCount: 1, direction: FORWARDS, ...ON_LEADER })) {
      claimedFor = (resolved.event?.data as { streamId?: unknown } | undefined)?.streamId;
    }
    if (claimedFor !== streamId) throw new DuplicateEventIdError(eventId, streamId);
  }
  session.rememberClaim(claim);
}

/**
 * Reads the event the append chains to, refusing early what the server would refuse. With `any`
 * or `stream_exists` the head is read as deep as the append is long, in the same round trip: when
 * the stream ends with exactly these event ids, this very append was stored before (a retry after
 * a lost answer) and its stored events are the answer, as the SQLite store answers.
 */
async function resolveTarget(session: EsdbSession, streamId: string, expected: ExpectedRevision, events: readonly NewEvent[]): Promise<AppendTarget | { stored: AppendResult }> {
  if (expected === 'no_stream') return { tip: null };
  if (typeof expected === 'number') {
    const known = session.tips.get(streamId);
    if (known?.revision === expected) return { tip: known };
    const [atExpected] = await session.readRaw(streamId, BigInt(expected), 1, 'forwards');
    if (atExpected && atExpected.revision === expected) return { tip: toTip(atExpected) };
    const head = await session.readHead(streamId);
    if (head && head.revision === expected) return { tip: toTip(head) };
    throw new WrongExpectedVersionError(streamId, expected, head ? head.revision : 'no_stream');
  }
  const tail = (await session.readRaw(streamId, END, events.length, 'backwards')).reverse();
  const head = tail[tail.length - 1];
  if (!head && expected === 'stream_exists') throw new WrongExpectedVersionError(streamId, expected, 'no_stream');
  if (tail.length === events.length && tail.every((event, index) => event.eventId === events[index]!.eventId)) return { stored: toAppendResult(tail) };
  return { tip: head ? toTip(head) : null };
}

async function write(session: EsdbSession, streamId: string, events: readonly NewEvent[], target: AppendTarget): Promise<AppendResult> {
  const firstRevision = target.tip ? target.tip.revision + 1 : 0;
  await session.oneWriteAtATime(async () => {
    await sendStamped(session, streamId, events, target, firstRevision);
    // Known as this process's own before any other append of it signs over them.
    if (session.signer) for (const event of events) session.ownUnsigned.add(event.eventId);
  });
  // Read the events back rather than trusting what was sent: when the server recognised a
  // re-sent append it wrote nothing, and the stored events carry the first attempt's time and hashes.
  const stored = await session.readRaw(streamId, BigInt(firstRevision), events.length, 'forwards');
  const matches = stored.length === events.length && stored.every((event, index) => event.eventId === events[index]!.eventId);
  if (!matches) throw new Error(`append to ${streamId} succeeded but revisions ${firstRevision}.. do not hold its events`);
  session.rememberTip(streamId, toTip(stored[stored.length - 1]!));
  return toAppendResult(stored);
}

/** Stamps the events with recordedAt and the hash chain and sends them at the exact revision. */
async function sendStamped(session: EsdbSession, streamId: string, events: readonly NewEvent[], target: AppendTarget, firstRevision: number): Promise<void> {
  // recordedAt never decreases along a stream nor along this process's appends, even if the
  // clock steps back, so "known at a moment" cuts the log at one place.
  const now = session.clock().toISOString();
  const recordedAt = [now, target.tip?.recordedAt ?? '', session.lastRecordedAt].reduce((latest, time) => (time > latest ? time : latest));
  let prevHash = target.tip ? target.tip.hash : GENESIS_HASH;
  const proposed = events.map((event, index) => {
    const revision = firstRevision + index;
    const chained = { ...event.metadata, recordedAt, prevHash };
    const hash = hashOf({ streamId, revision, eventId: event.eventId, type: event.type, data: event.data, metadata: chained });
    const metadata: RecordedMetadata = { ...chained, hash };
    prevHash = hash;
    // The port's data is any JSON value; the client's type only names objects, arrays and strings.
    return jsonEvent({ id: event.eventId, type: event.type, data: event.data as Record<string, unknown>, metadata: { ...metadata } });
  });
  await session.client.appendToStream(streamId, proposed, {
    expectedRevision: target.tip ? BigInt(target.tip.revision) : NO_STREAM,
    ...ON_LEADER,
  });
  if (recordedAt > session.lastRecordedAt) session.lastRecordedAt = recordedAt;
}
