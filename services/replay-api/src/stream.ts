import type { EventStore, Position, StoredEvent } from '@dvc/eventstore';
import { passesPlan, type ReadPlan } from './scope.js';
import type { TokenCodec } from './token.js';

/**
 * The NDJSON lines of GET /v1/events. Every line carries `position` and `token`: the point
 * after which everything the request asked for has been sent, so resuming from the token of
 * the last line received gives each event exactly once.
 */
export type StreamLine =
  | { position: Position; token: string; event: StoredEvent['event']; producerKey?: string }
  | { heartbeat: string; position: Position; token: string }
  | { end: EndReason; position: Position; token: string; events: number };

/**
 * Why a response ended: `caught-up` (no further matching event right now), `limit` (the
 * limit was reached; more may follow), `shutdown` (the server is stopping; reconnect).
 */
export type EndReason = 'caught-up' | 'limit' | 'shutdown';

export interface StreamOptions {
  store: Pick<EventStore, 'read' | 'head'>;
  plan: ReadPlan;
  after: Position;
  /** Stop after this many events; undefined: no limit (follow only). */
  limit: number | undefined;
  follow: boolean;
  tokens: TokenCodec;
  /** Events read from the store per query. */
  batchSize: number;
  /** How often a caught-up tail looks for new events (ms). */
  pollMs: number;
  /** Longest silence on a tail before a heartbeat line (ms). */
  heartbeatMs: number;
  now: () => number;
  /** Aborted when the client goes away or the server stops: the loop returns at the next step. */
  signal: AbortSignal;
  /** Writes a chunk of lines; resolves when the client can take more (backpressure). */
  write: (chunk: string) => Promise<void>;
  /** Called after each written chunk with the number of events in it. */
  onStreamed: (events: number) => void;
}

export interface StreamResult {
  /** How the stream ended; `stopped` when the signal aborted it (no end line written). */
  outcome: Exclude<EndReason, 'shutdown'> | 'stopped';
  /** The resume point as of the last line written (events read but not yet written are not covered). */
  position: Position;
  events: number;
}

/** Chunks are written once they pass this size, or at the end of each store batch. */
const FLUSH_CHARS = 64 * 1024;

export function endLine(reason: EndReason, position: Position, events: number, tokens: TokenCodec): string {
  return `${JSON.stringify({ end: reason, position, token: tokens.encode(position), events })}\n`;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Streams matching events after `after` in position order: catch-up in batches, then (follow)
 * a poll of the store's head. The cursor only moves past positions whose matching events have
 * all been written, which is what makes every token a safe resume point, even when a filter
 * skips long stretches of the history.
 */
export async function streamEvents(o: StreamOptions): Promise<StreamResult> {
  let cursor = o.after;
  let sent = 0;
  let buffer = '';
  let buffered = 0;
  let lastWrite = o.now();
  let announced = false;
  // The cursor as of the last chunk handed to the client: what a stop can still vouch for.
  let written = o.after;

  const flush = async (): Promise<void> => {
    if (buffer === '') {
      written = cursor;
      return;
    }
    const chunk = buffer;
    const events = buffered;
    buffer = '';
    buffered = 0;
    lastWrite = o.now();
    written = cursor;
    await o.write(chunk);
    o.onStreamed(events);
  };
  const finish = async (reason: Exclude<EndReason, 'shutdown'>): Promise<StreamResult> => {
    buffer += endLine(reason, cursor, sent, o.tokens);
    await flush();
    return { outcome: reason, position: cursor, events: sent };
  };

  while (!o.signal.aborted) {
    const head = await o.store.head();
    let more = false;
    if (head > cursor) {
      const remaining = o.limit === undefined ? o.batchSize : o.limit - sent;
      // With a unit set checked here, a batch may yield fewer events than rows: read full batches.
      const want = o.plan.units === undefined ? Math.min(o.batchSize, remaining) : o.batchSize;
      const rows = await o.store.read({ ...o.plan.filter, after: cursor, limit: want });
      for (const row of rows) {
        if (o.signal.aborted) break;
        cursor = row.position;
        if (!passesPlan(o.plan, row.event)) continue;
        // producerKey: the id of the key the ingest accepted the event with, when the archive has it.
        const line: StreamLine = {
          position: row.position,
          token: o.tokens.encode(row.position),
          event: row.event,
          ...(row.producerKey === undefined ? {} : { producerKey: row.producerKey }),
        };
        buffer += `${JSON.stringify(line)}\n`;
        buffered += 1;
        sent += 1;
        if (sent === o.limit) return finish('limit');
        if (buffer.length >= FLUSH_CHARS) await flush();
      }
      if (o.signal.aborted) break;
      // A short batch saw every matching event up to the head read before it.
      if (rows.length < want) cursor = Math.max(cursor, head);
      else more = true;
      await flush();
    }
    if (more) continue;
    if (!o.follow) return finish('caught-up');
    if (!announced || o.now() - lastWrite >= o.heartbeatMs) {
      announced = true;
      buffer += `${JSON.stringify({ heartbeat: new Date(o.now()).toISOString(), position: cursor, token: o.tokens.encode(cursor) })}\n`;
      await flush();
    }
    await pause(Math.max(1, Math.min(o.pollMs, o.heartbeatMs - (o.now() - lastWrite))), o.signal);
  }
  return { outcome: 'stopped', position: written, events: sent - buffered };
}
