import { START, type AllStreamResolvedEvent, type Position } from '@eventstore/db-client';
import type { ReadAllOptions, RecordedEvent } from '../port.js';
import { translateClientError } from './clientErrors.js';
import { isLedgerEvent, resumePosition, toRecordedEvent } from './ledgerEvents.js';
import type { EsdbSession } from './session.js';

export async function* readAll(session: EsdbSession, options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
  session.assertOpen();
  let after = options.after ?? 0;
  let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
  let from: Position | typeof START = options.after === undefined ? START : resumePosition(options.after);
  while (left > 0) {
    let page: AllStreamResolvedEvent[];
    try {
      const pageFrom: Position | typeof START = from;
      page = await session.retryingUnavailable(() => session.readAllPage(pageFrom, session.pageSize, 'forwards'));
    } catch (error) {
      throw translateClientError(error, session.description);
    }
    for (const resolved of page) {
      if (!isLedgerEvent(resolved)) continue;
      const recorded = toRecordedEvent(resolved);
      if (!recorded || recorded.position <= after) continue;
      yield recorded;
      after = recorded.position;
      left -= 1;
      if (left === 0) return;
    }
    if (page.length < session.pageSize) return;
    // Continue from the last raw event's full position; it is read again and dropped above.
    const lastPosition = page[page.length - 1]!.event?.position;
    if (!lastPosition) return;
    from = lastPosition;
  }
}
