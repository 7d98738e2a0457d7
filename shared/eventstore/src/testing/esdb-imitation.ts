import { Readable } from 'node:stream';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type EventData,
  type EventStoreDBClient,
  type Filter,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';

/**
 * For tests: an in-memory imitation of the few EventStoreDB client calls the adapter makes, so
 * that its logic runs through the whole contract suite on any machine. It copies the behaviours
 * the adapter must cope with: `$all` positions are log offsets with gaps, system records are
 * interleaved with ours, the events of one multi-event write share a commit position, forward
 * `$all` reads include their start position, a missing stream fails the read with
 * StreamNotFoundError, a stale expected revision fails the write with WrongExpectedVersionError,
 * and every call yields to the event loop so writers interleave. It is no substitute for the
 * real server: esdb.int.spec.ts runs the suite against one.
 */

interface LoggedRecord {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  created: Date;
  position: Position;
}

type Listener = (record: LoggedRecord) => void;

const before = (a: Position, b: Position) => a.commit < b.commit || (a.commit === b.commit && a.prepare < b.prepare);
const same = (a: Position, b: Position) => a.commit === b.commit && a.prepare === b.prepare;

export class EsdbImitation {
  readonly #log: LoggedRecord[] = [];
  readonly #streams = new Map<string, LoggedRecord[]>();
  readonly #listeners = new Set<Listener>();
  #offset = 1024n;
  #writes = 0;

  constructor() {
    this.#system('$epoch-information');
    this.#system('$scavenges');
  }

  /** A client on this imitated server, as each store instance would have its own. */
  client(): EventStoreDBClient {
    return {
      appendToStream: (stream: string, events: EventData | EventData[], options?: { expectedRevision?: AppendExpectedRevision }) =>
        this.#append(stream, Array.isArray(events) ? events : [events], options?.expectedRevision ?? ANY),
      setStreamMetadata: async (stream: string, metadata: unknown) => {
        await yieldTurn();
        this.#write(`$$${stream}`, [{ type: '$metadata', data: metadata, metadata: undefined, id: '' }]);
      },
      readStream: (stream: string, options: { direction?: string; fromRevision?: ReadRevision; maxCount?: number | bigint } = {}) =>
        this.#readStream(stream, options),
      readAll: (options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint } = {}) => this.#readAll(options),
      subscribeToAll: (options: { fromPosition?: ReadPosition; filter?: Filter } = {}) => this.#subscribe(options),
      dispose: async () => undefined,
    } as unknown as EventStoreDBClient;
  }

  #system(streamId: string): void {
    this.#write(streamId, [{ type: '$statsCollected', data: {}, metadata: undefined, id: '' }]);
  }

  #write(streamId: string, events: readonly { type: string; data: unknown; metadata: unknown; id: string }[]): LoggedRecord[] {
    const stream = this.#streams.get(streamId) ?? [];
    const commit = this.#offset;
    const written = events.map((e) => {
      const prepare = this.#offset;
      this.#offset += 97n + BigInt(JSON.stringify(e.data ?? null).length);
      const record: LoggedRecord = {
        streamId,
        id: e.id,
        revision: BigInt(stream.length),
        type: e.type,
        isJson: true,
        // Stored as text, read back parsed: as the server and client do.
        data: JSON.parse(JSON.stringify(e.data ?? null)),
        metadata: e.metadata === undefined ? undefined : JSON.parse(JSON.stringify(e.metadata)),
        created: new Date(),
        position: { commit, prepare },
      };
      stream.push(record);
      this.#log.push(record);
      return record;
    });
    this.#streams.set(streamId, stream);
    for (const record of written) for (const listener of this.#listeners) listener(record);
    return written;
  }

  async #append(streamId: string, events: readonly EventData[], expected: AppendExpectedRevision) {
    await yieldTurn();
    const stream = this.#streams.get(streamId);
    const current = stream === undefined ? NO_STREAM : BigInt(stream.length - 1);
    const refused = expected === NO_STREAM ? stream !== undefined : typeof expected === 'bigint' ? current !== expected : false;
    if (refused) throw new WrongExpectedVersionError(undefined, { streamName: streamId, expected, current });
    // Others write too: a system record now and then between our writes.
    if (++this.#writes % 3 === 0) this.#system('$stats-127.0.0.1:2113');
    const written = this.#write(
      streamId,
      events.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata, id: e.id })),
    );
    const last = written[written.length - 1]!;
    return { success: true, nextExpectedRevision: last.revision, position: { commit: last.position.commit, prepare: last.position.commit } };
  }

  #readStream(streamId: string, options: { direction?: string; fromRevision?: ReadRevision; maxCount?: number | bigint }): Readable {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return failing(new StreamNotFoundError(undefined, streamId));
    const backwards = options.direction === BACKWARDS;
    let records = backwards ? [...stream].reverse() : [...stream];
    const from = options.fromRevision;
    if (typeof from === 'bigint') records = records.filter((r) => (backwards ? r.revision <= from : r.revision >= from));
    return delayed(records.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)).map((event) => ({ event })));
  }

  #readAll(options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint }): Readable {
    const from = options.fromPosition ?? (options.direction === BACKWARDS ? END : START);
    let records: LoggedRecord[];
    if (options.direction === BACKWARDS) {
      records = [...this.#log].reverse();
      if (from !== END && from !== START) records = records.filter((r) => before(r.position, from));
    } else {
      records = from === START ? [...this.#log] : from === END ? [] : this.#log.filter((r) => !before(r.position, from));
    }
    return delayed(records.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)).map((event) => ({ event })));
  }

  #subscribe(options: { fromPosition?: ReadPosition; filter?: Filter }) {
    const from = options.fromPosition ?? START;
    const filter = options.filter;
    const wanted = (record: LoggedRecord) =>
      filter === undefined || !('prefixes' in filter) ? true : filter.prefixes.some((p) => record.streamId.startsWith(p));
    const output = new Readable({ objectMode: true, read: () => undefined });
    const push = (record: LoggedRecord) => {
      if (wanted(record)) output.push({ event: record });
    };
    const history = from === START ? [...this.#log] : from === END ? [] : this.#log.filter((r) => before(from, r.position) && !same(from, r.position));
    // History first (buffered until read), then every later record as it is written.
    history.forEach(push);
    this.#listeners.add(push);
    return Object.assign(output, {
      unsubscribe: async () => {
        this.#listeners.delete(push);
      },
    });
  }
}

/** A read as the client returns it: a readable of objects with `cancel()`. */
function cancellable(readable: Readable): Readable {
  return Object.assign(readable, {
    cancel: async () => {
      readable.destroy();
    },
  });
}

function delayed(items: readonly unknown[]): Readable {
  let sent = false;
  return cancellable(
    new Readable({
      objectMode: true,
      read() {
        if (sent) return;
        sent = true;
        setImmediate(() => {
          for (const item of items) this.push(item);
          this.push(null);
        });
      },
    }),
  );
}

function failing(error: Error): Readable {
  return cancellable(
    new Readable({
      objectMode: true,
      read() {
        setImmediate(() => this.destroy(error));
      },
    }),
  );
}
