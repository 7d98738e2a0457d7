import { Cluster, type ChainableCommander, type Redis } from 'ioredis';

/**
 * A connection to the projection: one Redis, or a Redis Cluster (`createRedisClient` of
 * @dvc/redis picks by the URL). Every query here runs on both; on a cluster a command, a script
 * or a pipeline touches keys of one hash slot only (ioredis refuses a pipeline whose slots lie on
 * several nodes, Redis refuses a multi-key command or script across slots), so the helpers below
 * split the work by hash tag there.
 */
export type RedisClient = Redis | Cluster;

export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * What decides a key's hash slot (Redis Cluster specification): the text between the first `{`
 * and the next `}` when that is not empty, else the whole key. Keys with the same group are on
 * the same slot; every key of a unit has the group `unit` (its hash tag `{unit}`).
 */
export function slotGroup(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/** Groups keys by hash slot group, in first-seen order. */
export function bySlotGroup(keys: readonly string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const group = slotGroup(key);
    const list = groups.get(group);
    if (list === undefined) groups.set(group, [key]);
    else list.push(key);
  }
  return [...groups.values()];
}

/** The results of one pipeline's commands, each error thrown. */
function unwrap(results: [Error | null, unknown][] | null, expected: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < expected; i++) {
    const [error, value] = results?.[i] ?? [new Error('missing pipeline result'), null];
    if (error) throw error;
    out.push(value);
  }
  return out;
}

/**
 * Runs groups of commands, each group's keys on one hash slot (a unit's keys, or one key), and
 * returns each group's results in order (the first error is thrown). On one Redis all groups go
 * in one pipeline: one round trip. On a cluster each group is its own pipeline, sent to the node
 * serving its slot, all in flight together: one round trip per node's share, in parallel.
 */
export async function execGroups(redis: RedisClient, groups: readonly ((pipeline: ChainableCommander) => void)[]): Promise<unknown[][]> {
  if (groups.length === 0) return [];
  if (isCluster(redis)) {
    return Promise.all(
      groups.map(async (add) => {
        const pipeline = redis.pipeline();
        add(pipeline);
        return unwrap(await pipeline.exec(), pipeline.length);
      }),
    );
  }
  const pipeline = redis.pipeline();
  const sizes: number[] = [];
  for (const add of groups) {
    const before = pipeline.length;
    add(pipeline);
    sizes.push(pipeline.length - before);
  }
  const flat = unwrap(await pipeline.exec(), pipeline.length);
  let at = 0;
  return sizes.map((n) => {
    const part = flat.slice(at, at + n);
    at += n;
    return part;
  });
}

/**
 * Calls `onKeys` with each batch of keys matching `pattern`, SCANned on every server holding
 * keys: the Redis itself, or every master of a cluster (a SCAN sees only the node it runs on).
 * A key may be reported twice (SCAN's guarantee), never skipped if it existed throughout.
 */
export async function scanKeys(redis: RedisClient, pattern: string, count: number, onKeys: (keys: string[]) => Promise<void>): Promise<void> {
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) await onKeys(keys);
    } while (cursor !== '0');
  }
}

/** UNLINKs keys, one command per hash slot group on a cluster (one command on one Redis); returns how many existed. */
export async function unlinkKeys(redis: RedisClient, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isCluster(redis)) return redis.unlink(...keys);
  const results = await execGroups(
    redis,
    bySlotGroup(keys).map((group) => (pipeline) => pipeline.unlink(...group)),
  );
  return results.reduce((sum, [n]) => sum + Number(n), 0);
}

/** Deletes every key matching `pattern` (SCAN + UNLINK, on every master of a cluster) except `keep`; returns the keys deleted. */
export async function unlinkMatching(redis: RedisClient, pattern: string, count = 1000, keep: (key: string) => boolean = () => false): Promise<number> {
  let deleted = 0;
  await scanKeys(redis, pattern, count, async (keys) => {
    deleted += await unlinkKeys(
      redis,
      keys.filter((key) => !keep(key)),
    );
  });
  return deleted;
}
