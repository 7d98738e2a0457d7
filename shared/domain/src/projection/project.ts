import type { DvcEvent, EventType } from '../events/schemas.js';
import { timestampMs } from '../events/timestamp.js';
import { integrityFlags, resultReturnDeadline, workingDayDeadline } from '../integrity/rules.js';
import { openMembership, resolutionTimeliness, type DossierState } from '../timeliness/dossier.js';
import {
  copyState,
  evolveInPlace,
  linkPaymentInPlace,
  subjectKindOf,
  type Period,
  type ProjectionContext,
  type SubjectKind,
  type SubjectState,
} from './state.js';

/**
 * Bucket of a counter: a local day 'YYYY-MM-DD' (rolling windows), 'p:<period id>' (a fixed
 * target period) or 'current' (totals now).
 */
export type Bucket = string;
export const CURRENT_BUCKET = 'current';
export const periodBucket = (periodId: string): Bucket => `p:${periodId}`;

/** Field names are kept per argument: the same string each time, no concatenation per event. */
const NAME_CACHE_LIMIT = 10_000;

function named(make: (a: string) => string): (a: string) => string {
  const cache = new Map<string, string>();
  return (a) => {
    let name = cache.get(a);
    if (name === undefined) {
      if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
      cache.set(a, (name = make(a)));
    }
    return name;
  };
}

function named2(make: (a: string, b: string) => string): (a: string, b: string) => string {
  const byFirst = new Map<string, (b: string) => string>();
  return (a, b) => {
    let second = byFirst.get(a);
    if (second === undefined) {
      if (byFirst.size >= NAME_CACHE_LIMIT) byFirst.clear();
      byFirst.set(a, (second = named((x) => make(a, x))));
    }
    return second(b);
  };
}

/** Counter field names inside a bucket; the exporter reads exactly these. */
export const Field = {
  received: named((channel) => `rcv:${channel}`),
  resolved: named2((timeliness, processing) => `res:${timeliness}:${processing}`),
  withdrawn: 'wdr',
  digitized: 'dig',
  receivedLate: 'rcv_late',
  extended: 'ext',
  flag: named((reason) => `flag:${reason}`),
  payments: named2((kind, channel) => `pay:${kind}:${channel}`),
  paymentsVnd: named2((kind, channel) => `vnd:${kind}:${channel}`),
  reports: named((channel) => `rep:${channel}`),
  /** Online dossiers received for a procedure (distinct procedures are counted at scrape). */
  procedureOnline: named((procedureId) => `proc_online:${procedureId}`),
  /** An online-capable procedure (current bucket). */
  procedureCapable: named((procedureId) => `proc_capable:${procedureId}`),
  teams: named((level) => `team:${level}`),
  teamMembers: named((level) => `members:${level}`),
  /**
   * Dossiers with a known receipt entering and leaving (day of resolution or withdrawal) the open
   * set: both in the current bucket, only the exits in day buckets. A day's entries are its
   * receipts, the sum of its `rcv:<channel>` fields, so they are not written again (one field
   * increment less per receiving unit and day); periods read neither (they have `carried` and
   * `open_end`). Buckets written before that kept `flow_in` in days and both flows in periods;
   * no reader looks at them there.
   */
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

/** Where a subject's contribution goes: a local day past the horizon, a target period, or the current bucket. */
interface Sink {
  day(day: number, field: string, amount: number): void;
  period(period: Period, field: string, amount: number): void;
  current(field: string, amount: number): void;
}

/** Adds `amount` to the field on local day `day`, unless the day is beyond retention. */
function addToDay(sink: Sink, ctx: ProjectionContext, day: number, field: string, amount: number): void {
  if (day >= ctx.horizonDay) sink.day(day, field, amount);
}

/** Adds `amount` to the field on local day `day` (unless beyond retention) and in every period containing it. */
function addOnDay(sink: Sink, ctx: ProjectionContext, day: number, field: string, amount: number): void {
  addToDay(sink, ctx, day, field, amount);
  for (const p of ctx.periods) if (day >= p.fromDay && day <= p.toDay) sink.period(p, field, amount);
}

const isResolved = (state: DossierState): state is DossierState & { resolvedAt: number } => state.resolvedAt !== undefined;

function dossierContributions(state: DossierState, ctx: ProjectionContext, sink: Sink): void {
  const received = state.receivedAt;
  const closedAt = state.resolvedAt ?? state.withdrawnAt;
  const closedDay = closedAt === undefined ? Number.POSITIVE_INFINITY : ctx.days.dayOf(closedAt);
  if (received !== undefined && state.channel !== undefined) {
    const receivedDay = ctx.days.dayOf(received);
    addOnDay(sink, ctx, receivedDay, Field.received(state.channel), 1);
    // Received-cohort KPIs count on the day the dossier was received.
    if (state.digitizedAt !== undefined) addOnDay(sink, ctx, receivedDay, Field.digitized, 1);
    if (state.channel === 'online' && state.procedureId !== undefined) addOnDay(sink, ctx, receivedDay, Field.procedureOnline(state.procedureId), 1);
    if (state.submittedAt !== undefined && received > workingDayDeadline(state.submittedAt, ctx.rules.receiptWorkingDays, ctx.days, ctx.calendar)) {
      addOnDay(sink, ctx, receivedDay, Field.receivedLate, 1);
    }
    // Flows give the rolling window's carried-over count: open at the start = all in − all out
    // before it. A day's entries are its receipts (rcv:<channel> above), so only exits go to days.
    sink.current(Field.flowIn, 1);
    if (closedAt !== undefined) {
      addToDay(sink, ctx, closedDay, Field.flowOut, 1);
      sink.current(Field.flowOut, 1);
    }
    for (const p of ctx.periods) {
      if (receivedDay < p.fromDay && closedDay >= p.fromDay) sink.period(p, Field.carriedOver, 1);
      if (receivedDay <= p.toDay && closedDay > p.toDay) sink.period(p, Field.openAtEnd, 1);
    }
  }
  if (isResolved(state)) {
    const timeliness = resolutionTimeliness(state);
    addOnDay(sink, ctx, closedDay, Field.resolved(timeliness, state.processedOnline === true ? 'online' : 'paper'), 1);
    for (const reason of integrityFlags(state, ctx.rules, ctx.days, ctx.calendar)) addOnDay(sink, ctx, closedDay, Field.flag(reason), 1);
  } else if (state.withdrawnAt !== undefined) {
    addOnDay(sink, ctx, closedDay, Field.withdrawn, 1);
  }
  if (state.extendedAt !== undefined) addOnDay(sink, ctx, ctx.days.dayOf(state.extendedAt), Field.extended, 1);
}

function contribute(state: SubjectState | undefined, ctx: ProjectionContext, sink: Sink): void {
  if (state === undefined) return;
  switch (state.kind) {
    case 'dossier':
      dossierContributions(state, ctx, sink);
      return;
    case 'payment': {
      const day = ctx.days.dayOf(state.paidAt);
      addOnDay(sink, ctx, day, Field.payments(state.payKind, state.channel), 1);
      addOnDay(sink, ctx, day, Field.paymentsVnd(state.payKind, state.channel), state.amountVnd);
      return;
    }
    case 'report':
      addOnDay(sink, ctx, ctx.days.dayOf(state.submittedAt), Field.reports(state.channel), 1);
      return;
    case 'procedure':
      if (state.onlineCapable) sink.current(Field.procedureCapable(state.procedureId), 1);
      return;
    case 'team':
      sink.current(Field.teams(state.teamLevel), 1);
      sink.current(Field.teamMembers(state.teamLevel), state.members);
      return;
  }
}

/**
 * What one subject's state contributes to the counters, keyed `${bucket}\n${field}`. Counters
 * are always the sum of these over all subjects, so applying the difference of a subject's
 * contribution before and after a batch keeps them exact whatever order the events came in.
 */
export function contributions(state: SubjectState | undefined, ctx: ProjectionContext): Map<string, number> {
  const c = new Map<string, number>();
  const add = (bucket: Bucket, field: string, amount: number): void => {
    const key = `${bucket}\n${field}`;
    c.set(key, (c.get(key) ?? 0) + amount);
  };
  contribute(state, ctx, {
    day: (day, field, amount) => add(ctx.days.isoDate(day), field, amount),
    period: (period, field, amount) => add(periodBucket(period.id), field, amount),
    current: (field, amount) => add(CURRENT_BUCKET, field, amount),
  });
  return c;
}

/** One counter (bucket, field), kept per context so that a subject's delta is summed without building keys. */
interface Cell {
  readonly bucket: Bucket;
  readonly field: string;
  amount: number;
  touched: boolean;
}

/** Cells kept per context before they are forgotten (between two subjects). */
const CELL_LIMIT = 200_000;

/**
 * Sums one subject's contribution after the batch minus its contribution before (`sign`) in
 * interned cells, then adds the non-zero differences to the unit's counters: the same
 * increments as subtracting two maps keyed `${bucket}\n${field}`, without a map or a key per event.
 */
class DeltaSink implements Sink {
  sign = 1;
  private readonly byDay = new Map<number, Map<string, Cell>>();
  private readonly byBucket = new Map<Period | Bucket, Map<string, Cell>>();
  private readonly touched: Cell[] = [];
  private size = 0;

  constructor(private readonly ctx: ProjectionContext) {}

  day(day: number, field: string, amount: number): void {
    let fields = this.byDay.get(day);
    if (fields === undefined) this.byDay.set(day, (fields = new Map()));
    this.add(fields.get(field) ?? this.cell(fields, this.ctx.days.isoDate(day), field), amount);
  }

  period(period: Period, field: string, amount: number): void {
    let fields = this.byBucket.get(period);
    if (fields === undefined) this.byBucket.set(period, (fields = new Map()));
    this.add(fields.get(field) ?? this.cell(fields, periodBucket(period.id), field), amount);
  }

  current(field: string, amount: number): void {
    let fields = this.byBucket.get(CURRENT_BUCKET);
    if (fields === undefined) this.byBucket.set(CURRENT_BUCKET, (fields = new Map()));
    this.add(fields.get(field) ?? this.cell(fields, CURRENT_BUCKET, field), amount);
  }

  /** Adds the subject's non-zero differences to `counters` and starts over for the next subject. */
  flush(counters: Map<Bucket, Map<string, number>>): void {
    for (const cell of this.touched) {
      if (cell.amount !== 0) {
        let fields = counters.get(cell.bucket);
        if (fields === undefined) counters.set(cell.bucket, (fields = new Map()));
        increment(fields, cell.field, cell.amount);
      }
      cell.amount = 0;
      cell.touched = false;
    }
    this.touched.length = 0;
    this.sign = 1;
    if (this.size > CELL_LIMIT) {
      this.byDay.clear();
      this.byBucket.clear();
      this.size = 0;
    }
  }

  private cell(fields: Map<string, Cell>, bucket: Bucket, field: string): Cell {
    const cell: Cell = { bucket, field, amount: 0, touched: false };
    fields.set(field, cell);
    this.size++;
    return cell;
  }

  private add(cell: Cell, amount: number): void {
    if (!cell.touched) {
      cell.touched = true;
      this.touched.push(cell);
    }
    cell.amount += this.sign * amount;
  }
}

const deltaSinks = new WeakMap<ProjectionContext, DeltaSink>();

function deltaSinkOf(ctx: ProjectionContext): DeltaSink {
  let sink = deltaSinks.get(ctx);
  if (sink === undefined) deltaSinks.set(ctx, (sink = new DeltaSink(ctx)));
  return sink;
}

/** The sets in the order their changes are listed. */
const SET_ORDER: readonly SetName[] = [SETS.open, SETS.paused, SETS.awaitingResult, SETS.pendingReceipt];

/** A subject's score in each set; NaN where it is not a member. */
type Scores = Record<SetName, number>;

const noScores = (): Scores => ({ open: Number.NaN, paused: Number.NaN, awaiting_result: Number.NaN, pending_receipt: Number.NaN });

/** Writes a subject's score in each set into `scores`, NaN where it is not a member. */
function membershipScores(state: SubjectState | undefined, ctx: ProjectionContext, scores: Scores): void {
  for (const set of SET_ORDER) scores[set] = Number.NaN;
  if (state?.kind !== 'dossier') return;
  const open = openMembership(state);
  if (open.set === 'open') scores[SETS.open] = open.dueMs ?? Number.POSITIVE_INFINITY;
  if (open.set === 'paused' && state.pausedSince !== undefined) scores[SETS.paused] = state.pausedSince;
  if (state.resolvedAt !== undefined && state.returnedAt === undefined) {
    scores[SETS.awaitingResult] = resultReturnDeadline(state.resolvedAt, ctx.rules, ctx.days, ctx.calendar);
  }
  if (state.submittedAt !== undefined && state.receivedAt === undefined && state.withdrawnAt === undefined && state.resolvedAt === undefined) {
    scores[SETS.pendingReceipt] = workingDayDeadline(state.submittedAt, ctx.rules.receiptWorkingDays, ctx.days, ctx.calendar);
  }
}

/** The sorted sets a subject belongs to, with its score in each. */
export function memberships(state: SubjectState | undefined, ctx: ProjectionContext): Map<SetName, number> {
  const scores = noScores();
  membershipScores(state, ctx, scores);
  const sets = new Map<SetName, number>();
  for (const set of SET_ORDER) if (!Number.isNaN(scores[set])) sets.set(set, scores[set]);
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

/** How projectUnit may treat the states it is given. */
export interface ProjectOptions {
  /**
   * The caller owns the state objects in `before` (states it keeps in memory, or freshly parsed
   * for this batch) and hands them over: they are evolved in place and become the states of
   * `changes.states`, instead of being copied first. Their contributions and memberships before
   * the batch are still what the deltas start from. Default false: `before` is left untouched.
   */
  inPlace?: boolean;
}

/** One subject a batch changes: its state before the batch (fields only) and the state it is evolving into. */
interface Touched {
  readonly subject: string;
  readonly prior: SubjectState | undefined;
  state: SubjectState | undefined;
}

/**
 * The prior state as the deltas need it, taken before `state` is changed in place: a dossier's
 * fields are copied (not its ids, which contributions and memberships never read); the other
 * families are replaced by new objects, so their own fields stay as they were.
 */
const priorFields = (state: SubjectState | undefined): SubjectState | undefined => (state?.kind === 'dossier' ? { ...state } : state);

/**
 * Folds one unit's events (in delivery order) into the states read before the batch and
 * returns the changes. Duplicate event ids are detected against each subject's applied ids,
 * including duplicates inside the batch itself.
 *
 * With `options.inPlace`, the state objects found in `before` may be mutated (they are evolved
 * in place and returned in `changes.states`); without it, each subject is copied once per batch
 * and `before` is left as it was. The returned changes are the same either way.
 */
export function projectUnit(
  unitId: string,
  events: readonly DvcEvent[],
  before: ReadonlyMap<string, SubjectState | undefined>,
  ctx: ProjectionContext,
  options: ProjectOptions = {},
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
  const inPlace = options.inPlace === true;
  const touched = new Map<string, Touched>();
  /** The subject's entry, made when the batch first changes it. */
  const touch = (key: string, subject: string, state: SubjectState | undefined): Touched => {
    let entry = touched.get(key);
    if (entry === undefined) {
      entry = inPlace ? { subject, prior: priorFields(state), state } : { subject, prior: state, state: state === undefined ? undefined : copyState(state) };
      touched.set(key, entry);
    }
    return entry;
  };
  for (const event of events) {
    if (event.unitid !== unitId) throw new Error(`event ${event.id} of unit ${event.unitid} projected into unit ${unitId}`);
    const key = subjectKeyOf(event);
    const state = touched.has(key) ? touched.get(key)?.state : before.get(key);
    if (state !== undefined && state.ids.includes(event.id)) {
      increment(changes.duplicates, event.type);
      continue;
    }
    const own = touch(key, event.subject, state);
    own.state = evolveInPlace(own.state, event, ctx);
    if (event.type === 'vn.dvc.payment.completed' && event.data.dossierId !== undefined) {
      const dossierKey = subjectKey('dossier', event.data.dossierId);
      const dossier = touch(dossierKey, event.data.dossierId, before.get(dossierKey));
      dossier.state = linkPaymentInPlace(dossier.state, timestampMs(event.data.paidAt));
    }
    increment(changes.applied, event.type);
    const eventMs = timestampMs(event.time);
    if (changes.lastEventMs === undefined || eventMs > changes.lastEventMs) changes.lastEventMs = eventMs;
  }
  const sink = deltaSinkOf(ctx);
  const was = noScores();
  const now = noScores();
  for (const [key, { subject, prior, state: after }] of touched) {
    if (after === undefined) continue;
    changes.states.set(key, after);
    contribute(after, ctx, sink);
    sink.sign = -1;
    contribute(prior, ctx, sink);
    sink.flush(changes.counters);
    membershipScores(prior, ctx, was);
    membershipScores(after, ctx, now);
    for (const set of SET_ORDER) if (!Number.isNaN(now[set]) && was[set] !== now[set]) setChanges(changes, set).upsert.set(subject, now[set]);
    for (const set of SET_ORDER) if (!Number.isNaN(was[set]) && Number.isNaN(now[set])) setChanges(changes, set).remove.add(subject);
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
