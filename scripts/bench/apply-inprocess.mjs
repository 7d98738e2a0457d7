#!/usr/bin/env node
// Measures the projector's work without Kafka: decode + validate, pure projection, and the
// Redis writes, on the Bình Phước 2022 history. Shows where a batch's time goes.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { loadReferenceData, projectionContext } from '@dvc/config';
import { groupByUnit, laneOf, projectUnit, validateEvent } from '@dvc/domain';
import { OwnedStates, ProjectionStore, applyEvents } from '@dvc/redis';
import { generateBinhPhuoc2022, loadUnits } from '@dvc/scenario';

if (process.argv.includes('--help')) {
  console.log(
    'usage: node scripts/bench/apply-inprocess.mjs [--batch N] [--concurrency C] [--events FILE.ndjson]\nprojects the Bình Phước 2022 history in-process and prints the time per stage',
  );
  process.exit(0);
}
const batchArg = process.argv.indexOf('--batch');
const batchSize = batchArg > 0 ? Number(process.argv[batchArg + 1]) : 5000;
const fileArg = process.argv.indexOf('--events');
const buffers =
  fileArg > 0
    ? readFileSync(process.argv[fileArg + 1], 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => Buffer.from(l))
    : generateBinhPhuoc2022({ seed: 2022, units: loadUnits() }).events.map((e) => Buffer.from(JSON.stringify(e)));
const reference = loadReferenceData();
const ctx = projectionContext(reference, { resultReturnWorkingDays: 2, receiptWorkingDays: 1 });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const namespace = `bench-inproc-${Date.now().toString(36)}`;
const store = new ProjectionStore(redis, namespace);

let t = performance.now();
let cpu = process.cpuUsage();
const decoded = buffers.map((b) => {
  const r = validateEvent(JSON.parse(b.toString('utf8')));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.event;
});
const decodeMs = performance.now() - t;
const decodeCpu = process.cpuUsage(cpu);

t = performance.now();
cpu = process.cpuUsage();
for (let i = 0; i < decoded.length; i += batchSize) {
  for (const [unit, unitEvents] of groupByUnit(decoded.slice(i, i + batchSize))) projectUnit(unit, unitEvents, new Map(), ctx);
}
const projectMs = performance.now() - t;
const projectCpu = process.cpuUsage(cpu);

// Partitions by routing key as Kafka would, applied concurrently like partitionsConsumedConcurrently.
const concurrencyArg = process.argv.indexOf('--concurrency');
const concurrency = concurrencyArg > 0 ? Number(process.argv[concurrencyArg + 1]) : 1;
const partitions = Array.from({ length: concurrency }, () => []);
for (const e of decoded) partitions[laneOf(e, concurrency)].push(e);
/** Redis' own CPU so far (INFO cpu), in µs: the server is shared, so run this on a quiet Redis. */
async function redisCpuUs() {
  const info = await redis.info('cpu');
  const read = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

/** Applies every partition, all concurrently, each batch by `apply(partition, batch)`; returns wall ms, Node CPU and Redis CPU. */
async function measure(apply) {
  const redisBefore = await redisCpuUs();
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    partitions.map(async (part, p) => {
      for (let i = 0; i < part.length; i += batchSize) await apply(p, part.slice(i, i + batchSize));
    }),
  );
  return { ms: performance.now() - start, cpu: process.cpuUsage(cpuBefore), redisUs: (await redisCpuUs()) - redisBefore };
}

const shared = await measure((_p, batch) => applyEvents(store, batch, ctx, Date.now));
const ownedStore = new ProjectionStore(redis, `${namespace}-owned`);
const owner = new OwnedStates(ownedStore, { maxStatesPerPartition: 10_000_000 });
const owned = await measure((p, batch) => owner.apply(p, batch, ctx, Date.now));

const rate = (ms, used) =>
  `${Math.round(decoded.length / (ms / 1000)).toLocaleString('en-US')} ev/s, ${((used.user + used.system) / decoded.length).toFixed(1)} µs CPU/event`;
console.log(`events ${decoded.length}, batch ${batchSize}, concurrency ${concurrency}`);
console.log(`decode+validate   ${decodeMs.toFixed(0)} ms  ${rate(decodeMs, decodeCpu)}`);
console.log(`project (no I/O)  ${projectMs.toFixed(0)} ms  ${rate(projectMs, projectCpu)}  (empty prior states)`);
const perEvent = (us) => (us / decoded.length).toFixed(1);
console.log(
  `applyEvents       ${shared.ms.toFixed(0)} ms  ${rate(shared.ms, shared.cpu)}, Redis ${perEvent(shared.redisUs)} µs CPU/event  (compare-and-set: read states, project, Lua write)`,
);
console.log(
  `OwnedStates       ${owned.ms.toFixed(0)} ms  ${rate(owned.ms, owned.cpu)}, Redis ${perEvent(owned.redisUs)} µs CPU/event  (owned partitions: project in memory, one Lua write per unit)`,
);
await store.dropNamespace();
await ownedStore.dropNamespace();
redis.disconnect();
