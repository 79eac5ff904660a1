/**
 * Runs tasks one at a time per key. Commands on one stream in this process queue up instead of
 * racing, so optimistic-concurrency retries are only needed against other processes.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Shared and exclusive turns per key, in arrival order: many shared tasks run side by side, an
 * exclusive one waits for those before it and holds back those after it. The ledger takes a
 * committee's key shared for an entry and exclusive for closing or reopening one of its years, so
 * no entry slips into a year while it is being closed (within this process).
 */
export class KeyedReadWriteLock {
  private readonly keys = new Map<string, { exclusive: Promise<unknown>; shared: Set<Promise<unknown>> }>();

  private stateOf(key: string) {
    let state = this.keys.get(key);
    if (!state) {
      state = { exclusive: Promise.resolve(), shared: new Set() };
      this.keys.set(key, state);
    }
    return state;
  }

  async shared<T>(key: string, task: () => Promise<T>): Promise<T> {
    const state = this.stateOf(key);
    const current = state.exclusive.then(task);
    const settled = current.catch(() => undefined);
    const group = state.shared;
    group.add(settled);
    try {
      return await current;
    } finally {
      group.delete(settled);
    }
  }

  async exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const state = this.stateOf(key);
    const current = Promise.all([state.exclusive, ...state.shared]).then(task);
    state.exclusive = current.catch(() => undefined);
    state.shared = new Set();
    return current;
  }

  /** Shared turns on several keys, taken in sorted order. */
  async sharedAll<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    // Most commands touch one committee: its turn alone, without a set, a sort and a nesting.
    if (keys.length === 1) return this.shared(keys[0]!, task);
    const [first, ...rest] = [...new Set(keys)].sort();
    if (first === undefined) return task();
    return this.shared(first, () => this.sharedAll(rest, task));
  }
}
