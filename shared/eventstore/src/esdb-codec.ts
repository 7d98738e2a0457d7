import { createHash } from 'node:crypto';
import { parseTimestamp, type DvcEvent } from '@dvc/domain';
import { ErrorType, isCommandError, START, type Position as EsdbPosition } from '@eventstore/db-client';
import { EventStoreError, type EventFilter, type Position, type StoredEvent } from './port.js';

/**
 * The pure half of the EventStoreDB adapter: how our events, subjects and positions map onto
 * EventStoreDB's event ids, stream names and `$all` positions, and how its errors map onto ours.
 */

/** The UUID namespace our EventStoreDB event ids are derived in (a fixed, random v4 UUID). */
export const DVC_EVENT_ID_NAMESPACE = '8f0c4c64-4d0b-4f55-9d36-7a5e0b3c2e91';

/** The stream prefix used when none is given: streams are named `dvc-<subject>`. */
export const DEFAULT_STREAM_PREFIX = 'dvc';

/** What every event we write carries as EventStoreDB metadata. */
export interface EsdbEventMetadata {
  /** Our (CloudEvents) event id; the EventStoreDB event id is derived from it. */
  eventId: string;
  /** SHA-256 of the event's canonical JSON: a re-append with another hash is a conflicting duplicate. */
  bodySha256: string;
  /** The id of the producer key the event was accepted with, when its writer gave one. */
  producerKey?: string;
}

/**
 * A name-based UUID in the manner of RFC 4122 version 5: SHA-1 of the namespace's 16 bytes and
 * the UTF-8 name, the first 16 bytes kept, version and variant bits set. The same name always
 * gives the same UUID, which is what lets a re-append of an event be recognised.
 */
export function nameBasedUuid(name: string, namespace: string = DVC_EVENT_ID_NAMESPACE): string {
  const hex = namespace.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`namespace '${namespace}' is not a UUID`);
  const bytes = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The EventStoreDB event id of one of our events. */
export function esdbEventId(eventId: string): string {
  return nameBasedUuid(eventId);
}

const PREFIX = /^[A-Za-z0-9_.]+$/;

/**
 * Checks a stream prefix: letters, digits, `_` and `.` only. Without a `-` in the prefix, and
 * with `-` as the separator, the streams of one prefix can never start with `<other prefix>-`,
 * so the server-side prefix filter of one store never sees another store's streams.
 */
export function checkStreamPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new EventStoreError(`stream prefix '${prefix}' is not valid: use letters, digits, '_' and '.' only (no '-', not empty)`, {
      retriable: false,
    });
  }
  return prefix;
}

/** What every stream of a prefix starts with (the server-side filter). */
export function streamNamePrefix(prefix: string): string {
  return `${prefix}-`;
}

/**
 * The stream of one subject: `<prefix>-<subject>`, the subject percent-encoded as by
 * encodeURIComponent (so `$`, `/`, spaces and non-ASCII are escaped; `-` and `.` stay readable).
 */
export function streamName(prefix: string, subject: string): string {
  return `${streamNamePrefix(prefix)}${encodeURIComponent(subject)}`;
}

/** The subject a stream of this prefix holds, or undefined when the stream is not one of ours. */
export function subjectOfStream(prefix: string, stream: string): string | undefined {
  const start = streamNamePrefix(prefix);
  if (!stream.startsWith(start)) return undefined;
  try {
    return decodeURIComponent(stream.slice(start.length));
  } catch {
    return undefined;
  }
}

/**
 * Our position of an event: its `$all` commit position. The adapter writes each event in its
 * own write, so no two of our events share a commit position (the events of one multi-event
 * write would). Log offsets above Number.MAX_SAFE_INTEGER (8 PiB) are refused, not rounded.
 */
export function positionFromEsdb(position: EsdbPosition): Position {
  if (position.commit <= 0n || position.commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EventStoreError(`EventStoreDB position ${position.commit} cannot be a store position (1..${Number.MAX_SAFE_INTEGER})`, {
      retriable: false,
    });
  }
  return Number(position.commit);
}

/** Where a `$all` read or subscription starts for `after`: the start for 0, else that event's log position. */
export function esdbPositionAfter(after: Position): EsdbPosition | typeof START {
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new EventStoreError(`position ${after} is not valid: use 0 or a position the store returned`, { retriable: false });
  }
  if (after === 0) return START;
  const at = BigInt(after);
  return { commit: at, prepare: at };
}

/** Orders two `$all` positions (commit, then prepare): negative, 0 or positive. */
export function compareEsdbPositions(a: EsdbPosition, b: EsdbPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** The metadata written with an event, or undefined when the stored metadata is not ours. */
export function readMetadata(metadata: unknown): EsdbEventMetadata | undefined {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
  const { eventId, bodySha256, producerKey } = metadata as Record<string, unknown>;
  if (typeof eventId !== 'string' || typeof bodySha256 !== 'string') return undefined;
  return typeof producerKey === 'string' ? { eventId, bodySha256, producerKey } : { eventId, bodySha256 };
}

/** The fields of a recorded EventStoreDB event this adapter reads. */
export interface EsdbRecord {
  streamId: string;
  id: string;
  revision: bigint;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: EsdbPosition;
}

/** A recorded event of one of our streams as a StoredEvent; anything else there is corruption. */
export function storedFromRecord(record: EsdbRecord): StoredEvent {
  const where = `event ${record.id} (stream ${record.streamId}, revision ${record.revision})`;
  if (record.position === undefined) {
    throw new EventStoreError(`${where} came without its $all position: EventStoreDB 22.6 or later is needed`, { retriable: false });
  }
  const data = record.data;
  if (!record.isJson || data === null || typeof data !== 'object' || Array.isArray(data) || typeof (data as { id?: unknown }).id !== 'string') {
    throw new EventStoreError(`${where} is not a JSON event of this store`, { retriable: false });
  }
  const producerKey = readMetadata(record.metadata)?.producerKey;
  const stored = { position: positionFromEsdb(record.position), event: data as DvcEvent };
  return producerKey === undefined ? stored : { ...stored, producerKey };
}

/** Whether an event meets a filter (every given criterion), as the SQLite adapter's WHERE clause does. */
export function matchesFilter(filter: EventFilter, event: DvcEvent): boolean {
  if (filter.types !== undefined && !filter.types.includes(event.type)) return false;
  if (filter.unit !== undefined && event.unitid !== filter.unit) return false;
  if (filter.from !== undefined || filter.to !== undefined) {
    const time = parseTimestamp(event.time);
    if (!time.ok) return false;
    if (filter.from !== undefined && time.ms < filter.from) return false;
    if (filter.to !== undefined && time.ms >= filter.to) return false;
  }
  return true;
}

/** Failures that may go away by themselves: the node unreachable, slow, not the leader, or a write race. */
const RETRIABLE_TYPES: ReadonlySet<ErrorType> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  ErrorType.CANCELLED,
  ErrorType.WRONG_EXPECTED_VERSION,
]);

/** Whether an error of the client is EventStoreDB saying that a stream does not exist. */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.STREAM_NOT_FOUND;
}

/** Whether an error of the client is an append refused because the stream moved on. */
export function isWrongExpectedVersion(error: unknown): boolean {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.WRONG_EXPECTED_VERSION;
}

/** An error of the client as an EventStoreError, retriable when trying again later may succeed. */
export function esdbError(what: string, error: unknown): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  // Cluster discovery failing (no node answered gossip) is a plain Error of the client.
  const retriable = error instanceof Error && (isCommandError(error) ? RETRIABLE_TYPES.has(error.type) : /^Failed to discover/.test(error.message));
  return new EventStoreError(`event store ${what} failed: ${reason}`, { retriable, cause: error });
}
