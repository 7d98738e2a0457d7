import { createRedisClient, isCluster } from '@dvc/read-model';
import { projectUnit, validateEvent, type DvcEvent } from '@dvc/domain';
import { testProjectionContext } from '@dvc/domain/testing';
import { dossierEvents, redisTargets, uniqueName } from '@dvc/testing';
import { applyEvents } from './apply.js';
import { ProjectionStore, ReplicationError } from './store.js';

const ctx = testProjectionContext();

// Due the day after the receipt, resolved the day after that: overdue.
const event = dossierEvents(validateEvent, { dueAt: '2022-06-21T08:00:00+07:00' });

describe.each(redisTargets())('ProjectionStore on $name', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const namespace = uniqueName('it').replace(/[^a-z0-9-]/g, '');
  const store = new ProjectionStore(redis, namespace);

  afterAll(async () => {
    await store.dropNamespace();
    redis.disconnect();
  });

  it('writes a unit only if its states are unchanged since they were read', async () => {
    const e = event('cas-1', 'u1', 'D1', 'received');
    const groups = new Map([['u1', [e]]]);
    const readA = await store.readStates(groups);
    const readB = await store.readStates(groups);
    const changesA = projectUnit('u1', [e], readA.get('u1')?.states ?? new Map(), ctx);
    const changesB = projectUnit('u1', [e], readB.get('u1')?.states ?? new Map(), ctx);
    expect(await store.write([changesA], readA, 1)).toEqual({ applied: ['u1'], conflicted: [] });
    // B read the same (empty) state; A changed it since: B must lose, not count twice.
    expect(await store.write([changesB], readB, 2)).toEqual({ applied: [], conflicted: ['u1'] });
    expect(await redis.hget(store.keys.bucket('u1', '2022-06-20'), 'rcv:online')).toBe('1');
  });

  it('applies concurrent deliveries of the same events exactly once', async () => {
    const events: DvcEvent[] = [];
    for (let i = 0; i < 200; i++) {
      events.push(event(`r-${i}`, `c${i % 4}`, `X${i}`, 'received'));
      events.push(event(`s-${i}`, `c${i % 4}`, `X${i}`, 'resolved'));
    }
    // Four writers race on the same batch, as consumers do around a rebalance.
    const results = await Promise.all([1, 2, 3, 4].map(() => applyEvents(store, events, ctx, () => 5)));
    const applied = results.reduce((sum, r) => sum + [...r.applied.values()].reduce((a, b) => a + b, 0), 0);
    const duplicates = results.reduce((sum, r) => sum + [...r.duplicates.values()].reduce((a, b) => a + b, 0), 0);
    expect(applied).toBe(400);
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
    expect(duplicates).toBe(1200);
    let resolvedOverdue = 0;
    for (let u = 0; u < 4; u++) {
      resolvedOverdue += Number(await redis.hget(store.keys.bucket(`c${u}`, '2022-06-22'), 'res:overdue:paper'));
      expect(await redis.zcard(store.keys.set(`c${u}`, 'open'))).toBe(0);
    }
    expect(resolvedOverdue).toBe(200);
  });

  it('sets the expiry the caller gives a bucket', async () => {
    const e = event('exp-1', 'x1', 'E1', 'received');
    const expireAt = Date.now() + 3_600_000;
    await store.write([projectUnit('x1', [e], new Map(), ctx)], new Map(), 1, (bucket) => (bucket === '2022-06-20' ? expireAt : undefined));
    const ttl = await redis.pttl(store.keys.bucket('x1', '2022-06-20'));
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    expect(await redis.pttl(store.keys.bucket('x1', 'current'))).toBe(-1);
  });

  it('counts a write as done only once the required replicas hold it (WAIT), and says so when they do not', async () => {
    // The fewest replicas any master has (0 on a single Redis without replicas, 1 on the local cluster).
    const masters = isCluster(redis) ? redis.nodes('master') : [redis];
    const counts = await Promise.all(masters.map(async (m) => Number(/connected_slaves:(\d+)/.exec(await m.info('replication'))?.[1] ?? 0)));
    const replicas = Math.min(...counts);
    const durable = new ProjectionStore(redis, namespace, { replicas: Math.max(replicas, 1), timeoutMs: 2000 });
    const units = ['w1', 'w2', 'w3', 'w4'];
    const write = (s: ProjectionStore, n: string) =>
      s.write(
        units.map((u) => projectUnit(u, [event(`wait-${n}-${u}`, u, `W${n}`, 'received')], new Map(), ctx)),
        new Map(),
        1,
      );
    if (replicas > 0) expect(await write(durable, 'a')).toEqual({ applied: units, conflicted: [] });
    const tooMany = new ProjectionStore(redis, namespace, { replicas: replicas + 1, timeoutMs: 100 });
    await expect(write(tooMany, 'b')).rejects.toThrow(ReplicationError);
    await expect(write(tooMany, 'c')).rejects.toThrow(`reached fewer than ${replicas + 1} replica(s) within 100 ms`);
    // The writes themselves happened: retried, their events are recognised.
    for (const u of units) expect(await redis.hget(store.keys.meta(u), 'applied:vn.dvc.dossier.received')).toBe(replicas > 0 ? '3' : '2');
  });

  it('drops only its own namespace', async () => {
    const other = new ProjectionStore(redis, `${namespace}x`);
    const e = event('o-1', 'u9', 'O1', 'received');
    await other.write([projectUnit('u9', [e], new Map(), ctx)], new Map(), 1);
    const before = await redis.exists(other.keys.bucket('u9', '2022-06-20'));
    await store.dropNamespace();
    expect(before).toBe(1);
    expect(await redis.exists(other.keys.bucket('u9', '2022-06-20'))).toBe(1);
    expect(await redis.exists(store.keys.bucket('u1', '2022-06-20'))).toBe(0);
    await other.dropNamespace();
    expect(await redis.exists(other.keys.bucket('u9', '2022-06-20'))).toBe(0);
  });
});
