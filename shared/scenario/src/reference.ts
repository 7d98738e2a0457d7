// The reference counter: recomputes every figure of a scenario from its events alone, with
// plain, deliberately naive code (ISO date strings, a day-by-day walk over the domain's working
// days), so the generator's allocation is checked by something that does not share its
// arithmetic; the working-day calendar itself is the domain's, the one the projector uses. It
// also checks the contract: exact data fields, subject/unit consistency, unique ids, and that
// each dossier's events come in causal order.
import { ZONE } from '@dvc/config';
import { createDayIndexer, createWorkCalendar, type CalendarYear, type UnitRecord } from '@dvc/domain';
import type { ScenarioEvent } from './event.js';

export interface Amount {
  count: number;
  vnd: number;
}

export interface WindowFigures {
  from: string;
  to: string;
  received: Partial<Record<'online' | 'direct' | 'postal', number>>;
  resolved: { on_time: number; overdue: number };
  processedOnline: number;
  withdrawn: number;
  digitized: number;
  /** Keyed `${kind}:${channel}`. */
  payments: Record<string, Amount>;
  reports: { online: number; offline: number };
}

export interface LevelFigures {
  received: number;
  receivedOnline: number;
  digitized: number;
  carriedOver: number;
  resolved: number;
  resolvedOverdue: number;
  processedOnline: number;
  open: number;
  openOverdue: number;
  openPaused: number;
  openInTime: number;
  withdrawn: number;
}

/** Everything countFigures recounts from the events. */
export interface Figures extends LevelFigures {
  clock: string;
  events: number;
  eventsByType: Record<string, number>;
  dossiers: number;
  closedBeforePeriod: number;
  balance: { carriedPlusReceived: number; resolvedPlusOpenPlusWithdrawn: number };
  resolvedByMonth: Record<string, { resolved: number; overdue: number; processedOnline: number }>;
  supplementRequests: number;
  deadlineExtensions: number;
  payments: Record<string, Amount>;
  reports: { online: number; offline: number };
  teams: Record<'commune' | 'village', { teams: number; members: number }>;
  procedures: { onlineCapable: Record<string, number>; withOnlineDossiers: Record<string, number>; published: number };
  windows: Record<string, WindowFigures>;
  byLevel: Record<string, LevelFigures>;
  byKind: Record<string, LevelFigures>;
}

export interface CountOptions {
  units: readonly UnitRecord[];
  calendarYears: readonly CalendarYear[];
  /** The report period: local dates, inclusive; `id` names its window (default `period`). */
  period: { id?: string; from: string; to: string };
  /** RFC 3339: the latest event must be at exactly this instant. */
  clock: string;
}

interface DossierTally {
  unit: string;
  last: number;
  requests: number[];
  receipts: number[];
  extensions: number;
  receivedAt?: number;
  channel?: 'online' | 'direct' | 'postal';
  procedureId?: string;
  dueAt?: string;
  processingDays?: number;
  resolvedAt?: number;
  processedOnline?: boolean;
  returnedAt?: number;
  withdrawnAt?: number;
  digitizedAt?: number;
}

const DATA_FIELDS: Record<string, { subject: string; required: string[]; optional: string[] }> = {
  'vn.dvc.dossier.submitted': { subject: 'dossierId', required: ['dossierId', 'unitId', 'procedureId', 'submittedAt'], optional: [] },
  'vn.dvc.dossier.received': {
    subject: 'dossierId',
    required: ['dossierId', 'unitId', 'procedureId', 'channel', 'receivedAt'],
    optional: ['dueAt', 'processingDays'],
  },
  'vn.dvc.dossier.supplement_requested': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at'], optional: [] },
  'vn.dvc.dossier.supplement_received': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at'], optional: [] },
  'vn.dvc.dossier.deadline_extended': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at', 'newDueAt'], optional: [] },
  'vn.dvc.dossier.resolved': { subject: 'dossierId', required: ['dossierId', 'unitId', 'resolvedAt', 'outcome', 'processedOnline'], optional: ['dueAt'] },
  'vn.dvc.dossier.result_returned': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at'], optional: [] },
  'vn.dvc.dossier.withdrawn': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at'], optional: [] },
  'vn.dvc.dossier.digitized': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at'], optional: [] },
  'vn.dvc.dossier.reopened': { subject: 'dossierId', required: ['dossierId', 'unitId', 'at'], optional: ['reason'] },
  'vn.dvc.payment.completed': { subject: 'paymentId', required: ['paymentId', 'unitId', 'kind', 'amountVnd', 'channel', 'paidAt'], optional: ['dossierId'] },
  'vn.dvc.report.submitted': { subject: 'reportId', required: ['reportId', 'unitId', 'channel', 'submittedAt'], optional: [] },
  'vn.dvc.procedure.published': { subject: 'procedureId', required: ['procedureId', 'unitId', 'onlineCapable'], optional: [] },
  'vn.dvc.community_team.registered': { subject: 'teamId', required: ['teamId', 'unitId', 'teamLevel', 'members'], optional: [] },
};
const ENVELOPE = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'unitid', 'data']);
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const TIME_FIELDS = ['submittedAt', 'receivedAt', 'dueAt', 'at', 'newDueAt', 'resolvedAt', 'paidAt'];
const UNIT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VN_OFFSET_MS = 7 * 3_600_000;

/** Local (Asia/Ho_Chi_Minh, UTC+7 all year) date 'YYYY-MM-DD' of an instant. */
const localDates = new Map<number, string>();
const localDate = (ms: number): string => {
  const day = Math.floor((ms + VN_OFFSET_MS) / 86_400_000);
  let date = localDates.get(day);
  if (date === undefined) localDates.set(day, (date = new Date(day * 86_400_000).toISOString().slice(0, 10)));
  return date;
};
const nextDate = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * The reference rule for a due time without dueAt: the end (23:59:59.999 local) of the Nth
 * working day strictly after the local receipt day, walking day by day over local dates with
 * the domain's working-day calendar. Shared by every reference recount (this one and the
 * system tests'); memoised per receipt day and n.
 */
export function referenceDueRule(calendarYears: readonly CalendarYear[]): (receivedAtMs: number, processingDays: number) => number {
  const days = createDayIndexer(ZONE);
  const calendar = createWorkCalendar(calendarYears, days);
  const cache = new Map<string, number>();
  return (receivedAtMs, processingDays) => {
    const start = localDate(receivedAtMs);
    const key = `${start}+${processingDays}`;
    let due = cache.get(key);
    if (due === undefined) {
      let date = start;
      for (let counted = 0; counted < processingDays;) {
        date = nextDate(date);
        if (calendar.isWorkingDay(days.dayFromIso(date))) counted += 1;
      }
      cache.set(key, (due = Date.parse(`${date}T23:59:59.999+07:00`)));
    }
    return due;
  };
}

/**
 * Every figure of a scenario recounted from its events (in output order), and the problems
 * found in them (at most 50).
 */
export function countFigures(
  events: readonly ScenarioEvent[],
  { units, calendarYears, period, clock }: CountOptions,
): { problems: string[]; figures: Figures } {
  const problems: string[] = [];
  const problem = (msg: string): void => {
    if (problems.length < 50) problems.push(msg);
  };
  const levelOf = new Map(units.map((u) => [u.id, u.level]));
  const kindOf = new Map(units.map((u) => [u.id, u.kind]));
  const level = (unit: string): string => levelOf.get(unit) ?? 'unknown';
  const dueByDays = referenceDueRule(calendarYears);
  const inPeriod = (date: string): boolean => date >= period.from && date <= period.to;
  const clockMs = Date.parse(clock);

  const ids = new Set<string>();
  const byType: Record<string, number> = {};
  let latest = -Infinity;
  let latestIso = '';
  const dossiers = new Map<string, DossierTally>();
  const payments = new Map<string, { unit: string; kind: string; channel: string; amount: number; date: string; dossierId: string | undefined; t: number }>();
  const reports = new Map<string, { unit: string; channel: 'online' | 'offline'; date: string }>();
  const procedures = new Map<string, { unit: string; procedureId: string; onlineCapable: boolean }>();
  const teams = new Map<string, { unit: string; teamLevel: 'commune' | 'village'; members: number }>();

  for (const e of events) {
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    const spec = DATA_FIELDS[e.type];
    if (spec === undefined) {
      problem(`${e.id}: unknown type ${e.type}`);
      continue;
    }
    if (ids.has(e.id)) problem(`duplicate event id ${e.id}`);
    ids.add(e.id);
    for (const k in e) if (!ENVELOPE.has(k)) problem(`${e.id}: extra envelope attribute ${k}`);
    if (e.specversion !== '1.0' || !e.source || !e.subject) problem(`${e.id}: incomplete envelope`);
    if (!TIMESTAMP.test(e.time)) problem(`${e.id}: time ${e.time} is not RFC 3339 with offset`);
    // The recount reads the wire JSON as it is, untyped on purpose: it checks every field itself (above and below).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const d = (e.data ?? {}) as Record<string, any>;
    for (const k in d) if (!spec.required.includes(k) && !spec.optional.includes(k)) problem(`${e.id}: extra data field ${k}`);
    for (const k of spec.required) if (d[k] === undefined) problem(`${e.id}: missing data field ${k}`);
    if (d[spec.subject] !== e.subject) problem(`${e.id}: subject ${e.subject} != data.${spec.subject}`);
    if (d.unitId !== e.unitid || !UNIT_ID.test(e.unitid)) problem(`${e.id}: unitid ${e.unitid} / data.unitId ${d.unitId}`);
    for (const k of TIME_FIELDS) {
      if (d[k] !== undefined && !TIMESTAMP.test(d[k])) problem(`${e.id}: data.${k} ${d[k]} is not RFC 3339 with offset`);
    }
    const t = Date.parse(e.time);
    if (t > latest) {
      latest = t;
      latestIso = e.time;
    }

    if (e.type.startsWith('vn.dvc.dossier.')) {
      let s = dossiers.get(e.subject);
      if (s === undefined) dossiers.set(e.subject, (s = { unit: e.unitid, last: -Infinity, requests: [], receipts: [], extensions: 0 }));
      if (s.unit !== e.unitid) problem(`${e.subject}: events at two units`);
      if (t < s.last) problem(`${e.subject}: ${e.type} at ${e.time} comes after a later event`);
      s.last = t;
      const businessTime = d.submittedAt ?? d.receivedAt ?? d.resolvedAt ?? d.at;
      if (Date.parse(businessTime) !== t) problem(`${e.id}: time ${e.time} is not its business time ${businessTime}`);
      if (e.type !== 'vn.dvc.dossier.submitted' && e.type !== 'vn.dvc.dossier.received' && s.receivedAt === undefined) {
        problem(`${e.subject}: ${e.type} before received`);
      }
      if (s.withdrawnAt !== undefined) problem(`${e.subject}: ${e.type} after withdrawal`);
      if (s.resolvedAt !== undefined && e.type !== 'vn.dvc.dossier.result_returned') problem(`${e.subject}: ${e.type} after resolution`);
      switch (e.type) {
        case 'vn.dvc.dossier.submitted':
          if (s.receivedAt !== undefined) problem(`${e.subject}: submitted after received`);
          break;
        case 'vn.dvc.dossier.received':
          if (s.receivedAt !== undefined) problem(`${e.subject}: received twice`);
          s.receivedAt = t;
          s.channel = d.channel;
          s.procedureId = d.procedureId;
          s.dueAt = d.dueAt;
          s.processingDays = d.processingDays;
          break;
        case 'vn.dvc.dossier.supplement_requested':
          if (s.requests.length !== s.receipts.length) problem(`${e.subject}: supplement requested while paused`);
          s.requests.push(t);
          break;
        case 'vn.dvc.dossier.supplement_received':
          if (s.requests.length !== s.receipts.length + 1) problem(`${e.subject}: supplement received without a request`);
          s.receipts.push(t);
          break;
        case 'vn.dvc.dossier.deadline_extended':
          s.extensions += 1;
          break;
        case 'vn.dvc.dossier.resolved':
          s.resolvedAt = t;
          s.processedOnline = d.processedOnline;
          break;
        case 'vn.dvc.dossier.result_returned':
          if (s.resolvedAt === undefined) problem(`${e.subject}: result returned before resolution`);
          s.returnedAt = t;
          break;
        case 'vn.dvc.dossier.withdrawn':
          s.withdrawnAt = t;
          break;
        case 'vn.dvc.dossier.digitized':
          s.digitizedAt = t;
          break;
        default:
          problem(`${e.subject}: unexpected ${e.type}`);
      }
    } else if (e.type === 'vn.dvc.payment.completed') {
      if (Date.parse(d.paidAt) !== t) problem(`${e.id}: time is not paidAt`);
      if (!Number.isInteger(d.amountVnd) || d.amountVnd < 0) problem(`${e.id}: amount ${d.amountVnd}`);
      if (payments.has(e.subject)) problem(`payment ${e.subject} twice`);
      payments.set(e.subject, { unit: e.unitid, kind: d.kind, channel: d.channel, amount: d.amountVnd, date: localDate(t), dossierId: d.dossierId, t });
    } else if (e.type === 'vn.dvc.report.submitted') {
      if (Date.parse(d.submittedAt) !== t) problem(`${e.id}: time is not submittedAt`);
      reports.set(e.subject, { unit: e.unitid, channel: d.channel, date: localDate(t) });
    } else if (e.type === 'vn.dvc.procedure.published') {
      procedures.set(`${e.unitid}\n${e.subject}`, { unit: e.unitid, procedureId: e.subject, onlineCapable: d.onlineCapable });
    } else if (e.type === 'vn.dvc.community_team.registered') {
      teams.set(`${e.unitid}\n${e.subject}`, { unit: e.unitid, teamLevel: d.teamLevel, members: d.members });
    }
  }
  if (latestIso !== clock || latest !== clockMs) problem(`latest event time ${latestIso}, expected exactly ${clock}`);

  /** Base due time: dueAt, else the end of the Nth working day strictly after the receipt day. */
  const baseDue = (s: DossierTally): number | undefined => {
    if (s.dueAt !== undefined) return Date.parse(s.dueAt);
    if (s.processingDays === undefined) return undefined;
    return dueByDays(s.receivedAt as number, s.processingDays);
  };
  const closedPause = (s: DossierTally): number => s.receipts.reduce((sum, x, i) => sum + (x - (s.requests[i] as number)), 0);

  const blank = (): LevelFigures => ({
    received: 0,
    receivedOnline: 0,
    digitized: 0,
    carriedOver: 0,
    resolved: 0,
    resolvedOverdue: 0,
    processedOnline: 0,
    open: 0,
    openOverdue: 0,
    openPaused: 0,
    openInTime: 0,
    withdrawn: 0,
  });
  const total = blank();
  const byLevel: Record<string, LevelFigures> = {};
  const byKind: Record<string, LevelFigures> = {};
  const bump = (unit: string, field: keyof LevelFigures, n = 1): void => {
    total[field] += n;
    (byLevel[level(unit)] ??= blank())[field] += n;
    (byKind[kindOf.get(unit) ?? 'unknown'] ??= blank())[field] += n;
  };
  // Per window (the period and the rolling 14 days ending on the clock's day): the windowed series.
  const clockDate = localDate(clockMs);
  const windowDefs: Record<string, { from: string; to: string }> = {
    [period.id ?? 'period']: { from: period.from, to: period.to },
    '14d': { from: localDate(clockMs - 13 * 86_400_000), to: clockDate },
  };
  const windows: Record<string, WindowFigures> = {};
  for (const [id, w] of Object.entries(windowDefs)) {
    windows[id] = {
      from: w.from,
      to: w.to,
      received: {},
      resolved: { on_time: 0, overdue: 0 },
      processedOnline: 0,
      withdrawn: 0,
      digitized: 0,
      payments: {},
      reports: { online: 0, offline: 0 },
    };
  }
  const windowsOf = (date: string): WindowFigures[] =>
    Object.entries(windowDefs)
      .filter(([, w]) => date >= w.from && date <= w.to)
      .map(([id]) => windows[id] as WindowFigures);
  const resolvedByMonth: Figures['resolvedByMonth'] = {};
  const onlineReceipts = new Set<string>();
  let closedBeforePeriod = 0;
  let extensions = 0;
  let supplementRequests = 0;

  for (const [id, s] of dossiers) {
    if (s.receivedAt === undefined) {
      problem(`${id}: never received`);
      continue;
    }
    extensions += s.extensions;
    supplementRequests += s.requests.length;
    const receivedDate = localDate(s.receivedAt);
    const resolvedDate = s.resolvedAt === undefined ? undefined : localDate(s.resolvedAt);
    const withdrawnDate = s.withdrawnAt === undefined ? undefined : localDate(s.withdrawnAt);
    if (inPeriod(receivedDate)) {
      bump(s.unit, 'received');
      if (s.channel === 'online') {
        bump(s.unit, 'receivedOnline');
        onlineReceipts.add(`${s.unit}\n${s.procedureId}`);
      }
      if (s.digitizedAt !== undefined) bump(s.unit, 'digitized');
    }
    if (receivedDate < period.from) {
      const closedBefore = (resolvedDate !== undefined && resolvedDate < period.from) || (withdrawnDate !== undefined && withdrawnDate < period.from);
      if (closedBefore) closedBeforePeriod += 1;
      else bump(s.unit, 'carriedOver');
    }
    for (const w of windowsOf(receivedDate)) {
      const channel = s.channel as 'online' | 'direct' | 'postal';
      w.received[channel] = (w.received[channel] ?? 0) + 1;
      if (s.digitizedAt !== undefined) w.digitized += 1;
    }
    const due = baseDue(s);
    if (s.resolvedAt !== undefined && resolvedDate !== undefined) {
      const late = s.requests.length > 1 || (due !== undefined && s.resolvedAt > due + closedPause(s));
      for (const w of windowsOf(resolvedDate)) {
        w.resolved[late ? 'overdue' : 'on_time'] += 1;
        if (s.processedOnline) w.processedOnline += 1;
      }
      if (inPeriod(resolvedDate)) {
        const overdue = s.requests.length > 1 || (due !== undefined && s.resolvedAt > due + closedPause(s));
        bump(s.unit, 'resolved');
        if (overdue) bump(s.unit, 'resolvedOverdue');
        if (s.processedOnline) bump(s.unit, 'processedOnline');
        const month = resolvedDate.slice(0, 7);
        const byMonth = (resolvedByMonth[month] ??= { resolved: 0, overdue: 0, processedOnline: 0 });
        byMonth.resolved += 1;
        if (overdue) byMonth.overdue += 1;
        if (s.processedOnline) byMonth.processedOnline += 1;
      }
    } else if (withdrawnDate !== undefined) {
      if (inPeriod(withdrawnDate)) bump(s.unit, 'withdrawn');
      for (const w of windowsOf(withdrawnDate)) w.withdrawn += 1;
    } else {
      bump(s.unit, 'open');
      const paused = s.requests.length > s.receipts.length;
      if (paused) bump(s.unit, 'openPaused');
      else if (due !== undefined && clockMs > due + closedPause(s)) bump(s.unit, 'openOverdue');
      else bump(s.unit, 'openInTime');
    }
  }

  const pay: Record<string, Amount> = {};
  for (const p of payments.values()) {
    if (p.dossierId !== undefined) {
      const s = dossiers.get(p.dossierId);
      if (s === undefined || s.unit !== p.unit) problem(`payment of unknown dossier ${p.dossierId}`);
      else if (p.t < (s.receivedAt as number) || (s.resolvedAt !== undefined && p.t > s.resolvedAt))
        problem(`payment for ${p.dossierId} outside its processing`);
    }
    const key = `${p.kind}:${p.channel}`;
    for (const w of windowsOf(p.date)) {
      w.payments[key] ??= { count: 0, vnd: 0 };
      w.payments[key].count += 1;
      w.payments[key].vnd += p.amount;
    }
    if (!inPeriod(p.date)) continue;
    pay[key] ??= { count: 0, vnd: 0 };
    pay[key].count += 1;
    pay[key].vnd += p.amount;
  }
  const rep: Figures['reports'] = { online: 0, offline: 0 };
  for (const r of reports.values()) {
    if (inPeriod(r.date)) rep[r.channel] += 1;
    for (const w of windowsOf(r.date)) w.reports[r.channel] += 1;
  }
  const team: Figures['teams'] = { commune: { teams: 0, members: 0 }, village: { teams: 0, members: 0 } };
  for (const t of teams.values()) {
    team[t.teamLevel].teams += 1;
    team[t.teamLevel].members += t.members;
  }
  const capable: Record<string, number> = {};
  const withOnline: Record<string, number> = {};
  for (const [key, p] of procedures) {
    if (!p.onlineCapable) continue;
    const lv = level(p.unit);
    capable[lv] = (capable[lv] ?? 0) + 1;
    if (onlineReceipts.has(key)) withOnline[lv] = (withOnline[lv] ?? 0) + 1;
  }
  for (const key of onlineReceipts) {
    if (!procedures.get(key)?.onlineCapable) problem(`online dossier for a procedure not published as online-capable: ${key.replace('\n', ' ')}`);
  }

  return {
    problems,
    figures: {
      clock: latestIso,
      events: events.length,
      eventsByType: byType,
      dossiers: dossiers.size,
      closedBeforePeriod,
      ...total,
      balance: { carriedPlusReceived: total.carriedOver + total.received, resolvedPlusOpenPlusWithdrawn: total.resolved + total.open + total.withdrawn },
      resolvedByMonth,
      supplementRequests,
      deadlineExtensions: extensions,
      payments: pay,
      reports: rep,
      teams: team,
      procedures: { onlineCapable: capable, withOnlineDossiers: withOnline, published: procedures.size },
      windows,
      byLevel,
      byKind,
    },
  };
}
