import { DvcError, type DvcEvent, type EventType } from '@dvc/domain';

/**
 * The event store port: the complete, append-only history from which any projection can be
 * rebuilt. Narrow on purpose: only what the archiver, the replay API and rebuilds use.
 *
 * Positions are global and strictly increasing in storage order: a later stored event always has
 * a higher position, and every reader sees positions in that order. They are positive safe
 * integers (at most Number.MAX_SAFE_INTEGER); 0 means "before the first event". Whether they
 * are dense depends on the adapter: SQLite's start at 1 and increase by exactly 1 per stored
 * event (a duplicate or a failed batch consumes none); EventStoreDB's are `$all` log offsets,
 * with gaps. So callers only compare positions and hand back positions the store gave them
 * (`after`, checkpoints, resume tokens); they never count events by subtracting positions or
 * compute a position (`position + 1`).
 */
export type Position = number;

/** An event as stored, with its global position. */
export interface StoredEvent {
  position: Position;
  event: DvcEvent;
  /**
   * The id of the producer key the event was accepted with (the ingest's `dvc-producer-key`
   * header), when its writer gave one; absent otherwise. Kept beside the event, never in its body.
   */
  producerKey?: string;
}

/** What is stored beside the events of an append. */
export interface AppendOptions {
  /** `producerKeys[i]` is the producer key id of `events[i]` (undefined: none); as long as the batch. */
  producerKeys?: readonly (string | undefined)[];
}

/** The producer key of the i-th event of an append, after checking the list fits the batch. */
export function producerKeysOf(events: readonly DvcEvent[], options: AppendOptions | undefined): (i: number) => string | undefined {
  const keys = options?.producerKeys;
  if (keys === undefined) return () => undefined;
  if (keys.length !== events.length) {
    throw new EventStoreError(`producerKeys has ${keys.length} entries for ${events.length} events`, { retriable: false });
  }
  return (i) => keys[i];
}

/** A stored event from its position, body and producer key column (null when none). */
export function storedEvent(position: Position, body: string, producerKey: string | null | undefined): StoredEvent {
  const event = JSON.parse(body) as DvcEvent;
  return producerKey === null || producerKey === undefined ? { position, event } : { position, event, producerKey };
}

/**
 * The outcome of appending one event, in the order the events were given. A duplicate (an id
 * already stored, possibly earlier in the same batch) is an expected outcome, not an error: the
 * original is kept and `sameBody` says whether the new copy was identical to it (key order
 * ignored).
 */
export type AppendResult =
  { outcome: 'appended'; id: string; position: Position } | { outcome: 'duplicate'; id: string; position: Position; sameBody: boolean };

/** Which events a read or a subscription wants; every given criterion must hold. */
export interface EventFilter {
  /** Only these types (an empty list matches nothing). */
  types?: readonly EventType[];
  /** Only events of this unit (`unitid`). */
  unit?: string;
  /** Business time (`event.time`) at or after this, epoch ms (inclusive). */
  from?: number;
  /** Business time (`event.time`) before this, epoch ms (exclusive). */
  to?: number;
}

export interface ReadOptions extends EventFilter {
  /** Only positions after this one (exclusive): 0 (the default, from the start) or a position the store returned. */
  after?: Position;
  /** At most this many events; default: all. */
  limit?: number;
}

export interface SubscribeOptions {
  /** Deliver events after this position (exclusive): 0 for the whole history, or a position the store returned. */
  after: Position;
  filter?: EventFilter;
  /**
   * Called once per matching event, in position order, never concurrently: the next event is
   * delivered after the returned promise settles. A throw stops the subscription (see `done`).
   */
  onEvent: (stored: StoredEvent) => void | Promise<void>;
  /** Called once, when the history up to the head at that moment has been delivered. */
  onCaughtUp?: (position: Position) => void | Promise<void>;
}

export interface Subscription {
  /** Stops delivering; resolves once no onEvent call is running any more. */
  close(): Promise<void>;
  /** Resolves when closed; rejects with the error if onEvent, onCaughtUp or a read failed. */
  readonly done: Promise<void>;
  /** The position of the last event handed to onEvent (or skipped by the filter). */
  readonly position: Position;
}

export interface EventStore {
  /**
   * Appends a batch. A malformed event fails the whole batch before anything is written. SQLite
   * stores the batch in one transaction (all or nothing); EventStoreDB has no transaction across
   * streams, so a failure of the store mid-batch may leave its first events stored: appending the
   * batch again then stores the rest and reports those as same-body duplicates. A duplicate
   * keeps the original's producer key.
   */
  append(events: readonly DvcEvent[], options?: AppendOptions): Promise<AppendResult[]>;
  /** Stored events in position order. */
  read(options?: ReadOptions): Promise<StoredEvent[]>;
  /** Every event of one subject (dossier/payment/report/... id), in position order. */
  readStream(subject: string): Promise<StoredEvent[]>;
  /** The position of the last stored event; 0 when empty. */
  head(): Promise<Position>;
  /** Catch-up over the history after `after`, then live events, each exactly once and in order. */
  subscribe(options: SubscribeOptions): Subscription;
  /** Closes every subscription of this instance, then the store. */
  close(): Promise<void>;
}

/**
 * Thrown when the backing store fails (I/O, lock held too long, closed store). `retriable` says
 * whether trying again later may succeed.
 */
export class EventStoreError extends DvcError {
  readonly code = 'DVC_EVENTSTORE';

  readonly retriable: boolean;

  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable;
  }
}
