export { ProjectionStore, type StateRead, type WriteOutcome } from './store.js';
export { applyEvents, ContendedWriteError, type ApplyStats } from './apply.js';
export { createRedisClient, parseRedisTarget, redisSpec, type RedisClientOptions, type RedisTarget, type SeedNode } from './client.js';
export { EpochGuard, createEpoch, epochKey, readEpoch, type Epoch, type EpochCheck } from './epoch.js';
export type { RedisClient } from '@dvc/read-model';
