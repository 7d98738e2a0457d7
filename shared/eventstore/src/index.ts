export { EventStoreError } from './port.js';
export type { AppendOptions, AppendResult, EventFilter, EventStore, Position, ReadOptions, StoredEvent, SubscribeOptions, Subscription } from './port.js';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite.js';
export { EsdbEventStore, type EsdbEventStoreOptions } from './esdb.js';
export { DEFAULT_POSTGRES_SCHEMA, PostgresEventStore, type PostgresEventStoreOptions } from './postgres.js';
export { DEFAULT_STREAM_PREFIX, esdbEventId, streamName } from './esdb-codec.js';
export {
  DEFAULT_EVENTSTORE_FILE,
  EventStoreUrlError,
  eventStoreSpec,
  isEsdbUrl,
  isPostgresUrl,
  openEventStore,
  parsePostgresUrl,
  redactUrl,
  type OpenOptions,
} from './open.js';
