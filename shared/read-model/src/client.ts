import { Cluster, Redis, type ChainableCommander, type ClusterOptions, type RedisOptions } from 'ioredis';
import { int, str, type VarSpec } from '@dvc/config';

/**
 * A connection to the projection: one Redis, or a Redis Cluster (`createRedisClient` below picks
 * by the URL; @dvc/redis re-exports it for the writers). Every query here runs on both; on a cluster a command, a script
 * or a pipeline touches keys of one hash slot only (ioredis refuses a pipeline whose slots lie on
 * several nodes, Redis refuses a multi-key command or script across slots), so the helpers below
 * split the work by hash tag there.
 */
export type RedisClient = Redis | Cluster;

/** One node of a cluster's seed list. */
export interface SeedNode {
  host: string;
  port: number;
}

/**
 * Where the projection lives, from `REDIS_URL`:
 * - `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): one Redis;
 * - `redis-cluster://[user:password@]host:port,host:port,…` (or `rediss-cluster://` for TLS):
 *   a Redis Cluster, reached through any of these seed nodes (the client learns every node and
 *   slot from the first that answers). A cluster has database 0 only: no path.
 */
export type RedisTarget =
  { kind: 'single'; url: string } | { kind: 'cluster'; seeds: SeedNode[]; tls: boolean; username: string | undefined; password: string | undefined };

const SINGLE_PROTOCOLS = ['redis:', 'rediss:'];
const CLUSTER_SCHEME = /^(rediss?)-cluster:\/\/(.*)$/s;

function decode(part: string, what: string, problems: string[]): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    problems.push(`its ${what} is not valid percent-encoding`);
    return undefined;
  }
}

/** A seed `host:port` (`[v6]:port` for IPv6); pushes what is wrong with it otherwise. */
function seedNode(text: string, index: number, problems: string[]): SeedNode | undefined {
  const where = `seed node ${index + 1} ('${text}')`;
  if (text === '') {
    problems.push(`seed node ${index + 1} is empty (two commas, or a comma at an end)`);
    return undefined;
  }
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+)(?::(.*))?$/.exec(text);
  if (match === null) {
    problems.push(`${where} is not host:port`);
    return undefined;
  }
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const port = match[2];
  if (port === undefined || port === '') {
    problems.push(`${where} has no port (each seed is host:port; a cluster has no default port)`);
    return undefined;
  }
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    problems.push(`${where} has port '${port}', not a number from 1 to 65535`);
    return undefined;
  }
  return { host, port: Number(port) };
}

/** Parses a REDIS_URL; the reasons name every mistake at once. */
export function parseRedisTarget(raw: string): { ok: true; target: RedisTarget } | { ok: false; reasons: string[] } {
  const text = raw.trim();
  const cluster = CLUSTER_SCHEME.exec(text);
  if (cluster === null) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return { ok: false, reasons: [`must be a URL (redis://host:port, or redis-cluster://host:port,host:port,… for a cluster), got '${raw}'`] };
    }
    if (!SINGLE_PROTOCOLS.includes(parsed.protocol)) {
      return { ok: false, reasons: [`must use redis:, rediss:, redis-cluster: or rediss-cluster:, got '${parsed.protocol}'`] };
    }
    return { ok: true, target: { kind: 'single', url: text } };
  }
  const problems: string[] = [];
  let rest = cluster[2] ?? '';
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    const user = colon >= 0 ? auth.slice(0, colon) : auth;
    const pass = colon >= 0 ? auth.slice(colon + 1) : '';
    username = user === '' ? undefined : decode(user, 'user name', problems);
    password = pass === '' ? undefined : decode(pass, 'password', problems);
  }
  const tail = /[/?#]/.exec(rest);
  if (tail !== null) {
    problems.push(
      `has '${rest.slice(tail.index)}' after its seed list: a cluster URL has no path, database, query or fragment (a cluster has database 0 only)`,
    );
    rest = rest.slice(0, tail.index);
  }
  const seeds: SeedNode[] = [];
  if (rest.trim() === '') {
    problems.push('lists no seed node (redis-cluster://host:port,host:port,…)');
  } else {
    const seen = new Set<string>();
    rest.split(',').forEach((item, index) => {
      const node = seedNode(item.trim(), index, problems);
      if (node === undefined) return;
      const key = `${node.host}:${node.port}`;
      if (seen.has(key)) problems.push(`lists seed node ${key} twice`);
      else seeds.push(node);
      seen.add(key);
    });
  }
  if (problems.length > 0) return { ok: false, reasons: problems };
  return { ok: true, target: { kind: 'cluster', seeds, tls: cluster[1] === 'rediss', username, password } };
}

/** The REDIS_URL variable: one Redis or a cluster's seed list, every mistake named. */
function redisUrl(doc: string, fallback: string): VarSpec<string> {
  return {
    doc,
    default: fallback,
    parse: (raw) => {
      const parsed = parseRedisTarget(raw);
      return parsed.ok ? { ok: true, value: raw.trim() } : { ok: false, reason: parsed.reasons.join('; ') };
    },
  };
}

/** Redis settings every service that reads or writes the projection shares. */
export const redisSpec = {
  REDIS_URL: redisUrl(
    'Redis holding the projection: redis://host:port (rediss:// for TLS, user:password@ for an ACL user), or a Redis Cluster as a seed list redis-cluster://host:port,host:port,… (rediss-cluster:// for TLS)',
    'redis://127.0.0.1:6379',
  ),
  REDIS_NAMESPACE: str('key prefix of the projection in Redis', 'dvc'),
};

/** REDIS_WAIT_REPLICAS: `auto` or a whole number of replicas from 0 to 16. */
function waitReplicas(doc: string): VarSpec<number | 'auto'> {
  return {
    doc,
    default: 'auto',
    parse: (raw) => {
      const text = raw.trim();
      if (text === 'auto') return { ok: true, value: 'auto' };
      if (!/^\d+$/.test(text) || Number(text) > 16) return { ok: false, reason: `must be auto or a whole number from 0 to 16, got '${raw}'` };
      return { ok: true, value: Number(text) };
    },
  };
}

/** The writers' durability settings (the projector): Redis' WAIT after each unit's write. */
export const redisDurabilitySpec = {
  REDIS_WAIT_REPLICAS: waitReplicas(
    'replicas that must hold each unit write (Redis WAIT) before a batch counts as done: auto = 1 on a Redis Cluster (acknowledged writes survive a failover; ARCHITECTURE.md#redis-cluster) and 0 on one Redis (no replica to wait for); 0 waits for none',
  ),
  REDIS_WAIT_TIMEOUT_MS: int('how long a write waits for REDIS_WAIT_REPLICAS replicas before the batch fails and is retried', 2000, 10, 60_000),
};

/** The replicas a writer waits for: REDIS_WAIT_REPLICAS, its `auto` resolved by the kind of REDIS_URL. */
export function replicasToWait(config: { REDIS_URL: string; REDIS_WAIT_REPLICAS: number | 'auto' }): number {
  if (config.REDIS_WAIT_REPLICAS !== 'auto') return config.REDIS_WAIT_REPLICAS;
  const parsed = parseRedisTarget(config.REDIS_URL);
  return parsed.ok && parsed.target.kind === 'cluster' ? 1 : 0;
}

export interface RedisClientOptions {
  /** A REDIS_URL: one Redis or a cluster (see RedisTarget); TLS and user/password come from it. */
  url: string;
  connectionName: string;
}

/**
 * The one place a connection to the projection is made: an ioredis `Redis` for one server, an
 * ioredis `Cluster` for a seed list. Both fail commands fast while disconnected (3 retries)
 * instead of queueing forever; the cluster client follows MOVED/ASK redirections and, after a
 * failover, reloads the slot map and retries on the promoted replica.
 */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const parsed = parseRedisTarget(options.url);
  if (!parsed.ok) throw new Error(`REDIS_URL ${parsed.reasons.join('; ')}`);
  const node: RedisOptions = {
    connectionName: options.connectionName,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    lazyConnect: false,
  };
  const { target } = parsed;
  if (target.kind === 'single') return new Redis(target.url, node);
  const cluster: ClusterOptions = {
    redisOptions: {
      ...node,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: {} } : {}),
    },
    enableAutoPipelining: false,
    lazyConnect: false,
    scaleReads: 'master',
    // A failover takes about cluster-node-timeout plus an election: keep retrying through it.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 16,
    clusterRetryStrategy: (times) => Math.min(200 * times, 2000),
  };
  return new Cluster(target.seeds, cluster);
}

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
 * returns each group's results in order (the first error is thrown). On one Redis the groups go
 * in pipelines of PIPELINE_GROUPS, all in flight together on the connection: about one round trip.
 * On a cluster each group is its own pipeline, sent to the node serving its slot, all in flight
 * together: one round trip per node's share, in parallel.
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
  // Pipelines of at most PIPELINE_GROUPS groups, each sent as soon as it is built, all in flight
  // together on the one connection (Redis runs them in order): the client never holds one huge
  // request, which it would build, keep alive and copy as a whole.
  const sent: Promise<unknown[][]>[] = [];
  for (let first = 0; first < groups.length; first += PIPELINE_GROUPS) {
    const pipeline = redis.pipeline();
    const sizes: number[] = [];
    for (const add of groups.slice(first, first + PIPELINE_GROUPS)) {
      const before = pipeline.length;
      add(pipeline);
      sizes.push(pipeline.length - before);
    }
    sent.push(
      pipeline.exec().then((results) => {
        const flat = unwrap(results, pipeline.length);
        let at = 0;
        return sizes.map((n) => {
          const part = flat.slice(at, at + n);
          at += n;
          return part;
        });
      }),
    );
  }
  return (await Promise.all(sent)).flat();
}

/** Groups per pipeline in execGroups on one Redis. */
const PIPELINE_GROUPS = 100;

/** The masters of a cluster, once the client knows the slot map (a PING waits for it). */
async function masters(cluster: Cluster): Promise<Redis[]> {
  await cluster.ping();
  const nodes = cluster.nodes('master');
  if (nodes.length === 0) throw new Error('the Redis Cluster client knows no master: nothing to SCAN');
  return nodes;
}

/**
 * Calls `onKeys` with each batch of keys matching `pattern`, SCANned on every server holding
 * keys: the Redis itself, or every master of a cluster (a SCAN sees only the node it runs on).
 * A key may be reported twice (SCAN's guarantee), never skipped if it existed throughout.
 */
export async function scanKeys(redis: RedisClient, pattern: string, count: number, onKeys: (keys: string[]) => Promise<void>): Promise<void> {
  const servers = isCluster(redis) ? await masters(redis) : [redis];
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
