#!/usr/bin/env node
// Sends a small, deterministic sample of dossier, payment and report events for the last
// ten days to the ingest API, so dashboards are not empty on a fresh `npm start`.
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: node scripts/sample-events.mjs [--ingest URL] [--dossiers N] [--seed S]

Posts a sample history (received, supplements, resolutions on time and overdue, withdrawals,
digitization, payments, reports) for five post-reform Đồng Nai units of infra/data/units.json, dated
over the last ten days, to URL/v1/events (default http://127.0.0.1:8080).`);
  process.exit(0);
}
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const ingest = option('--ingest', 'http://127.0.0.1:8080');
const dossiers = Number(option('--dossiers', '240'));
let seed = Number(option('--seed', '2022'));
const random = () => {
  // mulberry32: a small seeded generator so the sample is the same on every machine.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
// Units of today's Đồng Nai (valid from 2025-07-01): the pre-reform Bình Phước units are refused
// for recent dates (unknown-unit: not valid on the event's date).
const units = ['dn.snnmt', 'dn.stc', 'dn.sxd', 'dn.dongxoai', 'dn.tranbien'];
const HOUR = 3_600_000;
const now = Date.now();
const iso = (ms) => new Date(ms + 7 * HOUR).toISOString().replace(/\.\d{3}Z$/, '+07:00');
const run = `${now.toString(36)}`;
const events = [];
const push = (type, subject, unit, time, data) =>
  events.push({ specversion: '1.0', id: `${subject}-${type.split('.').pop()}-${events.length}`, source: 'sample/portal', type, time: iso(time), subject, unitid: unit, data: { ...data, unitId: unit } });

for (let i = 0; i < dossiers; i++) {
  const unit = units[i % units.length];
  const id = `SAMPLE-${run}-${i}`;
  const received = now - Math.floor(random() * 10 * 24) * HOUR - HOUR;
  const due = received + (2 + Math.floor(random() * 5)) * 24 * HOUR;
  push('vn.dvc.dossier.received', id, unit, received, { dossierId: id, procedureId: `P${i % 12}`, channel: random() < 0.6 ? 'online' : 'direct', receivedAt: iso(received), dueAt: iso(due) });
  if (random() < 0.7) push('vn.dvc.dossier.digitized', id, unit, received + HOUR / 2, { dossierId: id, at: iso(received + HOUR / 2) });
  const roll = random();
  if (roll < 0.1) {
    push('vn.dvc.dossier.supplement_requested', id, unit, received + HOUR, { dossierId: id, at: iso(received + HOUR) });
  } else if (roll < 0.13) {
    push('vn.dvc.dossier.withdrawn', id, unit, received + 2 * HOUR, { dossierId: id, at: iso(received + 2 * HOUR) });
  } else if (roll < 0.8) {
    // Mostly on time; about one in thirty a little late.
    const resolved = random() < 0.033 ? due + 3 * HOUR : received + Math.floor(random() * (due - received) * 0.9);
    if (resolved < now) {
      push('vn.dvc.dossier.resolved', id, unit, resolved, { dossierId: id, resolvedAt: iso(resolved), outcome: 'approved', processedOnline: random() < 0.4 });
    }
  }
  if (i % 4 === 0) {
    const paid = received + HOUR;
    const kind = i % 8 === 0 ? 'land_obligation' : 'fee';
    push('vn.dvc.payment.completed', `PAY-${id}`, unit, paid, { paymentId: `PAY-${id}`, dossierId: id, kind, amountVnd: kind === 'fee' ? 150_000 : 15_000_000, channel: random() < 0.5 ? 'online' : 'offline', paidAt: iso(paid) });
  }
}
for (let r = 0; r < 6; r++) {
  const at = now - r * 24 * HOUR - HOUR;
  push('vn.dvc.report.submitted', `REPORT-${run}-${r}`, units[r % units.length], at, { reportId: `REPORT-${run}-${r}`, channel: r % 3 === 0 ? 'offline' : 'online', submittedAt: iso(at) });
}
const res = await fetch(`${ingest}/v1/events`, {
  method: 'POST',
  headers: { 'content-type': 'application/cloudevents-batch+json' },
  body: JSON.stringify(events),
});
const body = await res.text();
if (res.status !== 202) {
  console.error(`sample: ingest answered ${res.status}: ${body}`);
  process.exit(1);
}
console.log(`sample: ${events.length} events accepted (${dossiers} dossiers)`);
