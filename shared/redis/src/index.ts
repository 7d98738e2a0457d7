export { ProjectionStore, type StateRead, type WriteOutcome } from './store.js';
export { applyEvents, ContendedWriteError, type ApplyStats } from './apply.js';
export { createRedisClient, redisSpec, type RedisClientOptions } from './client.js';
export { EpochGuard, createEpoch, epochKey, readEpoch, type Epoch, type EpochCheck } from './epoch.js';
export type { Redis } from 'ioredis';
