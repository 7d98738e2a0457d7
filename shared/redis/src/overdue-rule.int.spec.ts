import { createRedisClient } from '@dvc/read-model';
import fc from 'fast-check';
import {
  daysOverdueAt,
  effectiveDueMs,
  isDueSoonAt,
  isOverdueAt,
  isPaused,
  openMembership,
  subjectKey,
  validateEvent,
  type DossierState,
  type DvcEvent,
} from '@dvc/domain';
import { testProjectionContext } from '@dvc/domain/testing';
import {
  parseStoredState,
  readDueSoon,
  readOverdue,
  readPaused,
  readSnapshots,
  type Page,
  type PageRequest,
  type QueueItem,
  type ReadAt,
} from '@dvc/read-model';
import { redisTargets, uniqueName } from '@dvc/testing';
import { applyEvents } from './apply.js';
import { ProjectionStore } from './store.js';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const T0 = Date.parse('2022-05-02T08:00:00+07:00');
const ctx = testProjectionContext();
const UNITS = ['u0', 'u1', 'u2'];

/** One dossier's story: receipt, its due time (a date, working days or none), pauses, and how it ends. */
const dossierArb = fc.record({
  unit: fc.integer({ min: 0, max: UNITS.length - 1 }),
  receivedMin: fc.integer({ min: 0, max: 30 * 24 * 60 }),
  dueKind: fc.constantFrom('at', 'days', 'none'),
  dueAfterMin: fc.integer({ min: 0, max: 15 * 24 * 60 }),
  dueDays: fc.integer({ min: 0, max: 10 }),
  /** Gap before each supplement request and how long it lasts (0: still waiting). */
  pauses: fc.array(fc.tuple(fc.integer({ min: 1, max: 15 * 24 * 60 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 * 24 * 60 }))), { maxLength: 2 }),
  end: fc.constantFrom('open', 'open', 'resolved', 'withdrawn'),
  endAfterMin: fc.integer({ min: 1, max: 20 * 24 * 60 }),
});
type DossierPlan = typeof dossierArb extends fc.Arbitrary<infer T> ? T : never;

/** RFC 3339 in Vietnam time of a whole-minute instant. */
const iso = (ms: number) => new Date(ms + 7 * H).toISOString().replace('.000Z', '+07:00');

function story(plan: DossierPlan, id: string): DvcEvent[] {
  const unit = UNITS[plan.unit] ?? 'u0';
  const out: DvcEvent[] = [];
  const add = (type: string, at: number, data: Record<string, unknown>) => {
    const result = validateEvent({
      specversion: '1.0',
      id: `${id}-${out.length}`,
      source: 'test/rule',
      type: `vn.dvc.dossier.${type}`,
      time: iso(at),
      subject: id,
      unitid: unit,
      data: { dossierId: id, unitId: unit, ...data },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    out.push(result.event);
  };
  const received = T0 + plan.receivedMin * MIN;
  const due = plan.dueKind === 'at' ? { dueAt: iso(received + plan.dueAfterMin * MIN) } : plan.dueKind === 'days' ? { processingDays: plan.dueDays } : {};
  add('received', received, { procedureId: `P${plan.dueDays}`, channel: 'online', receivedAt: iso(received), ...due });
  let t = received;
  for (const [gap, length] of plan.pauses) {
    t += gap * MIN;
    add('supplement_requested', t, { at: iso(t) });
    if (length === 0) break;
    t += length * MIN;
    add('supplement_received', t, { at: iso(t) });
  }
  t += plan.endAfterMin * MIN;
  if (plan.end === 'resolved') add('resolved', t, { resolvedAt: iso(t), outcome: 'approved', processedOnline: true });
  if (plan.end === 'withdrawn') add('withdrawn', t, { at: iso(t) });
  return out;
}

const byTime = (a: DvcEvent, b: DvcEvent) => Date.parse(a.time) - Date.parse(b.time);
const byKey = (a: readonly [number, string], b: readonly [number, string]) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

describe.each(redisTargets())(
  'the read model answers exactly as the domain rules, over a seeded random history written by the projector, on $name',
  ({ url }) => {
    const redis = createRedisClient({ url, connectionName: 'dvc-test' });
    const stores: ProjectionStore[] = [];
    /** Which cases the histories reached, so the comparison is known to cover them. */
    const seen = new Set<string>();

    afterAll(async () => {
      for (const store of stores) await store.dropNamespace();
      redis.disconnect();
    });

    const everyPage = async (read: (request: PageRequest) => Promise<Page<QueueItem>>): Promise<QueueItem[]> => {
      const items: QueueItem[] = [];
      let after: string | undefined;
      do {
        const page = await read({ limit: 7, after });
        items.push(...page.items);
        after = page.next;
      } while (after !== undefined);
      return items;
    };

    it('overdue now, due soon and paused: every list and count equals isOverdueAt / isDueSoonAt / isPaused over the stored states', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(dossierArb, { minLength: 40, maxLength: 120 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), async (plans, picks) => {
          const store = new ProjectionStore(redis, uniqueName('rule').replace(/[^a-z0-9-]/g, ''));
          stores.push(store);
          const ids = plans.map((_, i) => `D${String(i).padStart(3, '0')}`);
          const events = plans.flatMap((plan, i) => story(plan, ids[i] ?? '')).sort(byTime);
          for (let i = 0; i < events.length; i += 25) await applyEvents(store, events.slice(i, i + 25), ctx, () => T0);

          const states = new Map<string, { unit: string; id: string; state: DossierState }>();
          for (const [i, plan] of plans.entries()) {
            const unit = UNITS[plan.unit] ?? 'u0';
            const id = ids[i] ?? '';
            const key = store.keys.state(unit, subjectKey('dossier', id));
            const raw = await redis.get(key);
            if (raw === null) throw new Error(`no state at ${key}`);
            const { state } = parseStoredState(raw, key);
            if (state.kind !== 'dossier') throw new Error(`${key} is not a dossier`);
            states.set(id, { unit, id, state });
          }
          // Instants: fixed ones, and the edges of some due times (exactly due, 1 ms either side, 24 h ahead).
          const dues = [...states.values()].map((s) => openMembership(s.state)).flatMap((m) => (m.set === 'open' && m.dueMs !== undefined ? [m.dueMs] : []));
          const nows = [T0 + 20 * DAY, T0 + 35 * DAY, T0 + 50 * DAY];
          for (const pick of picks) {
            const due = dues[pick % Math.max(1, dues.length)];
            if (due !== undefined) nows.push(due, due - 1, due + 1, due - 24 * H, due - 24 * H - 1);
          }

          for (const nowMs of nows) {
            const at: ReadAt = { keys: store.keys, nowMs };
            const snapshots = await readSnapshots(redis, store.keys, UNITS, [], nowMs);
            for (const [u, unit] of UNITS.entries()) {
              const mine = [...states.values()].filter((s) => s.unit === unit);
              const item = ({ id, state }: { id: string; state: DossierState }): QueueItem => ({
                dossierId: id,
                procedureId: state.procedureId,
                receivedAtMs: state.receivedAt ?? Number.NaN,
                dueMs: effectiveDueMs(state, nowMs),
                daysOverdue: daysOverdueAt(state, nowMs),
                pausedSinceMs: state.pausedSince,
              });
              const ordered = (list: typeof mine, score: (s: DossierState) => number) =>
                list
                  .map((s) => [score(s.state), s.id, s] as const)
                  .sort((a, b) => byKey([a[0], a[1]], [b[0], b[1]]))
                  .map(([, , s]) => item(s));
              const dueOf = (s: DossierState) => effectiveDueMs(s, nowMs) ?? Number.POSITIVE_INFINITY;
              const overdue = ordered(
                mine.filter((s) => isOverdueAt(s.state, nowMs)),
                dueOf,
              );
              const dueSoon = ordered(
                mine.filter((s) => isDueSoonAt(s.state, nowMs)),
                dueOf,
              );
              const paused = ordered(
                mine.filter((s) => isPaused(s.state)),
                (s) => s.pausedSince ?? Number.NaN,
              );
              const open = mine.filter((s) => openMembership(s.state).set === 'open').length;

              expect(await everyPage((r) => readOverdue(redis, at, unit, r))).toEqual(overdue);
              expect(await everyPage((r) => readDueSoon(redis, at, unit, r))).toEqual(dueSoon);
              expect(await everyPage((r) => readPaused(redis, at, unit, r))).toEqual(paused);
              expect(snapshots[u]).toMatchObject({
                open: { overdue: overdue.length, inTime: open - overdue.length, dueWithin24h: dueSoon.length },
                paused: paused.length,
              });

              if (overdue.length > 0) seen.add('overdue');
              if (dueSoon.length > 0) seen.add('due soon');
              if (dueSoon.some((d) => d.dueMs === nowMs)) seen.add('due exactly now');
              if (dueSoon.some((d) => d.dueMs === nowMs + 24 * H)) seen.add('due exactly 24 h ahead');
              if (overdue.some((d) => d.dueMs === nowMs - 1)) seen.add('overdue by 1 ms');
              if (paused.length > 1) seen.add('paused');
              if (paused.some((d) => d.daysOverdue > 0)) seen.add('paused after its due time');
              if (mine.some((s) => openMembership(s.state).set === 'open' && effectiveDueMs(s.state, nowMs) === undefined)) seen.add('open without a due time');
              if (mine.some((s) => openMembership(s.state).set === 'open' && s.state.pausedMs > 0)) seen.add('open after a pause');
            }
          }
        }),
        { seed: 20220622, numRuns: 4, endOnFailure: true },
      );
      expect([...seen].sort()).toEqual([
        'due exactly 24 h ahead',
        'due exactly now',
        'due soon',
        'open after a pause',
        'open without a due time',
        'overdue',
        'overdue by 1 ms',
        'paused',
        'paused after its due time',
      ]);
    });
  },
);
