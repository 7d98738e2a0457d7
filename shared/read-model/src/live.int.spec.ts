import { createRedisClient, unlinkMatching } from './client.js';
import { redisTargets, uniqueName } from '@dvc/testing';
import { activeKey, rebuildNamespace, switchActiveNamespace } from './namespaces.js';
import { createLiveView, pinnedView } from './live.js';
import { Keys } from './keys.js';

describe.each(redisTargets())('live view (namespace and clock) on $name', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const base = uniqueName('live').replace(/[^a-z0-9-]/g, '');
  const rebuilt = rebuildNamespace(base, Date.parse('2026-12-03T02:00:00Z'));
  const wall = Date.parse('2026-12-03T09:00:00Z');
  const at = (hour: number) => Date.parse(`2022-06-22T${String(hour).padStart(2, '0')}:00:00+07:00`);

  /** Units with the given latest applied business times, as the projector's script records them. */
  const seed = async (namespace: string, latest: Record<string, number>) => {
    const keys = new Keys(namespace);
    for (const [unit, ms] of Object.entries(latest)) {
      await redis.sadd(keys.units(), unit);
      await redis.hset(keys.meta(unit), 'lastEventMs', String(ms), 'applied:vn.dvc.dossier.received', '1');
    }
  };

  beforeAll(async () => {
    await seed(base, { u1: at(8), u2: at(9), u3: at(10), u4: at(11), u5: at(12) });
    await seed(rebuilt, { u1: at(14), u2: at(15), u3: at(16) });
  });

  afterAll(async () => {
    for (const prefix of [base, rebuilt]) {
      await unlinkMatching(redis, `${prefix}:*`);
    }
    redis.disconnect();
  });

  it('resolves the base and the wall clock by default', async () => {
    const view = createLiveView({ redis, base, clock: { mode: 'wall' }, wall: () => wall });
    const live = await view.resolve();
    expect(live).toMatchObject({ namespace: base, nowMs: wall, wallMs: wall, clockMode: 'wall' });
    expect(live.keys.units()).toBe(`${base}:units`);
  });

  it('takes the median of the units, not the one unit with an event dated 2099', async () => {
    const view = createLiveView({ redis, base, clock: { mode: 'event' }, wall: () => wall });
    expect((await view.resolve()).nowMs).toBe(at(10));
    await seed(base, { u5: Date.parse('2099-01-01T00:00:00Z') });
    expect((await view.resolve()).nowMs).toBe(at(10));
    await seed(base, { u5: at(12) });
  });

  it('never lets the watermark pass the wall clock', async () => {
    const view = createLiveView({ redis, base, clock: { mode: 'event' }, wall: () => at(9) });
    expect(await view.resolve()).toMatchObject({ nowMs: at(9), wallMs: at(9), clockMode: 'event' });
  });

  it('follows a switch of <base>:active on the next resolve, namespace and watermark together', async () => {
    const event = createLiveView({ redis, base, clock: { mode: 'event' }, wall: () => wall });
    const asOf = createLiveView({ redis, base, clock: { mode: 'as-of', asOfMs: at(17) }, wall: () => wall });
    expect((await event.resolve()).namespace).toBe(base);
    await switchActiveNamespace(redis, base, rebuilt, base);
    try {
      const after = await event.resolve();
      expect(after).toMatchObject({ namespace: rebuilt, nowMs: at(15), clockMode: 'event' });
      expect(after.keys.meta('u1')).toBe(`${rebuilt}:{u1}:meta`);
      expect(await asOf.resolve()).toMatchObject({ namespace: rebuilt, nowMs: at(17), wallMs: wall, clockMode: 'as-of' });
    } finally {
      await redis.del(activeKey(base));
    }
    expect((await event.resolve()).namespace).toBe(base);
  });

  it('pins a namespace at the instant of an earlier read', async () => {
    const live = await createLiveView({ redis, base, clock: { mode: 'as-of', asOfMs: at(17) }, wall: () => wall }).resolve();
    const pinned = pinnedView(live, rebuilt);
    expect(pinned.clock).toEqual({ mode: 'as-of', asOfMs: at(17) });
    expect(await pinned.resolve()).toMatchObject({ namespace: rebuilt, nowMs: at(17), wallMs: wall, clockMode: 'as-of' });
    expect((await pinned.resolve()).keys.units()).toBe(`${rebuilt}:units`);
  });
});
