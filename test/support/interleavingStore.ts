import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore } from '../../src/store/port.js';

/**
 * Wraps a store so every read and append yields to the event loop for a random moment first.
 * A synchronous driver in one process never interleaves two commands; this one does, as two
 * processes or a networked store would.
 */
export function interleaving(store: EventStore, seed = 1): EventStore {
  let state = seed;
  const pause = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return sleep(state % 3);
  };
  return {
    description: store.description,
    appendToStream: async (streamId, events, options) => {
      await pause();
      return store.appendToStream(streamId, events, options);
    },
    readStream: (streamId, options) => ({
      async *[Symbol.asyncIterator]() {
        await pause();
        yield* store.readStream(streamId, options);
      },
    }),
    readAll: (options) => store.readAll(options),
    headPosition: () => store.headPosition(),
    subscribeToAll: (options, handler) => store.subscribeToAll(options, handler),
    close: () => store.close(),
  };
}
