import { Redis, type RedisOptions } from 'ioredis';
import { str, url } from '@dvc/config';

/** Redis settings every service that reads or writes the projection shares. */
export const redisSpec = {
  REDIS_URL: url('Redis holding the projection (redis:// or rediss:// for TLS, user:password@ for an ACL user)', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  REDIS_NAMESPACE: str('key prefix of the projection in Redis', 'dvc'),
};

export interface RedisClientOptions {
  url: string;
  /** TLS for rediss:// URLs is taken from the URL; a user/password (ACL) from it too. */
  connectionName: string;
}

/** A Redis client that fails commands fast while disconnected instead of queueing forever. */
export function createRedisClient(options: RedisClientOptions): Redis {
  const extra: RedisOptions = {
    connectionName: options.connectionName,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    lazyConnect: false,
  };
  return new Redis(options.url, extra);
}
