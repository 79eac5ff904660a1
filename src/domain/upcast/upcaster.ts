/**
 * One step in the life of an event type: turns data written at schema version `from` into the
 * shape of version `from + 1`. Pure, total and never lossy: the stored bytes stay as they are
 * (the hash chain covers them), and every read turns them into the current shape again.
 */
export interface Upcaster {
  readonly type: string;
  readonly from: number;
  readonly upcast: (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;
}
