import { createRedisClient, unlinkMatching } from './client.js';
import { redisTargets, uniqueName } from '@dvc/testing';
import {
  NamespaceError,
  SwitchConflictError,
  activeKey,
  dropNamespace,
  listNamespaces,
  rebuildNamespace,
  resolveActiveNamespace,
  switchActiveNamespace,
} from './namespaces.js';

describe.each(redisTargets())('active namespace pointer on $name', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const base = uniqueName('act').replace(/[^a-z0-9-]/g, '');
  const rebuilt = rebuildNamespace(base, Date.UTC(2026, 10, 30, 7, 5, 9));

  afterAll(async () => {
    for (const prefix of [base, rebuilt, `${base}.other`]) {
      await unlinkMatching(redis, `${prefix}:*`);
    }
    redis.disconnect();
  });

  it('names rebuilds after the base and the UTC instant', () => {
    expect(rebuilt).toBe(`${base}.r20261130T070509`);
    expect(() => rebuildNamespace('x'.repeat(60), 0)).toThrow(NamespaceError);
  });

  it('serves the base until a switch, then the namespace switched to', async () => {
    expect(await resolveActiveNamespace(redis, base)).toBe(base);
    await switchActiveNamespace(redis, base, rebuilt, base);
    expect(await resolveActiveNamespace(redis, base)).toBe(rebuilt);
    expect(await redis.get(activeKey(base))).toBe(rebuilt);
  });

  it('refuses a guarded switch when another one happened meanwhile, and foreign namespaces', async () => {
    await expect(switchActiveNamespace(redis, base, `${base}.other`, base)).rejects.toThrow(SwitchConflictError);
    expect(await resolveActiveNamespace(redis, base)).toBe(rebuilt);
    await expect(switchActiveNamespace(redis, base, 'elsewhere', rebuilt)).rejects.toThrow(NamespaceError);
    await redis.set(activeKey(base), 'elsewhere');
    await expect(resolveActiveNamespace(redis, base)).rejects.toThrow(NamespaceError);
    await switchActiveNamespace(redis, base, rebuilt);
  });

  it('lists the namespaces with the live one marked, and drops only the others', async () => {
    await redis.sadd(`${base}:units`, 'u1', 'u2');
    await redis.set(`${base}:{u1}:s:d1`, '{}');
    await redis.sadd(`${rebuilt}:units`, 'u1');
    await redis.sadd(`${base}x:units`, 'not-ours');
    try {
      expect(await listNamespaces(redis, base, await resolveActiveNamespace(redis, base))).toEqual([
        { namespace: base, active: false, units: 2 },
        { namespace: rebuilt, active: true, units: 1 },
      ]);
      await expect(dropNamespace(redis, base, rebuilt)).rejects.toThrow(/live namespace/);
      expect(await dropNamespace(redis, base, base)).toBe(2);
      expect(await redis.get(activeKey(base))).toBe(rebuilt);
      expect(await listNamespaces(redis, base, await resolveActiveNamespace(redis, base))).toEqual([{ namespace: rebuilt, active: true, units: 1 }]);
    } finally {
      await redis.del(`${base}x:units`);
    }
  });

  it('finds every key from a client that has just connected (a cluster SCANs each master once it knows them)', async () => {
    const other = `${base}.other`;
    const units = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const u of units) await redis.set(`${other}:{${u}}:meta`, '1');
    const fresh = createRedisClient({ url, connectionName: 'dvc-test-fresh' });
    try {
      expect(await unlinkMatching(fresh, `${other}:*`)).toBe(units.length);
    } finally {
      fresh.disconnect();
    }
  });
});
