import type { DvcEvent, EventType } from '../events/schemas.js';
import { timestampMs } from '../events/timestamp.js';
import { integrityFlags, resultReturnDeadline, workingDayDeadline } from '../integrity/rules.js';
import { openMembership, resolutionTimeliness, type DossierState } from '../timeliness/dossier.js';
import { evolve, linkPayment, subjectKindOf, type ProjectionContext, type SubjectKind, type SubjectState } from './state.js';

/**
 * Bucket of a counter: a local day 'YYYY-MM-DD' (rolling windows), 'p:<period id>' (a fixed
 * target period) or 'current' (totals now).
 */
export type Bucket = string;
export const CURRENT_BUCKET = 'current';
export const periodBucket = (periodId: string): Bucket => `p:${periodId}`;

/** Counter field names inside a bucket; the exporter reads exactly these. */
export const Field = {
  received: (channel: string) => `rcv:${channel}`,
  resolved: (timeliness: string, processing: string) => `res:${timeliness}:${processing}`,
  withdrawn: 'wdr',
  digitized: 'dig',
  receivedLate: 'rcv_late',
  extended: 'ext',
  flag: (reason: string) => `flag:${reason}`,
  payments: (kind: string, channel: string) => `pay:${kind}:${channel}`,
  paymentsVnd: (kind: string, channel: string) => `vnd:${kind}:${channel}`,
  reports: (channel: string) => `rep:${channel}`,
  /** Online dossiers received for a procedure (distinct procedures are counted at scrape). */
  procedureOnline: (procedureId: string) => `proc_online:${procedureId}`,
  /** An online-capable procedure (current bucket). */
  procedureCapable: (procedureId: string) => `proc_capable:${procedureId}`,
  teams: (level: string) => `team:${level}`,
  teamMembers: (level: string) => `members:${level}`,
  /** Dossiers with a known receipt entering (day of receipt) and leaving (day of resolution or withdrawal) the open set. */
  flowIn: 'flow_in',
  flowOut: 'flow_out',
  /** Period buckets only: open when the period starts, and when it ends. */
  carriedOver: 'carried',
  openAtEnd: 'open_end',
} as const;

/** Sorted sets kept per unit: member = dossier id, score = an instant the exporter compares with now. */
export const SETS = {
  /** Open and not paused; score = effective due (Infinity when none is known). */
  open: 'open',
  /** Waiting for the citizen's supplement; score = pause start. */
  paused: 'paused',
  /** Resolved, result not yet returned; score = the return deadline. */
  awaitingResult: 'awaiting_result',
  /** Submitted online, not yet officially received; score = the receipt deadline. */
  pendingReceipt: 'pending_receipt',
} as const;
export type SetName = (typeof SETS)[keyof typeof SETS];

type Contribution = Map<string, number>; // `${bucket}\n${field}` -> amount

function add(c: Contribution, bucket: Bucket, field: string, amount: number): void {
  const key = `${bucket}\n${field}`;
  c.set(key, (c.get(key) ?? 0) + amount);
}

/**
 * Adds `amount` to the field on the local day of `ms` (unless beyond retention) and in every
 * period containing that day.
 */
function addOnDay(c: Contribution, ctx: ProjectionContext, ms: number, field: string, amount: number): void {
  const day = ctx.days.dayOf(ms);
  if (day >= ctx.horizonDay) add(c, ctx.days.isoDate(day), field, amount);
  for (const p of ctx.periods) if (day >= p.fromDay && day <= p.toDay) add(c, periodBucket(p.id), field, amount);
}

function dossierContributions(state: DossierState, ctx: ProjectionContext, c: Contribution): void {
  const received = state.receivedAt;
  const closedAt = state.resolvedAt ?? state.withdrawnAt;
  if (received !== undefined && state.channel !== undefined) {
    addOnDay(c, ctx, received, Field.received(state.channel), 1);
    // Received-cohort KPIs count on the day the dossier was received.
    if (state.digitizedAt !== undefined) addOnDay(c, ctx, received, Field.digitized, 1);
    if (state.channel === 'online' && state.procedureId !== undefined) addOnDay(c, ctx, received, Field.procedureOnline(state.procedureId), 1);
    if (state.submittedAt !== undefined && received > workingDayDeadline(state.submittedAt, ctx.rules.receiptWorkingDays, ctx.days, ctx.calendar)) {
      addOnDay(c, ctx, received, Field.receivedLate, 1);
    }
    // Flows give the rolling window's carried-over count: open at the start = all in − all out before it.
    addOnDay(c, ctx, received, Field.flowIn, 1);
    add(c, CURRENT_BUCKET, Field.flowIn, 1);
    if (closedAt !== undefined) {
      addOnDay(c, ctx, closedAt, Field.flowOut, 1);
      add(c, CURRENT_BUCKET, Field.flowOut, 1);
    }
    const receivedDay = ctx.days.dayOf(received);
    const closedDay = closedAt === undefined ? Number.POSITIVE_INFINITY : ctx.days.dayOf(closedAt);
    for (const p of ctx.periods) {
      if (receivedDay < p.fromDay && closedDay >= p.fromDay) add(c, periodBucket(p.id), Field.carriedOver, 1);
      if (receivedDay <= p.toDay && closedDay > p.toDay) add(c, periodBucket(p.id), Field.openAtEnd, 1);
    }
  }
  if (state.resolvedAt !== undefined) {
    const resolved = { ...state, resolvedAt: state.resolvedAt };
    const timeliness = resolutionTimeliness(resolved);
    addOnDay(c, ctx, state.resolvedAt, Field.resolved(timeliness, state.processedOnline === true ? 'online' : 'paper'), 1);
    for (const reason of integrityFlags(resolved, ctx.rules, ctx.days, ctx.calendar)) addOnDay(c, ctx, state.resolvedAt, Field.flag(reason), 1);
  } else if (state.withdrawnAt !== undefined) {
    addOnDay(c, ctx, state.withdrawnAt, Field.withdrawn, 1);
  }
  if (state.extendedAt !== undefined) addOnDay(c, ctx, state.extendedAt, Field.extended, 1);
}

/**
 * What one subject's state contributes to the counters. Counters are always the sum of these
 * over all subjects, so applying the difference of a subject's contribution before and after
 * a batch keeps them exact whatever order the events came in.
 */
export function contributions(state: SubjectState | undefined, ctx: ProjectionContext): Contribution {
  const c: Contribution = new Map();
  if (state === undefined) return c;
  switch (state.kind) {
    case 'dossier':
      dossierContributions(state, ctx, c);
      return c;
    case 'payment':
      addOnDay(c, ctx, state.paidAt, Field.payments(state.payKind, state.channel), 1);
      addOnDay(c, ctx, state.paidAt, Field.paymentsVnd(state.payKind, state.channel), state.amountVnd);
      return c;
    case 'report':
      addOnDay(c, ctx, state.submittedAt, Field.reports(state.channel), 1);
      return c;
    case 'procedure':
      if (state.onlineCapable) add(c, CURRENT_BUCKET, Field.procedureCapable(state.procedureId), 1);
      return c;
    case 'team':
      add(c, CURRENT_BUCKET, Field.teams(state.teamLevel), 1);
      add(c, CURRENT_BUCKET, Field.teamMembers(state.teamLevel), state.members);
      return c;
  }
}

/** The sorted sets a subject belongs to, with its score in each. */
export function memberships(state: SubjectState | undefined, ctx: ProjectionContext): Map<SetName, number> {
  const sets = new Map<SetName, number>();
  if (state?.kind !== 'dossier') return sets;
  const open = openMembership(state);
  if (open.set === 'open') sets.set(SETS.open, open.dueMs ?? Number.POSITIVE_INFINITY);
  if (open.set === 'paused' && state.pausedSince !== undefined) sets.set(SETS.paused, state.pausedSince);
  if (state.resolvedAt !== undefined && state.returnedAt === undefined) {
    sets.set(SETS.awaitingResult, resultReturnDeadline(state.resolvedAt, ctx.rules, ctx.days, ctx.calendar));
  }
  if (state.submittedAt !== undefined && state.receivedAt === undefined && state.withdrawnAt === undefined && state.resolvedAt === undefined) {
    sets.set(SETS.pendingReceipt, workingDayDeadline(state.submittedAt, ctx.rules.receiptWorkingDays, ctx.days, ctx.calendar));
  }
  return sets;
}

/** Identifies a subject inside one unit: its kind and its id (the CloudEvents subject). */
export function subjectKey(kind: SubjectKind, subject: string): string {
  return `${kind}:${subject}`;
}

export function subjectKeyOf(event: DvcEvent): string {
  return subjectKey(subjectKindOf(event.type), event.subject);
}

/** Every subject an event changes: its own, and for a payment the dossier it pays for. */
export function subjectKeysOf(event: DvcEvent): string[] {
  const own = subjectKeyOf(event);
  if (event.type === 'vn.dvc.payment.completed' && event.data.dossierId !== undefined) {
    return [own, subjectKey('dossier', event.data.dossierId)];
  }
  return [own];
}

/** Changes to one sorted set. */
export interface SetChanges {
  upsert: Map<string, number>;
  remove: Set<string>;
}

/** The changes one batch makes to one unit; an adapter writes them atomically. */
export interface UnitChanges {
  unitId: string;
  /** Subject key -> new state (only subjects that changed). */
  states: Map<string, SubjectState>;
  /** Bucket -> field -> non-zero increment. */
  counters: Map<Bucket, Map<string, number>>;
  /** Sorted-set changes; scores may be Infinity. */
  sets: Map<SetName, SetChanges>;
  applied: Map<EventType, number>;
  duplicates: Map<EventType, number>;
  /** Latest business time among applied events (the event-time clock). */
  lastEventMs: number | undefined;
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function setChanges(changes: UnitChanges, set: SetName): SetChanges {
  let c = changes.sets.get(set);
  if (c === undefined) changes.sets.set(set, (c = { upsert: new Map(), remove: new Set() }));
  return c;
}

/**
 * Folds one unit's events (in delivery order) into the states read before the batch and
 * returns the changes. Duplicate event ids are detected against each subject's applied ids,
 * including duplicates inside the batch itself.
 */
export function projectUnit(
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
  const current = new Map<string, SubjectState | undefined>();
  const stateOf = (key: string) => (current.has(key) ? current.get(key) : before.get(key));
  for (const event of events) {
    if (event.unitid !== unitId) throw new Error(`event ${event.id} of unit ${event.unitid} projected into unit ${unitId}`);
    const key = subjectKeyOf(event);
    const state = stateOf(key);
    if (state !== undefined && state.ids.includes(event.id)) {
      increment(changes.duplicates, event.type);
      continue;
    }
    current.set(key, evolve(state, event, ctx));
    if (event.type === 'vn.dvc.payment.completed' && event.data.dossierId !== undefined) {
      const dossierKey = subjectKey('dossier', event.data.dossierId);
      current.set(dossierKey, linkPayment(stateOf(dossierKey), timestampMs(event.data.paidAt)));
    }
    increment(changes.applied, event.type);
    const eventMs = timestampMs(event.time);
    if (changes.lastEventMs === undefined || eventMs > changes.lastEventMs) changes.lastEventMs = eventMs;
  }
  for (const [key, after] of current) {
    if (after === undefined) continue;
    const prior = before.get(key);
    const subject = key.slice(key.indexOf(':') + 1);
    changes.states.set(key, after);
    const delta = contributions(after, ctx);
    for (const [k, amount] of contributions(prior, ctx)) delta.set(k, (delta.get(k) ?? 0) - amount);
    for (const [k, amount] of delta) {
      if (amount === 0) continue;
      const split = k.indexOf('\n');
      const bucket = k.slice(0, split);
      let fields = changes.counters.get(bucket);
      if (fields === undefined) changes.counters.set(bucket, (fields = new Map()));
      increment(fields, k.slice(split + 1), amount);
    }
    const was = memberships(prior, ctx);
    const now = memberships(after, ctx);
    for (const [set, score] of now) if (was.get(set) !== score) setChanges(changes, set).upsert.set(subject, score);
    for (const set of was.keys()) if (!now.has(set)) setChanges(changes, set).remove.add(subject);
  }
  return changes;
}

/** True when an event's business day is older than the retention horizon (counted, still applied to states and periods). */
export function beyondRetention(event: DvcEvent, ctx: ProjectionContext): boolean {
  return ctx.days.dayOf(timestampMs(event.time)) < ctx.horizonDay;
}

/** Groups a batch by unit, keeping delivery order inside each unit. */
export function groupByUnit(events: readonly DvcEvent[]): Map<string, DvcEvent[]> {
  const groups = new Map<string, DvcEvent[]>();
  for (const event of events) {
    let group = groups.get(event.unitid);
    if (group === undefined) groups.set(event.unitid, (group = []));
    group.push(event);
  }
  return groups;
}

export type { DossierState };
