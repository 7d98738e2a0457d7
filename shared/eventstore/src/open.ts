import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { str } from '@dvc/config';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite.js';

/** The embedded default: one SQLite file under the repository's run folder. */
export const DEFAULT_EVENTSTORE_FILE = fileURLToPath(new URL('../../../.run/eventstore/events.sqlite', import.meta.url));

/** Where every service that reads or writes the history finds it. */
export const eventStoreSpec = {
  EVENTSTORE_URL: str(
    'the event history: sqlite:<file> (embedded, the default) or esdb://host:2113?tls=false (EventStoreDB)',
    `sqlite:${DEFAULT_EVENTSTORE_FILE}`,
  ),
};

/** Thrown for an EVENTSTORE_URL that names no supported store; the message says what is accepted. */
export class EventStoreUrlError extends Error {}

export interface OpenOptions {
  /** How often SQLite subscriptions poll for events appended by other processes (ms). */
  pollIntervalMs?: number;
}

/** Opens the store an EVENTSTORE_URL names; SQLite files and their folders are created when missing. */
export function openEventStore(url: string, options: OpenOptions = {}): EventStore {
  const trimmed = url.trim();
  if (trimmed.startsWith('sqlite:')) {
    const file = trimmed.slice('sqlite:'.length);
    if (file === '') throw new EventStoreUrlError(`EVENTSTORE_URL '${url}' names no file: use sqlite:<path>`);
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    return new SqliteEventStore({ file, ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }) });
  }
  throw new EventStoreUrlError(`EVENTSTORE_URL '${url}' is not supported: use sqlite:<path> or esdb://host:port`);
}
