/**
 * A seeded, deterministic event history for the fault suite: dossiers of a few units with every
 * path the metrics distinguish (on time / late, supplement pauses, two supplement requests,
 * deadline extensions, withdrawals, open in time / overdue / paused, due from dueAt or from
 * working days), payments and reports, in portal order, with some events sent a second time.
 *
 * Times are built so no rule ever compares two equal instants: activity times are whole seconds
 * ≡ 1 (mod 4), dueAt ≡ 2 (mod 4), the clock ≡ 0 (mod 4), and working-day deadlines end at
 * .999 ms; pauses are differences of activity times (≡ 0 mod 4), so an effective due can never
 * equal a resolution time or the clock and the expected numbers do not hinge on < versus ≤.
 */
import { createRng, type ScenarioEvent } from '@dvc/scenario';

/** An event as it goes over the wire: the scenarios' event shape. */
export type WireEvent = ScenarioEvent;

export interface HistoryOptions {
  seed: number;
  /** Prefix of unit, dossier, payment and report ids: lowercase letters, digits, '.', '-'. */
  prefix: string;
  dossiers: number;
  units: number;
  /** Share of events sent a second time, later in the stream (same id). */
  resendShare: number;
}

export interface History {
  /** The stream in sending order, resends included. */
  events: WireEvent[];
  /** Distinct event ids in the stream. */
  unique: number;
  /** Events of the stream that repeat an earlier one. */
  resent: number;
  units: string[];
  /** The latest event time: the exporter's event-time clock once everything is applied. */
  clock: string;
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const VN = 7 * HOUR;

/** The history spans 20 April – 22 June 2022: across the start of the report period 1 May – 22 June. */
export const HISTORY_START = Date.parse('2022-04-20T08:00:00+07:00');
export const CLOCK = '2022-06-22T17:00:00+07:00';
const CLOCK_MS = Date.parse(CLOCK);
const LAST = CLOCK_MS - MIN;

/** An instant snapped down to a whole second with the given residue mod 4. */
function snap(ms: number, residue: 0 | 1 | 2): number {
  const s = Math.floor(ms / SEC);
  const base = s - (((s % 4) + 4) % 4);
  const snapped = base + residue;
  return (snapped <= s ? snapped : snapped - 4) * SEC;
}

/** RFC 3339 local time with the +07:00 offset. */
export function isoLocal(ms: number): string {
  return `${new Date(ms + VN).toISOString().slice(0, 19)}+07:00`;
}

export function generateHistory(options: HistoryOptions): History {
  const rng = createRng(options.seed);
  const units = Array.from({ length: options.units }, (_, k) => `${options.prefix}.u${k}`);
  const events: WireEvent[] = [];
  let counter = 0;
  const push = (type: string, subject: string, unit: string, ms: number, data: Record<string, unknown>) => {
    counter += 1;
    events.push({
      specversion: '1.0',
      id: `${subject}/${type.slice('vn.dvc.'.length)}/${counter}`,
      source: 'test/fault-suite',
      type,
      time: isoLocal(ms),
      subject,
      unitid: unit,
      data: { ...data, unitId: unit },
    });
  };
  const activity = (from: number, minGap: number, maxGap: number): number | undefined => {
    const t = snap(from + minGap + rng.next() * (maxGap - minGap), 1);
    return t <= LAST ? t : undefined;
  };

  for (let i = 0; i < options.dossiers; i++) {
    const unit = rng.pick(units);
    const dossierId = `${options.prefix}-d${i}`;
    const received = snap(HISTORY_START + rng.next() * (CLOCK_MS - 3 * HOUR - HISTORY_START), 1);
    const channel = rng.pick(['online', 'online', 'direct', 'direct', 'postal'] as const);
    const due: Record<string, unknown> = rng.chance(0.75)
      ? { dueAt: isoLocal(snap(received + rng.int(1, 15) * DAY + rng.int(0, 8) * HOUR, 2)) }
      : { processingDays: rng.int(1, 10) };
    push('vn.dvc.dossier.received', dossierId, unit, received, {
      dossierId,
      procedureId: rng.pick(['P-FAULT-1', 'P-FAULT-2', 'P-FAULT-3']),
      channel,
      receivedAt: isoLocal(received),
      ...due,
    });
    let cursor = received;
    if (rng.chance(0.3)) {
      const at = activity(cursor, MIN, 2 * HOUR);
      if (at !== undefined) {
        push('vn.dvc.dossier.digitized', dossierId, unit, at, { dossierId, at: isoLocal(at) });
        cursor = at;
      }
    }
    const fate = rng.next();
    const closes = fate < 0.6;
    const requests = rng.chance(0.06) ? 2 : rng.chance(0.2) ? 1 : 0;
    for (let r = 0; r < requests; r++) {
      const asked = activity(cursor, 30 * MIN, 5 * DAY);
      if (asked === undefined) break;
      push('vn.dvc.dossier.supplement_requested', dossierId, unit, asked, { dossierId, at: isoLocal(asked) });
      cursor = asked;
      // The last request may stay unanswered: paused now, or resolved while paused.
      if (r === requests - 1 && rng.chance(closes ? 0.15 : 0.5)) break;
      const answered = activity(cursor, HOUR, 6 * DAY);
      if (answered === undefined) break;
      push('vn.dvc.dossier.supplement_received', dossierId, unit, answered, { dossierId, at: isoLocal(answered) });
      cursor = answered;
    }
    if (rng.chance(0.06)) {
      const at = activity(cursor, HOUR, 4 * DAY);
      if (at !== undefined) {
        push('vn.dvc.dossier.deadline_extended', dossierId, unit, at, { dossierId, at: isoLocal(at), newDueAt: isoLocal(snap(at + 5 * DAY, 2)) });
        cursor = at;
      }
    }
    if (closes) {
      const at = activity(cursor, HOUR, 12 * DAY);
      if (at === undefined) continue;
      if (fate < 0.55) {
        push('vn.dvc.dossier.resolved', dossierId, unit, at, {
          dossierId,
          resolvedAt: isoLocal(at),
          outcome: rng.chance(0.9) ? 'approved' : 'rejected',
          processedOnline: rng.chance(0.7),
        });
      } else {
        push('vn.dvc.dossier.withdrawn', dossierId, unit, at, { dossierId, at: isoLocal(at) });
      }
    }
  }
  for (let i = 0; i < Math.round(options.dossiers * 0.3); i++) {
    const unit = rng.pick(units);
    const paymentId = `${options.prefix}-p${i}`;
    const paidAt = snap(HISTORY_START + rng.next() * (LAST - HISTORY_START), 1);
    push('vn.dvc.payment.completed', paymentId, unit, paidAt, {
      paymentId,
      kind: rng.pick(['fee', 'land_obligation'] as const),
      channel: rng.pick(['online', 'offline'] as const),
      amountVnd: rng.int(1, 5000) * 1000,
      paidAt: isoLocal(paidAt),
    });
  }
  const reports = options.units * 6;
  for (let i = 0; i <= reports; i++) {
    const unit = i === reports ? (units[0] as string) : rng.pick(units);
    const reportId = `${options.prefix}-r${i}`;
    // The last report closes the history exactly at the clock.
    const at = i === reports ? CLOCK_MS : snap(HISTORY_START + rng.next() * (LAST - HISTORY_START), 1);
    push('vn.dvc.report.submitted', reportId, unit, at, { reportId, channel: rng.pick(['online', 'offline'] as const), submittedAt: isoLocal(at) });
  }

  // Portal order (by time; a subject's events stay in order), then resends at later positions.
  const ordered = events.map((e, i) => ({ e, t: Date.parse(e.time), i })).sort((a, b) => a.t - b.t || a.i - b.i);
  const positioned = ordered.map(({ e }, i) => ({ e, key: i }));
  let resent = 0;
  for (let i = 0; i < ordered.length; i++) {
    if (!rng.chance(options.resendShare)) continue;
    positioned.push({ e: (ordered[i] as { e: WireEvent }).e, key: i + 0.5 + rng.next() * (ordered.length - i - 1) });
    resent += 1;
  }
  positioned.sort((a, b) => a.key - b.key);
  return { events: positioned.map((p) => p.e), unique: events.length, resent, units, clock: CLOCK };
}
