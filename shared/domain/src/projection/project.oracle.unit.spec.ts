import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { createWorkCalendar, type CalendarYear } from '../calendar/calendar.js';
import { EVENT_TYPES, type DvcEvent, type EventType } from '../events/schemas.js';
import { parseTimestamp } from '../events/timestamp.js';
import { validateEvent } from '../events/validate.js';
import { integrityFlags, resultReturnDeadline, workingDayDeadline } from '../integrity/rules.js';
import { effectiveDueMs, type DossierState } from '../timeliness/dossier.js';
import { createDayIndexer } from '../windows/days.js';
import { contributions, memberships, projectUnit, subjectKeysOf, type SetName, type UnitChanges } from './project.js';
import { subjectKindOf, type PaymentState, type Period, type ProjectionContext, type SubjectState } from './state.js';

// --- the oracle: the projection as it was before it was made cheaper per event ------------------
// A verbatim-in-behaviour copy of the former reducers (fresh copies of every state, string-keyed
// contribution maps), kept here only to prove the faster implementation returns the same changes.

const ms = (text: string): number => {
  const r = parseTimestamp(text);
  if (!r.ok) throw new Error(`oracle given an invalid timestamp '${text}'`);
  return r.ms;
};
const earliest = (current: number | undefined, next: number): number => (current === undefined ? next : Math.min(current, next));
const latest = (current: number | undefined, next: number): number => (current === undefined ? next : Math.max(current, next));

function dossierOf(state: SubjectState | undefined): DossierState {
  if (state === undefined) return { kind: 'dossier', ids: [], pausedMs: 0, supplementRequests: 0 };
  if (state.kind !== 'dossier') throw new Error(`dossier event applied to ${state.kind} state`);
  return { ...state, ids: [...state.ids] };
}
function withId<S extends SubjectState>(state: S, id: string): S {
  state.ids.push(id);
  return state;
}
function withFirst(state: SubjectState | undefined, field: 'returnedAt' | 'withdrawnAt' | 'digitizedAt', at: string, id: string): DossierState {
  const next = dossierOf(state);
  next[field] = earliest(next[field], ms(at));
  return withId(next, id);
}
function activity(state: DossierState, at: number, countsAfterResolution: boolean): void {
  state.lastActivityAt = latest(state.lastActivityAt, at);
  if (countsAfterResolution && state.resolvedAt !== undefined) state.activityAfterResolution = true;
}

function oracleEvolve(state: SubjectState | undefined, event: DvcEvent, ctx: ProjectionContext): SubjectState {
  switch (event.type) {
    case 'vn.dvc.dossier.submitted': {
      const next = dossierOf(state);
      next.submittedAt = earliest(next.submittedAt, ms(event.data.submittedAt));
      next.procedureId ??= event.data.procedureId;
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.received': {
      const next = dossierOf(state);
      const receivedAt = ms(event.data.receivedAt);
      if (next.receivedAt === undefined || receivedAt < next.receivedAt) {
        next.receivedAt = receivedAt;
        next.channel = event.data.channel;
        next.procedureId = event.data.procedureId;
        const { dueAt, processingDays } = event.data;
        if (dueAt !== undefined) next.dueAt = ms(dueAt);
        else if (processingDays !== undefined) next.dueAt = ctx.days.endOfDayMs(ctx.calendar.addWorkingDays(ctx.days.dayOf(receivedAt), processingDays));
      }
      activity(next, receivedAt, false);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.supplement_requested': {
      const next = dossierOf(state);
      const at = ms(event.data.at);
      next.supplementRequests += 1;
      next.pausedSince ??= at;
      activity(next, at, true);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.supplement_received': {
      const next = dossierOf(state);
      const at = ms(event.data.at);
      if (next.pausedSince !== undefined) {
        next.pausedMs += Math.max(0, at - next.pausedSince);
        delete next.pausedSince;
      }
      activity(next, at, true);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.deadline_extended': {
      const next = dossierOf(state);
      const at = ms(event.data.at);
      next.extendedDueAt = ms(event.data.newDueAt);
      next.extendedAt = earliest(next.extendedAt, at);
      activity(next, at, false);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.resolved': {
      const next = dossierOf(state);
      const resolvedAt = ms(event.data.resolvedAt);
      if (next.resolvedAt === undefined || resolvedAt >= next.resolvedAt) {
        next.resolvedAt = resolvedAt;
        next.processedOnline = event.data.processedOnline;
        next.outcome = event.data.outcome;
        if (event.data.dueAt !== undefined) next.resolvedDueAt = ms(event.data.dueAt);
        if (next.pausedSince !== undefined) {
          next.pausedMs += Math.max(0, resolvedAt - next.pausedSince);
          delete next.pausedSince;
        }
      }
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.result_returned':
      return withFirst(state, 'returnedAt', event.data.at, event.id);
    case 'vn.dvc.dossier.withdrawn':
      return withFirst(state, 'withdrawnAt', event.data.at, event.id);
    case 'vn.dvc.dossier.digitized':
      return withFirst(state, 'digitizedAt', event.data.at, event.id);
    case 'vn.dvc.dossier.reopened': {
      const next = dossierOf(state);
      next.reopenedAt = ms(event.data.at);
      if (next.resolvedAt !== undefined) next.activityAfterResolution = true;
      return withId(next, event.id);
    }
    case 'vn.dvc.payment.completed': {
      const d = event.data;
      const next: PaymentState = {
        kind: 'payment',
        ids: [...(state?.ids ?? [])],
        paidAt: ms(d.paidAt),
        payKind: d.kind,
        channel: d.channel,
        amountVnd: d.amountVnd,
      };
      if (d.dossierId !== undefined) next.dossierId = d.dossierId;
      return withId(next, event.id);
    }
    case 'vn.dvc.report.submitted':
      return withId({ kind: 'report', ids: [...(state?.ids ?? [])], submittedAt: ms(event.data.submittedAt), channel: event.data.channel }, event.id);
    case 'vn.dvc.procedure.published':
      return withId(
        { kind: 'procedure', ids: [...(state?.ids ?? [])], procedureId: event.data.procedureId, onlineCapable: event.data.onlineCapable },
        event.id,
      );
    case 'vn.dvc.community_team.registered':
      return withId({ kind: 'team', ids: [...(state?.ids ?? [])], teamLevel: event.data.teamLevel, members: event.data.members }, event.id);
  }
}

function linkPayment(state: SubjectState | undefined, paidAt: number): DossierState {
  const next = dossierOf(state);
  next.paidAt = earliest(next.paidAt, paidAt);
  return next;
}

type Contribution = Map<string, number>;
function add(c: Contribution, bucket: string, field: string, amount: number): void {
  const key = `${bucket}\n${field}`;
  c.set(key, (c.get(key) ?? 0) + amount);
}
function addOnDay(c: Contribution, ctx: ProjectionContext, at: number, field: string, amount: number): void {
  const day = ctx.days.dayOf(at);
  if (day >= ctx.horizonDay) add(c, ctx.days.isoDate(day), field, amount);
  for (const p of ctx.periods) if (day >= p.fromDay && day <= p.toDay) add(c, `p:${p.id}`, field, amount);
}

function contributionsOf(state: SubjectState | undefined, ctx: ProjectionContext): Contribution {
  const c: Contribution = new Map();
  if (state === undefined) return c;
  switch (state.kind) {
    case 'dossier': {
      const received = state.receivedAt;
      const closedAt = state.resolvedAt ?? state.withdrawnAt;
      if (received !== undefined && state.channel !== undefined) {
        addOnDay(c, ctx, received, `rcv:${state.channel}`, 1);
        if (state.digitizedAt !== undefined) addOnDay(c, ctx, received, 'dig', 1);
        if (state.channel === 'online' && state.procedureId !== undefined) addOnDay(c, ctx, received, `proc_online:${state.procedureId}`, 1);
        if (state.submittedAt !== undefined && received > workingDayDeadline(state.submittedAt, ctx.rules.receiptWorkingDays, ctx.days, ctx.calendar)) {
          addOnDay(c, ctx, received, 'rcv_late', 1);
        }
        // Entries only in the current bucket (a day's are its rcv:*), exits in days and current.
        add(c, 'current', 'flow_in', 1);
        if (closedAt !== undefined) {
          const closedDay = ctx.days.dayOf(closedAt);
          if (closedDay >= ctx.horizonDay) add(c, ctx.days.isoDate(closedDay), 'flow_out', 1);
          add(c, 'current', 'flow_out', 1);
        }
        const receivedDay = ctx.days.dayOf(received);
        const closedDay = closedAt === undefined ? Number.POSITIVE_INFINITY : ctx.days.dayOf(closedAt);
        for (const p of ctx.periods) {
          if (receivedDay < p.fromDay && closedDay >= p.fromDay) add(c, `p:${p.id}`, 'carried', 1);
          if (receivedDay <= p.toDay && closedDay > p.toDay) add(c, `p:${p.id}`, 'open_end', 1);
        }
      }
      if (state.resolvedAt !== undefined) {
        const resolved = { ...state, resolvedAt: state.resolvedAt };
        const due = effectiveDueMs(resolved, resolved.resolvedAt);
        const timeliness = resolved.supplementRequests > 1 || (due !== undefined && resolved.resolvedAt > due) ? 'overdue' : 'on_time';
        addOnDay(c, ctx, state.resolvedAt, `res:${timeliness}:${state.processedOnline === true ? 'online' : 'paper'}`, 1);
        for (const reason of integrityFlags(resolved, ctx.rules, ctx.days, ctx.calendar)) addOnDay(c, ctx, state.resolvedAt, `flag:${reason}`, 1);
      } else if (state.withdrawnAt !== undefined) {
        addOnDay(c, ctx, state.withdrawnAt, 'wdr', 1);
      }
      if (state.extendedAt !== undefined) addOnDay(c, ctx, state.extendedAt, 'ext', 1);
      return c;
    }
    case 'payment':
      addOnDay(c, ctx, state.paidAt, `pay:${state.payKind}:${state.channel}`, 1);
      addOnDay(c, ctx, state.paidAt, `vnd:${state.payKind}:${state.channel}`, state.amountVnd);
      return c;
    case 'report':
      addOnDay(c, ctx, state.submittedAt, `rep:${state.channel}`, 1);
      return c;
    case 'procedure':
      if (state.onlineCapable) add(c, 'current', `proc_capable:${state.procedureId}`, 1);
      return c;
    case 'team':
      add(c, 'current', `team:${state.teamLevel}`, 1);
      add(c, 'current', `members:${state.teamLevel}`, state.members);
      return c;
  }
}

function membershipsOf(state: SubjectState | undefined, ctx: ProjectionContext): Map<SetName, number> {
  const sets = new Map<SetName, number>();
  if (state?.kind !== 'dossier') return sets;
  const open = state.receivedAt !== undefined && state.resolvedAt === undefined && state.withdrawnAt === undefined;
  if (open && state.pausedSince === undefined) sets.set('open', effectiveDueMs(state, 0) ?? Number.POSITIVE_INFINITY);
  if (open && state.pausedSince !== undefined) sets.set('paused', state.pausedSince);
  if (state.resolvedAt !== undefined && state.returnedAt === undefined)
    sets.set('awaiting_result', resultReturnDeadline(state.resolvedAt, ctx.rules, ctx.days, ctx.calendar));
  if (state.submittedAt !== undefined && state.receivedAt === undefined && state.withdrawnAt === undefined && state.resolvedAt === undefined) {
    sets.set('pending_receipt', workingDayDeadline(state.submittedAt, ctx.rules.receiptWorkingDays, ctx.days, ctx.calendar));
  }
  return sets;
}

const keyOf = (kind: string, subject: string) => `${kind}:${subject}`;

function oracleProject(
  unitId: string,
  events: readonly DvcEvent[],
  before: ReadonlyMap<string, SubjectState | undefined>,
  ctx: ProjectionContext,
): UnitChanges {
  const changes: UnitChanges = {
    unitId,
    states: new Map(),
    counters: new Map(),
    sets: new Map(),
    applied: new Map(),
    duplicates: new Map(),
    lastEventMs: undefined,
  };
  const bump = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
  const setChanges = (set: SetName) => {
    let c = changes.sets.get(set);
    if (c === undefined) changes.sets.set(set, (c = { upsert: new Map(), remove: new Set() }));
    return c;
  };
  const current = new Map<string, SubjectState | undefined>();
  const stateOf = (key: string) => (current.has(key) ? current.get(key) : before.get(key));
  for (const event of events) {
    if (event.unitid !== unitId) throw new Error(`event ${event.id} of unit ${event.unitid} projected into unit ${unitId}`);
    const key = keyOf(subjectKindOf(event.type), event.subject);
    const state = stateOf(key);
    if (state !== undefined && state.ids.includes(event.id)) {
      bump(changes.duplicates, event.type);
      continue;
    }
    current.set(key, oracleEvolve(state, event, ctx));
    if (event.type === 'vn.dvc.payment.completed' && event.data.dossierId !== undefined) {
      const dossierKey = keyOf('dossier', event.data.dossierId);
      current.set(dossierKey, linkPayment(stateOf(dossierKey), ms(event.data.paidAt)));
    }
    bump(changes.applied, event.type);
    const eventMs = ms(event.time);
    if (changes.lastEventMs === undefined || eventMs > changes.lastEventMs) changes.lastEventMs = eventMs;
  }
  for (const [key, after] of current) {
    if (after === undefined) continue;
    const prior = before.get(key);
    const subject = key.slice(key.indexOf(':') + 1);
    changes.states.set(key, after);
    const delta = contributionsOf(after, ctx);
    for (const [k, amount] of contributionsOf(prior, ctx)) delta.set(k, (delta.get(k) ?? 0) - amount);
    for (const [k, amount] of delta) {
      if (amount === 0) continue;
      const split = k.indexOf('\n');
      const bucket = k.slice(0, split);
      let fields = changes.counters.get(bucket);
      if (fields === undefined) changes.counters.set(bucket, (fields = new Map()));
      bump(fields, k.slice(split + 1), amount);
    }
    const was = membershipsOf(prior, ctx);
    const now = membershipsOf(after, ctx);
    for (const [set, score] of now) if (was.get(set) !== score) setChanges(set).upsert.set(subject, score);
    for (const set of was.keys()) if (!now.has(set)) setChanges(set).remove.add(subject);
  }
  return changes;
}

// --- random histories: any event family, any order, shared subjects, re-deliveries -------------

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const CALENDAR_2022 = ((): ReturnType<typeof createWorkCalendar> => {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, 'infra', 'data', 'calendar', '2022.json');
    if (existsSync(file)) return createWorkCalendar([JSON.parse(readFileSync(file, 'utf8')) as CalendarYear], days);
    if (dirname(dir) === dir) throw new Error('infra/data/calendar/2022.json not found');
  }
})();

/** 2022-04-01 local midnight, and a span of business time around it that crosses the Reunification Day holidays. */
const T0 = Date.parse('2022-04-01T00:00:00+07:00');
const HOUR = 3_600_000;
const DAY0 = days.dayOf(T0);
const iso = (at: number): string => new Date(at).toISOString().replace('Z', '+00:00');
/** Business times: whole hours or odd milliseconds within 40 days of T0, sometimes the same instant. */
const timeArb = fc.oneof(
  fc.integer({ min: 0, max: 40 * 24 }).map((h) => T0 + h * HOUR),
  fc.integer({ min: 0, max: 40 * 24 * HOUR }).map((x) => T0 + x),
);

const UNITS = ['so-tu-phap', 'xa-tan-an'] as const;
const DOSSIERS = ['D1', 'D2', 'D3', 'D4'] as const;

const DOSSIER_TYPES = (Object.keys(EVENT_TYPES) as EventType[]).filter((t) => t.startsWith('vn.dvc.dossier.'));

type Spec = { type: EventType; subject: number; at: number; at2: number; n: number; flag: boolean; pick: number; unit: number };
const specArb: fc.Arbitrary<Spec> = fc.record({
  // Dossier events twice as often as the other families, so lifecycles overlap and collide.
  type: fc.oneof(
    { arbitrary: fc.constantFrom(...DOSSIER_TYPES), weight: 2 },
    { arbitrary: fc.constantFrom(...(Object.keys(EVENT_TYPES) as EventType[])), weight: 1 },
  ),
  subject: fc.nat({ max: DOSSIERS.length - 1 }),
  at: timeArb,
  at2: timeArb,
  n: fc.integer({ min: 0, max: 30 }),
  flag: fc.boolean(),
  pick: fc.nat({ max: 5 }),
  unit: fc.nat({ max: UNITS.length - 1 }),
});

function eventOf(spec: Spec, index: number): DvcEvent {
  const unitId = UNITS[spec.unit] ?? 'u';
  const dossierId = DOSSIERS[spec.subject] ?? 'D';
  const at = iso(spec.at);
  const procedureId = ['P1', 'FEE', 'P2'][spec.pick % 3] ?? 'P1';
  const data: Record<string, unknown> = { unitId };
  switch (spec.type) {
    case 'vn.dvc.dossier.submitted':
      Object.assign(data, { dossierId, procedureId, submittedAt: at });
      break;
    case 'vn.dvc.dossier.received':
      Object.assign(data, { dossierId, procedureId, channel: ['online', 'direct', 'postal'][spec.pick % 3], receivedAt: at });
      if (spec.pick < 2) data['dueAt'] = iso(Math.max(spec.at, spec.at2));
      else if (spec.pick < 4) data['processingDays'] = spec.n;
      break;
    case 'vn.dvc.dossier.deadline_extended':
      Object.assign(data, { dossierId, at, newDueAt: iso(spec.at2) });
      break;
    case 'vn.dvc.dossier.resolved':
      Object.assign(data, { dossierId, resolvedAt: at, outcome: spec.flag ? 'approved' : 'rejected', processedOnline: spec.pick % 2 === 0 });
      if (spec.pick >= 3) data['dueAt'] = iso(spec.at2);
      break;
    case 'vn.dvc.payment.completed':
      Object.assign(data, {
        paymentId: `PAY${spec.subject % 2}`,
        kind: spec.flag ? 'fee' : 'land_obligation',
        channel: spec.pick % 2 === 0 ? 'online' : 'offline',
        amountVnd: spec.n * 10_000,
        paidAt: at,
      });
      if (spec.pick < 4) data['dossierId'] = DOSSIERS[spec.pick] ?? dossierId;
      break;
    case 'vn.dvc.report.submitted':
      Object.assign(data, { reportId: `R${spec.subject % 2}`, channel: spec.flag ? 'online' : 'offline', submittedAt: at });
      break;
    case 'vn.dvc.procedure.published':
      Object.assign(data, { procedureId, onlineCapable: spec.flag });
      break;
    case 'vn.dvc.community_team.registered':
      Object.assign(data, { teamId: `T${spec.subject % 2}`, teamLevel: spec.flag ? 'commune' : 'village', members: spec.n });
      break;
    default:
      Object.assign(data, { dossierId, at });
  }
  const raw = {
    specversion: '1.0',
    id: `e${index}`,
    source: 'test',
    type: spec.type,
    time: iso(spec.at2),
    subject: data[EVENT_TYPES[spec.type].subjectField],
    unitid: unitId,
    data,
  };
  const result = validateEvent(raw);
  if (!result.ok) throw new Error(`the spec built an invalid event: ${JSON.stringify(result.problems)}`);
  return result.event;
}

const historyArb = fc
  .record({
    specs: fc.array(specArb, { minLength: 1, maxLength: 80, size: 'max' }),
    /** Re-deliveries: (which earlier event, where later). */
    redeliveries: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  })
  .map(({ specs, redeliveries, cuts }) => {
    const events = specs.map(eventOf);
    for (const [a, b] of redeliveries) {
      const src = a % events.length;
      const copy = events[src];
      if (copy !== undefined) events.splice(src + 1 + (b % (events.length - src)), 0, copy);
    }
    const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((x, y) => x - y);
    const batches: DvcEvent[][] = [];
    let from = 0;
    for (const p of [...points, events.length]) {
      batches.push(events.slice(from, p));
      from = p;
    }
    return batches;
  });

const contextArb: fc.Arbitrary<ProjectionContext> = fc
  .record({
    periods: fc.array(fc.record({ from: fc.integer({ min: -5, max: 60 }), length: fc.integer({ min: 1, max: 40 }) }), { maxLength: 3 }),
    horizon: fc.option(fc.integer({ min: -2, max: 62 }), { nil: null }),
    resultReturnWorkingDays: fc.integer({ min: 0, max: 3 }),
    receiptWorkingDays: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ periods, horizon, resultReturnWorkingDays, receiptWorkingDays }) => ({
    days,
    calendar: CALENDAR_2022,
    periods: periods.map((p, i): Period => ({ id: `t${i}`, fromDay: DAY0 + p.from, toDay: DAY0 + p.from + p.length - 1 })),
    horizonDay: horizon === null ? Number.NEGATIVE_INFINITY : DAY0 + horizon,
    rules: { resultReturnWorkingDays, receiptWorkingDays, feeBearingProcedures: new Set(['FEE']) },
  }));

/** Every subject the batch touches, read from a store of states (as an adapter reads them). */
function readBefore(store: Map<string, SubjectState>, events: readonly DvcEvent[]): Map<string, SubjectState | undefined> {
  const before = new Map<string, SubjectState | undefined>();
  for (const e of events) for (const key of subjectKeysOf(e)) before.set(key, store.get(key));
  return before;
}

/** JSON of changes with Map and Set entries sorted (their order means nothing to an adapter), Infinity spelled out. */
const json = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => {
    if (v instanceof Map) return [...(v as Map<unknown, unknown>)].sort(([a], [b]) => String(a).localeCompare(String(b)));
    if (v instanceof Set) return [...(v as Set<unknown>)].map(String).sort();
    return v === Infinity ? 'Infinity' : v;
  });

describe('projectUnit returns exactly the changes of the former implementation (property, oracle)', () => {
  it('states, counters (with their zero sums), set upserts and removals, applied, duplicates and lastEventMs match batch after batch', () => {
    /** What the histories reached, so the comparison is known to cover each path. */
    const seen = new Set<string>();
    const record = (changes: UnitChanges): void => {
      for (const [bucket, fields] of changes.counters) {
        if (bucket.startsWith('p:')) seen.add('period bucket');
        for (const [field, amount] of fields) {
          if (amount === 0) seen.add('zero sum');
          if (amount < 0) seen.add('negative');
          if (field.startsWith('flag:')) seen.add(field);
        }
      }
      for (const [set, { upsert, remove }] of changes.sets) {
        if (upsert.size > 0) seen.add(`upsert:${set}`);
        if (remove.size > 0) seen.add(`remove:${set}`);
      }
      if (changes.duplicates.size > 0) seen.add('duplicate');
      for (const state of changes.states.values()) if (state.kind === 'dossier' && state.paidAt !== undefined) seen.add('paidAt');
    };
    fc.assert(
      fc.property(historyArb, contextArb, (batches, ctx) => {
        const oracleStores = new Map<string, Map<string, SubjectState>>();
        const stores = new Map<string, Map<string, SubjectState>>();
        for (const batch of batches) {
          for (const unitId of UNITS) {
            const events = batch.filter((e) => e.unitid === unitId);
            const oracleStore = oracleStores.get(unitId) ?? new Map<string, SubjectState>();
            const store = stores.get(unitId) ?? new Map<string, SubjectState>();
            oracleStores.set(unitId, oracleStore);
            stores.set(unitId, store);
            const stored = readBefore(oracleStore, events);
            const snapshot = json(stored);
            const expected = oracleProject(unitId, events, stored, ctx);
            // The projector's way: the states it owns in memory are handed over and evolved in place.
            const actual = projectUnit(unitId, events, readBefore(store, events), ctx, { inPlace: true });
            expect(json(actual)).toBe(json(expected));
            expect(actual).toEqual(expected);
            // By default the states given are copied, not changed.
            expect(json(projectUnit(unitId, events, stored, ctx))).toBe(json(expected));
            expect(json(stored)).toBe(snapshot);
            record(expected);
            for (const [key, state] of expected.states) oracleStore.set(key, JSON.parse(JSON.stringify(state)) as SubjectState);
            for (const [key, state] of actual.states) store.set(key, state);
          }
        }
        for (const unitId of UNITS) {
          for (const [key, state] of stores.get(unitId) ?? new Map<string, SubjectState>()) {
            expect(json(contributions(state, ctx))).toBe(json(contributionsOf(state, ctx)));
            expect(json(memberships(state, ctx))).toBe(json(membershipsOf(state, ctx)));
            expect(state).toEqual(oracleStores.get(unitId)?.get(key));
          }
        }
      }),
      { numRuns: 250 },
    );
    expect([...seen].sort()).toEqual([
      'duplicate',
      'flag:activity_after_resolution',
      'flag:fee_unpaid',
      'flag:multiple_supplement_requests',
      'flag:resolved_before_last_activity',
      'flag:result_returned_late',
      'negative',
      'paidAt',
      'period bucket',
      'remove:awaiting_result',
      'remove:open',
      'remove:paused',
      'remove:pending_receipt',
      'upsert:awaiting_result',
      'upsert:open',
      'upsert:paused',
      'upsert:pending_receipt',
      'zero sum',
    ]);
  });
});
