import type { DvcEvent, EventType } from '../events/schemas.js';
import { timestampMs } from '../events/timestamp.js';
import { openMembership, resolutionTimeliness, type DossierState, type OpenMembership } from '../timeliness/dossier.js';
import { evolve, subjectKindOf, type ProjectionContext, type SubjectKind, type SubjectState } from './state.js';

/** Bucket of a counter: a local day 'YYYY-MM-DD' (windowed metrics) or 'current' (totals now). */
export type Bucket = string;
export const CURRENT_BUCKET = 'current';

/** Counter field names inside a bucket; the exporter reads exactly these. */
export const Field = {
  received: (channel: string) => `rcv:${channel}`,
  resolved: (timeliness: string, processing: string) => `res:${timeliness}:${processing}`,
  withdrawn: 'wdr',
  digitized: 'dig',
  payments: (kind: string, channel: string) => `pay:${kind}:${channel}`,
  paymentsVnd: (kind: string, channel: string) => `vnd:${kind}:${channel}`,
  reports: (channel: string) => `rep:${channel}`,
  proceduresOnlineCapable: 'proc:online_capable',
  teams: (level: string) => `team:${level}`,
  teamMembers: (level: string) => `members:${level}`,
} as const;

type Contribution = Map<string, number>; // `${bucket}\n${field}` -> amount

function add(c: Contribution, bucket: Bucket, field: string, amount: number): void {
  const key = `${bucket}\n${field}`;
  c.set(key, (c.get(key) ?? 0) + amount);
}

/**
 * What one subject's state contributes to the counters. Counters are always the sum of these
 * over all subjects, so applying the difference of a subject's contribution before and after
 * a batch keeps them exact whatever order the events came in.
 */
export function contributions(state: SubjectState | undefined, ctx: ProjectionContext): Contribution {
  const c: Contribution = new Map();
  if (state === undefined) return c;
  const day = (ms: number) => ctx.days.isoDate(ctx.days.dayOf(ms));
  switch (state.kind) {
    case 'dossier': {
      if (state.receivedAt !== undefined && state.channel !== undefined) {
        const receivedDay = day(state.receivedAt);
        add(c, receivedDay, Field.received(state.channel), 1);
        // Received-cohort KPI: digitization counts on the day the dossier was received.
        if (state.digitizedAt !== undefined) add(c, receivedDay, Field.digitized, 1);
      }
      if (state.resolvedAt !== undefined) {
        const timeliness = resolutionTimeliness({ ...state, resolvedAt: state.resolvedAt });
        add(c, day(state.resolvedAt), Field.resolved(timeliness, state.processedOnline === true ? 'online' : 'paper'), 1);
      } else if (state.withdrawnAt !== undefined) {
        add(c, day(state.withdrawnAt), Field.withdrawn, 1);
      }
      return c;
    }
    case 'payment': {
      const paidDay = day(state.paidAt);
      add(c, paidDay, Field.payments(state.payKind, state.channel), 1);
      add(c, paidDay, Field.paymentsVnd(state.payKind, state.channel), state.amountVnd);
      return c;
    }
    case 'report':
      add(c, day(state.submittedAt), Field.reports(state.channel), 1);
      return c;
    case 'procedure':
      if (state.onlineCapable) add(c, CURRENT_BUCKET, Field.proceduresOnlineCapable, 1);
      return c;
    case 'team':
      add(c, CURRENT_BUCKET, Field.teams(state.teamLevel), 1);
      add(c, CURRENT_BUCKET, Field.teamMembers(state.teamLevel), state.members);
      return c;
  }
}

/** Identifies a subject inside one unit: its kind and its id (the CloudEvents subject). */
export function subjectKey(kind: SubjectKind, subject: string): string {
  return `${kind}:${subject}`;
}

export function subjectKeyOf(event: DvcEvent): string {
  return subjectKey(subjectKindOf(event.type), event.subject);
}

/** The changes one batch makes to one unit; an adapter writes them atomically. */
export interface UnitChanges {
  unitId: string;
  /** Subject key -> new state (only subjects that changed). */
  states: Map<string, SubjectState>;
  /** Bucket -> field -> non-zero increment. */
  counters: Map<Bucket, Map<string, number>>;
  /** Dossier id -> effective due (ms; Infinity when unknown) for dossiers entering or moving in the open set. */
  openUpsert: Map<string, number>;
  openRemove: Set<string>;
  pausedAdd: Set<string>;
  pausedRemove: Set<string>;
  applied: Map<EventType, number>;
  duplicates: Map<EventType, number>;
  /** Latest business time among applied events (the event-time clock). */
  lastEventMs: number | undefined;
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function membershipOf(state: SubjectState | undefined): OpenMembership {
  return state?.kind === 'dossier' ? openMembership(state) : { set: 'none' };
}

function sameMembership(a: OpenMembership, b: OpenMembership): boolean {
  if (a.set !== b.set) return false;
  return a.set !== 'open' || b.set !== 'open' || a.dueMs === b.dueMs;
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
    openUpsert: new Map(),
    openRemove: new Set(),
    pausedAdd: new Set(),
    pausedRemove: new Set(),
    applied: new Map(),
    duplicates: new Map(),
    lastEventMs: undefined,
  };
  const current = new Map<string, SubjectState | undefined>();
  for (const event of events) {
    if (event.unitid !== unitId) throw new Error(`event ${event.id} of unit ${event.unitid} projected into unit ${unitId}`);
    const key = subjectKeyOf(event);
    const state = current.has(key) ? current.get(key) : before.get(key);
    if (state !== undefined && state.ids.includes(event.id)) {
      increment(changes.duplicates, event.type);
      continue;
    }
    current.set(key, evolve(state, event, ctx));
    increment(changes.applied, event.type);
    const eventMs = timestampMs(event.time);
    if (changes.lastEventMs === undefined || eventMs > changes.lastEventMs) changes.lastEventMs = eventMs;
  }
  for (const [key, after] of current) {
    if (after === undefined) continue;
    const prior = before.get(key);
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
    const was = membershipOf(prior);
    const now = membershipOf(after);
    if (sameMembership(was, now)) continue;
    const dossierId = key.slice(key.indexOf(':') + 1);
    if (was.set === 'open' && now.set !== 'open') changes.openRemove.add(dossierId);
    if (was.set === 'paused' && now.set !== 'paused') changes.pausedRemove.add(dossierId);
    if (now.set === 'open') changes.openUpsert.set(dossierId, now.dueMs ?? Number.POSITIVE_INFINITY);
    if (now.set === 'paused') changes.pausedAdd.add(dossierId);
  }
  return changes;
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
