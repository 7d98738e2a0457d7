import { parseTimestamp, type DvcEvent } from '@dvc/domain';
import {
  BACKWARDS,
  END,
  FORWARDS,
  NO_STREAM,
  START,
  jsonEvent,
  streamNameFilter,
  type AppendExpectedRevision,
  type EventStoreDBClient,
  type Position as EsdbPosition,
  type ReadPosition,
  type StreamingRead,
} from '@eventstore/db-client';
import { bodyHash } from './canonical.js';
import {
  DEFAULT_STREAM_PREFIX,
  checkStreamPrefix,
  compareEsdbPositions,
  esdbError,
  esdbEventId,
  esdbPositionAfter,
  isStreamNotFound,
  isWrongExpectedVersion,
  matchesFilter,
  positionFromEsdb,
  readMetadata,
  storedFromRecord,
  streamName,
  streamNamePrefix,
  type EsdbEventMetadata,
} from './esdb-codec.js';
import { EsdbSubscription, type CheckpointWriter } from './esdb-subscription.js';
import { LiveSubscriptions } from './subscription.js';
import { EventStoreError, producerKeysOf } from './port.js';
import type { AppendOptions, AppendResult, EventStore, Position, ReadOptions, StoredEvent, SubscribeOptions, Subscription } from './port.js';

export interface EsdbEventStoreOptions {
  /** The client to use (e.g. `EventStoreDBClient.connectionString(url)`); the store disposes of it on close. */
  client: EventStoreDBClient;
  /** Streams are named `<streamPrefix>-<subject>`; letters, digits, `_` and `.` only; default `dvc`. */
  streamPrefix?: string;
  /**
   * A stream where subscriptions of this store record the last position they handled, so that a
   * named subscriber resumes with `subscribe({ after: await store.readCheckpoint(), ... })`.
   * Only one subscription at a time may run on a store that has one. Default: none.
   */
  checkpointStream?: string;
  /** Handled events between two checkpoint writes (also written at catch-up and on close); default 100. */
  checkpointEvery?: number;
  /** Events per `$all` page for reads and head; default 1000. */
  pageSize?: number;
}

/** The event type of checkpoint records (in the checkpoint stream only, never in a subject stream). */
const CHECKPOINT_EVENT_TYPE = 'dvc.eventstore.checkpoint';
/** Old checkpoints are dropped by EventStoreDB (at scavenge): only the last one is ever read. */
const CHECKPOINT_MAX_COUNT = 16;
/** Concurrent appends to one subject stream retry the look-up and the write this many times. */
const MAX_APPEND_ATTEMPTS = 10;

interface Prepared {
  event: DvcEvent;
  uuid: string;
  hash: string;
  producerKey: string | undefined;
}

/** What a subject stream holds for one event id. */
interface Lookup {
  /** The stream's last revision, the expected revision of the next write. */
  revision: AppendExpectedRevision;
  found?: { position: Position; hash: string | undefined };
}

/**
 * The EventStoreDB adapter. One stream per subject (`<prefix>-<subject>`); each event is written
 * on its own, with an EventStoreDB event id derived from its id (a name-based UUID) and
 * `{ eventId, bodySha256 }` as metadata. Before a write, the subject stream is read for that
 * id (a duplicate is reported with the original's position and whether the bodies agree), and
 * the write expects the revision that read saw, so two writers of the same id cannot both
 * succeed: the loser reads again and finds the winner's copy.
 *
 * Positions are `$all` commit positions: strictly increasing, not dense. Reads and head scan
 * `$all` pages (the read API has no server-side filter) keeping this prefix's streams;
 * subscriptions use a server-side stream-prefix filter. The filter's other criteria (types,
 * unit, time) are applied in process.
 *
 * A batch is checked as a whole before anything is written (a malformed event fails it
 * entirely), then written event by event: EventStoreDB has no transaction across streams, so a
 * failure mid-batch (node lost) leaves the events before it stored. Appending the same batch
 * again stores the rest and reports the others as same-body duplicates.
 */
export class EsdbEventStore implements EventStore {
  readonly #client: EventStoreDBClient;
  /** The prefix of this store's stream names. */
  readonly streamPrefix: string;
  readonly #streamPrefix: string;
  readonly #checkpointStream: string | undefined;
  readonly #checkpointEvery: number;
  readonly #pageSize: number;
  readonly #subscriptions = new LiveSubscriptions<EsdbSubscription>();
  #checkpointing: EsdbSubscription | undefined;
  #closed = false;

  constructor(options: EsdbEventStoreOptions) {
    this.streamPrefix = checkStreamPrefix(options.streamPrefix ?? DEFAULT_STREAM_PREFIX);
    this.#streamPrefix = streamNamePrefix(this.streamPrefix);
    const checkpoint = options.checkpointStream;
    if (checkpoint !== undefined && (checkpoint === '' || checkpoint.startsWith('$') || checkpoint.startsWith(this.#streamPrefix))) {
      throw new EventStoreError(
        `checkpoint stream '${checkpoint}' is not valid: it must be non-empty, not a system stream ('$...') and not start with '${this.#streamPrefix}'`,
        { retriable: false },
      );
    }
    this.#checkpointStream = checkpoint;
    this.#checkpointEvery = Math.max(1, Math.floor(options.checkpointEvery ?? 100));
    this.#pageSize = Math.max(2, Math.floor(options.pageSize ?? 1000));
    this.#client = options.client;
  }

  async append(events: readonly DvcEvent[], options?: AppendOptions): Promise<AppendResult[]> {
    this.#open();
    if (events.length === 0) return [];
    const producerKey = producerKeysOf(events, options);
    const prepared = events.map((event, i) => prepare(event, producerKey(i)));
    const results: AppendResult[] = [];
    // The stored copy of each id seen so far in this batch: later copies are duplicates of it.
    const inBatch = new Map<string, { position: Position; hash: string | undefined }>();
    for (const item of prepared) {
      const id = item.event.id;
      const earlier = inBatch.get(id);
      if (earlier !== undefined) {
        results.push({ outcome: 'duplicate', id, position: earlier.position, sameBody: earlier.hash === item.hash });
        continue;
      }
      const result = await this.#appendOne(item).catch((error: unknown) => {
        throw esdbError('append', error);
      });
      results.push(result.result);
      inBatch.set(id, { position: result.result.position, hash: result.storedHash });
    }
    return results;
  }

  async read(options: ReadOptions = {}): Promise<StoredEvent[]> {
    this.#open();
    if (options.types?.length === 0) return [];
    const limit = options.limit === undefined ? Number.POSITIVE_INFINITY : Math.floor(options.limit);
    if (limit <= 0) return [];
    const found: StoredEvent[] = [];
    await this.#scanForwards(options.after ?? 0, (stored) => {
      if (matchesFilter(options, stored.event)) found.push(stored);
      return found.length < limit;
    });
    return found;
  }

  async readStream(subject: string): Promise<StoredEvent[]> {
    this.#open();
    const stored: StoredEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(streamName(this.streamPrefix, subject))) {
        if (resolved.event !== undefined) stored.push(storedFromRecord(resolved.event));
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw esdbError('read', error);
    }
    return stored;
  }

  async head(): Promise<Position> {
    this.#open();
    try {
      let from: ReadPosition = END;
      let last: EsdbPosition | undefined;
      let head: Position = 0;
      for (;;) {
        const page = await visitRead(this.#client.readAll({ fromPosition: from, direction: BACKWARDS, maxCount: this.#pageSize }), (resolved) => {
          const record = resolved.event;
          if (record === undefined) return true;
          // A page starts at the previous page's last record when the server reads inclusively.
          if (last !== undefined && compareEsdbPositions(record.position, last) >= 0) return true;
          last = record.position;
          if (!record.streamId.startsWith(this.#streamPrefix)) return true;
          head = positionFromEsdb(record.position);
          return false;
        });
        if (page.stopped || page.count < this.#pageSize || last === undefined) return head;
        from = last;
      }
    } catch (error) {
      throw esdbError('head', error);
    }
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.#open();
    if (this.#checkpointStream !== undefined && this.#checkpointing !== undefined) {
      throw new EventStoreError(`checkpoint stream '${this.#checkpointStream}' is already used by a running subscription of this store`, {
        retriable: false,
      });
    }
    const checkpoint = this.#checkpointStream === undefined ? undefined : this.#checkpointWriter(this.#checkpointStream);
    const subscription = new EsdbSubscription(
      {
        head: () => this.head(),
        open: (after) =>
          this.#client.subscribeToAll({
            fromPosition: esdbPositionAfter(after),
            filter: streamNameFilter({ prefixes: [this.#streamPrefix] }),
          }),
        owns: (stream) => stream.startsWith(this.#streamPrefix),
        ...(checkpoint === undefined ? {} : { checkpoint }),
      },
      options,
    );
    if (checkpoint !== undefined) this.#checkpointing = subscription;
    return this.#subscriptions.add(subscription, () => {
      if (this.#checkpointing === subscription) this.#checkpointing = undefined;
    });
  }

  /** The last position recorded in the checkpoint stream; 0 when nothing was recorded yet. */
  async readCheckpoint(): Promise<Position> {
    this.#open();
    const stream = this.#checkpointStream;
    if (stream === undefined) throw new EventStoreError('this store has no checkpoint stream (option checkpointStream)', { retriable: false });
    try {
      for await (const resolved of this.#client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        const data = resolved.event?.data as { position?: unknown } | undefined;
        const position = data?.position;
        if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
          throw new EventStoreError(`the last event of checkpoint stream '${stream}' holds no position`, { retriable: false });
        }
        return position;
      }
      return 0;
    } catch (error) {
      if (isStreamNotFound(error)) return 0;
      throw esdbError('checkpoint read', error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscriptions.closeAll();
    await this.#client.dispose();
  }

  #open(): void {
    if (this.#closed) throw new EventStoreError('event store is closed', { retriable: false });
  }

  async #appendOne(item: Prepared): Promise<{ result: AppendResult; storedHash: string | undefined }> {
    const { event, uuid, hash } = item;
    const stream = streamName(this.streamPrefix, event.subject);
    const metadata: EsdbEventMetadata = { eventId: event.id, bodySha256: hash, ...(item.producerKey === undefined ? {} : { producerKey: item.producerKey }) };
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      const lookup = await this.#lookup(stream, uuid);
      if (lookup.found !== undefined) {
        const { position, hash: storedHash } = lookup.found;
        return { result: { outcome: 'duplicate', id: event.id, position, sameBody: storedHash === hash }, storedHash };
      }
      let written;
      try {
        written = await this.#client.appendToStream(stream, jsonEvent({ id: uuid, type: event.type, data: { ...event }, metadata: { ...metadata } }), {
          expectedRevision: lookup.revision,
        });
      } catch (error) {
        // Another writer got to the stream between the look-up and the write: look again.
        if (isWrongExpectedVersion(error)) continue;
        throw error;
      }
      // With throwOnAppendFailure=false in the connection string a refused write is a result.
      if (!written.success) continue;
      const position = written.position ?? (await this.#positionAt(stream, written.nextExpectedRevision));
      return { result: { outcome: 'appended', id: event.id, position: positionFromEsdb(position) }, storedHash: hash };
    }
    throw new EventStoreError(`event store append failed: stream ${stream} kept moving during ${MAX_APPEND_ATTEMPTS} attempts`, { retriable: true });
  }

  /** Reads a subject stream for an EventStoreDB event id. */
  async #lookup(stream: string, uuid: string): Promise<Lookup> {
    const lookup: Lookup = { revision: NO_STREAM };
    try {
      await visitRead(this.#client.readStream(stream), (resolved) => {
        const record = resolved.event;
        if (record === undefined) return true;
        lookup.revision = record.revision;
        if (record.id.toLowerCase() !== uuid) return true;
        lookup.found = { position: storedFromRecord(record).position, hash: readMetadata(record.metadata)?.bodySha256 };
        return false;
      });
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    return lookup;
  }

  /** The `$all` position of a stream's event, for an append result that came without one. */
  async #positionAt(stream: string, revision: bigint): Promise<EsdbPosition> {
    for await (const resolved of this.#client.readStream(stream, { fromRevision: revision, maxCount: 1 })) {
      if (resolved.event?.position !== undefined) return resolved.event.position;
    }
    throw new EventStoreError(`event store append failed: EventStoreDB reported no position for ${stream}@${revision}`, { retriable: false });
  }

  /**
   * Visits this store's events after `after` in `$all` order, page by page, until `visit`
   * returns false or the end of `$all`.
   */
  async #scanForwards(after: Position, visit: (stored: StoredEvent) => boolean): Promise<void> {
    const start = esdbPositionAfter(after);
    let from: ReadPosition = start;
    let last: EsdbPosition | undefined = start === START ? undefined : start;
    try {
      for (;;) {
        const page = await visitRead(this.#client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: this.#pageSize }), (resolved) => {
          const record = resolved.event;
          if (record === undefined) return true;
          // Reads from a position include it: the previous page's last record (or `after`) comes again.
          if (last !== undefined && compareEsdbPositions(record.position, last) <= 0) return true;
          last = record.position;
          return !record.streamId.startsWith(this.#streamPrefix) || visit(storedFromRecord(record));
        });
        if (page.stopped || page.count < this.#pageSize || last === undefined) return;
        from = last;
      }
    } catch (error) {
      throw esdbError('read', error);
    }
  }

  /** Records the subscription's position every `checkpointEvery` events, at catch-up and at its end. */
  #checkpointWriter(stream: string): CheckpointWriter {
    const client = this.#client;
    const every = this.#checkpointEvery;
    let pending: Position | undefined;
    let sinceWrite = 0;
    let limited = false;
    const flush = async () => {
      if (pending === undefined) return;
      const position = pending;
      await client.appendToStream(stream, jsonEvent({ type: CHECKPOINT_EVENT_TYPE, data: { position } }));
      if (!limited) {
        await client.setStreamMetadata(stream, { maxCount: CHECKPOINT_MAX_COUNT });
        limited = true;
      }
      if (pending === position) pending = undefined;
      sinceWrite = 0;
    };
    return {
      async advanced(position) {
        pending = position;
        sinceWrite += 1;
        if (sinceWrite >= every) await flush();
      },
      flush,
    };
  }
}

/**
 * Hands the items of a read to `visit` until it returns false or the read ends. A read left
 * early is cancelled, so that the server stops sending the rest of the page.
 */
async function visitRead<T>(read: StreamingRead<T>, visit: (item: T) => boolean): Promise<{ count: number; stopped: boolean }> {
  let count = 0;
  for await (const item of read) {
    count += 1;
    if (!visit(item)) {
      await read.cancel();
      return { count, stopped: true };
    }
  }
  return { count, stopped: false };
}

/** Why an event cannot be stored, or undefined when it can. */
function problemOf(event: DvcEvent): string | undefined {
  if (typeof event.id !== 'string' || event.id === '') return 'it has no id';
  if (typeof event.subject !== 'string' || event.subject === '') return 'it has no subject';
  if (typeof event.type !== 'string') return 'it has no type';
  if (typeof event.time !== 'string') return 'it has no time';
  const time = parseTimestamp(event.time);
  return time.ok ? undefined : `its time '${event.time}' ${time.reason}`;
}

/** Checks an event before anything of its batch is written: an error here fails the whole batch. */
function prepare(event: DvcEvent, producerKey: string | undefined): Prepared {
  const problem = problemOf(event);
  if (problem !== undefined) {
    throw new EventStoreError(`event store append failed: event '${String(event.id)}' cannot be stored, ${problem}; nothing of the batch was written`, {
      retriable: false,
    });
  }
  return { event, uuid: esdbEventId(event.id), hash: bodyHash(event), producerKey };
}
