#!/usr/bin/env node
// Counts the counter field increments the projection writes per event on the benchmark's
// workload, by bucket kind (day, fixed period, current) and by field name: what a unit write's
// HINCRBY calls are made of. Pure projection in process (the domain's projectUnit, states kept
// between batches as an owning projector keeps them); no Kafka, no Redis.
import { parseArgs } from 'node:util';
import { loadReferenceData, projectionContext } from '@dvc/config';
import { groupByUnit, laneOf, projectUnit, subjectKeysOf, validateEvent } from '@dvc/domain';
import { count, monthStart } from './lib/common.mjs';
import { createEventStream } from './lib/events.mjs';

const HELP = `Usage: node scripts/bench/field-increments.mjs [--events N] [--batch B] [--lanes L] [--units U] [--month YYYY-MM]

Generates the projector benchmark's workload (scripts/bench/lib/events.mjs), cuts it into L
lanes by routing key as Kafka's partitions would, projects each lane in batches of B events, and
prints the counter field increments per event by bucket kind and by field name (the part before
the first ':'). Defaults: 1,000,000 events, batches of 60,000 (a backlog's fetch), 6 lanes, 2,000
units, June 2022 (inside the 2022 target periods of infra/data/targets.json).
`;
let args;
try {
  args = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      batch: { type: 'string', default: '60000' },
      lanes: { type: 'string', default: '6' },
      units: { type: 'string', default: '2000' },
      month: { type: 'string', default: '2022-06' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  process.stderr.write(`${error.message}\n\n${HELP}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const total = count('events', args.events);
const batch = count('batch', args.batch);
const lanes = count('lanes', args.lanes);
const units = count('units', args.units);
const startMs = monthStart('month', args.month);

const stream = createEventStream({ total, units, tag: 'fields', startMs, spanMs: 30 * 86_400_000 - 1000 });
const byLane = Array.from({ length: lanes }, () => []);
for (const message of stream.next(total)) {
  const result = validateEvent(JSON.parse(message.value));
  if (!result.ok) throw new Error(`generated event is invalid: ${JSON.stringify(result.problems)}`);
  byLane[laneOf(result.event, lanes)].push(result.event);
}
const ctx = projectionContext(loadReferenceData(), { resultReturnWorkingDays: 2, receiptWorkingDays: 1 });
const states = new Map();
const byKind = new Map();
const byField = new Map();
const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n);
for (const lane of byLane) {
  for (let i = 0; i < lane.length; i += batch) {
    for (const [unit, events] of groupByUnit(lane.slice(i, i + batch))) {
      const before = new Map();
      for (const event of events) for (const key of subjectKeysOf(event)) before.set(key, states.get(`${unit}\n${key}`));
      const changes = projectUnit(unit, events, before, ctx, { inPlace: true });
      for (const [key, state] of changes.states) states.set(`${unit}\n${key}`, state);
      for (const [bucket, fields] of changes.counters) {
        add(byKind, bucket === 'current' ? 'current' : bucket.startsWith('p:') ? 'period' : 'day', fields.size);
        for (const field of fields.keys()) add(byField, field.split(':')[0], 1);
      }
    }
  }
}
const perEvent = (n) => (n / total).toFixed(3);
const all = [...byKind.values()].reduce((a, b) => a + b, 0);
console.log(
  `${total.toLocaleString('en')} events of ${args.month}, ${lanes} lanes, batches of ${batch.toLocaleString('en')}; periods of the targets file: ${ctx.periods.map((p) => p.id).join(', ') || 'none'}`,
);
console.log(`field increments per event: ${perEvent(all)}`);
for (const [kind, n] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`  ${kind.padEnd(12)} ${perEvent(n)}`);
console.log('by field:');
for (const [field, n] of [...byField].sort((a, b) => b[1] - a[1])) console.log(`  ${field.padEnd(12)} ${perEvent(n)}`);
