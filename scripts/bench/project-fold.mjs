#!/usr/bin/env node
// Measures the projection's pure core alone: the Bình Phước 2022 history folded through
// projectUnit per unit in batches, states kept in memory between batches as the projector
// keeps them. Prints the CPU per event and the share of that time spent in garbage collection.
import { readFileSync } from 'node:fs';
import { GCProfiler } from 'node:v8';
import { parseArgs } from 'node:util';
import { loadReferenceData, projectionContext } from '@dvc/config';
import { groupByUnit, projectUnit, subjectKeysOf, validateEvent } from '@dvc/domain';
import { generateBinhPhuoc2022, loadUnits } from '@dvc/scenario';

const HELP = `Usage: node scripts/bench/project-fold.mjs [--batch N] [--runs R] [--events FILE.ndjson]

Folds the Bình Phước 2022 history (generated in memory, or read from FILE.ndjson) through
projectUnit, batch by batch, keeping the states in memory; repeats R times (default 3) from
empty states and prints, per run and as the median, the CPU µs per event and the GC share.`;

const { values: args } = parseArgs({
  options: { batch: { type: 'string', default: '5000' }, runs: { type: 'string', default: '3' }, events: { type: 'string' }, help: { type: 'boolean' } },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const batchSize = Number(args.batch);
const runs = Number(args.runs);
if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch must be a positive integer, got '${args.batch}'`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got '${args.runs}'`);

const raw =
  args.events === undefined
    ? generateBinhPhuoc2022({ seed: 2022, units: loadUnits() }).events.map((e) => JSON.stringify(e))
    : readFileSync(args.events, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
const events = raw.map((line) => {
  const r = validateEvent(JSON.parse(line));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.event;
});
const ctx = projectionContext(loadReferenceData(), { resultReturnWorkingDays: 2, receiptWorkingDays: 1 });

/** One fold from empty states; returns CPU µs and the main thread's GC pauses (ms) in it. */
function fold() {
  const states = new Map(); // unit -> subject key -> state
  let cells = 0;
  const profiler = new GCProfiler();
  profiler.start();
  const cpu = process.cpuUsage();
  for (let i = 0; i < events.length; i += batchSize) {
    for (const [unit, unitEvents] of groupByUnit(events.slice(i, i + batchSize))) {
      let owned = states.get(unit);
      if (owned === undefined) states.set(unit, (owned = new Map()));
      const before = new Map();
      for (const e of unitEvents) for (const key of subjectKeysOf(e)) before.set(key, owned.get(key));
      const changes = projectUnit(unit, unitEvents, before, ctx);
      for (const [key, state] of changes.states) owned.set(key, state);
      for (const fields of changes.counters.values()) cells += fields.size;
    }
  }
  const used = process.cpuUsage(cpu);
  const gcUs = profiler.stop().statistics.reduce((sum, gc) => sum + gc.cost, 0);
  return { cpuUs: used.user + used.system, gcMs: gcUs / 1000, cells };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perEvent = [];
const gcShare = [];
console.log(`events ${events.length}, batch ${batchSize}, node ${process.version}`);
for (let r = 1; r <= runs; r++) {
  const { cpuUs, gcMs: gc, cells } = fold();
  perEvent.push(cpuUs / events.length);
  gcShare.push(gc / (cpuUs / 1000));
  console.log(
    `run ${r}: ${(cpuUs / 1000).toFixed(0)} ms CPU, ${(cpuUs / events.length).toFixed(2)} µs/event, GC ${gc.toFixed(0)} ms (${(100 * (gc / (cpuUs / 1000))).toFixed(1)} %), ${cells} counter cells written`,
  );
}
console.log(`median: ${median(perEvent).toFixed(2)} µs CPU/event, GC ${(100 * median(gcShare)).toFixed(1)} % of it`);
