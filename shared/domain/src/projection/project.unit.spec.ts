import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { createWorkCalendar, type CalendarYear, type WorkCalendar } from '../calendar/calendar.js';
import { EVENT_TYPES, type DvcEvent, type EventType } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { openMembership } from '../timeliness/dossier.js';
import { createDayIndexer } from '../windows/days.js';
import {
  CURRENT_BUCKET,
  Field,
  SETS,
  beyondRetention,
  contributions,
  groupByUnit,
  memberships,
  periodBucket,
  projectUnit,
  subjectKey,
  subjectKeysOf,
  type SetName,
  type UnitChanges,
} from './project.js';
import { StateKindMismatchError, evolve, type Period, type ProjectionContext, type SubjectState } from './state.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const RULES: ProjectionContext['rules'] = { resultReturnWorkingDays: 2, receiptWorkingDays: 1, feeBearingProcedures: new Set() };

function context(calendar: WorkCalendar, patch: Partial<ProjectionContext> = {}): ProjectionContext {
  return { days, calendar, periods: [], horizonDay: Number.NEGATIVE_INFINITY, rules: RULES, ...patch };
}

/**
 * Weekends only: 2022 as a data file with no day off (a year without any file would take the
 * Labour Code's holidays).
 */
const WEEKENDS_ONLY = createWorkCalendar([{ year: 2022, zone: days.zone, daysOff: [], workingSaturdays: [] }], days);
const ctx: ProjectionContext = context(WEEKENDS_ONLY);

const CALENDAR_2022 = ((): WorkCalendar => {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, 'infra', 'data', 'calendar', '2022.json');
    if (existsSync(file)) return createWorkCalendar([JSON.parse(readFileSync(file, 'utf8')) as CalendarYear], days);
    if (dirname(dir) === dir) throw new Error('infra/data/calendar/2022.json not found');
  }
})();

function calendar2022(patch: Partial<ProjectionContext> = {}): ProjectionContext {
  return context(CALENDAR_2022, patch);
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

const SET_NAMES: SetName[] = Object.values(SETS);

/** The upserts / removals one batch made to one sorted set (empty when the set was not touched). */
const upserts = (changes: UnitChanges | undefined, set: SetName): Map<string, number> => changes?.sets.get(set)?.upsert ?? new Map();
const removals = (changes: UnitChanges | undefined, set: SetName): Set<string> => changes?.sets.get(set)?.remove ?? new Set();

/** What an adapter keeps between batches: states (as stored JSON), counters and the sorted sets. */
interface Store {
  states: Map<string, Map<string, SubjectState>>;
  counters: Map<string, Map<string, Map<string, number>>>;
  sets: Map<string, Map<SetName, Map<string, number>>>;
  applied: number;
  duplicates: number;
}

const emptyStore = (): Store => ({ states: new Map(), counters: new Map(), sets: new Map(), applied: 0, duplicates: 0 });

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
    // Like the adapter: every subject an event touches (a payment's dossier too) is read first.
    for (const e of unitEvents) for (const key of subjectKeysOf(e)) before.set(key, states.get(key));
    const changes = projectUnit(unit, unitEvents, before, context);
    all.push(changes);
    for (const [key, state] of changes.states) states.set(key, JSON.parse(JSON.stringify(state)) as SubjectState);
    const counters = getOr(store.counters, unit, () => new Map<string, Map<string, number>>());
    for (const [bucket, fields] of changes.counters) {
      const target = getOr(counters, bucket, () => new Map<string, number>());
      for (const [field, amount] of fields) target.set(field, (target.get(field) ?? 0) + amount);
    }
    const sets = getOr(store.sets, unit, () => new Map<SetName, Map<string, number>>());
    for (const [name, { upsert, remove }] of changes.sets) {
      const set = getOr(sets, name, () => new Map<string, number>());
      for (const id of remove) set.delete(id);
      for (const [id, score] of upsert) set.set(id, score);
    }
    for (const n of changes.applied.values()) store.applied += n;
    for (const n of changes.duplicates.values()) store.duplicates += n;
  }
  return all;
}

type Sets = Record<SetName, Record<string, number>>;

function plainSets(sets: Map<SetName, Map<string, number>> | undefined): Sets {
  const out = {} as Sets;
  for (const name of SET_NAMES) {
    out[name] = Object.fromEntries([...(sets?.get(name) ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)));
  }
  return out;
}

interface View {
  counters: Record<string, Counters>;
  sets: Record<string, Sets>;
  states: Record<string, Record<string, SubjectState>>;
}

function view(store: Store): View {
  const units = [...new Set([...store.states.keys(), ...store.counters.keys()])].sort();
  const v: View = { counters: {}, sets: {}, states: {} };
  for (const unit of units) {
    v.counters[unit] = plain(store.counters.get(unit) ?? new Map());
    v.sets[unit] = plainSets(store.sets.get(unit));
    v.states[unit] = Object.fromEntries([...(store.states.get(unit) ?? new Map<string, SubjectState>())].sort(([a], [b]) => a.localeCompare(b)));
  }
  return v;
}

/**
 * The same view computed from final states alone: counters are the sum of contributions, the
 * sets are the memberships (open/paused cross-checked against openMembership).
 */
function viewFromStates(store: Store, context: ProjectionContext = ctx): Pick<View, 'counters' | 'sets'> {
  const v: Pick<View, 'counters' | 'sets'> = { counters: {}, sets: {} };
  for (const unit of [...store.states.keys()].sort()) {
    const counters = new Map<string, Map<string, number>>();
    const sets = new Map<SetName, Map<string, number>>();
    for (const [key, state] of store.states.get(unit) ?? new Map<string, SubjectState>()) {
      for (const [k, amount] of contributions(state, context)) {
        const [bucket = '', field = ''] = k.split('\n');
        const fields = getOr(counters, bucket, () => new Map<string, number>());
        fields.set(field, (fields.get(field) ?? 0) + amount);
      }
      if (state.kind !== 'dossier') continue;
      const id = key.slice('dossier:'.length);
      const m = memberships(state, context);
      for (const [name, score] of m) getOr(sets, name, () => new Map<string, number>()).set(id, score);
      const open = openMembership(state);
      expect(m.has(SETS.open)).toBe(open.set === 'open');
      if (open.set === 'open') expect(m.get(SETS.open)).toBe(open.dueMs ?? Number.POSITIVE_INFINITY);
      expect(m.has(SETS.paused)).toBe(open.set === 'paused');
    }
    v.counters[unit] = plain(counters);
    v.sets[unit] = plainSets(sets);
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
    expect(plain(first?.counters ?? new Map())).toEqual({
      '2022-06-22': { [Field.received('online')]: 1, [Field.procedureOnline('P1')]: 1 },
      [CURRENT_BUCKET]: { [Field.flowIn]: 1 },
    });
    expect(upserts(first, SETS.open)).toEqual(new Map([['D1', Date.parse('2022-06-24T10:00:00Z')]]));
    expect([...(first?.sets.keys() ?? [])]).toEqual([SETS.open]);
    expect(first?.applied).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(first?.lastEventMs).toBe(Date.parse('2022-06-22T01:00:00Z'));

    const [second] = applyBatch(store, [resolved('e2', 'D1', '2022-06-23T23:30:00Z')]);
    // 23:30Z is 06:30 the next morning in Hồ Chí Minh City.
    expect(plain(second?.counters ?? new Map())).toEqual({
      '2022-06-24': { 'res:on_time:online': 1, flow_out: 1 },
      [CURRENT_BUCKET]: { flow_out: 1 },
    });
    expect(removals(second, SETS.open)).toEqual(new Set(['D1']));
    expect(upserts(second, SETS.open).size).toBe(0);
    // Resolved on Friday 24 June: the result is due back by the end of the 2nd working day after, Tuesday 28 June.
    expect(upserts(second, SETS.awaitingResult)).toEqual(new Map([['D1', Date.parse('2022-06-28T16:59:59.999Z')]]));
    expect(view(store).counters[U]).toEqual({
      '2022-06-22': { 'rcv:online': 1, 'proc_online:P1': 1 },
      '2022-06-24': { 'res:on_time:online': 1, flow_out: 1 },
      [CURRENT_BUCKET]: { flow_in: 1, flow_out: 1 },
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
      '2022-06-24': { 'res:overdue:paper': 1, flow_out: 1 },
      [CURRENT_BUCKET]: { flow_in: 1, flow_out: 1 },
    });
    expect(view(store).sets[U]?.open).toEqual({});
  });

  it('an event at 23:30Z lands in the next local day bucket', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-21T23:30:00Z')]);
    expect(view(store).counters[U]?.['2022-06-22']).toMatchObject({ 'rcv:online': 1 });
    applyBatch(store, [received('e2', 'D2', '2022-06-21T16:59:59.999Z')]);
    expect(view(store).counters[U]).toEqual({
      '2022-06-21': { 'rcv:online': 1, 'proc_online:P1': 1 },
      '2022-06-22': { 'rcv:online': 1, 'proc_online:P1': 1 },
      [CURRENT_BUCKET]: { flow_in: 2 },
    });
  });

  it('a later resolution moves the count to its day: -1 on the old day, +1 on the new', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00'), resolved('e2', 'D1', '2022-06-23T09:00:00+07:00')]);
    const [changes] = applyBatch(store, [resolved('e3', 'D1', '2022-06-27T09:00:00+07:00')]);
    expect(plain(changes?.counters ?? new Map())).toEqual({
      '2022-06-23': { 'res:on_time:online': -1, flow_out: -1 },
      '2022-06-27': { 'res:on_time:online': 1, flow_out: 1 },
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
      '2022-06-22': { 'rcv:online': 3, 'proc_online:P1': 3 },
      '2022-06-23': { 'res:on_time:online': 1, wdr: 1, flow_out: 2 },
      [CURRENT_BUCKET]: { flow_in: 3, flow_out: 2 },
    });
    expect(v.sets[U]?.open).toEqual({ D3: Number.POSITIVE_INFINITY });
  });

  it('supplement request moves a dossier from open to paused and back, with the due time pushed by the pause', () => {
    const store = emptyStore();
    const due = '2022-06-24T17:00:00+07:00';
    applyBatch(store, [received('e1', 'D1', '2022-06-22T08:00:00+07:00', { dueAt: due })]);
    const [pause] = applyBatch(store, [moment('vn.dvc.dossier.supplement_requested', 'e2', 'D1', '2022-06-22T10:00:00+07:00')]);
    expect(removals(pause, SETS.open)).toEqual(new Set(['D1']));
    expect(upserts(pause, SETS.paused)).toEqual(new Map([['D1', Date.parse('2022-06-22T10:00:00+07:00')]]));
    expect(pause?.counters.size).toBe(0);
    const [resume] = applyBatch(store, [moment('vn.dvc.dossier.supplement_received', 'e3', 'D1', '2022-06-23T10:00:00+07:00')]);
    expect(removals(resume, SETS.paused)).toEqual(new Set(['D1']));
    expect(upserts(resume, SETS.open)).toEqual(new Map([['D1', Date.parse(due) + 86_400_000]]));
  });

  it('payments, reports, procedures and teams', () => {
    const store = emptyStore();
    applyBatch(store, [
      ev('vn.dvc.payment.completed', 'p1', { paymentId: 'PAY1', unitId: U, kind: 'fee', amountVnd: 50_000, channel: 'online', paidAt: '2022-06-22T23:00:00Z' }),
      ev('vn.dvc.payment.completed', 'p2', {
        paymentId: 'PAY2',
        unitId: U,
        kind: 'fee',
        amountVnd: 30_000,
        channel: 'online',
        paidAt: '2022-06-23T08:00:00+07:00',
      }),
      ev('vn.dvc.report.submitted', 'r1', { reportId: 'R1', unitId: U, channel: 'offline', submittedAt: '2022-06-22T08:00:00+07:00' }),
      ev('vn.dvc.procedure.published', 'c1', { procedureId: 'P1', unitId: U, onlineCapable: true }),
      ev('vn.dvc.procedure.published', 'c2', { procedureId: 'P2', unitId: U, onlineCapable: false }),
      ev('vn.dvc.community_team.registered', 't1', { teamId: 'T1', unitId: U, teamLevel: 'village', members: 12 }),
    ]);
    expect(view(store).counters[U]).toEqual({
      '2022-06-22': { 'rep:offline': 1 },
      '2022-06-23': { 'pay:fee:online': 2, 'vnd:fee:online': 80_000 },
      [CURRENT_BUCKET]: { [Field.procedureCapable('P1')]: 1, 'team:village': 1, 'members:village': 12 },
    });
    // A procedure losing online capability takes its count back.
    const [changes] = applyBatch(store, [ev('vn.dvc.procedure.published', 'c3', { procedureId: 'P1', unitId: U, onlineCapable: false })]);
    expect(plain(changes?.counters ?? new Map())).toEqual({ [CURRENT_BUCKET]: { [Field.procedureCapable('P1')]: -1 } });
  });

  it('processingDays counts working days in the holiday calendar: Friday before Tết 2022 + 1 is the end of Monday 7 February', () => {
    const store = emptyStore();
    const [changes] = applyBatch(store, [received('e1', 'D1', '2022-01-28T10:00:00+07:00', { processingDays: 1 })], calendar2022());
    expect(upserts(changes, SETS.open)).toEqual(new Map([['D1', Date.parse('2022-02-07T16:59:59.999Z')]]));
    expect(store.states.get(U)?.get('dossier:D1')).toMatchObject({ dueAt: Date.parse('2022-02-07T16:59:59.999Z') });
    const [late] = applyBatch(store, [resolved('e2', 'D1', '2022-02-07T17:00:00Z')], calendar2022());
    expect(plain(late?.counters ?? new Map())).toEqual({
      '2022-02-08': { 'res:overdue:online': 1, flow_out: 1 },
      [CURRENT_BUCKET]: { flow_out: 1 },
    });
  });

  it('an explicit dueAt wins over processingDays', () => {
    const [changes] = applyBatch(
      emptyStore(),
      [received('e1', 'D1', '2022-01-28T10:00:00+07:00', { processingDays: 1, dueAt: '2022-01-28T17:00:00+07:00' })],
      calendar2022(),
    );
    expect(upserts(changes, SETS.open)).toEqual(new Map([['D1', Date.parse('2022-01-28T10:00:00Z')]]));
  });
});

describe('projectUnit: duplicates and batching', () => {
  it('the same event id twice is applied once and the duplicate is counted', () => {
    const e1 = received('e1', 'D1', '2022-06-22T08:00:00+07:00');
    const store = emptyStore();
    const [changes] = applyBatch(store, [e1, e1]);
    expect(changes?.applied).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(changes?.duplicates).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(plain(changes?.counters ?? new Map())).toEqual({
      '2022-06-22': { 'rcv:online': 1, 'proc_online:P1': 1 },
      [CURRENT_BUCKET]: { flow_in: 1 },
    });
    const [again] = applyBatch(store, [e1]);
    expect(again?.duplicates).toEqual(new Map([['vn.dvc.dossier.received', 1]]));
    expect(again?.applied.size).toBe(0);
    expect(again?.states.size).toBe(0);
    expect(again?.counters.size).toBe(0);
    expect(again?.sets.size).toBe(0);
    expect(view(store).counters[U]).toEqual({
      '2022-06-22': { 'rcv:online': 1, 'proc_online:P1': 1 },
      [CURRENT_BUCKET]: { flow_in: 1 },
    });
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
      '2022-06-22': { 'rcv:online': 1, 'rcv:postal': 1, dig: 1, 'proc_online:P1': 1 },
      '2022-06-25': { 'res:on_time:online': 1, flow_out: 1 },
      '2022-06-26': { wdr: 1, flow_out: 1 },
      [CURRENT_BUCKET]: { flow_in: 2, flow_out: 2 },
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
    expect(() => evolve(store.states.get(U)?.get('payment:X1'), received('e3', 'X1', '2022-06-22T08:00:00+07:00'), ctx)).toThrow(StateKindMismatchError);
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

const submitted = (id: string, dossierId: string, submittedAt: string, procedureId = 'P1') =>
  ev('vn.dvc.dossier.submitted', id, { dossierId, unitId: U, procedureId, submittedAt });
const payment = (id: string, paymentId: string, paidAt: string, extra: Record<string, unknown> = {}) =>
  ev('vn.dvc.payment.completed', id, { paymentId, unitId: U, kind: 'fee', amountVnd: 20_000, channel: 'online', paidAt, ...extra });
const published = (id: string, procedureId: string, onlineCapable: boolean) => ev('vn.dvc.procedure.published', id, { procedureId, unitId: U, onlineCapable });
const dayOf = (date: string): number => days.dayFromIso(date);
/** The last millisecond of a local day in Hồ Chí Minh City (UTC+7, no DST). */
const endOf = (date: string): number => Date.parse(`${date}T23:59:59.999+07:00`);

describe('projectUnit: online receipt (rcv_late, pending_receipt)', () => {
  // receiptWorkingDays = 1. Submitted on Thu 1 September 2022 (a day off, like Fri 2 September):
  // the first working day after it is Mon 5 September, so receipt is due by its end.
  const SUBMITTED = '2022-09-01T10:00:00+07:00';
  const DEADLINE = endOf('2022-09-05');

  it('received exactly at the receipt deadline is not late', () => {
    const store = emptyStore();
    applyBatch(store, [submitted('e1', 'D1', SUBMITTED), received('e2', 'D1', iso(DEADLINE))], calendar2022());
    expect(view(store).counters[U]).toEqual({
      '2022-09-05': { 'rcv:online': 1, 'proc_online:P1': 1 },
      [CURRENT_BUCKET]: { flow_in: 1 },
    });
  });

  it('received 1 ms after the receipt deadline counts rcv_late on the receipt day', () => {
    const store = emptyStore();
    applyBatch(store, [submitted('e1', 'D1', SUBMITTED), received('e2', 'D1', iso(DEADLINE + 1))], calendar2022());
    expect(view(store).counters[U]).toEqual({
      '2022-09-06': { 'rcv:online': 1, 'proc_online:P1': 1, [Field.receivedLate]: 1 },
      [CURRENT_BUCKET]: { flow_in: 1 },
    });
  });

  it('the same day without the holidays (weekends only) has an earlier deadline: Fri 2 September', () => {
    const [late] = applyBatch(emptyStore(), [submitted('e1', 'D1', SUBMITTED), received('e2', 'D1', iso(endOf('2022-09-02') + 1))]);
    expect(plain(late?.counters ?? new Map())['2022-09-03']).toMatchObject({ rcv_late: 1 });
  });

  it('a submitted dossier waits in pending_receipt, scored by its receipt deadline, and leaves it when received', () => {
    const store = emptyStore();
    const [sub] = applyBatch(store, [submitted('e1', 'D1', SUBMITTED)], calendar2022());
    expect(upserts(sub, SETS.pendingReceipt)).toEqual(new Map([['D1', DEADLINE]]));
    expect([...(sub?.sets.keys() ?? [])]).toEqual([SETS.pendingReceipt]);
    expect(sub?.counters.size).toBe(0); // a submission alone is counted nowhere
    const [dup] = applyBatch(store, [submitted('e1', 'D1', SUBMITTED)], calendar2022());
    expect(dup?.sets.size).toBe(0);
    const [rcv] = applyBatch(store, [received('e2', 'D1', '2022-09-06T08:00:00+07:00')], calendar2022());
    expect(removals(rcv, SETS.pendingReceipt)).toEqual(new Set(['D1']));
    expect(upserts(rcv, SETS.open)).toEqual(new Map([['D1', Number.POSITIVE_INFINITY]]));
    expect(view(store).sets[U]).toEqual({ open: { D1: Number.POSITIVE_INFINITY }, paused: {}, awaiting_result: {}, pending_receipt: {} });
  });

  it('a submitted dossier withdrawn before receipt leaves pending_receipt', () => {
    const store = emptyStore();
    applyBatch(store, [submitted('e1', 'D1', SUBMITTED)], calendar2022());
    const [wdr] = applyBatch(store, [moment('vn.dvc.dossier.withdrawn', 'e2', 'D1', '2022-09-02T08:00:00+07:00')], calendar2022());
    expect(removals(wdr, SETS.pendingReceipt)).toEqual(new Set(['D1']));
    expect(view(store).sets[U]?.pending_receipt).toEqual({});
  });
});

describe('projectUnit: awaiting_result and result_returned_late', () => {
  // resultReturnWorkingDays = 2. Resolved on Wed 31 August 2022: Thu 1 and Fri 2 September are
  // days off, then the weekend, so the result is due back by the end of Tue 6 September.
  const RESOLVED = '2022-08-31T10:00:00+07:00';
  const DEADLINE = endOf('2022-09-06');
  const resolvedDossier = [received('e1', 'D1', '2022-08-30T08:00:00+07:00', { channel: 'direct' }), resolved('e2', 'D1', RESOLVED)];

  it('a resolved dossier enters awaiting_result scored by the return deadline and leaves it when the result is returned', () => {
    const store = emptyStore();
    const [res] = applyBatch(store, resolvedDossier, calendar2022());
    expect(upserts(res, SETS.awaitingResult)).toEqual(new Map([['D1', DEADLINE]]));
    const [ret] = applyBatch(store, [moment('vn.dvc.dossier.result_returned', 'e3', 'D1', iso(DEADLINE))], calendar2022());
    expect(removals(ret, SETS.awaitingResult)).toEqual(new Set(['D1']));
    expect(ret?.sets.size).toBe(1);
    // Returned exactly at the deadline: not late, no counter moves.
    expect(ret?.counters.size).toBe(0);
    expect(view(store).sets[U]?.awaiting_result).toEqual({});
  });

  it('a result returned 1 ms after the deadline flags result_returned_late on the resolution day', () => {
    const store = emptyStore();
    applyBatch(store, resolvedDossier, calendar2022());
    const [ret] = applyBatch(store, [moment('vn.dvc.dossier.result_returned', 'e3', 'D1', iso(DEADLINE + 1))], calendar2022());
    expect(removals(ret, SETS.awaitingResult)).toEqual(new Set(['D1']));
    expect(plain(ret?.counters ?? new Map())).toEqual({ '2022-08-31': { [Field.flag('result_returned_late')]: 1 } });
  });

  it('a withdrawn dossier never awaits a result', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-08-30T08:00:00+07:00'), moment('vn.dvc.dossier.withdrawn', 'e2', 'D1', RESOLVED)], calendar2022());
    expect(view(store).sets[U]).toEqual({ open: {}, paused: {}, awaiting_result: {}, pending_receipt: {} });
  });
});

describe('projectUnit: target periods (carried, open_end, fields inside the period)', () => {
  const JUNE: Period = { id: 'jun', fromDay: dayOf('2022-06-01'), toDay: dayOf('2022-06-30') };
  const withJune = () => context(WEEKENDS_ONLY, { periods: [JUNE] });
  const june = (events: DvcEvent[]) => {
    const store = emptyStore();
    applyBatch(store, events, withJune());
    return view(store).counters[U]?.[periodBucket('jun')];
  };
  const direct = { channel: 'direct' };

  it('received the day before the start and resolved on the start day: carried 1, resolution counted in the period', () => {
    expect(june([received('e1', 'D1', '2022-05-31T10:00:00+07:00', direct), resolved('e2', 'D1', '2022-06-01T00:00:00+07:00')])).toEqual({
      carried: 1,
      'res:on_time:online': 1,
    });
  });

  it('resolved the last millisecond before the start: neither carried nor open at the end, nothing in the period', () => {
    expect(june([received('e1', 'D1', '2022-05-30T10:00:00+07:00', direct), resolved('e2', 'D1', iso(endOf('2022-05-31')))])).toBeUndefined();
  });

  it('received on the start day: counted as received, not carried', () => {
    expect(june([received('e1', 'D1', '2022-06-01T00:00:00+07:00', direct), resolved('e2', 'D1', '2022-06-02T10:00:00+07:00')])).toEqual({
      'rcv:direct': 1,
      'res:on_time:online': 1,
    });
  });

  it('received on the last day and resolved the day after: open_end 1, the resolution is outside the period', () => {
    expect(june([received('e1', 'D1', iso(endOf('2022-06-30')), direct), resolved('e2', 'D1', '2022-07-01T00:00:00+07:00')])).toEqual({
      open_end: 1,
      'rcv:direct': 1,
    });
  });

  it('received and resolved on the last day: not open at the end', () => {
    expect(june([received('e1', 'D1', '2022-06-30T08:00:00+07:00', direct), resolved('e2', 'D1', iso(endOf('2022-06-30')))])).toEqual({
      'rcv:direct': 1,
      'res:on_time:online': 1,
    });
  });

  it('received before the period and still open: carried and open at the end; a withdrawal inside the period ends it', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-05-20T10:00:00+07:00', direct)], withJune());
    expect(view(store).counters[U]?.['p:jun']).toEqual({ carried: 1, open_end: 1 });
    const [wdr] = applyBatch(store, [moment('vn.dvc.dossier.withdrawn', 'e2', 'D1', '2022-06-15T10:00:00+07:00')], withJune());
    expect(plain(wdr?.counters ?? new Map())).toEqual({
      '2022-06-15': { wdr: 1, flow_out: 1 },
      'p:jun': { wdr: 1, open_end: -1 },
      [CURRENT_BUCKET]: { flow_out: 1 },
    });
  });
});

describe('projectUnit: flows', () => {
  it('flow_out on the resolution or withdrawal day, both flows in current, and no flow_in in days (their receipts say it)', () => {
    const store = emptyStore();
    applyBatch(store, [
      received('e1', 'D1', '2022-06-22T08:00:00+07:00', { channel: 'direct' }),
      received('e2', 'D2', '2022-06-22T09:00:00+07:00', { channel: 'direct' }),
      received('e3', 'D3', '2022-06-23T09:00:00+07:00', { channel: 'direct' }),
      resolved('e4', 'D2', '2022-06-23T10:00:00+07:00'),
      moment('vn.dvc.dossier.withdrawn', 'e5', 'D1', '2022-06-24T10:00:00+07:00'),
      // Resolved with no known receipt (received before the history began): no flow at all.
      resolved('e6', 'D4', '2022-06-24T11:00:00+07:00', { dueAt: '2022-06-30T17:00:00+07:00' }),
    ]);
    const counters = view(store).counters[U] ?? {};
    const flows = (bucket: string) => ({ in: counters[bucket]?.['flow_in'] ?? 0, out: counters[bucket]?.['flow_out'] ?? 0 });
    expect(flows('2022-06-22')).toEqual({ in: 0, out: 0 });
    expect(flows('2022-06-23')).toEqual({ in: 0, out: 1 });
    expect(flows('2022-06-24')).toEqual({ in: 0, out: 1 });
    expect(counters['2022-06-22']?.['rcv:direct']).toBe(2);
    expect(counters['2022-06-23']?.['rcv:direct']).toBe(1);
    expect(flows(CURRENT_BUCKET)).toEqual({ in: 3, out: 2 });
    // in − out in 'current' is the open set.
    expect(Object.keys(view(store).sets[U]?.open ?? {})).toEqual(['D3']);
  });
});

describe('projectUnit: deadline extensions (ext)', () => {
  it('counts ext once, on the first extension day, and the extension does not save a late resolution', () => {
    const store = emptyStore();
    applyBatch(store, [received('e1', 'D1', '2022-06-20T08:00:00+07:00', { channel: 'direct', dueAt: '2022-06-24T17:00:00+07:00' })]);
    const [first] = applyBatch(store, [
      ev('vn.dvc.dossier.deadline_extended', 'e2', { dossierId: 'D1', unitId: U, at: '2022-06-23T10:00:00+07:00', newDueAt: '2022-06-28T17:00:00+07:00' }),
    ]);
    expect(plain(first?.counters ?? new Map())).toEqual({ '2022-06-23': { ext: 1 } });
    // The extension does not move the open set's due score.
    expect(first?.sets.size).toBe(0);
    const [second] = applyBatch(store, [
      ev('vn.dvc.dossier.deadline_extended', 'e3', { dossierId: 'D1', unitId: U, at: '2022-06-27T10:00:00+07:00', newDueAt: '2022-06-30T17:00:00+07:00' }),
    ]);
    expect(second?.counters.size).toBe(0);
    const [res] = applyBatch(store, [resolved('e4', 'D1', '2022-06-29T10:00:00+07:00')]);
    expect(plain(res?.counters ?? new Map())).toEqual({
      '2022-06-29': { 'res:overdue:online': 1, flow_out: 1 },
      [CURRENT_BUCKET]: { flow_out: 1 },
    });
    const counters = view(store).counters[U] ?? {};
    expect(Object.values(counters).reduce((n, fields) => n + (fields['ext'] ?? 0), 0)).toBe(1);
  });
});

describe('projectUnit: procedures (proc_online, proc_capable)', () => {
  it('proc_online counts on the receipt day only for online dossiers', () => {
    const store = emptyStore();
    applyBatch(store, [
      received('e1', 'D1', '2022-06-22T08:00:00+07:00', { procedureId: 'P7', channel: 'online' }),
      received('e2', 'D2', '2022-06-22T08:00:00+07:00', { procedureId: 'P8', channel: 'direct' }),
      received('e3', 'D3', '2022-06-22T08:00:00+07:00', { procedureId: 'P8', channel: 'postal' }),
      submitted('e4', 'D4', '2022-06-22T08:00:00+07:00', 'P9'), // submitted online, not yet received
    ]);
    const day = view(store).counters[U]?.['2022-06-22'] ?? {};
    expect(Object.keys(day).filter((f) => f.startsWith('proc_online:'))).toEqual([Field.procedureOnline('P7')]);
    expect(day['proc_online:P7']).toBe(1);
  });

  it('proc_capable appears in current when published online-capable and disappears when republished without', () => {
    const store = emptyStore();
    const [on] = applyBatch(store, [published('c1', 'P7', true)]);
    expect(plain(on?.counters ?? new Map())).toEqual({ [CURRENT_BUCKET]: { 'proc_capable:P7': 1 } });
    const [again] = applyBatch(store, [published('c2', 'P7', true)]);
    expect(again?.counters.size).toBe(0);
    const [off] = applyBatch(store, [published('c3', 'P7', false)]);
    expect(plain(off?.counters ?? new Map())).toEqual({ [CURRENT_BUCKET]: { 'proc_capable:P7': -1 } });
    expect(view(store).counters[U]).toEqual({});
    expect(store.states.get(U)?.get('procedure:P7')).toMatchObject({ onlineCapable: false, ids: ['c1', 'c2', 'c3'] });
  });
});

describe('projectUnit: payments linked to dossiers', () => {
  const FEE = context(WEEKENDS_ONLY, { rules: { ...RULES, feeBearingProcedures: new Set(['FEE']) } });

  it('a payment with a dossierId sets paidAt on the dossier and clears fee_unpaid; its duplicate changes nothing', () => {
    const store = emptyStore();
    applyBatch(
      store,
      [received('e1', 'D1', '2022-06-20T08:00:00+07:00', { procedureId: 'FEE', channel: 'direct' }), resolved('e2', 'D1', '2022-06-22T10:00:00+07:00')],
      FEE,
    );
    expect(view(store).counters[U]?.['2022-06-22']).toEqual({ 'res:on_time:online': 1, flow_out: 1, 'flag:fee_unpaid': 1 });

    const pay = payment('p1', 'PAY1', '2022-06-21T09:00:00+07:00', { dossierId: 'D1' });
    const [paid] = applyBatch(store, [pay], FEE);
    expect([...(paid?.states.keys() ?? [])].sort()).toEqual(['dossier:D1', 'payment:PAY1']);
    expect(paid?.states.get('dossier:D1')).toMatchObject({ paidAt: Date.parse('2022-06-21T09:00:00+07:00'), ids: ['e1', 'e2'] });
    expect(plain(paid?.counters ?? new Map())).toEqual({
      '2022-06-21': { 'pay:fee:online': 1, 'vnd:fee:online': 20_000 },
      '2022-06-22': { 'flag:fee_unpaid': -1 },
    });
    expect(paid?.sets.size).toBe(0);

    const snapshot = JSON.stringify(view(store));
    const [dup] = applyBatch(store, [pay], FEE);
    expect(dup?.duplicates).toEqual(new Map([['vn.dvc.payment.completed', 1]]));
    expect(dup?.applied.size).toBe(0);
    expect(dup?.states.size).toBe(0);
    expect(dup?.counters.size).toBe(0);
    expect(dup?.sets.size).toBe(0);
    expect(JSON.stringify(view(store))).toBe(snapshot);
  });

  it('paidAt keeps the earliest linked payment, and a payment may arrive before any event of its dossier', () => {
    const store = emptyStore();
    const [first] = applyBatch(store, [payment('p1', 'PAY1', '2022-06-21T09:00:00+07:00', { dossierId: 'D1' })], FEE);
    expect(first?.states.get('dossier:D1')).toEqual({
      kind: 'dossier',
      ids: [],
      pausedMs: 0,
      supplementRequests: 0,
      paidAt: Date.parse('2022-06-21T02:00:00Z'),
    });
    expect(first?.sets.size).toBe(0);
    applyBatch(
      store,
      [payment('p2', 'PAY2', '2022-06-20T09:00:00+07:00', { dossierId: 'D1' }), payment('p3', 'PAY3', '2022-06-23T09:00:00+07:00', { dossierId: 'D1' })],
      FEE,
    );
    applyBatch(
      store,
      [received('e1', 'D1', '2022-06-22T08:00:00+07:00', { procedureId: 'FEE', channel: 'direct' }), resolved('e2', 'D1', '2022-06-22T10:00:00+07:00')],
      FEE,
    );
    expect(store.states.get(U)?.get('dossier:D1')).toMatchObject({
      paidAt: Date.parse('2022-06-20T02:00:00Z'),
      receivedAt: Date.parse('2022-06-22T01:00:00Z'),
    });
    expect(view(store).counters[U]?.['2022-06-22']).toEqual({ 'rcv:direct': 1, 'res:on_time:online': 1, flow_out: 1 });
  });

  it('a payment without a dossierId touches no dossier', () => {
    const [changes] = applyBatch(emptyStore(), [payment('p1', 'PAY1', '2022-06-21T09:00:00+07:00')], FEE);
    expect([...(changes?.states.keys() ?? [])]).toEqual(['payment:PAY1']);
  });
});

// --- property: order across subjects, duplicates and batch cuts do not change the outcome ---------

const YEAR_START = Date.parse('2022-01-01T00:00:00Z');
const YEAR_END = Date.parse('2022-12-31T00:00:00Z');
const DAY = 86_400_000;
const FIRST_DAY_2022 = days.dayFromIso('2022-01-01');

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

/** Procedures a dossier may belong to: PROC0 is also published (and fee-bearing in the property's rules). */
const PROCEDURE_IDS = ['P', 'PROC0', 'PROC1'] as const;

const dossierArb = fc.record({
  submitted: fc.boolean(),
  received: fc.boolean(),
  /** Business time between the online submission and the official receipt (may cross the receipt deadline). */
  receiptGap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 * DAY })),
  start: fc.integer({ min: YEAR_START, max: YEAR_END }),
  channel: fc.constantFrom('online', 'direct', 'postal'),
  procedureId: fc.constantFrom(...PROCEDURE_IDS),
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
  /** Index of the dossier paid for (it may have no events of its own), or none. */
  dossier: fc.option(fc.nat({ max: 6 }), { nil: null }),
});

const reportArb = fc.record({ at: fc.integer({ min: YEAR_START, max: YEAR_END }), channel: fc.constantFrom('online', 'offline') });
const procedureArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 3 });
const teamArb = fc.record({
  level: fc.constantFrom('commune', 'village'),
  members: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 2 }),
});

const unitArb = fc.record({
  dossiers: fc.array(dossierArb, { maxLength: 6 }),
  payments: fc.array(paymentArb, { maxLength: 3 }),
  reports: fc.array(reportArb, { maxLength: 2 }),
  procedures: fc.array(procedureArb, { maxLength: 2 }),
  teams: fc.array(teamArb, { maxLength: 2 }),
});

/** Target periods: 1 to 62 local days inside 2022 (a month, a quarter's piece, a single day). */
const periodsArb: fc.Arbitrary<Period[]> = fc
  .array(fc.record({ from: fc.integer({ min: 0, max: 364 }), length: fc.integer({ min: 1, max: 62 }) }), { minLength: 1, maxLength: 2 })
  .map((ps) => ps.map((p, i) => ({ id: `t${i}`, fromDay: FIRST_DAY_2022 + p.from, toDay: FIRST_DAY_2022 + p.from + p.length - 1 })));

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
      if (d.submitted) {
        seq.push(ev('vn.dvc.dossier.submitted', id(), { dossierId, unitId, procedureId: d.procedureId, submittedAt: iso(t) }));
        t += d.receiptGap;
      }
      if (d.received) {
        const data: Record<string, unknown> = { dossierId, unitId, procedureId: d.procedureId, channel: d.channel, receivedAt: iso(t) };
        if (d.due.kind === 'at') data['dueAt'] = iso(t + d.due.after);
        if (d.due.kind === 'days') data['processingDays'] = d.due.n;
        seq.push(ev('vn.dvc.dossier.received', id(), data));
      }
      for (const s of d.steps) {
        t += s.gap;
        const at = iso(t);
        switch (s.t) {
          case 'supReq':
            seq.push(ev('vn.dvc.dossier.supplement_requested', id(), { dossierId, unitId, at }));
            break;
          case 'supRcv':
            seq.push(ev('vn.dvc.dossier.supplement_received', id(), { dossierId, unitId, at }));
            break;
          case 'dig':
            seq.push(ev('vn.dvc.dossier.digitized', id(), { dossierId, unitId, at }));
            break;
          case 'ext':
            seq.push(ev('vn.dvc.dossier.deadline_extended', id(), { dossierId, unitId, at, newDueAt: iso(t + DAY) }));
            break;
          case 'ret':
            seq.push(ev('vn.dvc.dossier.result_returned', id(), { dossierId, unitId, at }));
            break;
          case 'wdr':
            seq.push(ev('vn.dvc.dossier.withdrawn', id(), { dossierId, unitId, at }));
            break;
          case 'reopen':
            seq.push(ev('vn.dvc.dossier.reopened', id(), { dossierId, unitId, at }));
            break;
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
        const data: Record<string, unknown> = {
          paymentId,
          unitId,
          kind: p.kind,
          amountVnd: p.amount + r,
          channel: p.channel,
          paidAt: iso(p.at + r * DAY),
        };
        if (p.dossier !== null) data['dossierId'] = `D${ui}-${p.dossier}`;
        seq.push(ev('vn.dvc.payment.completed', `${unitId}/${paymentId}/${r}`, data));
      }
      out.push(seq);
    });
    u.reports.forEach((r, ri) => {
      out.push([ev('vn.dvc.report.submitted', `${unitId}/R${ri}`, { reportId: `R${ui}-${ri}`, unitId, channel: r.channel, submittedAt: iso(r.at) })]);
    });
    u.procedures.forEach((flags, pi) => {
      out.push(
        flags.map((onlineCapable, k) => ev('vn.dvc.procedure.published', `${unitId}/PROC${pi}/${k}`, { procedureId: `PROC${pi}`, unitId, onlineCapable })),
      );
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
  it('summed counters, final memberships of all four sets and states equal those of one in-order batch', () => {
    /** What the generated histories reached, so the property is known to cover the new paths. */
    const seen = new Set<string>();
    const record = (v: View): void => {
      for (const counters of Object.values(v.counters)) {
        for (const [bucket, fields] of Object.entries(counters)) {
          if (bucket.startsWith('p:')) seen.add('period bucket');
          for (const field of Object.keys(fields)) seen.add(field.startsWith('flag:') ? field : (field.split(':')[0] ?? field));
        }
      }
      for (const sets of Object.values(v.sets)) for (const name of SET_NAMES) if (Object.keys(sets[name]).length > 0) seen.add(`set:${name}`);
      for (const states of Object.values(v.states)) {
        for (const state of Object.values(states)) if (state.kind === 'dossier' && state.paidAt !== undefined) seen.add('paidAt');
      }
    };
    fc.assert(
      fc.property(
        fc.array(unitArb, { minLength: 1, maxLength: 3 }),
        periodsArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (units, periods, picks, dups, cuts) => {
          const context = calendar2022({
            periods,
            rules: { resultReturnWorkingDays: 2, receiptWorkingDays: 1, feeBearingProcedures: new Set(['PROC0']) },
          });
          const seqs = buildHistories(units);
          const reference = emptyStore();
          const inOrder = seqs.flat();
          applyBatch(reference, inOrder, context);
          const expected = view(reference);
          record(expected);
          // The counters are exactly the sum of the final states' contributions; the sets their memberships.
          expect(viewFromStates(reference, context)).toEqual({ counters: expected.counters, sets: expected.sets });

          // (a) interleaved, one batch
          const interleaved = interleave(seqs, picks);
          const a = emptyStore();
          applyBatch(a, interleaved, context);
          expect(view(a)).toEqual(expected);

          // (b) with re-deliveries, one batch
          const duplicated = withDuplicates(interleaved, dups);
          const b = emptyStore();
          applyBatch(b, duplicated, context);
          expect(view(b)).toEqual(expected);
          expect(b.applied).toBe(inOrder.length);
          expect(b.duplicates).toBe(duplicated.length - inOrder.length);

          // (c) cut into batches, states carried between calls as stored JSON
          const c = emptyStore();
          for (const batch of cut(duplicated, cuts)) applyBatch(c, batch, context);
          expect(view(c)).toEqual(expected);
          expect(c.applied).toBe(inOrder.length);
          expect(c.duplicates).toBe(duplicated.length - inOrder.length);
        },
      ),
      { numRuns: 300 },
    );
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'carried',
        'open_end',
        'period bucket',
        'flow_in',
        'flow_out',
        'rcv_late',
        'ext',
        'proc_online',
        'proc_capable',
        'paidAt',
        'flag:multiple_supplement_requests',
        'flag:activity_after_resolution',
        'flag:resolved_before_last_activity',
        'flag:fee_unpaid',
        'flag:result_returned_late',
        'set:open',
        'set:paused',
        'set:awaiting_result',
        'set:pending_receipt',
      ]),
    );
  });
});

describe('retention horizon', () => {
  it('skips day buckets before the horizon but still counts periods and keeps states', () => {
    const june = { id: 'june', fromDay: days.dayFromIso('2022-06-01'), toDay: days.dayFromIso('2022-06-30') };
    const ctxWithHorizon = context(WEEKENDS_ONLY, { periods: [june], horizonDay: days.dayFromIso('2022-06-21') });
    const early = received('h1', 'H1', '2022-06-20T23:59:59.999+07:00');
    const onHorizon = received('h2', 'H2', '2022-06-21T00:00:00+07:00');
    const changes = projectUnit(U, [early, onHorizon], new Map(), ctxWithHorizon);
    expect(changes.counters.has('2022-06-20')).toBe(false);
    expect(changes.counters.get('2022-06-21')?.get('rcv:online')).toBe(1);
    expect(changes.counters.get('p:june')?.get('rcv:online')).toBe(2);
    expect(changes.states.size).toBe(2);
    expect(beyondRetention(early, ctxWithHorizon)).toBe(true);
    expect(beyondRetention(onHorizon, ctxWithHorizon)).toBe(false);
  });
});
