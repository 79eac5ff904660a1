import type { EventFilter, RecordedEvent } from '../port.js';
import { toRecordedEvent, type EventRow } from './rows.js';
import type { SqliteSession } from './session.js';

/** The events that match a filter ("what did this user record in March"), in global order, a page at a time. */
export async function findEvents(session: SqliteSession, filter: EventFilter, page: { after: number; limit: number }): Promise<RecordedEvent[]> {
  session.assertOpen();
  const conditions = ['position > ?'];
  const values: unknown[] = [page.after];
  if (filter.actor !== undefined) (conditions.push('actor = ?'), values.push(filter.actor));
  if (filter.from !== undefined) (conditions.push('recorded_at >= ?'), values.push(filter.from));
  if (filter.to !== undefined) (conditions.push('recorded_at <= ?'), values.push(filter.to));
  if (filter.type !== undefined) (conditions.push('type = ?'), values.push(filter.type));
  values.push(page.limit);
  const rows = session.db.prepare(`SELECT * FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`).all(...values) as EventRow[];
  return rows.map(toRecordedEvent);
}
