// Synthetic but contract-valid event stream for the benchmarks: a realistic mix of dossier
// life cycles, payments and reports (over June 2022 unless told otherwise), deterministic for
// a given seed.
//
// Every dossier's events come out in business order (received first, then supplement
// pairs / digitization / resolution), and the Kafka key is the routing key (routingKeyOf of
// @dvc/domain: the subject, or the dossier a payment names), as the ingest writes it, so one
// dossier's events stay in order on one partition.
import { routingKeyOf } from '@dvc/domain';
import { createRng } from '@dvc/scenario';

/** Target share of each event type (the generator falls back to `received` when no dossier qualifies). */
export const MIX = [
  ['vn.dvc.dossier.received', 0.4],
  ['vn.dvc.dossier.resolved', 0.35],
  ['vn.dvc.dossier.supplement_requested', 0.025],
  ['vn.dvc.dossier.supplement_received', 0.025],
  ['vn.dvc.dossier.digitized', 0.1],
  ['vn.dvc.payment.completed', 0.08],
  ['vn.dvc.report.submitted', 0.02],
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OFFSET = 7 * HOUR; // Asia/Ho_Chi_Minh, no DST
const JUNE_START = Date.UTC(2022, 5, 1) - OFFSET; // 2022-06-01T00:00:00+07:00
const JUNE_SPAN = 30 * DAY - 1000;

/** RFC 3339 with the +07:00 offset, second precision. */
export function iso(ms) {
  return `${new Date(ms + OFFSET).toISOString().slice(0, 19)}+07:00`;
}

export const unitName = (i) => `bench.u${String(i).padStart(4, '0')}`;

/**
 * Creates a generator of `total` events. `next(n)` returns up to n Kafka messages
 * ({ key, value }) and keeps per-type counts in `stats`. Business times run evenly from
 * `startMs` over `spanMs` (default: June 2022). `pickUnit(random)` chooses each new dossier's,
 * payment's and report's unit (default: bench.u0000 … of `units`, mildly skewed).
 * @param {{ total: number, units?: number, tag: string, seed?: number, startMs?: number, spanMs?: number, pickUnit?: (random: () => number) => string }} options
 */
export function createEventStream({ total, units, tag, seed = 42, startMs = JUNE_START, spanMs = JUNE_SPAN, pickUnit }) {
  const random = createRng(seed).next;
  // Mildly skewed unit sizes (a few big wards/districts, many small communes).
  const unitOf = pickUnit ? () => pickUnit(random) : () => unitName(Math.min(units - 1, Math.floor(units * random() ** 1.6)));
  const take = (list) => {
    // O(1) random removal: swap with the last element.
    const i = Math.floor(random() * list.length);
    const item = list[i];
    list[i] = list[list.length - 1];
    list.pop();
    return item;
  };
  const cumulative = [];
  let acc = 0;
  for (const [type, share] of MIX) cumulative.push([type, (acc += share)]);

  /** Received and not resolved, not paused. */
  const open = [];
  /** Waiting for the citizen's supplement. */
  const paused = [];
  /** Received and not yet digitized (resolved or not). */
  const undigitized = [];
  const stats = { byType: new Map(), dossiers: 0, payments: 0, reports: 0, bytes: 0, produced: 0 };
  let dossierSeq = 0;
  let paymentSeq = 0;
  let reportSeq = 0;
  const source = 'bench/portal';

  const envelope = (type, subject, unit, time, id, data) => ({
    specversion: '1.0',
    id,
    source,
    type,
    time,
    subject,
    unitid: unit,
    data: { ...data, unitId: unit },
  });

  const received = (now) => {
    dossierSeq += 1;
    stats.dossiers += 1;
    const dossier = { id: `D-${tag}-${String(dossierSeq).padStart(8, '0')}`, unit: unitOf(), steps: 0 };
    open.push(dossier);
    undigitized.push(dossier);
    const receivedAt = iso(now);
    const channel = random() < 0.55 ? 'online' : random() < 0.85 ? 'direct' : 'postal';
    const data = { dossierId: dossier.id, procedureId: `P-${1 + Math.floor(random() * 400)}`, channel, receivedAt };
    // Half with a due time on the receipt slip, half with statutory working days.
    if (random() < 0.5) data.dueAt = iso(now + Math.floor((1 + random() * 14) * DAY));
    else data.processingDays = 1 + Math.floor(random() * 15);
    return envelope('vn.dvc.dossier.received', dossier.id, dossier.unit, receivedAt, `${dossier.id}:rcv`, data);
  };

  const dossierEvent = (type, dossier, now, data) => {
    dossier.steps += 1;
    const at = iso(now);
    return envelope(type, dossier.id, dossier.unit, at, `${dossier.id}:${dossier.steps}`, { dossierId: dossier.id, ...data(at) });
  };

  const one = (i) => {
    const now = startMs + Math.floor((i / total) * spanMs);
    const r = random();
    let type = 'vn.dvc.dossier.received';
    for (const [t, c] of cumulative) {
      if (r < c) {
        type = t;
        break;
      }
    }
    switch (type) {
      case 'vn.dvc.dossier.resolved':
        if (open.length === 0) return received(now);
        return dossierEvent(type, take(open), now, (at) => ({
          resolvedAt: at,
          outcome: random() < 0.93 ? 'approved' : 'rejected',
          processedOnline: random() < 0.6,
        }));
      case 'vn.dvc.dossier.supplement_requested': {
        if (open.length === 0) return received(now);
        const dossier = take(open);
        paused.push(dossier);
        return dossierEvent(type, dossier, now, (at) => ({ at }));
      }
      case 'vn.dvc.dossier.supplement_received': {
        if (paused.length === 0) return received(now);
        const dossier = take(paused);
        open.push(dossier);
        return dossierEvent(type, dossier, now, (at) => ({ at }));
      }
      case 'vn.dvc.dossier.digitized':
        if (undigitized.length === 0) return received(now);
        return dossierEvent(type, take(undigitized), now, (at) => ({ at }));
      case 'vn.dvc.payment.completed': {
        paymentSeq += 1;
        stats.payments += 1;
        const id = `PAY-${tag}-${String(paymentSeq).padStart(8, '0')}`;
        const unit = unitOf();
        const paidAt = iso(now);
        const kind = random() < 0.85 ? 'fee' : 'land_obligation';
        const amountVnd = kind === 'fee' ? 1000 * (10 + Math.floor(random() * 490)) : 1000 * (1000 + Math.floor(random() * 200_000));
        return envelope(type, id, unit, paidAt, `${id}:paid`, { paymentId: id, kind, amountVnd, channel: random() < 0.7 ? 'online' : 'offline', paidAt });
      }
      case 'vn.dvc.report.submitted': {
        reportSeq += 1;
        stats.reports += 1;
        const id = `RPT-${tag}-${String(reportSeq).padStart(7, '0')}`;
        const submittedAt = iso(now);
        return envelope(type, id, unitOf(), submittedAt, `${id}:sub`, { reportId: id, channel: random() < 0.8 ? 'online' : 'offline', submittedAt });
      }
      default:
        return received(now);
    }
  };

  return {
    stats,
    /** Up to n more messages; an empty array once `total` have been produced. */
    next(n) {
      const out = [];
      const end = Math.min(total, stats.produced + n);
      for (let i = stats.produced; i < end; i++) {
        const event = one(i);
        const value = JSON.stringify(event);
        stats.bytes += value.length;
        stats.byType.set(event.type, (stats.byType.get(event.type) ?? 0) + 1);
        out.push({ key: routingKeyOf(event), value });
      }
      stats.produced = end;
      return out;
    },
  };
}
