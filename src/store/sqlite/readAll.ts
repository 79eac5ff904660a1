import type { ReadAllOptions, RecordedEvent } from '../port.js';
import { toRecordedEvent } from './rows.js';
import type { SqliteSession } from './session.js';

export async function* readAll(session: SqliteSession, options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
  let after = options.after ?? 0;
  let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
  while (left > 0) {
    session.assertOpen();
    const rows = session.statements.readAll.all(after, Math.min(session.pageSize, left));
    for (const row of rows) yield toRecordedEvent(row);
    if (rows.length < Math.min(session.pageSize, left)) return;
    left -= rows.length;
    after = rows[rows.length - 1]!.position;
  }
}

/** One page of the log as rows, for callers that stream millions of events. */
export function readAllPage(session: SqliteSession, after: number, limit: number): RecordedEvent[] {
  session.assertOpen();
  return session.statements.readAll.all(after, limit).map(toRecordedEvent);
}
