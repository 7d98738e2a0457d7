import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { createWorkCalendar, type CalendarYear } from '../calendar/calendar.js';
import { EVENT_TYPES, type DvcEvent, type EventType } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { openMembership } from '../timeliness/dossier.js';
import { createDayIndexer } from '../windows/days.js';
import {
  CURRENT_BUCKET,
  Field,
  contributions,
  groupByUnit,
  projectUnit,
  subjectKey,
  subjectKeyOf,
  type UnitChanges,
} from './project.js';
import { StateKindMismatchError, evolve, type ProjectionContext, type SubjectState } from './state.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const ctx: ProjectionContext = { days, calendar: createWorkCalendar([], days) };

function calendar2022(): ProjectionContext {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, 'infra', 'data', 'calendar', '2022.json');
    if (existsSync(file)) {
      return { days, calendar: createWorkCalendar([JSON.parse(readFileSync(file, 'utf8')) as CalendarYear], days) };
    }
    if (dirname(dir) === dir) throw new Error('infra/data/calendar/2022.json not found');
  }
}

const TIME_FIELD: Record<EventType, string | undefined> = {
  'vn.dvc.dossier.submitted': 'submittedAt',
  'vn.dvc.dossier.received': 'receivedAt',
  'vn.dvc.dossier.supplement_requested': 'at',
  'vn.dvc.dossier.supplement_received': 'at',
  'vn.dvc.dossier.deadline_extended': 'at',
  'vn.dvc.dossier.resolved': 'resolvedAt',
  'vn.dvc.dossier.result_returned': 'at',
  'vn.dvc.dossier.withdrawn': 'at',
  'vn.dvc.dossier.digitized': 'at',
  'vn.dvc.dossier.reopened': 'at',
  'vn.dvc.payment.completed': 'paidAt',
  'vn.dvc.report.submitted': 'submittedAt',
  'vn.dvc.procedure.published': undefined,
  'vn.dvc.community_team.registered': undefined,
};

/** A contract event built from its data and checked by the real validator (the generators cannot produce invalid input). */
function ev(type: EventType, id: string, data: Record<string, unknown>, time?: string): DvcEvent {
  const subject = data[EVENT_TYPES[type].subjectField];
  const timeField = TIME_FIELD[type];
  const raw = {
    specversion: '1.0',
    id,
    source: 'test',
    type,
    time: time ?? (timeField === undefined ? '2022-01-01T00:00:00Z' : data[timeField]),
    subject,
    unitid: data['unitId'],
    data,
  };
  const result = validateEvent(raw);
  if (!result.ok) throw new Error(`test built an invalid event: ${JSON.stringify(result.problems)}`);
  return result.event;
}

const iso = (ms: number): string => new Date(ms).toISOString();

type Counters = Record<string, Record<string, number>>;

/** Plain, sorted, zero-free view of a counters map, so toEqual compares what an exporter would read. */
function plain(counters: Map<string, Map<string, number>>): Counters {
  const out: Counters = {};
  for (const bucket of [...counters.keys()].sort()) {
    const fields = counters.get(bucket);
    if (fields === undefined) continue;
    const entries = [...fields].filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length > 0) out[bucket] = Object.fromEntries(entries);
  }
  return out;
}

/** What an adapter keeps between batches: states (as stored JSON), counters, open and paused sets. */
interface Store {
  states: Map<string, Map<string, SubjectState>>;
  counters: Map<string, Map<string, Map<string, number>>>;
  open: Map<string, Map<string, number>>;
  paused: Map<string, Set<string>>;
  applied: number;
  duplicates: number;
}

const emptyStore = (): Store => ({ states: new Map(), counters: new Map(), open: new Map(), paused: new Map(), applied: 0, duplicates: 0 });

const getOr = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
};

function applyBatch(store: Store, events: readonly DvcEvent[], context: ProjectionContext = ctx): UnitChanges[] {
  const all: UnitChanges[] = [];
  for (const [unit, unitEvents] of groupByUnit(events)) {
    const states = getOr(store.states, unit, () => new Map<string, SubjectState>());
    const before = new Map<string, SubjectState | undefined>();
    for (const e of unitEvents) before.set(subjectKeyOf(e), states.get(subjectKeyOf(e)));
    const changes = projectUnit(unit, unitEvents, before, context);
    all.push(changes);
    for (const [key, state] of changes.states) states.set(key, JSON.parse(JSON.stringify(state)) as SubjectState);
    const counters = getOr(store.counters, unit, () => new Map<string, Map<string, number>>());
    for (const [bucket, fields] of changes.counters) {
      const target = getOr(counters, bucket, () => new Map<string, number>());
      for (const [field, amount] of fields) target.set(field, (target.get(field) ?? 0) + amount);
    }
    const open = getOr(store.open, unit, () => new Map<string, number>());
    const paused = getOr(store.paused, unit, () => new Set<string>());
    for (const id of changes.openRemove) open.delete(id);
    for (const [id, due] of changes.openUpsert) open.set(id, due);
    for (const id of changes.pausedRemove) paused.delete(id);
    for (const id of changes.pausedAdd) paused.add(id);
    for (const n of changes.applied.values()) store.applied += n;
    for (const n of changes.duplicates.values()) store.duplicates += n;
  }
  return all;
}

interface View {
  counters: Record<string, Counters>;
  open: Record<string, Record<string, number>>;
  paused: Record<string, string[]>;
  states: Record<string, Record<string, SubjectState>>;
}

function view(store: Store): View {
  const units = [...new Set([...store.states.keys(), ...store.counters.keys()])].sort();
  const v: View = { counters: {}, open: {}, paused: {}, states: {} };
  for (const unit of units) {
    v.counters[unit] = plain(store.counters.get(unit) ?? new Map());
    v.open[unit] = Object.fromEntries([...(store.open.get(unit) ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)));
    v.paused[unit] = [...(store.paused.get(unit) ?? new Set<string>())].sort();
    v.states[unit] = Object.fromEntries([...(store.states.get(unit) ?? new Map<string, SubjectState>())].sort(([a], [b]) => a.localeCompare(b)));
  }
  return v;
}

/** The same view computed from final states alone: counters are the sum of contributions. */
function viewFromStates(store: Store): Pick<View, 'counters' | 'open' | 'paused'> {
  const v: Pick<View, 'counters' | 'open' | 'paused'> = { counters: {}, open: {}, paused: {} };
  for (const unit of [...store.states.keys()].sort()) {
    const counters = new Map<string, Map<string, number>>();
    const open: [string, number][] = [];
    const paused: string[] = [];
    for (const [key, state] of store.states.get(unit) ?? new Map<string, SubjectState>()) {
      for (const [k, amount] of contributions(state, ctx)) {
        const [bucket = '', field = ''] = k.split('\n');
        const fields = getOr(counters, bucket, () => new Map<string, number>());
        fields.set(field, (fields.get(field) ?? 0) + amount);
      }
      if (state.kind !== 'dossier') continue;
      const id = key.slice('dossier:'.length);
      const m = openMembership(state);
      if (m.set === 'open') open.push([id, m.dueMs ?? Number.POSITIVE_INFINITY]);
      if (m.set === 'paused') paused.push(id);
    }
    v.counters[unit] = plain(counters);
    v.open[unit] = Object.fromEntries(open.sort(([a], [b]) => a.localeCompare(b)));
    v.paused[unit] = paused.sort();
  }
  return v;
}

// ---------------------------------------------------------------------------------------------

const U = 'so-tu-phap';
const received = (id: string, dossierId: string, receivedAt: string, extra: Record<string, unknown> = {}) =>
  ev('vn.dvc.dossier.received', id, { dossierId, unitId: U, procedureId: 'P1', channel: 'online', receivedAt, ...extra });
const resolved = (id: string, dossierId: string, resolvedAt: string, extra: Record<string, unknown> = {}) =>
  ev('vn.dvc.dossier.resolved', id, { dossierId, unitId: U, resolvedAt, outcome: 'approved', processedOnline: true, ...extra });
const moment = (type: EventType, id: string, dossierId: string, at: string) => ev(type, id, { dossierId, unitId: U, at });

describe('projectUnit: exact counter deltas', () => {
  it('received then resolved: one receipt on the local receipt day, one on-time online resolution on the local resolution day', () => {
    const store = emptyStore();
    const [first] = applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00', { dueAt: '2022-06-24T17:00:00+07:00' })]);
    expect(plain(first?.counters ?? new Map())).toEqual({ '2022-06-22': { [Field.received('online')]: 1 } });
    expect(first?.openUpsert).toEqual(new Map([['D1', Date.parse('2022-06-24T10:00:00Z')]]));
    expect(first?.applied).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(first?.lastEventMs).toBe(Date.parse('2022-06-22T01:00:00Z'));

    const [second] = applyBatch(store, [resolved('e2', 'D1', '2022-06-23T23:30:00Z')]);
    // 23:30Z is 06:30 the next morning in Hồ Chí Minh City.
    expect(plain(second?.counters ?? new Map())).toEqual({ '2022-06-24': { 'res:on_time:online': 1 } });
    expect(second?.openRemove).toEqual(new Set(['D1']));
    expect(second?.openUpsert.size).toBe(0);
    expect(view(store).counters[U]).toEqual({
      '2022-06-22': { 'rcv:online': 1 },
      '2022-06-24': { 'res:on_time:online': 1 },
    });
  });

  it('an overdue paper resolution lands in the overdue/paper field', () => {
    const store = emptyStore();
    applyBatch(store, [
      received('e1', 'D1', '2022-06-22T08:00:00+07:00', { dueAt: '2022-06-24T17:00:00+07:00', channel: 'direct' }),
      resolved('e2', 'D1', '2022-06-24T17:00:00.001+07:00', { processedOnline: false }),
    ]);
    expect(view(store).counters[U]).toEqual({
      '2022-06-22': { 'rcv:direct': 1 },
      '2022-06-24': { 'res:overdue:paper': 1 },
    });
    expect(view(store).open[U]).toEqual({});
  });

  it('an event at 23:30Z lands in the next local day bucket', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-21T23:30:00Z')]);
    expect(view(store).counters[U]).toEqual({ '2022-06-22': { 'rcv:online': 1 } });
    applyBatch(store, [received('e2', 'D2', '2022-06-21T16:59:59.999Z')]);
    expect(view(store).counters[U]).toEqual({ '2022-06-21': { 'rcv:online': 1 }, '2022-06-22': { 'rcv:online': 1 } });
  });

  it('a later resolution moves the count to its day: -1 on the old day, +1 on the new', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00'), resolved('e2', 'D1', '2022-06-23T09:00:00+07:00')]);
    const [changes] = applyBatch(store, [resolved('e3', 'D1', '2022-06-27T09:00:00+07:00')]);
    expect(plain(changes?.counters ?? new Map())).toEqual({
      '2022-06-23': { 'res:on_time:online': -1 },
      '2022-06-27': { 'res:on_time:online': 1 },
    });
  });

  it('digitization counts on the day the dossier was received, even when it arrives days later', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00')]);
    const [changes] = applyBatch(store, [moment('vn.dvc.dossier.digitized', 'e2', 'D1', '2022-06-30T08:00:00+07:00')]);
    expect(plain(changes?.counters ?? new Map())).toEqual({ '2022-06-22': { dig: 1 } });
  });

  it('withdrawal leaves the open set and is counted on its day, so received = resolved + open + withdrawn', () => {
    const store = emptyStore();
    applyBatch(store, [
      received('e1', 'D1', '2022-06-22T08:00:00+07:00'),
      received('e2', 'D2', '2022-06-22T09:00:00+07:00'),
      received('e3', 'D3', '2022-06-22T10:00:00+07:00'),
      moment('vn.dvc.dossier.withdrawn', 'e4', 'D1', '2022-06-23T08:00:00+07:00'),
      resolved('e5', 'D2', '2022-06-23T08:00:00+07:00'),
    ]);
    const v = view(store);
    expect(v.counters[U]).toEqual({
      '2022-06-22': { 'rcv:online': 3 },
      '2022-06-23': { 'res:on_time:online': 1, wdr: 1 },
    });
    expect(v.open[U]).toEqual({ D3: Number.POSITIVE_INFINITY });
  });

  it('supplement request moves a dossier from open to paused and back, with the due time pushed by the pause', () => {
    const store = emptyStore();
    const due = '2022-06-24T17:00:00+07:00';
    applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00', { dueAt: due })]);
    const [pause] = applyBatch(store, [moment('vn.dvc.dossier.supplement_requested', 'e2', 'D1', '2022-06-22T10:00:00+07:00')]);
    expect(pause?.openRemove).toEqual(new Set(['D1']));
    expect(pause?.pausedAdd).toEqual(new Set(['D1']));
    expect(pause?.counters.size).toBe(0);
    const [resume] = applyBatch(store, [moment('vn.dvc.dossier.supplement_received', 'e3', 'D1', '2022-06-23T10:00:00+07:00')]);
    expect(resume?.pausedRemove).toEqual(new Set(['D1']));
    expect(resume?.openUpsert).toEqual(new Map([['D1', Date.parse(due) + 86_400_000]]));
  });

  it('payments, reports, procedures and teams', () => {
    const store = emptyStore();
    applyBatch(store, [
      ev('vn.dvc.payment.completed', 'p1', { paymentId: 'PAY1', unitId: U, kind: 'fee', amountVnd: 50_000, channel: 'online', paidAt: '2022-06-22T23:00:00Z' }),
      ev('vn.dvc.payment.completed', 'p2', { paymentId: 'PAY2', unitId: U, kind: 'fee', amountVnd: 30_000, channel: 'online', paidAt: '2022-06-23T08:00:00+07:00' }),
      ev('vn.dvc.report.submitted', 'r1', { reportId: 'R1', unitId: U, channel: 'offline', submittedAt: '2022-06-22T08:00:00+07:00' }),
      ev('vn.dvc.procedure.published', 'c1', { procedureId: 'P1', unitId: U, onlineCapable: true }),
      ev('vn.dvc.procedure.published', 'c2', { procedureId: 'P2', unitId: U, onlineCapable: false }),
      ev('vn.dvc.community_team.registered', 't1', { teamId: 'T1', unitId: U, teamLevel: 'village', members: 12 }),
    ]);
    expect(view(store).counters[U]).toEqual({
      '2022-06-22': { 'rep:offline': 1 },
      '2022-06-23': { 'pay:fee:online': 2, 'vnd:fee:online': 80_000 },
      [CURRENT_BUCKET]: { 'proc:online_capable': 1, 'team:village': 1, 'members:village': 12 },
    });
    // A procedure losing online capability takes its count back.
    const [changes] = applyBatch(store, [ev('vn.dvc.procedure.published', 'c3', { procedureId: 'P1', unitId: U, onlineCapable: false })]);
    expect(plain(changes?.counters ?? new Map())).toEqual({ [CURRENT_BUCKET]: { 'proc:online_capable': -1 } });
  });

  it('processingDays counts working days in the holiday calendar: Friday before Tết 2022 + 1 is the end of Monday 7 February', () => {
    const store = emptyStore();
    const [changes] = applyBatch(store, [received('e1', 'D1', '2022-01-28T10:00:00+07:00', { processingDays: 1 })], calendar2022());
    expect(changes?.openUpsert).toEqual(new Map([['D1', Date.parse('2022-02-07T16:59:59.999Z')]]));
    expect(store.states.get(U)?.get('dossier:D1')).toMatchObject({ dueAt: Date.parse('2022-02-07T16:59:59.999Z') });
    const [late] = applyBatch(store, [resolved('e2', 'D1', '2022-02-07T17:00:00Z')], calendar2022());
    expect(plain(late?.counters ?? new Map())).toEqual({ '2022-02-08': { 'res:overdue:online': 1 } });
  });

  it('an explicit dueAt wins over processingDays', () => {
    const [changes] = applyBatch(
      emptyStore(),
      [received('e1', 'D1', '2022-01-28T10:00:00+07:00', { processingDays: 1, dueAt: '2022-01-28T17:00:00+07:00' })],
      calendar2022(),
    );
    expect(changes?.openUpsert).toEqual(new Map([['D1', Date.parse('2022-01-28T10:00:00Z')]]));
  });
});

describe('projectUnit: duplicates and batching', () => {
  it('the same event id twice is applied once and the duplicate is counted', () => {
    const e1 = received('e1', 'D1', '2022-06-22T08:00:00+07:00');
    const store = emptyStore();
    const [changes] = applyBatch(store, [e1, e1]);
    expect(changes?.applied).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(changes?.duplicates).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(plain(changes?.counters ?? new Map())).toEqual({ '2022-06-22': { 'rcv:online': 1 } });
    const [again] = applyBatch(store, [e1]);
    expect(again?.duplicates).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(again?.applied.size).toBe(0);
    expect(again?.states.size).toBe(0);
    expect(again?.counters.size).toBe(0);
    expect(view(store).counters[U]).toEqual({ '2022-06-22': { 'rcv:online': 1 } });
  });

  it('a batch split in two gives the same counters as one batch', () => {
    const events = [
      received('e1', 'D1', '2022-06-22T08:00:00+07:00', { dueAt: '2022-06-23T17:00:00+07:00' }),
      received('e2', 'D2', '2022-06-22T09:00:00+07:00', { channel: 'postal' }),
      moment('vn.dvc.dossier.supplement_requested', 'e3', 'D1', '2022-06-22T10:00:00+07:00'),
      moment('vn.dvc.dossier.digitized', 'e4', 'D2', '2022-06-25T10:00:00+07:00'),
      moment('vn.dvc.dossier.supplement_received', 'e5', 'D1', '2022-06-24T10:00:00+07:00'),
      resolved('e6', 'D1', '2022-06-25T09:00:00+07:00'),
      moment('vn.dvc.dossier.withdrawn', 'e7', 'D2', '2022-06-26T09:00:00+07:00'),
    ];
    const one = emptyStore();
    applyBatch(one, events);
    for (let cut = 1; cut < events.length; cut++) {
      const two = emptyStore();
      applyBatch(two, events.slice(0, cut));
      applyBatch(two, events.slice(cut));
      expect(view(two)).toEqual(view(one));
    }
    expect(view(one).counters[U]).toEqual({
      '2022-06-22': { 'rcv:online': 1, 'rcv:postal': 1, dig: 1 },
      '2022-06-25': { 'res:on_time:online': 1 },
      '2022-06-26': { wdr: 1 },
    });
  });

  it('refuses an event of another unit', () => {
    expect(() => projectUnit('other', [received('e1', 'D1', '2022-06-22T08:00:00+07:00')], new Map(), ctx)).toThrow(
      'event e1 of unit so-tu-phap projected into unit other',
    );
  });

  it('keys subjects by kind, so a payment and a dossier may share an id', () => {
    const store = emptyStore();
    applyBatch(store, [
      received('e1', 'X1', '2022-06-22T08:00:00+07:00'),
      ev('vn.dvc.payment.completed', 'e2', { paymentId: 'X1', unitId: U, kind: 'fee', amountVnd: 1, channel: 'offline', paidAt: '2022-06-22T08:00:00+07:00' }),
    ]);
    expect([...(store.states.get(U)?.keys() ?? [])].sort()).toEqual([subjectKey('dossier', 'X1'), subjectKey('payment', 'X1')]);
    expect(() => evolve(store.states.get(U)?.get('payment:X1'), received('e3', 'X1', '2022-06-22T08:00:00+07:00'), ctx)).toThrow(
      StateKindMismatchError,
    );
  });

  it('does not mutate the states it was given', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00')]);
    const before = store.states.get(U)?.get('dossier:D1');
    const snapshot = JSON.stringify(before);
    projectUnit(U, [moment('vn.dvc.dossier.supplement_requested', 'e2', 'D1', '2022-06-22T10:00:00+07:00')], new Map([['dossier:D1', before]]), ctx);
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

// --- property: order across subjects, duplicates and batch cuts do not change the outcome ---------

const YEAR_START = Date.parse('2022-01-01T00:00:00Z');
const YEAR_END = Date.parse('2022-12-31T00:00:00Z');
const DAY = 86_400_000;

/** A gap of business time: often zero, or crossing a 17:00Z local midnight by a hair. */
const gap = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * DAY }), fc.integer({ min: 1, max: 120_000 }));

type Step =
  | { t: 'supReq' | 'supRcv' | 'dig' | 'ext' | 'ret' | 'wdr' | 'reopen'; gap: number }
  | { t: 'res'; gap: number; online: boolean; outcome: 'approved' | 'rejected'; dueGap: number | null };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constantFrom('supReq', 'supRcv', 'dig', 'ext', 'ret', 'wdr', 'reopen' as const), gap }),
  fc.record({
    t: fc.constant('res' as const),
    gap,
    online: fc.boolean(),
    outcome: fc.constantFrom('approved' as const, 'rejected' as const),
    dueGap: fc.option(fc.integer({ min: -DAY, max: 10 * DAY }), { nil: null }),
  }),
);

const dossierArb = fc.record({
  submitted: fc.boolean(),
  received: fc.boolean(),
  start: fc.integer({ min: YEAR_START, max: YEAR_END }),
  channel: fc.constantFrom('online', 'direct', 'postal'),
  due: fc.oneof(
    fc.record({ kind: fc.constant('at' as const), after: fc.integer({ min: 0, max: 10 * DAY }) }),
    fc.record({ kind: fc.constant('days' as const), n: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ kind: fc.constant('none' as const) }),
  ),
  steps: fc.array(stepArb, { maxLength: 8 }),
});

const paymentArb = fc.record({
  at: fc.integer({ min: YEAR_START, max: YEAR_END }),
  kind: fc.constantFrom('fee', 'land_obligation'),
  channel: fc.constantFrom('online', 'offline'),
  amount: fc.integer({ min: 0, max: 50_000_000 }),
  repeats: fc.integer({ min: 1, max: 2 }), // a payment subject may see a second (corrected) event
});

const reportArb = fc.record({ at: fc.integer({ min: YEAR_START, max: YEAR_END }), channel: fc.constantFrom('online', 'offline') });
const procedureArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 3 });
const teamArb = fc.record({ level: fc.constantFrom('commune', 'village'), members: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 2 }) });

const unitArb = fc.record({
  dossiers: fc.array(dossierArb, { maxLength: 6 }),
  payments: fc.array(paymentArb, { maxLength: 3 }),
  reports: fc.array(reportArb, { maxLength: 2 }),
  procedures: fc.array(procedureArb, { maxLength: 2 }),
  teams: fc.array(teamArb, { maxLength: 2 }),
});

const UNITS = ['ubnd-bien-hoa', 'so-tu-phap', 'xa-tan-an'];

type UnitHistory = typeof unitArb extends fc.Arbitrary<infer V> ? V : never;

/** Per-subject event sequences (each in its own business order), with unique event ids. */
function buildHistories(units: readonly UnitHistory[]): DvcEvent[][] {
  const out: DvcEvent[][] = [];
  units.forEach((u, ui) => {
    const unitId = UNITS[ui] ?? 'u';
    u.dossiers.forEach((d, di) => {
      const dossierId = `D${ui}-${di}`;
      const seq: DvcEvent[] = [];
      const id = () => `${unitId}/${dossierId}/${seq.length}`;
      let t = d.start;
      if (d.submitted) seq.push(ev('vn.dvc.dossier.submitted', id(), { dossierId, unitId, procedureId: 'P', submittedAt: iso(t) }));
      if (d.received) {
        const data: Record<string, unknown> = { dossierId, unitId, procedureId: 'P', channel: d.channel, receivedAt: iso(t) };
        if (d.due.kind === 'at') data['dueAt'] = iso(t + d.due.after);
        if (d.due.kind === 'days') data['processingDays'] = d.due.n;
        seq.push(ev('vn.dvc.dossier.received', id(), data));
      }
      for (const s of d.steps) {
        t += s.gap;
        const at = iso(t);
        switch (s.t) {
          case 'supReq': seq.push(ev('vn.dvc.dossier.supplement_requested', id(), { dossierId, unitId, at })); break;
          case 'supRcv': seq.push(ev('vn.dvc.dossier.supplement_received', id(), { dossierId, unitId, at })); break;
          case 'dig': seq.push(ev('vn.dvc.dossier.digitized', id(), { dossierId, unitId, at })); break;
          case 'ext': seq.push(ev('vn.dvc.dossier.deadline_extended', id(), { dossierId, unitId, at, newDueAt: iso(t + DAY) })); break;
          case 'ret': seq.push(ev('vn.dvc.dossier.result_returned', id(), { dossierId, unitId, at })); break;
          case 'wdr': seq.push(ev('vn.dvc.dossier.withdrawn', id(), { dossierId, unitId, at })); break;
          case 'reopen': seq.push(ev('vn.dvc.dossier.reopened', id(), { dossierId, unitId, at })); break;
          case 'res': {
            const data: Record<string, unknown> = { dossierId, unitId, resolvedAt: at, outcome: s.outcome, processedOnline: s.online };
            if (s.dueGap !== null) data['dueAt'] = iso(Math.max(YEAR_START, t + s.dueGap));
            seq.push(ev('vn.dvc.dossier.resolved', id(), data));
            break;
          }
        }
      }
      if (seq.length > 0) out.push(seq);
    });
    u.payments.forEach((p, pi) => {
      const paymentId = `PAY${ui}-${pi}`;
      const seq: DvcEvent[] = [];
      for (let r = 0; r < p.repeats; r++) {
        seq.push(
          ev('vn.dvc.payment.completed', `${unitId}/${paymentId}/${r}`, {
            paymentId, unitId, dossierId: `D${ui}-0`, kind: p.kind, amountVnd: p.amount + r, channel: p.channel, paidAt: iso(p.at + r * DAY),
          }),
        );
      }
      out.push(seq);
    });
    u.reports.forEach((r, ri) => {
      out.push([ev('vn.dvc.report.submitted', `${unitId}/R${ri}`, { reportId: `R${ui}-${ri}`, unitId, channel: r.channel, submittedAt: iso(r.at) })]);
    });
    u.procedures.forEach((flags, pi) => {
      out.push(flags.map((onlineCapable, k) => ev('vn.dvc.procedure.published', `${unitId}/PROC${pi}/${k}`, { procedureId: `PROC${pi}`, unitId, onlineCapable })));
    });
    u.teams.forEach((team, ti) => {
      out.push(
        team.members.map((members, k) =>
          ev('vn.dvc.community_team.registered', `${unitId}/T${ti}/${k}`, { teamId: `T${ti}`, unitId, teamLevel: team.level, members }),
        ),
      );
    });
  });
  return out;
}

/** Interleaves subject sequences following `picks` (each pick chooses among the subjects with events left). */
function interleave(seqs: readonly DvcEvent[][], picks: readonly number[]): DvcEvent[] {
  const heads = seqs.map(() => 0);
  const out: DvcEvent[] = [];
  const total = seqs.reduce((n, s) => n + s.length, 0);
  for (let i = 0; out.length < total; i++) {
    const live = seqs.map((_, k) => k).filter((k) => (heads[k] ?? 0) < (seqs[k]?.length ?? 0));
    const k = live[(picks[i % Math.max(1, picks.length)] ?? 0) % live.length] ?? 0;
    const head = heads[k] ?? 0;
    const e = seqs[k]?.[head];
    if (e === undefined) throw new Error('interleave bug');
    out.push(e);
    heads[k] = head + 1;
  }
  return out;
}

/** Re-deliveries: copies of earlier events inserted later in the stream (at-least-once). */
function withDuplicates(events: readonly DvcEvent[], dups: readonly [number, number][]): DvcEvent[] {
  const out = [...events];
  for (const [a, b] of dups) {
    if (out.length === 0) break;
    const src = a % out.length;
    const pos = src + 1 + (b % (out.length - src));
    const copy = out[src];
    if (copy !== undefined) out.splice(pos, 0, copy);
  }
  return out;
}

function cut(events: readonly DvcEvent[], cuts: readonly number[]): DvcEvent[][] {
  const points = [...new Set(cuts.map((c) => (events.length === 0 ? 0 : c % (events.length + 1))))].sort((a, b) => a - b);
  const batches: DvcEvent[][] = [];
  let from = 0;
  for (const p of [...points, events.length]) {
    batches.push(events.slice(from, p));
    from = p;
  }
  return batches;
}

describe('projectUnit: order, duplicates and batching do not change the outcome (property)', () => {
  it('summed counters, final open/paused sets and states equal those of one in-order batch', () => {
    fc.assert(
      fc.property(
        fc.array(unitArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (units, picks, dups, cuts) => {
          const seqs = buildHistories(units);
          const reference = emptyStore();
          const inOrder = seqs.flat();
          applyBatch(reference, inOrder);
          const expected = view(reference);
          // The counters are exactly the sum of the final states' contributions.
          expect(viewFromStates(reference)).toEqual({ counters: expected.counters, open: expected.open, paused: expected.paused });

          // (a) interleaved, one batch
          const interleaved = interleave(seqs, picks);
          const a = emptyStore();
          applyBatch(a, interleaved);
          expect(view(a)).toEqual(expected);

          // (b) with re-deliveries, one batch
          const duplicated = withDuplicates(interleaved, dups);
          const b = emptyStore();
          applyBatch(b, duplicated);
          expect(view(b)).toEqual(expected);
          expect(b.applied).toBe(inOrder.length);
          expect(b.duplicates).toBe(duplicated.length - inOrder.length);

          // (c) cut into batches, states carried between calls as stored JSON
          const c = emptyStore();
          for (const batch of cut(duplicated, cuts)) applyBatch(c, batch);
          expect(view(c)).toEqual(expected);
          expect(c.applied).toBe(inOrder.length);
          expect(c.duplicates).toBe(duplicated.length - inOrder.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
