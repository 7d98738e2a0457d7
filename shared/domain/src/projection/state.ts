import type { WorkCalendar } from '../calendar/calendar.js';
import type { IntegrityRules } from '../integrity/rules.js';
import { timestampMs } from '../events/timestamp.js';
import type { DvcEvent, EventType, PaymentChannelName, PaymentKindName, ReportChannelName } from '../events/schemas.js';
import { emptyDossier, type DossierState } from '../timeliness/dossier.js';
import type { DayIndexer } from '../windows/days.js';
import { DvcError } from '../errors/dvc-error.js';

export interface PaymentState {
  kind: 'payment';
  ids: string[];
  paidAt: number;
  payKind: PaymentKindName;
  channel: PaymentChannelName;
  amountVnd: number;
  dossierId?: string;
}

export interface ReportState {
  kind: 'report';
  ids: string[];
  submittedAt: number;
  channel: ReportChannelName;
}

export interface ProcedureState {
  kind: 'procedure';
  ids: string[];
  procedureId: string;
  onlineCapable: boolean;
}

export interface TeamState {
  kind: 'team';
  ids: string[];
  teamLevel: 'commune' | 'village';
  members: number;
}

/** The state kept per (unit, subject); the subject's event family decides which. */
export type SubjectState = DossierState | PaymentState | ReportState | ProcedureState | TeamState;
export type SubjectKind = SubjectState['kind'];

/** A fixed target period: local days from..to, both inclusive (day numbers of the DayIndexer). */
export interface Period {
  id: string;
  fromDay: number;
  toDay: number;
}

/** What the reducers need besides the state and the event: pure values, passed in. */
export interface ProjectionContext {
  days: DayIndexer;
  calendar: WorkCalendar;
  /** Fixed target periods projected beside the daily buckets. */
  periods: readonly Period[];
  /**
   * Day buckets before this local day are beyond retention: not written (periods and states
   * still are). -Infinity keeps every day.
   */
  horizonDay: number;
  rules: IntegrityRules & {
    /** Working days an online submission may wait for official receipt (Decree 118/2025: 1). */
    receiptWorkingDays: number;
  };
}

export function subjectKindOf(type: EventType): SubjectKind {
  if (type.startsWith('vn.dvc.dossier.')) return 'dossier';
  if (type === 'vn.dvc.payment.completed') return 'payment';
  if (type === 'vn.dvc.report.submitted') return 'report';
  if (type === 'vn.dvc.procedure.published') return 'procedure';
  return 'team';
}

/** Thrown when an event is folded into a state of another family: a bug in the caller. */
export class StateKindMismatchError extends DvcError {
  readonly code = 'DVC_STATE_KIND_MISMATCH';
}

/** The dossier itself (to be changed in place), or a new empty one. */
function dossierOf(state: SubjectState | undefined): DossierState {
  if (state === undefined) return emptyDossier();
  if (state.kind !== 'dossier') throw new StateKindMismatchError(`dossier event applied to ${state.kind} state`);
  return state;
}

/** A copy that shares nothing mutable with `state` (its fields are numbers, strings and booleans, besides the ids). */
export function copyState<S extends SubjectState>(state: S): S {
  return { ...state, ids: [...state.ids] };
}

const earliest = (current: number | undefined, next: number): number => (current === undefined ? next : Math.min(current, next));
const latest = (current: number | undefined, next: number): number => (current === undefined ? next : Math.max(current, next));

/** The dossier with `field` at the earliest of its time and `at` (a repeated or late event keeps the first), and the event id. */
function withFirst(state: SubjectState | undefined, field: 'returnedAt' | 'withdrawnAt' | 'digitizedAt', at: string, id: string): DossierState {
  const next = dossierOf(state);
  next[field] = earliest(next[field], timestampMs(at));
  return withId(next, id);
}

/** Records a processing activity: it moves the last-activity time and, after a resolution, is a signal. */
function activity(state: DossierState, at: number, countsAfterResolution: boolean): void {
  state.lastActivityAt = latest(state.lastActivityAt, at);
  if (countsAfterResolution && state.resolvedAt !== undefined) state.activityAfterResolution = true;
}

/**
 * evolve(state, event): the next state of a subject. Pure; the caller has already checked the
 * event id is new. Dossier events may arrive out of business order across retries, so each
 * field keeps a deterministic choice (first receipt, latest resolution) rather than "last write".
 */
export function evolve(state: SubjectState | undefined, event: DvcEvent, ctx: ProjectionContext): SubjectState {
  return evolveInPlace(state === undefined ? undefined : copyState(state), event, ctx);
}

/**
 * evolve without the copy, for a caller that owns `state`: a dossier is changed in place and
 * returned; the other families get a new object that takes over `state`'s ids array (pushed to).
 */
export function evolveInPlace(state: SubjectState | undefined, event: DvcEvent, ctx: ProjectionContext): SubjectState {
  switch (event.type) {
    case 'vn.dvc.dossier.submitted': {
      const next = dossierOf(state);
      next.submittedAt = earliest(next.submittedAt, timestampMs(event.data.submittedAt));
      next.procedureId ??= event.data.procedureId;
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.received': {
      const next = dossierOf(state);
      const receivedAt = timestampMs(event.data.receivedAt);
      if (next.receivedAt === undefined || receivedAt < next.receivedAt) {
        next.receivedAt = receivedAt;
        next.channel = event.data.channel;
        next.procedureId = event.data.procedureId;
        const { dueAt, processingDays } = event.data;
        if (dueAt !== undefined) next.dueAt = timestampMs(dueAt);
        else if (processingDays !== undefined) {
          const dueDay = ctx.calendar.addWorkingDays(ctx.days.dayOf(receivedAt), processingDays);
          next.dueAt = ctx.days.endOfDayMs(dueDay);
        }
      }
      activity(next, receivedAt, false);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.supplement_requested': {
      const next = dossierOf(state);
      const at = timestampMs(event.data.at);
      next.supplementRequests += 1;
      next.pausedSince ??= at;
      activity(next, at, true);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.supplement_received': {
      const next = dossierOf(state);
      const at = timestampMs(event.data.at);
      if (next.pausedSince !== undefined) {
        next.pausedMs += Math.max(0, at - next.pausedSince);
        delete next.pausedSince;
      }
      activity(next, at, true);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.deadline_extended': {
      const next = dossierOf(state);
      const at = timestampMs(event.data.at);
      next.extendedDueAt = timestampMs(event.data.newDueAt);
      next.extendedAt = earliest(next.extendedAt, at);
      activity(next, at, false);
      return withId(next, event.id);
    }
    case 'vn.dvc.dossier.resolved': {
      const next = dossierOf(state);
      const resolvedAt = timestampMs(event.data.resolvedAt);
      if (next.resolvedAt === undefined || resolvedAt >= next.resolvedAt) {
        next.resolvedAt = resolvedAt;
        next.processedOnline = event.data.processedOnline;
        next.outcome = event.data.outcome;
        if (event.data.dueAt !== undefined) next.resolvedDueAt = timestampMs(event.data.dueAt);
        // A resolution ends a supplement pause still in progress.
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
      next.reopenedAt = timestampMs(event.data.at);
      if (next.resolvedAt !== undefined) next.activityAfterResolution = true;
      return withId(next, event.id);
    }
    case 'vn.dvc.payment.completed': {
      const d = event.data;
      const next: PaymentState = {
        kind: 'payment',
        ids: state?.ids ?? [],
        paidAt: timestampMs(d.paidAt),
        payKind: d.kind,
        channel: d.channel,
        amountVnd: d.amountVnd,
      };
      if (d.dossierId !== undefined) next.dossierId = d.dossierId;
      return withId(next, event.id);
    }
    case 'vn.dvc.report.submitted':
      return withId({ kind: 'report', ids: state?.ids ?? [], submittedAt: timestampMs(event.data.submittedAt), channel: event.data.channel }, event.id);
    case 'vn.dvc.procedure.published':
      return withId({ kind: 'procedure', ids: state?.ids ?? [], procedureId: event.data.procedureId, onlineCapable: event.data.onlineCapable }, event.id);
    case 'vn.dvc.community_team.registered':
      return withId({ kind: 'team', ids: state?.ids ?? [], teamLevel: event.data.teamLevel, members: event.data.members }, event.id);
  }
}

/**
 * A payment names its dossier: the dossier remembers it was paid (for the fee_unpaid signal).
 * The payment event's id is kept by the payment's own state, which is what dedupes it.
 */
export function linkPayment(state: SubjectState | undefined, paidAt: number): DossierState {
  return linkPaymentInPlace(state === undefined ? undefined : copyState(state), paidAt);
}

/** linkPayment without the copy, for a caller that owns `state`. */
export function linkPaymentInPlace(state: SubjectState | undefined, paidAt: number): DossierState {
  const next = dossierOf(state);
  next.paidAt = earliest(next.paidAt, paidAt);
  return next;
}

function withId<S extends SubjectState>(state: S, id: string): S {
  state.ids.push(id);
  return state;
}
