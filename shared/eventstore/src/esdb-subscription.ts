import type { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import { esdbError, positionFromEsdb, storedFromRecord, matchesFilter } from './esdb-codec.js';
import { EventStoreError, type Position, type SubscribeOptions } from './port.js';
import { LoopSubscription, type SubscriptionLoop } from './subscription.js';

/** Where the last handled position of a named subscriber is kept (see EsdbEventStoreOptions.checkpointStream). */
export interface CheckpointWriter {
  /** Records that every event up to `position` has been handled; may batch the writes. */
  advanced(position: Position): Promise<void>;
  /** Writes the last recorded position now, if not yet written. */
  flush(): Promise<void>;
}

/** What the subscription needs from its store. */
export interface SubscriptionSource {
  /** The position of the store's last event now (0 when empty). */
  head(): Promise<Position>;
  /** A catch-up subscription to `$all` after `after`, filtered server-side to the store's streams. */
  open(after: Position): AllStreamSubscription;
  /** Whether a stream is one of the store's (the server filter already ensures it; checked again). */
  owns(stream: string): boolean;
  checkpoint?: CheckpointWriter;
}

/** Events buffered between the server and onEvent before the subscription stream is paused. */
const HIGH_WATER = 256;

/**
 * Catch-up then live over an EventStoreDB `$all` subscription. The head is measured first:
 * onCaughtUp is called once the event at that position has been handed over (or skipped by the
 * filter), or at once when there is nothing after `after`. Events come from the server in
 * `$all` order; they are queued and handed to onEvent one at a time (the server stream is
 * paused while the queue is long), and an event at or before the last handled position is
 * dropped, so a start position that the server treats as inclusive delivers nothing twice.
 */
export class EsdbSubscription extends LoopSubscription {
  #stop: (() => void) | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
  ) {
    super();
    this.start(options.after, (loop) => this.#run(loop));
  }

  protected wake(): void {
    this.#stop?.();
  }

  async #run(loop: SubscriptionLoop): Promise<void> {
    let failure: { error: unknown } | undefined;
    try {
      await this.#deliver(loop);
    } catch (error) {
      failure = { error };
    }
    // Whatever stopped the subscription, the events handled so far stay handled.
    try {
      await this.source.checkpoint?.flush();
    } catch (error) {
      failure ??= { error: esdbError('checkpoint write', error) };
    }
    if (failure !== undefined) throw failure.error;
  }

  async #deliver(loop: SubscriptionLoop): Promise<void> {
    const head = await this.source.head().catch((error: unknown) => {
      throw esdbError('subscription head', error);
    });
    let caughtUp = false;
    const caughtUpAt = async (position: Position) => {
      caughtUp = true;
      await this.source.checkpoint?.flush();
      if (!loop.closed) await this.options.onCaughtUp?.(position);
    };
    if (loop.closed) return;
    if (head <= loop.position) await caughtUpAt(loop.position);
    if (loop.closed) return;

    const filter = this.options.filter ?? {};
    await this.#consume(loop, this.source.open(loop.position), async (resolved) => {
      const record = resolved.event;
      if (record === undefined || !this.source.owns(record.streamId)) return;
      const position = positionFromEsdb(record.position);
      if (position <= loop.position) return;
      const stored = storedFromRecord(record);
      if (loop.closed) return;
      if (matchesFilter(filter, stored.event)) await this.options.onEvent(stored);
      loop.position = position;
      await this.source.checkpoint?.advanced(position);
      if (!caughtUp && position >= head) await caughtUpAt(position);
    });
  }

  /** Hands each event to `handle`, one at a time; settles on close, on a throw, or when the server stream fails. */
  #consume(loop: SubscriptionLoop, stream: AllStreamSubscription, handle: (resolved: AllStreamResolvedEvent) => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      let chain: Promise<void> = Promise.resolve();
      let queued = 0;
      let finished = false;
      const finish = (error?: unknown) => {
        if (finished) return;
        finished = true;
        this.#stop = undefined;
        void stream
          .unsubscribe()
          .catch(() => undefined)
          .finally(() => stream.destroy());
        // Settle only once the handler running now (if any) has returned.
        void chain.then(() => (error === undefined ? resolve() : reject(error)));
      };
      this.#stop = () => finish();
      stream.on('data', (resolved: AllStreamResolvedEvent) => {
        if (finished) return;
        queued += 1;
        if (queued >= HIGH_WATER) stream.pause();
        chain = chain.then(async () => {
          try {
            if (!finished) await handle(resolved);
          } catch (error) {
            finish(error);
          } finally {
            queued -= 1;
            if (!finished && queued < HIGH_WATER / 2 && stream.isPaused()) stream.resume();
          }
        });
      });
      stream.on('error', (error: Error) => finish(esdbError('subscription', error)));
      stream.on('end', () => finish(new EventStoreError('event store subscription failed: EventStoreDB ended it', { retriable: true })));
      if (loop.closed) finish();
    });
  }
}
