import type { ReadStreamOptions, RecordedEvent } from '../port.js';
import { toRecordedEvent } from './rows.js';
import type { SqliteSession } from './session.js';

export async function* readStream(session: SqliteSession, streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
  let from = options.fromRevision ?? 0;
  let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
  while (left > 0) {
    session.assertOpen();
    const rows = session.statements.readStream.all(streamId, from, Math.min(session.pageSize, left));
    for (const row of rows) yield toRecordedEvent(row);
    if (rows.length < Math.min(session.pageSize, left)) return;
    left -= rows.length;
    from = rows[rows.length - 1]!.revision + 1;
  }
}
