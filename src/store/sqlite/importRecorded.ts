import { ChainVerifier, describeChainFailure } from '../hashChain.js';
import { ImportRefusedError, type ImportOptions, type RecordedEvent } from '../port.js';
import { translate } from './faults.js';
import type { SqliteSession } from './session.js';
import { catchUpSignedLog, insertSignedHead } from './signedHeads.js';

/**
 * Loads an export into this store, which must be empty, in one transaction: a failure leaves
 * the store empty. Every event must come after the previous one in global order and pass the
 * ChainVerifier that verify uses (it continues its stream's hash chain and is not recorded
 * before the event ahead of it). Ids, positions, recordedAt and hashes are kept, so the copy has the same
 * digest as the original.
 */
export async function importRecorded(session: SqliteSession, events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: ImportOptions = {}): Promise<number> {
  session.assertOpen();
  const batchSize = 5000;
  try {
    session.db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    throw translate(error, session.path);
  }
  let count = 0;
  try {
    if ((session.statements.head.get()?.position ?? 0) !== 0) throw new ImportRefusedError(`${session.description} is not empty: import only into an empty store`);
    const verifier = new ChainVerifier();
    let previous: RecordedEvent | null = null;
    let batch: RecordedEvent[] = [];
    const flush = () => {
      for (const event of batch) insertRecorded(session, event);
      count += batch.length;
      batch = [];
      options.onProgress?.(count);
    };
    for await (const event of events) {
      if (previous !== null && event.position <= previous.position) {
        throw new ImportRefusedError(`event ${event.eventId} at position ${event.position} does not come after position ${previous.position}`);
      }
      if (!Number.isSafeInteger(event.position) || event.position < 1) throw new ImportRefusedError(`event ${event.eventId} has no valid position`);
      const failure = verifier.check(event);
      if (failure) throw new ImportRefusedError(describeChainFailure(failure));
      previous = event;
      batch.push(event);
      if (batch.length >= batchSize) flush();
    }
    flush();
    if (session.signer && count > 0) {
      // The copy is signed with this store's key: its first head adopts the imported log.
      session.merkle = null;
      catchUpSignedLog(session);
      insertSignedHead(session, previous!.metadata.recordedAt);
    }
    session.db.exec('COMMIT');
  } catch (error) {
    session.merkle = null;
    if (session.db.inTransaction) session.db.exec('ROLLBACK');
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new ImportRefusedError(`duplicate event: ${(error as Error).message}`);
    }
    throw translate(error, session.path);
  }
  session.notify([]);
  return count;
}

function insertRecorded(session: SqliteSession, event: RecordedEvent): void {
  session.statements.insertRecorded.run(
    event.position,
    event.streamId,
    event.revision,
    event.eventId,
    event.type,
    JSON.stringify(event.data),
    event.metadata.actor,
    event.metadata.commandId,
    event.metadata.correlationId,
    event.metadata.requestHash ?? null,
    event.metadata.tokenId ?? null,
    event.metadata.schemaVersion ?? null,
    event.metadata.recordedAt,
    event.metadata.prevHash,
    event.metadata.hash,
  );
}
