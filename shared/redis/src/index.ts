export { ProjectionStore, Keys, CorruptStateError, type StateRead, type WriteOutcome } from './store.js';
export { applyEvents, ContendedWriteError, type ApplyStats } from './apply.js';
export { readSnapshots, type UnitSnapshot } from './snapshot.js';
export { createLiveView, pinnedView, type LiveState, type LiveView, type LiveViewOptions } from './live.js';
export { createRedisClient, redisSpec, type RedisClientOptions } from './client.js';
export { activeKey, assertNamespace, belongsTo, dropNamespace, listNamespaces, rebuildNamespace, resolveActiveNamespace, switchActiveNamespace, NamespaceError, SwitchConflictError, NAMESPACE_PATTERN, type NamespaceInfo } from './active.js';
export { EpochGuard, createEpoch, epochKey, readEpoch, type Epoch, type EpochCheck } from './epoch.js';
export type { Redis } from 'ioredis';
