/**
 * Where long work gives the event loop back: `due()` says whether its slice of time is used up,
 * and `pause()` gives one turn of the loop to everyone else.
 */
export interface Pauses {
  due(): boolean;
  pause(): Promise<void>;
}

/**
 * Long work (audits, proofs, workbooks, historical reports) shares the event loop with every
 * other request: it gives the loop back whenever a slice of time is used up, so no caller waits
 * behind a verify of a million events or a workbook of fifty thousand rows.
 */
export class Yielder implements Pauses {
  private last = performance.now();
  private count = 0;
  private readonly mask: number;

  /** @param checkEvery how many items between two readings of the clock: 1 for large items, a power of two. */
  constructor(private readonly sliceMs = 15, checkEvery = 16) {
    this.mask = checkEvery - 1;
  }

  /** Call once per item; resolves at once, or after one turn of the event loop when the slice is used up. */
  async tick(): Promise<void> {
    if (this.due()) await this.pause();
  }

  /** Whether the slice is used up; the clock is read once every `checkEvery` items. */
  due(): boolean {
    this.count += 1;
    if ((this.count & this.mask) !== 0) return false;
    return performance.now() - this.last >= this.sliceMs;
  }

  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
