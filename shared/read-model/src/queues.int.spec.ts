import { createRedisClient, unlinkMatching } from './client.js';
import { SETS, emptyDossier, subjectKey, type DossierState } from '@dvc/domain';
import { redisTargets, uniqueName } from '@dvc/testing';
import { CorruptStateError, Keys } from './keys.js';
import {
  PageRequestError,
  listUnits,
  readDueSoon,
  readOverdue,
  readPaused,
  readReceiptOverdue,
  readResultNotReturned,
  type Page,
  type PageRequest,
  type QueueItem,
} from './queues.js';
import { readSnapshots } from './snapshot.js';

const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.parse('2022-06-22T17:00:00+07:00');
const RECEIVED = NOW - 30 * DAY;

describe.each(redisTargets())('the lists of a unit on $name: pages, cursors, states read with them', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const namespace = uniqueName('rmq').replace(/[^a-z0-9-]/g, '');
  const keys = new Keys(namespace);
  const at = { keys, nowMs: NOW };

  /** A received dossier as the projector stores it: its state, and its place in the open or paused set. */
  const put = async (unit: string, id: string, patch: Partial<DossierState>) => {
    const state: DossierState = { ...emptyDossier(), receivedAt: RECEIVED, procedureId: `P-${id}`, ...patch };
    await redis.set(keys.state(unit, subjectKey('dossier', id)), `1|${JSON.stringify(state)}`);
    if (state.pausedSince !== undefined) await redis.zadd(keys.set(unit, SETS.paused), state.pausedSince, id);
    else await redis.zadd(keys.set(unit, SETS.open), state.dueAt === undefined ? '+inf' : state.pausedMs + state.dueAt, id);
    await redis.sadd(keys.units(), unit);
  };
  const ids = (page: Page<QueueItem>) => page.items.map((i) => i.dossierId);
  /** Every page of a list, following the cursors. */
  const whole = async (read: (request: PageRequest) => Promise<Page<QueueItem>>, limit: number): Promise<string[][]> => {
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await read({ limit, after });
      pages.push(ids(page));
      after = page.next;
    } while (after !== undefined);
    return pages;
  };

  afterAll(async () => {
    await unlinkMatching(redis, `${namespace}:*`);
    redis.disconnect();
  });

  it('answers each question at its edges, with ids and times, and the snapshot counts the same lists', async () => {
    const u = 'edges';
    await put(u, 'late-3d', { dueAt: NOW - 3 * DAY - H });
    await put(u, 'late-1ms', { dueAt: NOW - 1 });
    await put(u, 'due-now', { dueAt: NOW });
    await put(u, 'due-24h', { dueAt: NOW + DAY });
    await put(u, 'due-24h-1ms', { dueAt: NOW + DAY + 1 });
    await put(u, 'no-due', {});
    await put(u, 'closed-pause', { dueAt: NOW - 2 * H, pausedMs: 3 * H });
    await put(u, 'paused-late', { dueAt: NOW - 5 * DAY, pausedSince: NOW - 2 * DAY, supplementRequests: 1 });
    await put(u, 'paused-early', { dueAt: NOW + 5 * DAY, pausedSince: NOW - 3 * DAY, supplementRequests: 1 });

    expect(await readOverdue(redis, at, u, { limit: 10 })).toEqual({
      items: [
        { dossierId: 'late-3d', procedureId: 'P-late-3d', receivedAtMs: RECEIVED, dueMs: NOW - 3 * DAY - H, daysOverdue: 3 },
        { dossierId: 'late-1ms', procedureId: 'P-late-1ms', receivedAtMs: RECEIVED, dueMs: NOW - 1, daysOverdue: 0 },
      ],
      next: undefined,
    });
    expect(await readDueSoon(redis, at, u, { limit: 10 })).toEqual({
      items: [
        { dossierId: 'due-now', procedureId: 'P-due-now', receivedAtMs: RECEIVED, dueMs: NOW, daysOverdue: 0 },
        { dossierId: 'closed-pause', procedureId: 'P-closed-pause', receivedAtMs: RECEIVED, dueMs: NOW + H, daysOverdue: 0 },
        { dossierId: 'due-24h', procedureId: 'P-due-24h', receivedAtMs: RECEIVED, dueMs: NOW + DAY, daysOverdue: 0 },
      ],
      next: undefined,
    });
    // Longest waiting first; the due time runs on with the pause, the lateness it had stays.
    expect(await readPaused(redis, at, u, { limit: 10 })).toEqual({
      items: [
        {
          dossierId: 'paused-early',
          procedureId: 'P-paused-early',
          receivedAtMs: RECEIVED,
          dueMs: NOW + 8 * DAY,
          daysOverdue: 0,
          pausedSinceMs: NOW - 3 * DAY,
        },
        { dossierId: 'paused-late', procedureId: 'P-paused-late', receivedAtMs: RECEIVED, dueMs: NOW - 3 * DAY, daysOverdue: 3, pausedSinceMs: NOW - 2 * DAY },
      ],
      next: undefined,
    });
    const [snapshot] = await readSnapshots(redis, keys, [u], [], NOW);
    expect(snapshot).toMatchObject({ open: { overdue: 2, inTime: 5, dueWithin24h: 3 }, paused: 2 });
  });

  it('lists the online submissions past their receipt deadline, the earliest first, paged, as the snapshot counts them', async () => {
    const u = 'receipts';
    /** An online submission not yet received, as the projector stores it: its state, and its receipt deadline in the pending-receipt set. */
    const submit = async (id: string, submittedAt: number, deadline: number) => {
      const state: DossierState = { ...emptyDossier(), submittedAt, procedureId: `P-${id}` };
      await redis.set(keys.state(u, subjectKey('dossier', id)), `1|${JSON.stringify(state)}`);
      await redis.zadd(keys.set(u, SETS.pendingReceipt), deadline, id);
    };
    await submit('late-2d', NOW - 4 * DAY, NOW - 2 * DAY - H);
    await submit('late-1ms', NOW - 2 * DAY, NOW - 1);
    await submit('deadline-now', NOW - DAY, NOW);
    await submit('in-time', NOW - H, NOW + DAY);
    await redis.sadd(keys.units(), u);
    const late2d = { dossierId: 'late-2d', procedureId: 'P-late-2d', submittedAtMs: NOW - 4 * DAY, deadlineMs: NOW - 2 * DAY - H, daysLate: 2 };
    const late1ms = { dossierId: 'late-1ms', procedureId: 'P-late-1ms', submittedAtMs: NOW - 2 * DAY, deadlineMs: NOW - 1, daysLate: 0 };
    expect(await readReceiptOverdue(redis, at, u, { limit: 10 })).toEqual({ items: [late2d, late1ms], next: undefined });
    const first = await readReceiptOverdue(redis, at, u, { limit: 1 });
    expect(first.items).toEqual([late2d]);
    expect(await readReceiptOverdue(redis, at, u, { limit: 1, after: first.next })).toEqual({ items: [late1ms], next: undefined });
    const [snapshot] = await readSnapshots(redis, keys, [u], [], NOW);
    expect(snapshot).toMatchObject({ receiptOverdue: 2 });
    // A received dossier in the pending-receipt set is refused as corrupt, naming its key.
    await redis.zadd(keys.set(u, SETS.pendingReceipt), NOW - 3 * DAY, 'received-already');
    await redis.set(
      keys.state(u, subjectKey('dossier', 'received-already')),
      `1|${JSON.stringify({ ...emptyDossier(), submittedAt: NOW - 5 * DAY, receivedAt: NOW - 4 * DAY })}`,
    );
    await expect(readReceiptOverdue(redis, at, u, { limit: 10 })).rejects.toThrow(/not an online submission waiting for receipt/);
  });

  it('lists the resolved dossiers whose result was not returned by its deadline, the earliest first, paged, as the snapshot counts them', async () => {
    const u = 'results';
    /** A resolved dossier as the projector stores it: its state, and its return deadline in the awaiting-result set while the result is not returned. */
    const resolve = async (id: string, resolvedAt: number, deadline: number, returnedAt?: number) => {
      const state: DossierState = {
        ...emptyDossier(),
        receivedAt: RECEIVED,
        resolvedAt,
        procedureId: `P-${id}`,
        ...(returnedAt === undefined ? {} : { returnedAt }),
      };
      await redis.set(keys.state(u, subjectKey('dossier', id)), `1|${JSON.stringify(state)}`);
      if (returnedAt === undefined) await redis.zadd(keys.set(u, SETS.awaitingResult), deadline, id);
    };
    await resolve('late-3d', NOW - 5 * DAY, NOW - 3 * DAY - H);
    await resolve('late-1ms', NOW - 2 * DAY, NOW - 1);
    await resolve('deadline-now', NOW - DAY, NOW);
    await resolve('in-time', NOW - H, NOW + DAY);
    await resolve('returned', NOW - 6 * DAY, NOW - 4 * DAY, NOW - 5 * DAY);
    await redis.sadd(keys.units(), u);
    const late3d = {
      dossierId: 'late-3d',
      procedureId: 'P-late-3d',
      receivedAtMs: RECEIVED,
      resolvedAtMs: NOW - 5 * DAY,
      deadlineMs: NOW - 3 * DAY - H,
      daysLate: 3,
    };
    const late1ms = { dossierId: 'late-1ms', procedureId: 'P-late-1ms', receivedAtMs: RECEIVED, resolvedAtMs: NOW - 2 * DAY, deadlineMs: NOW - 1, daysLate: 0 };
    expect(await readResultNotReturned(redis, at, u, { limit: 10 })).toEqual({ items: [late3d, late1ms], next: undefined });
    const first = await readResultNotReturned(redis, at, u, { limit: 1 });
    expect(first.items).toEqual([late3d]);
    expect(await readResultNotReturned(redis, at, u, { limit: 1, after: first.next })).toEqual({ items: [late1ms], next: undefined });
    const [snapshot] = await readSnapshots(redis, keys, [u], [], NOW);
    expect(snapshot).toMatchObject({ resultOverdue: 2 });
    // A returned dossier left in the awaiting-result set is refused as corrupt, naming its key.
    await redis.zadd(keys.set(u, SETS.awaitingResult), NOW - 4 * DAY, 'returned');
    await expect(readResultNotReturned(redis, at, u, { limit: 10 })).rejects.toThrow(/not a resolved dossier waiting for its result/);
  });

  it('pages in (due, id) order and the pages add up to the list', async () => {
    const u = 'pages';
    const due = NOW - 2 * DAY;
    for (const id of ['c', 'a', 'b']) await put(u, `same-${id}`, { dueAt: due });
    await put(u, 'first', { dueAt: due - H });
    await put(u, 'last', { dueAt: due + H });
    await put(u, 'x-earlier', { dueAt: due - 2 * H });
    await put(u, 'y-later', { dueAt: due + 2 * H });
    const order = ['x-earlier', 'first', 'same-a', 'same-b', 'same-c', 'last', 'y-later'];
    expect(await whole((r) => readOverdue(redis, at, u, r), 2)).toEqual([order.slice(0, 2), order.slice(2, 4), order.slice(4, 6), order.slice(6)]);
    expect(await whole((r) => readOverdue(redis, at, u, r), 7)).toEqual([order]);
    expect(await whole((r) => readOverdue(redis, at, u, r), 1000)).toEqual([order]);
    expect(await readOverdue(redis, at, 'nobody', { limit: 5 })).toEqual({ items: [], next: undefined });
  });

  it('keeps its place while the list changes: after the cursor, never again what came before', async () => {
    const u = 'moving';
    const due = NOW - 2 * DAY;
    for (const id of ['a', 'b', 'c', 'd', 'e']) await put(u, `s-${id}`, { dueAt: due });
    await put(u, 'z-next', { dueAt: due + H });
    const first = await readOverdue(redis, at, u, { limit: 2 });
    expect(ids(first)).toEqual(['s-a', 's-b']);
    // The cursor's own dossier is resolved, one before it and one after it arrive, one on the next page leaves.
    await redis.zrem(keys.set(u, SETS.open), 's-b');
    await put(u, 's-aa', { dueAt: due });
    await put(u, 'early', { dueAt: due - DAY });
    await put(u, 's-ba', { dueAt: due });
    await redis.zrem(keys.set(u, SETS.open), 's-d');
    const second = await readOverdue(redis, at, u, { limit: 2, after: first.next });
    expect(ids(second)).toEqual(['s-ba', 's-c']);
    // The cursor's dossier moves later (a longer due time): the next page still starts after its old place.
    await redis.zadd(keys.set(u, SETS.open), due + 3 * H, 's-c');
    const third = await readOverdue(redis, at, u, { limit: 2, after: second.next });
    expect(ids(third)).toEqual(['s-e', 'z-next']);
    expect(third.next).toBeDefined();
    expect(await readOverdue(redis, at, u, { limit: 2, after: third.next })).toEqual({
      items: [expect.objectContaining({ dossierId: 's-c' })],
      next: undefined,
    });
  });

  it("refuses a bad limit or another list's cursor, and a member without a state", async () => {
    const u = 'refused';
    await put(u, 'p1', { dueAt: NOW, pausedSince: NOW - H, supplementRequests: 1 });
    await put(u, 'p2', { dueAt: NOW, pausedSince: NOW - 1, supplementRequests: 1 });
    for (const limit of [0, 1001, 1.5, Number.NaN]) {
      await expect(readPaused(redis, at, u, { limit })).rejects.toThrow(PageRequestError);
    }
    await expect(readPaused(redis, at, u, { limit: 0 })).rejects.toThrow('limit 0 is not a whole number from 1 to 1000');
    const page = await readPaused(redis, at, u, { limit: 1 });
    expect(ids(page)).toEqual(['p1']);
    await expect(readOverdue(redis, at, u, { limit: 1, after: page.next })).rejects.toThrow(/was not issued for the overdue list/);
    await redis.zadd(keys.set(u, SETS.open), NOW - DAY, 'ghost');
    await expect(readOverdue(redis, at, u, { limit: 5 })).rejects.toThrow(
      new CorruptStateError(`state ${keys.state(u, 'dossier:ghost')} is missing, yet its dossier is in the unit's lists`),
    );
  });

  it('lists the units of the namespace, sorted', async () => {
    expect(await listUnits(redis, keys)).toEqual(['edges', 'moving', 'pages', 'receipts', 'refused', 'results']);
    expect(await listUnits(redis, new Keys(`${namespace}-none`))).toEqual([]);
  });
});
