/**
 * Long work (audits, proofs, workbooks) shares the event loop with every other request: it gives
 * the loop back whenever a slice of time is used up, so no caller waits behind a verify of a
 * million events or a workbook of fifty thousand rows.
 */
export class Yielder {
  private last = performance.now();
  private count = 0;
  constructor(private readonly sliceMs = 15) {}

  /** Call once per item; resolves at once, or after one turn of the event loop when the slice is used up. */
  async tick(): Promise<void> {
    this.count += 1;
    if ((this.count & 15) !== 0) return;
    if (performance.now() - this.last < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
