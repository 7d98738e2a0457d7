import { Redis, type RedisOptions } from 'ioredis';

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
