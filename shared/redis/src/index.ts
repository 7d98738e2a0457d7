export { ProjectionStore, ReplicationError, type Durability, type StateRead, type WriteOutcome } from './store.js';
export { applyEvents, ContendedWriteError, type ApplyStats } from './apply.js';
export { EpochGuard, createEpoch, epochKey, readEpoch, type Epoch, type EpochCheck } from './epoch.js';
// The connection is made where the key layout lives (@dvc/read-model): one factory for writers and readers.
export {
  createRedisClient,
  parseRedisTarget,
  redisDurabilitySpec,
  replicasToWait,
  redisSpec,
  type RedisClient,
  type RedisClientOptions,
  type RedisTarget,
  type SeedNode,
} from '@dvc/read-model';
export {
  OwnedStates,
  PartitionFencedError,
  FenceLostError,
  ForeignWritesError,
  statesInHalfTheHeap,
  type OwnedApplyStats,
  type OwnedStatesOptions,
} from './owned.js';
