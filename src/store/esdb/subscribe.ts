import { START, excludeSystemEvents, type EventStoreDBClient, type Position } from '@eventstore/db-client';
import { StoreUnavailableError, type EventHandler, type SubscribeOptions, type Subscription } from '../port.js';
import { isTransientForSubscription, translateClientError } from './clientErrors.js';
import { isLedgerEvent, resumePosition, toRecordedEvent } from './ledgerEvents.js';
import { ON_LEADER, type EsdbSession } from './session.js';

/** Raised inside a subscription when the handler threw, so it is not mistaken for a dropped connection. */
class HandlerFailure extends Error {
  constructor(readonly original: unknown) {
    super('subscription handler failed');
  }
}


export function subscribeToAll(session: EsdbSession, options: SubscribeOptions, handler: EventHandler): Subscription {
  session.assertOpen();
  let after = options.after ?? 0;
  let from: Position | typeof START = options.after === undefined ? START : resumePosition(options.after);
  let stopped = false;
  let current: ReturnType<EventStoreDBClient['subscribeToAll']> | null = null;
  let wakeFromPause: (() => void) | null = null;

  const runOnce = async (): Promise<void> => {
    const subscription = session.client.subscribeToAll({ fromPosition: from, filter: excludeSystemEvents(), ...ON_LEADER });
    current = subscription;
    try {
      await deliver(subscription);
    } finally {
      // End the gRPC call whatever ended the iteration (a handler error, a drop, stop()).
      await subscription.unsubscribe().catch(() => undefined);
    }
  };

  const deliver = async (subscription: ReturnType<EventStoreDBClient['subscribeToAll']>): Promise<void> => {
    for await (const resolved of subscription) {
      if (stopped) return;
      const event = resolved.event;
      if (!event || !isLedgerEvent(resolved)) continue;
      const recorded = toRecordedEvent(resolved);
      // Start positions are exclusive, and after a resubscription nothing is delivered twice.
      if (!recorded || recorded.position <= after) continue;
      try {
        await handler(recorded);
      } catch (error) {
        throw new HandlerFailure(error);
      }
      after = recorded.position;
      from = event.position;
    }
  };

  const loop = async (): Promise<void> => {
    let failedAttempts = 0;
    while (!stopped && !session.closed) {
      const deliveredBefore = after;
      try {
        await runOnce();
        // The server ended the subscription without an error: treat it as a dropped connection.
      } catch (error) {
        if (stopped || session.closed) return;
        if (error instanceof HandlerFailure) throw error.original;
        if (!isTransientForSubscription(error)) throw translateClientError(error, session.description);
      } finally {
        current = null;
      }
      if (stopped || session.closed) return;
      failedAttempts = after === deliveredBefore ? failedAttempts + 1 : 1;
      if (failedAttempts > session.resubscribeAttemptsMax) {
        throw new StoreUnavailableError(`${session.description}: subscription dropped ${failedAttempts} times in a row`);
      }
      const delayMs = Math.min(2000, session.resubscribeDelayMs * 2 ** Math.min(failedAttempts - 1, 6));
      // stop() ends the pause at once rather than waiting for the next attempt.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wakeFromPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeFromPause = null;
    }
  };

  const done = loop();
  done.catch(() => undefined); // the caller observes failures through `done`
  const handle = {
    stop: async () => {
      stopped = true;
      (wakeFromPause as (() => void) | null)?.();
      const subscription = current as ReturnType<EventStoreDBClient['subscribeToAll']> | null;
      if (subscription) {
        await subscription.unsubscribe();
        // Cancelling on the client ends the gRPC call quietly; end the iteration too.
        subscription.destroy();
      }
      await done.catch(() => undefined);
      session.subscriptions.delete(handle);
    },
  };
  session.subscriptions.add(handle);
  return { done, stop: handle.stop };
}
