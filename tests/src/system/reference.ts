/**
 * The reference model of the fault suite: from the events alone (plus the data files: working-day
 * calendar, target periods, unit directory) it recounts what the exporter must show, with
 * definitions taken from the metric contract (shared/metrics/README.md) and none of the
 * projector's code. Duplicate event ids are ignored here, as the projection must ignore them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CalendarYear } from '@dvc/domain';
import { referenceDueRule } from '@dvc/scenario';
import { parseSeries } from '@dvc/testing';
import type { WireEvent } from './history.js';

/** The families compared, each completely: every exported series of them must match. */
export const FAMILIES = [
  'dvc_dossiers_received',
  'dvc_dossiers_resolved',
  'dvc_overdue_ratio',
  'dvc_dossiers_open',
  'dvc_dossiers_withdrawn',
  'dvc_dossiers_digitized',
  'dvc_dossiers_carried_over',
  'dvc_dossiers_open_at_end',
  'dvc_dossiers_extended',
  'dvc_payments',
  'dvc_payments_vnd',
  'dvc_reports_submitted',
  'dvc_projection_events_applied_total',
] as const;

/** One reason of dvc_integrity_flags is compared: the one every history here exercises. */
export const FLAG = { family: 'dvc_integrity_flags', reason: 'multiple_supplement_requests' } as const;

/** `name{a="x",b="y"}` with the labels sorted by name: one key per series whatever the label order. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return `${name}{${parts.join(',')}}`;
}

export interface ReferenceData {
  /** The official calendar years (the domain's calendar counts the working days). */
  calendarYears: CalendarYear[];
  periods: { id: string; from: string; to: string }[];
  levels: Map<string, string>;
}

export function loadReferenceData(dataDir: string): ReferenceData {
  const calendarYears = readdirSync(join(dataDir, 'calendar'))
    .filter((f) => /^\d{4}\.json$/.test(f))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dataDir, 'calendar', file), 'utf8')) as CalendarYear);
  const targets = JSON.parse(readFileSync(join(dataDir, 'targets.json'), 'utf8')) as { periods: { id: string; from: string; to: string }[] };
  const directory = JSON.parse(readFileSync(join(dataDir, 'units.json'), 'utf8')) as { units: { id: string; level: string }[] };
  return {
    calendarYears,
    periods: targets.periods.map(({ id, from, to }) => ({ id, from, to })),
    levels: new Map(directory.units.map((u) => [u.id, u.level])),
  };
}

const DAY = 86_400_000;
const VN = 7 * 3_600_000;
const localDate = (ms: number) => new Date(ms + VN).toISOString().slice(0, 10);
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

interface Dossier {
  unit: string;
  receivedAt?: number;
  channel?: string;
  dueAt?: number;
  processingDays?: number;
  requests: number[];
  receipts: number[];
  digitized: boolean;
  extendedAt?: number;
  resolvedAt?: number;
  processedOnline?: boolean;
  withdrawnAt?: number;
}

/** The exact value of every series of FAMILIES (and FLAG) that is not 0, keyed by seriesKey. */
export function referenceSeries(events: readonly WireEvent[], data: ReferenceData): Map<string, number> {
  const seen = new Set<string>();
  const dossiers = new Map<string, Dossier>();
  const payments: { unit: string; date: string; kind: string; channel: string; amount: number }[] = [];
  const reports: { unit: string; date: string; channel: string }[] = [];
  const appliedByType = new Map<string, number>();
  let clock = Number.NEGATIVE_INFINITY;

  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    appliedByType.set(e.type, (appliedByType.get(e.type) ?? 0) + 1);
    const t = Date.parse(e.time);
    clock = Math.max(clock, t);
    const d = e.data;
    if (e.type.startsWith('vn.dvc.dossier.')) {
      let s = dossiers.get(e.subject);
      if (s === undefined) dossiers.set(e.subject, (s = { unit: e.unitid, requests: [], receipts: [], digitized: false }));
      switch (e.type) {
        case 'vn.dvc.dossier.received':
          s.receivedAt = Date.parse(d.receivedAt as string);
          s.channel = d.channel as string;
          if (typeof d.dueAt === 'string') s.dueAt = Date.parse(d.dueAt);
          if (typeof d.processingDays === 'number') s.processingDays = d.processingDays;
          break;
        case 'vn.dvc.dossier.supplement_requested':
          s.requests.push(Date.parse(d.at as string));
          break;
        case 'vn.dvc.dossier.supplement_received':
          s.receipts.push(Date.parse(d.at as string));
          break;
        case 'vn.dvc.dossier.digitized':
          s.digitized = true;
          break;
        case 'vn.dvc.dossier.deadline_extended':
          s.extendedAt ??= Date.parse(d.at as string);
          break;
        case 'vn.dvc.dossier.resolved':
          s.resolvedAt = Date.parse(d.resolvedAt as string);
          s.processedOnline = d.processedOnline === true;
          break;
        case 'vn.dvc.dossier.withdrawn':
          s.withdrawnAt = Date.parse(d.at as string);
          break;
        default:
          throw new Error(`reference: no rule for ${e.type}`);
      }
    } else if (e.type === 'vn.dvc.payment.completed') {
      payments.push({
        unit: e.unitid,
        date: localDate(Date.parse(d.paidAt as string)),
        kind: d.kind as string,
        channel: d.channel as string,
        amount: d.amountVnd as number,
      });
    } else if (e.type === 'vn.dvc.report.submitted') {
      reports.push({ unit: e.unitid, date: localDate(Date.parse(d.submittedAt as string)), channel: d.channel as string });
    } else {
      throw new Error(`reference: no rule for ${e.type}`);
    }
  }

  const dueByDays = referenceDueRule(data.calendarYears);
  /** dueAt, else the end (23:59:59.999 local) of the Nth working day after the local receipt day. */
  const baseDue = (s: Dossier): number | undefined => {
    if (s.dueAt !== undefined) return s.dueAt;
    if (s.processingDays === undefined || s.receivedAt === undefined) return undefined;
    return dueByDays(s.receivedAt, s.processingDays);
  };

  const out = new Map<string, number>();
  const level = (unit: string) => data.levels.get(unit) ?? 'unknown';
  const bump = (name: string, unit: string, labels: Record<string, string>, by = 1) => {
    const key = seriesKey(name, { unit, level: level(unit), ...labels });
    out.set(key, (out.get(key) ?? 0) + by);
  };
  const clockDate = localDate(clock);
  const windows = [{ id: '14d', from: addDays(clockDate, -13), to: clockDate, period: false }, ...data.periods.map((p) => ({ ...p, period: true }))];
  const resolvedCounts = new Map<string, { unit: string; window: string; all: number; overdue: number }>();

  for (const s of dossiers.values()) {
    if (s.receivedAt === undefined || s.channel === undefined) throw new Error('reference: every history dossier is received');
    const received = localDate(s.receivedAt);
    const closedAt = s.resolvedAt ?? s.withdrawnAt;
    const closed = closedAt === undefined ? undefined : localDate(closedAt);
    const due = baseDue(s);
    const closedPauses = s.receipts.reduce((sum, r, i) => sum + (r - (s.requests[i] as number)), 0);
    const pausedNow = s.requests.length > s.receipts.length;
    let timeliness: 'on_time' | 'overdue' | undefined;
    if (s.resolvedAt !== undefined) {
      const runningPause = pausedNow ? s.resolvedAt - (s.requests[s.requests.length - 1] as number) : 0;
      const late = s.requests.length > 1 || (due !== undefined && s.resolvedAt > due + closedPauses + runningPause);
      timeliness = late ? 'overdue' : 'on_time';
    }
    for (const w of windows) {
      const inWindow = (date: string | undefined) => date !== undefined && date >= w.from && date <= w.to;
      if (inWindow(received)) {
        bump('dvc_dossiers_received', s.unit, { window: w.id, channel: s.channel });
        if (s.digitized) bump('dvc_dossiers_digitized', s.unit, { window: w.id });
      }
      if (s.resolvedAt !== undefined && timeliness !== undefined && inWindow(closed)) {
        bump('dvc_dossiers_resolved', s.unit, { window: w.id, timeliness, processing: s.processedOnline === true ? 'online' : 'paper' });
        const key = `${s.unit}\n${w.id}`;
        const r = resolvedCounts.get(key) ?? { unit: s.unit, window: w.id, all: 0, overdue: 0 };
        r.all += 1;
        if (timeliness === 'overdue') r.overdue += 1;
        resolvedCounts.set(key, r);
        if (s.requests.length > 1) bump(FLAG.family, s.unit, { window: w.id, reason: FLAG.reason });
      }
      if (s.resolvedAt === undefined && s.withdrawnAt !== undefined && inWindow(closed)) bump('dvc_dossiers_withdrawn', s.unit, { window: w.id });
      if (s.extendedAt !== undefined && inWindow(localDate(s.extendedAt))) bump('dvc_dossiers_extended', s.unit, { window: w.id });
      // Open when the window starts: received before its first day, not closed before it.
      if (received < w.from && (closed === undefined || closed >= w.from)) bump('dvc_dossiers_carried_over', s.unit, { window: w.id });
      // Fixed periods: open when the period ends.
      if (w.period && received <= w.to && (closed === undefined || closed > w.to)) bump('dvc_dossiers_open_at_end', s.unit, { window: w.id });
    }
    if (closedAt === undefined) {
      const state = pausedNow ? 'paused' : due !== undefined && clock > due + closedPauses ? 'overdue' : 'in_time';
      bump('dvc_dossiers_open', s.unit, { state });
    }
  }
  for (const r of resolvedCounts.values()) {
    out.set(seriesKey('dvc_overdue_ratio', { unit: r.unit, level: level(r.unit), window: r.window }), r.overdue / r.all);
  }
  for (const p of payments) {
    for (const w of windows) {
      if (p.date < w.from || p.date > w.to) continue;
      bump('dvc_payments', p.unit, { window: w.id, kind: p.kind, channel: p.channel });
      bump('dvc_payments_vnd', p.unit, { window: w.id, kind: p.kind, channel: p.channel }, p.amount);
    }
  }
  for (const r of reports) {
    for (const w of windows) if (r.date >= w.from && r.date <= w.to) bump('dvc_reports_submitted', r.unit, { window: w.id, channel: r.channel });
  }
  for (const [type, n] of appliedByType) out.set(seriesKey('dvc_projection_events_applied_total', { type }), n);
  return out;
}

/**
 * Every difference between a scrape (scrapeMetrics) and the reference over the compared
 * families: a reference series missing or different, or an exported one the reference has as 0.
 */
export function compareWithReference(scraped: Map<string, number>, expected: Map<string, number>): string[] {
  const compared = new Set<string>(FAMILIES);
  const found = new Map<string, number>();
  for (const [series, value] of scraped) {
    const { name, labels } = parseSeries(series);
    if (name === FLAG.family ? labels.reason !== FLAG.reason : !compared.has(name)) continue;
    found.set(seriesKey(name, labels), value);
  }
  const mismatches: string[] = [];
  for (const [key, value] of expected) {
    const got = found.get(key);
    if (got !== value) mismatches.push(`${key}: expected ${value}, exported ${got ?? 'nothing'}`);
  }
  for (const [key, value] of found) {
    if (!expected.has(key) && value !== 0) mismatches.push(`${key}: expected 0, exported ${value}`);
  }
  return mismatches.sort();
}
