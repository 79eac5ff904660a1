import type { RecordedEvent } from '../port.js';
import { asClientError, translateClientError } from './clientErrors.js';
import { isLedgerEvent, resumePosition, toRecordedEvent } from './ledgerEvents.js';
import type { EsdbSession } from './session.js';
import { StoreUnavailableError } from '../port.js';

/**
 * The ledger event at exactly a position of $all, or null. A position is a byte offset in the
 * server's log: $all is read from the event's own record (P, P), which the read includes. A
 * position inside a record, such as a checkpoint taken on another server's log, is refused by the
 * server (an invalid position); that means no event is there, while a server that cannot be
 * reached is StoreUnavailableError as everywhere else.
 */
export async function eventAt(session: EsdbSession, position: number): Promise<RecordedEvent | null> {
  session.assertOpen();
  let page;
  try {
    page = await session.retryingUnavailable(() => session.readAllPage(resumePosition(position), 1, 'forwards'));
  } catch (error) {
    const translated = translateClientError(error, session.description);
    if (translated instanceof StoreUnavailableError || asClientError(error) === undefined) throw translated;
    return null;
  }
  const [resolved] = page;
  if (!resolved || !isLedgerEvent(resolved)) return null;
  const event = toRecordedEvent(resolved);
  return event && event.position === position ? event : null;
}
