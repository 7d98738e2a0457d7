export { Keys, CorruptStateError, parseStoredState, type StoredState } from './keys.js';
export {
  activeKey,
  assertNamespace,
  belongsTo,
  dropNamespace,
  listNamespaces,
  rebuildNamespace,
  resolveActiveNamespace,
  switchActiveNamespace,
  NamespaceError,
  SwitchConflictError,
  NAMESPACE_PATTERN,
  type NamespaceInfo,
} from './namespaces.js';
export { createLiveView, pinnedView, type LiveState, type LiveView, type LiveViewOptions } from './live.js';
export { readSnapshots, type UnitSnapshot } from './snapshot.js';
export {
  listUnits,
  queueRange,
  readOverdue,
  readDueSoon,
  readPaused,
  PageRequestError,
  QUEUES,
  MAX_PAGE_SIZE,
  type Queue,
  type ScoreRange,
  type ReadAt,
  type PageRequest,
  type Page,
  type QueueItem,
  type DueItem,
} from './queues.js';
export {
  createRedisClient,
  execGroups,
  isCluster,
  parseRedisTarget,
  redisSpec,
  scanKeys,
  slotGroup,
  unlinkKeys,
  unlinkMatching,
  type RedisClient,
  type RedisClientOptions,
  type RedisTarget,
  type SeedNode,
} from './client.js';
