import { createRedisClient, unlinkKeys } from '@dvc/read-model';
import { redisTargets, uniqueName } from '@dvc/testing';
import { EpochGuard, createEpoch, epochKey, readEpoch } from './epoch.js';

describe.each(redisTargets())('the epoch sentinel of a projection namespace, on $name', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const namespaces: string[] = [];
  const fresh = () => {
    const ns = uniqueName('epoch').replace(/[^a-z0-9-]/g, '');
    namespaces.push(ns);
    return ns;
  };
  const now = () => 1_700_000_000_000;

  afterAll(async () => {
    await unlinkKeys(redis, namespaces.map(epochKey));
    redis.disconnect();
  });

  it('creates the sentinel once: a second writer keeps the first one', async () => {
    const ns = fresh();
    const first = await createEpoch(redis, ns, 'a', now());
    const second = await createEpoch(redis, ns, 'b', now());
    expect(second).toEqual(first);
    expect(await readEpoch(redis, ns)).toEqual({ id: first.id, createdAtMs: now(), createdBy: 'a' });
  });

  it('a fresh writer creates it; once seen, its disappearance is a loss', async () => {
    const ns = fresh();
    const guard = new EpochGuard(redis, 'projector:test', async () => true, now);
    const born = await guard.check(ns);
    expect(born.ok).toBe(true);
    expect((await guard.check(ns)).ok).toBe(true);
    await redis.unlink(epochKey(ns));
    const lost = await guard.check(ns);
    expect(lost).toEqual({ ok: false, reason: expect.stringMatching(/^.*:epoch \(epoch [0-9a-f-]{36}\) is gone: Redis lost the projection/) });
    // Still lost on the next batch: the guard never re-creates a sentinel it had seen.
    expect((await guard.check(ns)).ok).toBe(false);
  });

  it('a writer with committed progress finding no sentinel reports a loss and creates nothing', async () => {
    const ns = fresh();
    const guard = new EpochGuard(redis, 'projector:test', async () => false, now);
    const check = await guard.check(ns);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('although this consumer group has already committed progress') });
    expect(await readEpoch(redis, ns)).toBeUndefined();
  });

  it('a sentinel replaced by another one (namespace deleted and born again) is a loss too', async () => {
    const ns = fresh();
    const guard = new EpochGuard(redis, 'projector:test', async () => true, now);
    expect((await guard.check(ns)).ok).toBe(true);
    await redis.unlink(epochKey(ns));
    await createEpoch(redis, ns, 'someone-else', now());
    expect(await guard.check(ns)).toEqual({ ok: false, reason: expect.stringContaining('changed from') });
  });

  it('refuses a sentinel it cannot read, naming the key', async () => {
    const ns = fresh();
    await redis.set(epochKey(ns), 'garbage');
    await expect(readEpoch(redis, ns)).rejects.toThrow(`${epochKey(ns)} holds 'garbage', not an epoch written by this system`);
  });
});
