import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import { stackRunDir, str } from '@dvc/config';
import { EsdbEventStore } from './esdb.js';
import { DEFAULT_POSTGRES_SCHEMA, PostgresEventStore } from './postgres.js';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite.js';
import { DvcError } from '@dvc/domain';

/** The embedded default: one SQLite file under the stack's run folder (STACK_RUN_DIR, default <repo>/.run). */
export const DEFAULT_EVENTSTORE_FILE = join(stackRunDir(process.env), 'eventstore', 'events.sqlite');

/** Where every service that reads or writes the history finds it. */
export const eventStoreSpec = {
  EVENTSTORE_URL: str(
    'the event history: sqlite:<file> (embedded, the default), a PostgreSQL connection string, postgres://user@host:5432/database[?schema=name] (tables in schema dvc_events unless named), or an EventStoreDB connection string, esdb://host:2113?tls=false or esdb+discover://host:2113',
    `sqlite:${DEFAULT_EVENTSTORE_FILE}`,
  ),
};

/** Thrown for an EVENTSTORE_URL that names no supported store; the message says what is accepted. */
export class EventStoreUrlError extends DvcError {
  readonly code = 'DVC_EVENTSTORE_URL';
}

export interface OpenOptions {
  /** SQLite and PostgreSQL: how often subscriptions poll for events appended by other processes (ms; PostgreSQL is also woken by LISTEN/NOTIFY). */
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

/** The URL schemes of PostgreSQL connection strings. */
const POSTGRES_SCHEMES = ['postgres://', 'postgresql://'];

/** Whether an EVENTSTORE_URL is a PostgreSQL connection string (by its scheme). */
export function isPostgresUrl(url: string): boolean {
  const trimmed = url.trim();
  return POSTGRES_SCHEMES.some((scheme) => trimmed.startsWith(scheme));
}

/**
 * A PostgreSQL EVENTSTORE_URL split into the connection string node-postgres gets and the schema
 * of the store's tables (the `schema` query parameter, which is the store's, not the driver's).
 */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string } {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new EventStoreUrlError(`EVENTSTORE_URL '${redactUrl(url)}' is not a valid PostgreSQL connection string: use postgres://user@host:5432/database`);
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_POSTGRES_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new EventStoreUrlError(
      `EVENTSTORE_URL '${redactUrl(url)}': schema '${schema}' is not a plain lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)`,
    );
  }
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
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
  if (isPostgresUrl(trimmed)) {
    const { connectionString, schema } = parsePostgresUrl(trimmed);
    return new PostgresEventStore({ connectionString, schema, ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }) });
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
    `EVENTSTORE_URL '${redactUrl(url)}' is not supported: use sqlite:<path>, postgres://user@host:5432/database, esdb://host:2113?tls=false or esdb+discover://host:2113`,
  );
}
