// The reference counter: recomputes every figure of a scenario from its events alone, with
// plain, deliberately naive code (ISO date strings, a day-by-day working-day walk), so the
// generator's allocation is checked by something that does not share its arithmetic. It
// also checks the contract: exact data fields, subject/unit consistency, unique ids, and that
// each dossier's events come in causal order.

const DATA_FIELDS = {
  'vn.dvc.dossier.submitted': { subject: 'dossierId', required: ['dossierId', 'unitId', 'procedureId', 'submittedAt'], optional: [] },
  'vn.dvc.dossier.received': { subject: 'dossierId', required: ['dossierId', 'unitId', 'procedureId', 'channel', 'receivedAt'], optional: ['dueAt', 'processingDays'] },
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
const localDates = new Map();
const localDate = (ms) => {
  const day = Math.floor((ms + VN_OFFSET_MS) / 86_400_000);
  let date = localDates.get(day);
  if (date === undefined) localDates.set(day, (date = new Date(day * 86_400_000).toISOString().slice(0, 10)));
  return date;
};
const nextDate = (date) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

function workingDayRule(calendarYears) {
  const off = new Set();
  const saturdays = new Set();
  for (const y of calendarYears) {
    for (const d of y.daysOff) off.add(d.date);
    for (const d of y.workingSaturdays) saturdays.add(d.date);
  }
  const known = new Map();
  return (date) => {
    let working = known.get(date);
    if (working === undefined) {
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      working = saturdays.has(date) || (weekday !== 0 && weekday !== 6 && !off.has(date));
      known.set(date, working);
    }
    return working;
  };
}

/**
 * @param events the scenario, in output order
 * @param opts { units: unit records, calendarYears, period: {from, to}, clock: ISO string }
 */
export function countFigures(events, { units, calendarYears, period, clock }) {
  const problems = [];
  const problem = (msg) => {
    if (problems.length < 50) problems.push(msg);
  };
  const levelOf = new Map(units.map((u) => [u.id, u.level]));
  const kindOf = new Map(units.map((u) => [u.id, u.kind]));
  const level = (unit) => levelOf.get(unit) ?? 'unknown';
  const isWorkingDay = workingDayRule(calendarYears);
  const inPeriod = (date) => date >= period.from && date <= period.to;
  const clockMs = Date.parse(clock);

  const ids = new Set();
  const byType = {};
  let latest = -Infinity;
  let latestIso = '';
  const dossiers = new Map();
  const payments = new Map();
  const reports = new Map();
  const procedures = new Map();
  const teams = new Map();

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
    const d = e.data ?? {};
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

  const dueCache = new Map();
  /** Base due time: dueAt, else the end of the Nth working day strictly after the receipt day. */
  const baseDue = (s) => {
    if (s.dueAt !== undefined) return Date.parse(s.dueAt);
    if (s.processingDays === undefined) return undefined;
    const start = localDate(s.receivedAt);
    const key = `${start}+${s.processingDays}`;
    let due = dueCache.get(key);
    if (due === undefined) {
      let date = start;
      for (let counted = 0; counted < s.processingDays; ) {
        date = nextDate(date);
        if (isWorkingDay(date)) counted += 1;
      }
      dueCache.set(key, (due = Date.parse(`${date}T23:59:59.999+07:00`)));
    }
    return due;
  };
  const closedPause = (s) => s.receipts.reduce((sum, x, i) => sum + (x - s.requests[i]), 0);

  const blank = () => ({
    received: 0, receivedOnline: 0, digitized: 0, carriedOver: 0, resolved: 0, resolvedOverdue: 0, processedOnline: 0,
    open: 0, openOverdue: 0, openPaused: 0, openInTime: 0, withdrawn: 0,
  });
  const total = blank();
  const byLevel = {};
  const byKind = {};
  const bump = (unit, field, n = 1) => {
    total[field] += n;
    (byLevel[level(unit)] ??= blank())[field] += n;
    (byKind[kindOf.get(unit) ?? 'unknown'] ??= blank())[field] += n;
  };
  // Per window (the period and the rolling 14 days ending on the clock's day): the windowed series.
  const clockDate = localDate(clockMs);
  const windowDefs = {
    [period.id ?? 'period']: { from: period.from, to: period.to },
    '14d': { from: localDate(clockMs - 13 * 86_400_000), to: clockDate },
  };
  const windows = {};
  for (const [id, w] of Object.entries(windowDefs)) {
    windows[id] = { from: w.from, to: w.to, received: {}, resolved: { on_time: 0, overdue: 0 }, processedOnline: 0, withdrawn: 0, digitized: 0, payments: {}, reports: { online: 0, offline: 0 } };
  }
  const windowsOf = (date) => Object.entries(windowDefs).filter(([, w]) => date >= w.from && date <= w.to).map(([id]) => windows[id]);
  const resolvedByMonth = {};
  const onlineReceipts = new Set();
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
      w.received[s.channel] = (w.received[s.channel] ?? 0) + 1;
      if (s.digitizedAt !== undefined) w.digitized += 1;
    }
    const due = baseDue(s);
    if (s.resolvedAt !== undefined) {
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
        resolvedByMonth[month] ??= { resolved: 0, overdue: 0, processedOnline: 0 };
        resolvedByMonth[month].resolved += 1;
        if (overdue) resolvedByMonth[month].overdue += 1;
        if (s.processedOnline) resolvedByMonth[month].processedOnline += 1;
      }
    } else if (s.withdrawnAt !== undefined) {
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

  const pay = {};
  for (const p of payments.values()) {
    if (p.dossierId !== undefined) {
      const s = dossiers.get(p.dossierId);
      if (s === undefined || s.unit !== p.unit) problem(`payment of unknown dossier ${p.dossierId}`);
      else if (p.t < s.receivedAt || (s.resolvedAt !== undefined && p.t > s.resolvedAt)) problem(`payment for ${p.dossierId} outside its processing`);
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
  const rep = { online: 0, offline: 0 };
  for (const r of reports.values()) {
    if (inPeriod(r.date)) rep[r.channel] += 1;
    for (const w of windowsOf(r.date)) w.reports[r.channel] += 1;
  }
  const team = { commune: { teams: 0, members: 0 }, village: { teams: 0, members: 0 } };
  for (const t of teams.values()) {
    team[t.teamLevel].teams += 1;
    team[t.teamLevel].members += t.members;
  }
  const capable = {};
  const withOnline = {};
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
