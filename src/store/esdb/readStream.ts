import type { ReadStreamOptions, RecordedEvent } from '../port.js';
import { translateClientError } from './clientErrors.js';
import type { EsdbSession } from './session.js';

export async function* readStream(session: EsdbSession, streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
  session.assertOpen();
  let from = options.fromRevision ?? 0;
  let left = options.maxCount ?? Number.MAX_SAFE_INTEGER;
  while (left > 0) {
    const want = Math.min(session.pageSize, left);
    let page: RecordedEvent[];
    try {
      page = await session.retryingUnavailable(() => session.readRaw(streamId, BigInt(from), want, 'forwards'));
    } catch (error) {
      throw translateClientError(error, session.description);
    }
    yield* page;
    if (page.length < want) return;
    left -= page.length;
    from = page[page.length - 1]!.revision + 1;
  }
}
