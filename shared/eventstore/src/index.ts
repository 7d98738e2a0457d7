export {
  EventStoreError,
  type AppendResult,
  type EventFilter,
  type EventStore,
  type Position,
  type ReadOptions,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
} from './port.js';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite.js';
export { DEFAULT_EVENTSTORE_FILE, EventStoreUrlError, eventStoreSpec, openEventStore, type OpenOptions } from './open.js';
