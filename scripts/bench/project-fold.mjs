#!/usr/bin/env node
// Measures the projection's pure core alone: the Bình Phước 2022 history folded through
// projectUnit per unit in batches, states kept in memory between batches as the projector
// keeps them. Prints the CPU per event and the share of that time spent in garbage collection.
import { readFileSync } from 'node:fs';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { loadReferenceData, projectionContext } from '@dvc/config';
import { groupByUnit, projectUnit, subjectKeysOf, validateEvent } from '@dvc/domain';
import { generateBinhPhuoc2022, loadUnits } from '@dvc/scenario';

const HELP = `Usage: node scripts/bench/project-fold.mjs [--batch N] [--runs R] [--events FILE.ndjson] [--copy]

Folds the Bình Phước 2022 history (generated in memory, or read from FILE.ndjson) through
projectUnit, batch by batch, keeping the states in memory; repeats R times (default 3) from
empty states and prints, per run and as the median, the CPU µs per event and the GC share.
The states are handed over to projectUnit to be evolved in place, as the projector does;
--copy leaves them untouched instead (projectUnit copies each subject once per batch).`;

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
    events: { type: 'string' },
    copy: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const batchSize = Number(args.batch);
const runs = Number(args.runs);
if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch must be a positive integer, got '${args.batch}'`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got '${args.runs}'`);

const threadMs = (since) => {
  const used = process.threadCpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** The history as the projector receives it: one JSON document per event. */
const lines =
  args.events === undefined
    ? generateBinhPhuoc2022({ seed: 2022, units: loadUnits() }).events.map((e) => JSON.stringify(e))
    : readFileSync(args.events, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
const options = { inPlace: args.copy !== true };
const ctx = projectionContext(loadReferenceData(), { resultReturnWorkingDays: 2, receiptWorkingDays: 1 });

// A full collection before each run, so no run pays for the garbage of the one before.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc');

/**
 * One fold from empty states: the main thread's CPU decoding, inside projectUnit and in the whole fold,
 * the process CPU of the fold (with the collector's helper threads), and the main thread's GC
 * pauses. CPU time, not wall time: the numbers hold on a busy machine.
 */
function fold() {
  collect();
  const states = new Map(); // unit -> subject key -> state
  let cells = 0;
  let projectMs = 0;
  let decodeMs = 0;
  const profiler = new GCProfiler();
  profiler.start();
  const cpu = process.cpuUsage();
  const thread = process.threadCpuUsage();
  for (let i = 0; i < lines.length; i += batchSize) {
    // Decoded batch by batch as the projector does, so validation and the reducers read the same strings close together.
    const d = process.threadCpuUsage();
    const batch = lines.slice(i, i + batchSize).map((line) => {
      const r = validateEvent(JSON.parse(line));
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.event;
    });
    decodeMs += threadMs(d);
    for (const [unit, unitEvents] of groupByUnit(batch)) {
      let owned = states.get(unit);
      if (owned === undefined) states.set(unit, (owned = new Map()));
      const before = new Map();
      for (const e of unitEvents) for (const key of subjectKeysOf(e)) before.set(key, owned.get(key));
      const t = process.threadCpuUsage();
      const changes = projectUnit(unit, unitEvents, before, ctx, options);
      projectMs += threadMs(t);
      for (const [key, state] of changes.states) owned.set(key, state);
      for (const fields of changes.counters.values()) cells += fields.size;
    }
  }
  const mainMs = threadMs(thread);
  const used = process.cpuUsage(cpu);
  const gcMs = profiler.stop().statistics.reduce((sum, gc) => sum + gc.cost, 0) / 1000;
  return { cpuMs: (used.user + used.system) / 1000, mainMs, decodeMs, projectMs, gcMs, cells };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const us = (ms) => ((1000 * ms) / lines.length).toFixed(2);
const rows = [];
console.log(`events ${lines.length}, batch ${batchSize}, states ${options.inPlace ? 'evolved in place' : 'copied'}, node ${process.version}`);
for (let r = 1; r <= runs; r++) {
  const run = fold();
  rows.push(run);
  console.log(
    `run ${r}: decode+validate ${us(run.decodeMs)}, projectUnit ${us(run.projectMs)} µs CPU/event; fold: main thread ${us(run.mainMs)}, process ${us(run.cpuMs)} µs CPU/event, GC pauses ${run.gcMs.toFixed(0)} ms = ${((100 * run.gcMs) / run.mainMs).toFixed(1)} % of the main thread; ${run.cells} counter cells written`,
  );
}
// The median and the least of the runs: on a shared machine other work only ever adds CPU time.
for (const [label, pick] of [
  ['median', median],
  ['least', (xs) => Math.min(...xs)],
]) {
  const of = (f) => pick(rows.map(f));
  console.log(
    `${label}: decode+validate ${us(of((r) => r.decodeMs))}, projectUnit ${us(of((r) => r.projectMs))} µs CPU/event; fold: main thread ${us(of((r) => r.mainMs))}, process ${us(of((r) => r.cpuMs))} µs CPU/event, GC ${(100 * of((r) => r.gcMs / r.mainMs)).toFixed(1)} % of the main thread`,
  );
}
