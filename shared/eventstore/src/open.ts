import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import { stackRunDir, str } from '@dvc/config';
import { EsdbEventStore } from './esdb.js';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite.js';
import { DvcError } from '@dvc/domain';

/** The embedded default: one SQLite file under the stack's run folder (STACK_RUN_DIR, default <repo>/.run). */
export const DEFAULT_EVENTSTORE_FILE = join(stackRunDir(process.env), 'eventstore', 'events.sqlite');

/** Where every service that reads or writes the history finds it. */
export const eventStoreSpec = {
  EVENTSTORE_URL: str(
    'the event history: sqlite:<file> (embedded, the default) or an EventStoreDB connection string, esdb://host:2113?tls=false or esdb+discover://host:2113',
    `sqlite:${DEFAULT_EVENTSTORE_FILE}`,
  ),
};

/** Thrown for an EVENTSTORE_URL that names no supported store; the message says what is accepted. */
export class EventStoreUrlError extends DvcError {
  readonly code = 'DVC_EVENTSTORE_URL';
}

export interface OpenOptions {
  /** SQLite only: how often subscriptions poll for events appended by other processes (ms). */
  pollIntervalMs?: number;
  /** EventStoreDB only: streams are named `<streamPrefix>-<subject>`; default `dvc`. */
  streamPrefix?: string;
  /** EventStoreDB only: where a named subscriber's position is kept (see EsdbEventStoreOptions). */
  checkpointStream?: string;
}

/** The URL schemes of EventStoreDB connection strings: one node (or a list), or cluster discovery by gossip. */
const ESDB_SCHEMES = ['esdb://', 'esdb+discover://'];

/** An EVENTSTORE_URL as it may be shown in an error: the password of `user:password@` masked. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Whether an EVENTSTORE_URL is an EventStoreDB connection string (by its scheme). */
export function isEsdbUrl(url: string): boolean {
  const trimmed = url.trim();
  return ESDB_SCHEMES.some((scheme) => trimmed.startsWith(scheme));
}

/**
 * Opens the store an EVENTSTORE_URL names; SQLite files and their folders are created when
 * missing. An EventStoreDB connection string is checked here; the connection itself is made by
 * the first operation (an unreachable node is then a retriable EventStoreError).
 */
export function openEventStore(url: string, options: OpenOptions = {}): EventStore {
  const trimmed = url.trim();
  if (trimmed.startsWith('sqlite:')) {
    const file = trimmed.slice('sqlite:'.length);
    if (file === '') throw new EventStoreUrlError(`EVENTSTORE_URL '${url}' names no file: use sqlite:<path>`);
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    return new SqliteEventStore({ file, ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }) });
  }
  if (isEsdbUrl(trimmed)) {
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(trimmed);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EventStoreUrlError(`EVENTSTORE_URL '${redactUrl(url)}' is not a valid EventStoreDB connection string: ${reason}`);
    }
    try {
      return new EsdbEventStore({
        client,
        ...(options.streamPrefix === undefined ? {} : { streamPrefix: options.streamPrefix }),
        ...(options.checkpointStream === undefined ? {} : { checkpointStream: options.checkpointStream }),
      });
    } catch (error) {
      void client.dispose();
      throw error;
    }
  }
  throw new EventStoreUrlError(
    `EVENTSTORE_URL '${redactUrl(url)}' is not supported: use sqlite:<path>, esdb://host:2113?tls=false or esdb+discover://host:2113`,
  );
}
