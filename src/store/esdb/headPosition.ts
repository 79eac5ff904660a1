import { END, type AllStreamResolvedEvent, type Position } from '@eventstore/db-client';
import { StoreUnavailableError } from '../port.js';
import { translateClientError } from './clientErrors.js';
import { isLedgerEvent, portPosition } from './ledgerEvents.js';
import type { EsdbSession } from './session.js';

export async function headPosition(session: EsdbSession): Promise<number> {
  session.assertOpen();
  // The newest ledger event may sit behind system events (statistics, scavenges), so read
  // backwards page by page; a limit keeps a log of nothing but system events from looping long.
  const pagesMax = 1000;
  let from: Position | typeof END = END;
  try {
    for (let pageIndex = 0; pageIndex < pagesMax; pageIndex += 1) {
      const pageFrom: Position | typeof END = from;
      const page: AllStreamResolvedEvent[] = await session.retryingUnavailable(() => session.readAllPage(pageFrom, session.pageSize, 'backwards'));
      for (const resolved of page) {
        const event = resolved.event;
        if (event && isLedgerEvent(resolved)) return portPosition(event.position, event.id);
      }
      const oldest: Position | undefined = page[page.length - 1]?.event?.position;
      if (page.length < session.pageSize || !oldest) return 0;
      from = oldest;
    }
  } catch (error) {
    throw translateClientError(error, session.description);
  }
  throw new StoreUnavailableError(`${session.description}: no ledger event among the last ${pagesMax * session.pageSize} events of $all`);
}
