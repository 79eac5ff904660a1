import type { Pauses } from '../../src/app/yielder.js';

/**
 * Pauses that pause at every step of long work (a row, a grant), giving the event loop one turn
 * each time and then running `during` (with the count of pauses so far), so what happens during a
 * pause is certain in a test, not a matter of timing.
 */
export function atEveryStep(during?: (count: number) => unknown): Pauses & { count: number } {
  const pauses = {
    count: 0,
    due: () => true,
    pause: async () => {
      pauses.count += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
      await during?.(pauses.count);
    },
  };
  return pauses;
}
