import { NO_STREAM, jsonEvent } from '@eventstore/db-client';
import { ChainVerifier, describeChainFailure } from '../hashChain.js';
import { ImportRefusedError, type ImportOptions, type RecordedEvent } from '../port.js';
import { translateClientError } from './clientErrors.js';
import { ON_LEADER, type EsdbSession } from './session.js';
import { headPosition } from './headPosition.js';
import { portPosition } from './ledgerEvents.js';
import { signThrough } from './treeHeads.js';

/**
 * Loads events recorded elsewhere (grantledger copy) into this store, which must hold no ledger
 * event: ids, revisions, recordedAt and hashes are written as they are, each event at its exact
 * revision (so the server refuses a stream that is not where the export left it). EventStoreDB cannot roll a batch back,
 * so every event is checked against its stream's chain before it is written, and a refused load
 * leaves a partial target that the copy refuses to reuse; callers verify the source first.
 */
export async function importRecorded(session: EsdbSession, events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: ImportOptions = {}): Promise<number> {
  session.assertOpen();
  if ((await headPosition(session)) !== 0) throw new ImportRefusedError(`${session.description} already holds events`);
  const verifier = new ChainVerifier();
  let lastRecordedAt = '';
  let count = 0;
  let lastStored: { eventId: string; position: number } | null = null;
  try {
    for await (const event of events) {
      const failure = verifier.check(event);
      if (failure) throw new ImportRefusedError(describeChainFailure(failure));
      // Written as recorded: every field the hash covers, and nothing undefined.
      const metadata = JSON.parse(JSON.stringify(event.metadata)) as Record<string, unknown>;
      const appended = await session.retryingUnavailable(() =>
        session.client.appendToStream(event.streamId, jsonEvent({ id: event.eventId, type: event.type, data: event.data as Record<string, unknown>, metadata }), {
          expectedRevision: event.revision === 0 ? NO_STREAM : BigInt(event.revision - 1),
          ...ON_LEADER,
        }),
      );
      lastStored = { eventId: event.eventId, position: portPosition(appended.position, event.eventId) };
      lastRecordedAt = event.metadata.recordedAt;
      count += 1;
      if (count % 500 === 0) options.onProgress?.(count);
    }
  } catch (error) {
    if (error instanceof ImportRefusedError) throw error;
    throw translateClientError(error, session.description, { streamId: '(import)', expected: 'any' });
  }
  if (lastRecordedAt > session.lastRecordedAt) session.lastRecordedAt = lastRecordedAt;
  // One signed head over everything loaded (the store had no event, so the head adopts the log).
  if (lastStored) await signThrough(session, [lastStored]);
  options.onProgress?.(count);
  return count;
}
