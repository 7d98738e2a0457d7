import type { DossierChannelName } from '../events/schemas.js';

/**
 * Everything the projection remembers about one dossier. Plain JSON so it can be stored as
 * one value; times are epoch milliseconds.
 */
export interface DossierState {
  kind: 'dossier';
  /** Ids of the events already applied: a second delivery of any of them changes nothing. */
  ids: string[];
  procedureId?: string;
  submittedAt?: number;
  receivedAt?: number;
  channel?: DossierChannelName;
  /** Due time from the receipt: dueAt, or receivedAt + processingDays working days. */
  dueAt?: number;
  /** Due time carried by the resolution event, for dossiers received before the history began. */
  resolvedDueAt?: number;
  /** Sum of closed supplement pauses. */
  pausedMs: number;
  /** Start of the supplement pause in progress, if any. */
  pausedSince?: number;
  supplementRequests: number;
  extendedDueAt?: number;
  /** First deadline extension (apology letter and new appointment). */
  extendedAt?: number;
  /** Latest business time of any processing activity: receipt, supplements, extension. */
  lastActivityAt?: number;
  /** A supplement or reopening was applied after the resolution had been recorded. */
  activityAfterResolution?: boolean;
  /** Earliest payment linked to this dossier (payment.completed with its dossierId). */
  paidAt?: number;
  resolvedAt?: number;
  processedOnline?: boolean;
  outcome?: 'approved' | 'rejected';
  returnedAt?: number;
  withdrawnAt?: number;
  digitizedAt?: number;
  reopenedAt?: number;
}

export function emptyDossier(): DossierState {
  return { kind: 'dossier', ids: [], pausedMs: 0, supplementRequests: 0 };
}

export type Timeliness = 'on_time' | 'overdue';

/**
 * Effective due time at instant `at`: the base due time plus every supplement pause, the one
 * in progress counted up to `at`. Undefined when no due time is known.
 * An extension with an apology letter (deadline_extended) deliberately does not move it.
 */
export function effectiveDueMs(state: DossierState, at: number): number | undefined {
  const base = state.dueAt ?? state.resolvedDueAt;
  if (base === undefined) return undefined;
  const running = state.pausedSince === undefined ? 0 : Math.max(0, at - state.pausedSince);
  return base + state.pausedMs + running;
}

/**
 * Timeliness of a resolved dossier (Decision 766 rules): overdue when resolved after its
 * effective due time, or when supplements were requested more than once. A dossier with no
 * known due time can only be overdue by the second rule.
 */
export function resolutionTimeliness(state: DossierState & { resolvedAt: number }): Timeliness {
  if (state.supplementRequests > 1) return 'overdue';
  const due = effectiveDueMs(state, state.resolvedAt);
  return due !== undefined && state.resolvedAt > due ? 'overdue' : 'on_time';
}

/** Where an unresolved dossier sits in the open set. */
export type OpenMembership = { set: 'none' } | { set: 'paused' } | { set: 'open'; dueMs: number | undefined };

/** The answers that carry no value are shared (the projection asks twice per subject and batch). */
const NOT_OPEN: OpenMembership = Object.freeze({ set: 'none' });
const PAUSED: OpenMembership = Object.freeze({ set: 'paused' });

export function openMembership(state: DossierState): OpenMembership {
  if (state.receivedAt === undefined || state.resolvedAt !== undefined || state.withdrawnAt !== undefined) return NOT_OPEN;
  if (state.pausedSince !== undefined) return PAUSED;
  // Not paused: the running-pause term is zero whatever instant is passed.
  return { set: 'open', dueMs: effectiveDueMs(state, 0) };
}

/** How far ahead "due soon" looks: `dvc_dossiers_due_soon{within="24h"}`. */
export const DUE_SOON_MS = 24 * 3_600_000;

const DAY_MS = 86_400_000;

/**
 * The one rule for "overdue now": open (received, neither resolved nor withdrawn), not waiting for
 * a supplement, and `nowMs` past its effective due time (due exactly at `nowMs` is not yet
 * overdue). A dossier without a known due time is never overdue; a paused one counts as paused,
 * whatever its due time. The read model answers the same question from the open set, whose score
 * is this effective due time (`score < now`).
 */
export function isOverdueAt(state: DossierState, nowMs: number): boolean {
  const open = openMembership(state);
  return open.set === 'open' && open.dueMs !== undefined && nowMs > open.dueMs;
}

/**
 * Open, not paused, not overdue at `nowMs`, and due within DUE_SOON_MS: its effective due time
 * lies in [nowMs, nowMs + 24 h], both ends included.
 */
export function isDueSoonAt(state: DossierState, nowMs: number): boolean {
  const open = openMembership(state);
  return open.set === 'open' && open.dueMs !== undefined && open.dueMs >= nowMs && open.dueMs <= nowMs + DUE_SOON_MS;
}

/** Open and waiting for the citizen's supplement (the due time moves while it waits). */
export function isPaused(state: DossierState): boolean {
  return openMembership(state).set === 'paused';
}

/**
 * Whole days (24 h each, rounded down) by which `nowMs` is past the effective due time at `nowMs`;
 * 0 when it is not past or no due time is known. A paused dossier keeps the lateness it had when
 * the pause began, since its due time moves with the clock while it waits.
 */
export function daysOverdueAt(state: DossierState, nowMs: number): number {
  const due = effectiveDueMs(state, nowMs);
  return due === undefined || nowMs <= due ? 0 : Math.floor((nowMs - due) / DAY_MS);
}
