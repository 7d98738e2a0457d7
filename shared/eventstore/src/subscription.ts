import type { EventFilter, Position, ReadOptions, StoredEvent, SubscribeOptions, Subscription } from './port.js';

/**
 * Catch-up then live by polling `read`: correct for any adapter whose readers never see a
 * position before every lower one is visible (true of SQLite, where writers are serialized and
 * positions are assigned inside the write transaction). `notify()` wakes it at once after a
 * local append; the poll interval covers appends by other instances and processes.
 */
export class PollingSubscription implements Subscription {
  readonly done: Promise<void>;
  #position: Position;
  #closed = false;
  #dirty = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly read: (options: ReadOptions) => Promise<StoredEvent[]>,
    private readonly options: SubscribeOptions,
    private readonly pollIntervalMs: number,
    private readonly batchSize: number,
  ) {
    this.#position = options.after;
    this.done = this.#run();
    // The caller may never look at `done`; a failure is still reported to whoever does.
    this.done.catch(() => undefined);
  }

  get position(): Position {
    return this.#position;
  }

  /** Something may have been appended: read again without waiting for the poll interval. */
  notify(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.done.catch(() => undefined);
  }

  async #run(): Promise<void> {
    const filter: EventFilter = this.options.filter ?? {};
    let caughtUp = false;
    while (!this.#closed) {
      this.#dirty = false;
      const batch = await this.read({ ...filter, after: this.#position, limit: this.batchSize });
      for (const stored of batch) {
        if (this.#closed) return;
        await this.options.onEvent(stored);
        this.#position = stored.position;
      }
      if (batch.length < this.batchSize) {
        if (!caughtUp) {
          caughtUp = true;
          if (this.#closed) return;
          await this.options.onCaughtUp?.(this.#position);
        }
        await this.#sleep();
      }
    }
  }

  #sleep(): Promise<void> {
    if (this.#dirty || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.#wake = done;
    });
  }
}

/** The live subscriptions of a store: each leaves the set when it ends; `closeAll` closes the others (the store's close). */
export class LiveSubscriptions<S extends Subscription> implements Iterable<S> {
  readonly #live = new Set<S>();

  get size(): number {
    return this.#live.size;
  }

  /** Adds `subscription` until it ends; `ended` runs then too. */
  add(subscription: S, ended?: () => void): S {
    this.#live.add(subscription);
    void subscription.done
      .catch(() => undefined)
      .finally(() => {
        this.#live.delete(subscription);
        ended?.();
      });
    return subscription;
  }

  [Symbol.iterator](): Iterator<S> {
    return this.#live.values();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#live].map((s) => s.close()));
  }
}
