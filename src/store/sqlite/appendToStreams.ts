import type { AppendResult, StreamAppend } from '../port.js';
import { appendInTransaction, flush } from './append.js';
import { perConnection, type SqliteSession } from './session.js';
import { catchUpSignedLog, pushAndSign } from './signedHeads.js';

/**
 * Several streams in one BEGIN IMMEDIATE … COMMIT: an import that touches many grants and
 * budgets is stored whole or not at all. Appends already queued for the group commit are
 * committed first, so the log's order is the order the appends were made in.
 */
export function appendToStreams(session: SqliteSession, appends: readonly StreamAppend[]): Promise<AppendResult[]> {
  if (appends.length === 0 || appends.some((append) => append.events.length === 0)) return Promise.reject(new Error('every append needs at least one event'));
  if (session.closed) return Promise.reject(session.closedError());
  while (session.pending.length > 0) flush(session);
  let results: AppendResult[];
  try {
    session.assertFileInPlace();
    if (session.reopenBeforeWrite) session.reconnect();
    results = commitStreamsOf(session).immediate(appends);
  } catch (error) {
    session.merkle = null;
    return Promise.reject(session.noteFault(error));
  }
  session.stats.commits += 1;
  session.stats.appends += appends.length;
  session.reopenBeforeWrite = false;
  session.writeFailure = null;
  const committed = results.flatMap((result) => result.events).sort((a, b) => a.position - b.position);
  session.notify(committed);
  return Promise.resolve(results);
}

const commitStreamsOf = perConnection((session) =>
  session.db.transaction((appends: readonly StreamAppend[]): AppendResult[] => {
    const recordedAt = session.nextRecordedAt();
    if (session.signer) catchUpSignedLog(session);
    const results = appends.map((append) => appendInTransaction(session, append.streamId, append.events, append.expectedRevision, recordedAt));
    if (session.signer) pushAndSign(session, results.flatMap((result) => result.events), recordedAt);
    return results;
  }),
);
