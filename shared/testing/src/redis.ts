/** A Redis the integration tests run on: its name in test titles and its REDIS_URL. */
export interface RedisTargetForTests {
  name: string;
  url: string;
}

/**
 * The Redis deployments a suite runs against: the single Redis (REDIS_URL, default the local
 * one) and, when REDIS_CLUSTER_URL is set (`npm test` starts a local cluster and sets it), the
 * Redis Cluster it names. Use with `describe.each(redisTargets())('… on $name', ({ url }) => …)`.
 */
export function redisTargets(env: Record<string, string | undefined> = process.env): RedisTargetForTests[] {
  const targets = [{ name: 'Redis', url: env.REDIS_URL ?? 'redis://127.0.0.1:6379' }];
  if (env.REDIS_CLUSTER_URL !== undefined && env.REDIS_CLUSTER_URL !== '') targets.push({ name: 'Redis Cluster', url: env.REDIS_CLUSTER_URL });
  return targets;
}
