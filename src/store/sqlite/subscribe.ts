import type { EventHandler, RecordedEvent, SubscribeOptions, Subscription } from '../port.js';
import { readAllPage } from './readAll.js';
import type { SqliteSession } from './session.js';

/**
 * Delivers the log after a position, then new events: this process's own commits as they are
 * made, other processes' by polling every pollIntervalMs.
 */
export function subscribeToAll(session: SqliteSession, options: SubscribeOptions, handler: EventHandler): Subscription {
  let cursor = options.after ?? 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  // Events this process just committed. When they follow the cursor without a gap they are
  // delivered as they are; otherwise (another process wrote in between) the page is read.
  let inbox: RecordedEvent[] = [];
  const signal = (committed: readonly RecordedEvent[] = []) => {
    if (committed.length > 0) inbox.push(...committed);
    wake?.();
  };
  session.listeners.add(signal);
  const sleep = () =>
    new Promise<void>((resolveSleep) => {
      const timer = setTimeout(() => {
        wake = null;
        resolveSleep();
      }, session.pollIntervalMs);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolveSleep();
      };
    });
  const nextEvents = (): RecordedEvent[] => {
    const pending = inbox.filter((event) => event.position > cursor);
    inbox = [];
    const contiguous = pending.length > 0 && pending.every((event, index) => event.position === cursor + 1 + index);
    return contiguous ? pending : readAllPage(session, cursor, session.pageSize);
  };
  const loop = async () => {
    try {
      while (!stopped && !session.closed) {
        const events = nextEvents();
        for (const event of events) {
          if (stopped) return;
          // A handler that finishes at once is not awaited: a turn of the microtask queue per
          // event added up over every commit's events.
          const handled = handler(event);
          if (handled !== undefined) await handled;
          cursor = event.position;
        }
        if (events.length < session.pageSize && inbox.length === 0) await sleep();
      }
    } finally {
      session.listeners.delete(signal);
    }
  };
  const done = loop();
  done.catch(() => undefined); // the caller observes failures through `done`
  return {
    done,
    stop: async () => {
      stopped = true;
      signal();
      await done.catch(() => undefined);
    },
  };
}
