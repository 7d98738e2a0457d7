import { createRedisClient } from '@dvc/read-model';
import { validateEvent } from '@dvc/domain';
import { testProjectionContext } from '@dvc/domain/testing';
import { dossierEvents, redisTargets, uniqueName } from '@dvc/testing';
import { applyEvents } from './apply.js';
import { OwnedStates, PartitionFencedError, statesInHalfTheHeap } from './owned.js';
import { ProjectionStore } from './store.js';

const ctx = testProjectionContext();
const LIMITS = { maxStatesPerPartition: 1000 };

const event = dossierEvents(validateEvent);

const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe.each(redisTargets())('OwnedStates on $name', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const namespace = uniqueName('own').replace(/[^a-z0-9-]/g, '');
  const store = new ProjectionStore(redis, namespace);
  const online = (unit: string, day: number) => redis.hget(store.keys.bucket(unit, `2022-06-${day}`), 'rcv:online');

  afterAll(async () => {
    await store.dropNamespace();
    redis.disconnect();
  });

  it('reads neither what it holds nor what a batch creates, and counts a redelivered batch once', async () => {
    const owner = new OwnedStates(store, LIMITS);
    const batch = [event('a-1', 'a', 'A1', 'received'), event('a-2', 'a', 'A2', 'received')];
    const first = await owner.apply(0, batch, ctx, () => 1);
    // Two receipts begin their dossiers: taken for new (the write checks they do not exist), not read.
    expect({ applied: sum(first.applied), reads: first.reads, tookOver: first.tookOver }).toEqual({ applied: 2, reads: 0, tookOver: true });
    // Both dossiers are open: held, so the redelivery reads nothing and finds both ids.
    const again = await owner.apply(0, batch, ctx, () => 2);
    expect({ applied: sum(again.applied), duplicates: sum(again.duplicates), reads: again.reads, tookOver: again.tookOver }).toEqual({
      applied: 0,
      duplicates: 2,
      reads: 0,
      tookOver: false,
    });
    expect(await online('a', 20)).toBe('2');
  });

  it('holds at most its bound: the least recently used state is forgotten, read again when touched and still recognised', async () => {
    const owner = new OwnedStates(store, { maxStatesPerPartition: 2 });
    await owner.apply(0, [event('e-1', 'e', 'E1', 'received'), event('e-2', 'e', 'E2', 'received')], ctx, () => 1);
    const third = await owner.apply(0, [event('e-3', 'e', 'E3', 'received')], ctx, () => 2);
    expect({ reads: third.reads, held: owner.held() }).toEqual({ reads: 0, held: 2 });
    // E2 and E3 are held; E1 was forgotten. Its late copy, a receipt, is taken for new: the write
    // finds E1 exists and is refused, the unit is read and the copy found applied.
    const late = await owner.apply(0, [event('e-2', 'e', 'E2', 'received'), event('e-1', 'e', 'E1', 'received')], ctx, () => 3);
    expect({ duplicates: sum(late.duplicates), conflicts: late.conflicts, reads: late.reads, held: owner.held() }).toEqual({
      duplicates: 2,
      conflicts: 1,
      reads: 2,
      held: 2,
    });
    expect(await online('e', 20)).toBe('3');
  });

  it('forgets the state touched longest ago, not the one held longest', async () => {
    const owner = new OwnedStates(store, { maxStatesPerPartition: 2 });
    await owner.apply(0, [event('g-1', 'g', 'G1', 'received'), event('g-2', 'g', 'G2', 'received')], ctx, () => 1);
    // G1 is touched again (resolved): G2 is now the least recently used, and the third dossier forgets it.
    await owner.apply(0, [event('g-3', 'g', 'G1', 'resolved')], ctx, () => 2);
    await owner.apply(0, [event('g-4', 'g', 'G3', 'received')], ctx, () => 3);
    // G1 is still held (nothing read); G2 was forgotten, so its next event reads it.
    const g1 = await owner.apply(0, [event('g-5', 'g', 'G1', 'resolved')], ctx, () => 4);
    const g2 = await owner.apply(0, [event('g-6', 'g', 'G2', 'resolved')], ctx, () => 5);
    expect({ g1: g1.reads, g2: g2.reads, held: owner.held() }).toEqual({ g1: 0, g2: 1, held: 2 });
  });

  it('shares the bound over all its partitions: taking one more over shrinks what each holds', async () => {
    const owner = new OwnedStates(store, { maxStatesPerPartition: 1000, maxStates: 4 });
    await owner.apply(6, [event('h-1', 'h', 'H1', 'received'), event('h-2', 'h', 'H2', 'received'), event('h-3', 'h', 'H3', 'received')], ctx, () => 1);
    expect(owner.held()).toBe(3);
    // A second partition: each may hold 2, so partition 6 forgets its least recently used (H1) at once.
    await owner.apply(7, [event('h-4', 'h', 'H4', 'received'), event('h-5', 'h', 'H5', 'received'), event('h-6', 'h', 'H6', 'received')], ctx, () => 2);
    expect(owner.held()).toBe(4);
    const h1 = await owner.apply(6, [event('h-7', 'h', 'H1', 'resolved')], ctx, () => 3);
    const h3 = await owner.apply(6, [event('h-8', 'h', 'H3', 'resolved')], ctx, () => 4);
    expect({ h1: h1.reads, h3: h3.reads, held: owner.held() }).toEqual({ h1: 1, h3: 0, held: 4 });
  });

  it("refuses a previous owner's late write once another instance took the partition over", async () => {
    const old = new OwnedStates(store, LIMITS);
    await old.apply(1, [event('b-1', 'b', 'B1', 'received')], ctx, () => 1);
    const next = new OwnedStates(store, LIMITS);
    const taken = await next.apply(1, [event('b-2', 'b', 'B2', 'received')], ctx, () => 2);
    expect(taken.tookOver).toBe(true);
    // The old owner still believes it owns partition 1: its write to unit b is refused, whole.
    await expect(old.apply(1, [event('b-3', 'b', 'B3', 'received')], ctx, () => 3)).rejects.toBeInstanceOf(PartitionFencedError);
    // Nor does it take the partition back by itself (that would fence out the rightful owner) before its group reassigns it.
    await expect(old.apply(1, [event('b-3', 'b', 'B3', 'received')], ctx, () => 3)).rejects.toThrow('not written until the group assigns it again');
    expect(await online('b', 20)).toBe('2');
    expect(await redis.exists(store.keys.state('b', 'dossier:B3'))).toBe(0);
    // Another partition's share of the same unit is not affected by that take-over.
    await old.apply(2, [event('b-4', 'b', 'B4', 'received')], ctx, () => 4);
    expect(await online('b', 20)).toBe('3');
    // The new owner goes on; once the old one rejoins and takes over again, it goes on too.
    await next.apply(1, [event('b-5', 'b', 'B5', 'received')], ctx, () => 5);
    old.release();
    const back = await old.apply(1, [event('b-3', 'b', 'B3', 'received'), event('b-5', 'b', 'B5', 'received')], ctx, () => 6);
    expect({ applied: sum(back.applied), duplicates: sum(back.duplicates), tookOver: back.tookOver }).toEqual({ applied: 1, duplicates: 1, tookOver: true });
    expect(await online('b', 20)).toBe('5');
  });

  it('a batch still in flight across a rejoin does not lock the instance out of the partition it was given again', async () => {
    const owner = new OwnedStates(store, LIMITS);
    const first = owner.apply(5, [event('f-1', 'f', 'F1', 'received')], ctx, () => 1);
    // The group rebalanced while the batch was in flight and gave partition 5 back to this instance.
    owner.release();
    const second = owner.apply(5, [event('f-2', 'f', 'F2', 'received')], ctx, () => 2);
    await Promise.allSettled([first, second]);
    // Whether the first batch landed or was refused, the partition is still this instance's.
    const third = await owner.apply(5, [event('f-3', 'f', 'F3', 'received'), event('f-1', 'f', 'F1', 'received')], ctx, () => 3);
    expect(third.tookOver).toBe(false);
    expect(await online('f', 20)).toBe('3');
  });

  it("re-reads a unit another kind of writer changed behind its back, and loses none of that writer's events", async () => {
    const owner = new OwnedStates(store, LIMITS);
    await owner.apply(3, [event('c-1', 'c', 'C1', 'received')], ctx, () => 1);
    // A writer that owns no partition (a rebuild's tail) resolves C1 through the compare-and-set path.
    await applyEvents(store, [event('c-2', 'c', 'C1', 'resolved')], ctx, () => 2);
    // The owner's memory says C1 is open and C2 is new, so it reads nothing; the unit's `ext`
    // moved, so its write is refused, the unit read again and recomputed.
    const stats = await owner.apply(3, [event('c-2', 'c', 'C1', 'resolved'), event('c-3', 'c', 'C2', 'received')], ctx, () => 3);
    expect({ applied: sum(stats.applied), duplicates: sum(stats.duplicates), conflicts: stats.conflicts }).toEqual({ applied: 1, duplicates: 1, conflicts: 1 });
    const state = JSON.parse((await redis.get(store.keys.state('c', 'dossier:C1')))!.replace(/^\d+\|/, '')) as { ids: string[]; resolvedAt?: number };
    expect({ ids: state.ids, resolved: state.resolvedAt !== undefined }).toEqual({ ids: ['c-1', 'c-2'], resolved: true });
    expect(await redis.hget(store.keys.bucket('c', '2022-06-22'), 'flow_out')).toBe('1');
  });

  it('recomputes when the other writer strikes between what it holds and its write', async () => {
    const owner = new OwnedStates(store, LIMITS);
    await owner.apply(4, [event('d-1', 'd', 'D1', 'received')], ctx, () => 1);
    // Another dossier of the unit, through the compare-and-set path: the unit's `ext` moves.
    await applyEvents(store, [event('d-2', 'd', 'D2', 'received')], ctx, () => 2);
    // D1 is held, so nothing is read: the write is refused, the unit read again and recomputed.
    const stats = await owner.apply(4, [event('d-3', 'd', 'D1', 'resolved')], ctx, () => 3);
    expect({ applied: sum(stats.applied), conflicts: stats.conflicts, reads: stats.reads }).toEqual({ applied: 1, conflicts: 1, reads: 1 });
    expect(await online('d', 20)).toBe('2');
    expect(await redis.hget(store.keys.bucket('d', '2022-06-22'), 'flow_out')).toBe('1');
  });
});

describe('statesInHalfTheHeap', () => {
  it('counts the states of about 1 KB each that fill half a heap limit', () => {
    expect([statesInHalfTheHeap(4 * 1024 ** 3), statesInHalfTheHeap(704 * 1024 ** 2)]).toEqual([2_097_152, 360_448]);
    expect(statesInHalfTheHeap()).toBeGreaterThan(0);
  });
});
