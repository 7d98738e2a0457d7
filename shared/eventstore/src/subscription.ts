import type { EventFilter, Position, ReadOptions, StoredEvent, SubscribeOptions, Subscription } from './port.js';

/**
 * What every subscription keeps, composed rather than inherited: its position, whether it is
 * closed, and `done`, its loop's outcome. The loop gets this object as its argument, so it can
 * start inside the owner's constructor without reading the owner's fields before they are set.
 */
export class SubscriptionLoop {
  readonly done: Promise<void>;
  position: Position;
  closed = false;

  constructor(after: Position, run: (loop: SubscriptionLoop) => Promise<void>) {
    this.position = after;
    this.done = run(this);
    // The caller may never look at `done`; a failure is still reported to whoever does.
    this.done.catch(() => undefined);
  }

  /** Marks the loop closed, wakes it with `stop`, and waits for it to end (its failure is `done`'s). */
  async close(stop: () => void): Promise<void> {
    this.closed = true;
    stop();
    await this.done.catch(() => undefined);
  }
}

/**
 * A subscription run by one `SubscriptionLoop`. The subclass starts the loop at the end of its own
 * constructor (`start`), once its fields are set: a loop started by this constructor would run
 * before them.
 */
export abstract class LoopSubscription implements Subscription {
  #loop: SubscriptionLoop | undefined;

  get done(): Promise<void> {
    return this.#started().done;
  }

  get position(): Position {
    return this.#started().position;
  }

  close(): Promise<void> {
    return this.#started().close(() => this.wake());
  }

  /** Starts the loop; called once, at the end of the subclass's constructor. */
  protected start(after: Position, run: (loop: SubscriptionLoop) => Promise<void>): void {
    this.#loop = new SubscriptionLoop(after, run);
  }

  /** Wakes the loop wherever it waits, so that it sees it is closed. */
  protected abstract wake(): void;

  #started(): SubscriptionLoop {
    if (this.#loop === undefined) throw new Error('subscription loop not started (call start() in the constructor)');
    return this.#loop;
  }
}

/**
 * Catch-up then live by polling `read`: correct for any adapter whose readers never see a
 * position before every lower one is visible (true of SQLite, where writers are serialized and
 * positions are assigned inside the write transaction). `notify()` wakes it at once after a
 * local append; the poll interval covers appends by other instances and processes.
 */
export class PollingSubscription extends LoopSubscription {
  #dirty = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly read: (options: ReadOptions) => Promise<StoredEvent[]>,
    private readonly options: SubscribeOptions,
    private readonly pollIntervalMs: number,
    private readonly batchSize: number,
  ) {
    super();
    this.start(options.after, (loop) => this.#run(loop));
  }

  /** Something may have been appended: read again without waiting for the poll interval. */
  notify(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  protected wake(): void {
    this.#wake?.();
  }

  async #run(loop: SubscriptionLoop): Promise<void> {
    const filter: EventFilter = this.options.filter ?? {};
    let caughtUp = false;
    while (!loop.closed) {
      this.#dirty = false;
      const batch = await this.read({ ...filter, after: loop.position, limit: this.batchSize });
      for (const stored of batch) {
        if (loop.closed) return;
        await this.options.onEvent(stored);
        loop.position = stored.position;
      }
      if (batch.length < this.batchSize) {
        if (!caughtUp) {
          caughtUp = true;
          if (loop.closed) return;
          await this.options.onCaughtUp?.(loop.position);
        }
        await this.#sleep(loop);
      }
    }
  }

  #sleep(loop: SubscriptionLoop): Promise<void> {
    if (this.#dirty || loop.closed) return Promise.resolve();
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
