#!/usr/bin/env node
// Projector throughput benchmark against the local stack (Kafka + Redis).
// Run it through `npm run bench` (scripts/bench.sh builds and starts Kafka first).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT,
  cleanUpOnInterrupt,
  count,
  countList,
  dropNamespace as dropKeysOf,
  fmtInt,
  fmtMiB,
  freePort,
  kafkaPid,
  log,
  machineBusySeconds,
  median,
  monthStart,
  procCpuSeconds,
  procMinorFaults,
  procStatusKb,
  redisCommandStats,
  redisStats as redisServerStats,
  scrapeMetrics,
  sleep,
  stackEnv,
  stopChild,
  sumMetric,
  waitLazyFree as waitRedisLazyFree,
} from './lib/common.mjs';
import { machineDetails } from './lib/machine.mjs';
import { SYNTHETIC_UNITS_ENV, UNCHECKED_PRODUCERS_ENV, projectorFlags, projectorTunables, splitFlags } from './lib/services.mjs';
import { appendSection, bytes, fixed } from './lib/runner.mjs';
import { fmtDuration, fmtRate, progressBar } from './lib/progress.mjs';

const PROJECTOR_MAIN = join(ROOT, 'services', 'projector', 'dist', 'main.js');
/** Issue 13's benchmark goals, put beside the measured figures in the report (never enforced). */
const GOALS = { shareOfBare: 0.4, projectorUs: 20, redisUs: 4 };

const HELP = `Usage: node scripts/bench/projector.mjs [options]    (or: npm run bench -- [options])

Measures how fast the projector folds a pre-filled Kafka topic into Redis, next to two
ceilings on the same machine: a bare kafkajs consumer (JSON.parse only) and pipelined
Redis HINCRBY, with the CPU per event of every process (projector, redis-server, Kafka
broker, the whole machine) and the goals of issue 13 beside the figures (stated, not
enforced). Each figure is the median of --runs runs; every run uses a fresh consumer
group and Redis namespace. Everything created is deleted at the end (also on Ctrl-C).

Options:
  --events N        events pre-filled into the topic (default 1,000,000; 100k / 1e6 work too)
  --partitions P    partitions of the benchmark topic (default 6)
  --runs R          runs per measurement; the median is reported (default 3)
  --output FILE     markdown report (default bench/results/projector-<date>.md; also printed)
  --section FILE    append the report as one section of the combined report FILE instead
                    (scripts/bench.sh does this)
  --units U         distinct units in the event stream (default 2000)
  --month YYYY-MM   the events' business month, 30 days of it (default 2022-06: inside the three
                    2022 target periods of infra/data/targets.json, so each day counter a batch
                    writes is written to the periods' buckets too; a month no period covers,
                    such as 2026-06, writes what today's traffic writes)
  --instances LIST  projector processes in one consumer group (default 1); a comma list such
                    as 1,2 measures each count in every run (order rotating between runs) and
                    names the count with the highest median rate; a run ends when the group
                    has applied every event (sum over its processes)
  --concurrency C   PROJECTOR_CONCURRENCY for the projector, and partitionsConsumedConcurrently
                    of the bare consumer (default: the projector's own default, 2)
  --node-flags=S    node/V8 flags for the projector processes (space-separated, put on their
                    command line); default: the flags the stack starts the projector with
                    (PROJECTOR_NODE_FLAGS, else its default in infra/supervisord.conf);
                    --node-flags= runs it with none. Its GLIBC_TUNABLES are the stack's too
                    (PROJECTOR_GLIBC_TUNABLES, else that file's default; empty: none)
  --compare-node-flags=S
                    A/B: each run also runs the projector with flags S (order alternating),
                    and reports the paired speed-up and CPU per event (at the first count of
                    --instances)
  --redis-ops N     HINCRBY commands in the Redis ceiling (default 1,000,000, pipelines of 1,000)
  --profile         after the measured runs, one more (unmeasured) run of one projector
                    process under node --cpu-prof; its top self-time functions go into the report
  -h, --help        this text

Environment: KAFKA_BROKERS and REDIS_URL (else <STACK_RUN_DIR or .run>/stack.env, else 127.0.0.1:19092 and
redis://127.0.0.1:6379). Projector logs: bench/results/logs/. Needs the projector built
(npx turbo run build) and Kafka + Redis running (bash scripts/stack.sh start kafka).
`;

// ---------------------------------------------------------------------------- arguments
let parsed;
try {
  parsed = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      partitions: { type: 'string', default: '6' },
      runs: { type: 'string', default: '3' },
      output: { type: 'string' },
      section: { type: 'string' },
      units: { type: 'string', default: '2000' },
      month: { type: 'string', default: '2022-06' },
      instances: { type: 'string', default: '1' },
      concurrency: { type: 'string' },
      'node-flags': { type: 'string' },
      'compare-node-flags': { type: 'string' },
      'redis-ops': { type: 'string', default: '1000000' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  process.stderr.write(`${error.message}\n\n${HELP}`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const N = count('events', parsed.events);
const P = count('partitions', parsed.partitions);
const R = count('runs', parsed.runs);
const UNITS = count('units', parsed.units);
const MONTH_START = monthStart('month', parsed.month);
const INSTANCES = [...new Set(countList('instances', parsed.instances))];
const CONCURRENCY = parsed.concurrency === undefined ? undefined : count('concurrency', parsed.concurrency);
const REDIS_OPS = count('redis-ops', parsed['redis-ops'], 1000);
const PROFILE = parsed.profile;
const NODE_FLAGS = parsed['node-flags'] ?? projectorFlags();
const TUNABLES = projectorTunables();
const COMPARE = parsed['compare-node-flags'];

// Loaded only now so that --help works before `npm ci`.
const { Kafka, logLevel, Partitioners, CompressionTypes } = (await import('kafkajs')).default;
const { Redis } = await import('ioredis');
const { validateEvent } = await import('@dvc/domain');
const { createEventStream } = await import('./lib/events.mjs');
const { summariseProfile } = await import('./lib/profile.mjs');

if (!existsSync(PROJECTOR_MAIN)) {
  process.stderr.write(`${relative(ROOT, PROJECTOR_MAIN)} is missing: run npx turbo run build first\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------- state
const env = stackEnv();
const tag = Math.random().toString(36).slice(2, 8);
const prefix = `bench-${tag}`;
const topic = `${prefix}-events`;
const resultsDir = join(ROOT, 'bench', 'results');
const logDir = join(resultsDir, 'logs');
mkdirSync(logDir, { recursive: true });

// kafkajs logs every retry; show each distinct problem at most once per 30 s.
const lastLogged = new Map();
const kafkaLog =
  () =>
  ({ log: entry }) => {
    const text = `${entry.message}${entry.error ? `: ${entry.error}` : ''}`;
    const now = Date.now();
    if (now - (lastLogged.get(text) ?? 0) < 30_000) return;
    lastLogged.set(text, now);
    log(`kafkajs: ${text}`);
  };
const kafka = new Kafka({
  clientId: 'dvc-bench',
  brokers: env.kafkaBrokers.split(',').map((b) => b.trim()),
  logLevel: logLevel.ERROR,
  logCreator: kafkaLog,
  connectionTimeout: 5000,
  requestTimeout: 30_000,
});
const redis = new Redis(env.redisUrl, { connectionName: 'dvc-bench', maxRetriesPerRequest: 3 });
const admin = kafka.admin();

/** Everything this process created, deleted by cleanup() whatever happens. */
const created = { topics: new Set(), groups: new Set(), namespaces: new Set(), keys: new Set(), children: new Set() };

const dropNamespace = (ns) => dropKeysOf(redis, ns);
const waitLazyFree = () => waitRedisLazyFree(redis);

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    // All at once: stopping one process of a group makes the others rebalance, which can cost them their graceful leave.
    await Promise.all([...created.children].map((child) => stopChild(child).catch(() => undefined)));
    for (const ns of created.namespaces) {
      try {
        const n = await dropNamespace(ns);
        log(`redis: removed ${fmtInt(n)} keys of namespace ${ns}`);
        created.namespaces.delete(ns);
      } catch (error) {
        log(`redis: could not drop namespace ${ns}: ${error.message}`);
      }
    }
    for (const key of created.keys) await redis.unlink(key).catch(() => undefined);
    try {
      await admin.connect();
      await deleteGroups([...created.groups]);
      const existing = new Set(await admin.listTopics());
      const topics = [...created.topics].filter((t) => existing.has(t));
      if (topics.length > 0) {
        await admin.deleteTopics({ topics, timeout: 30_000 });
        log(`kafka: deleted topic(s) ${topics.join(', ')}`);
      }
    } catch (error) {
      log(`kafka: cleanup failed: ${error.message}`);
    }
    await admin.disconnect().catch(() => undefined);
    redis.disconnect();
  })();
  return cleaning;
}

/**
 * Deletes the consumer groups that exist. A group still listing a member (one that exited without
 * leaving, e.g. stopped in a rebalance) cannot be deleted until the broker drops that member after
 * the session timeout (30 s), so this retries for up to 45 s.
 */
async function deleteGroups(groups) {
  const deadline = Date.now() + 45_000;
  for (let attempt = 1; ; attempt++) {
    const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const left = groups.filter((g) => existing.has(g));
    if (left.length === 0) return;
    try {
      await admin.deleteGroups(left);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        log(`kafka: could not delete group(s) ${left.join(', ')}: ${error.message}`);
        return;
      }
      if (attempt === 1) log(`kafka: group(s) ${left.join(', ')} not deleted yet (${error.message}); retrying until their members time out`);
      await sleep(3000);
    }
  }
}

const interrupted = cleanUpOnInterrupt(cleanup);

// ---------------------------------------------------------------------------- phases
async function prefill() {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: P, replicationFactor: -1 }] });
  created.topics.add(topic);
  const stream = createEventStream({ total: N, units: UNITS, tag, startMs: MONTH_START, spanMs: 30 * 86_400_000 - 1000 });
  // Validate a sample against the contract before sending anything.
  const sample = stream.next(Math.min(N, 5000));
  for (const m of sample) {
    const result = validateEvent(JSON.parse(m.value));
    if (!result.ok) throw new Error(`generated event is invalid: ${JSON.stringify(result.problems)}\n${m.value}`);
  }
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  // ~1,500 records per partition per request keeps each record batch under the broker's 1 MB limit.
  const perSend = 1500 * P;
  const bar = progressBar('prefill   ', N);
  const t0 = performance.now();
  let sent = 0;
  let batch = sample.concat(stream.next(perSend - sample.length));
  while (batch.length > 0) {
    const sending = producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: batch });
    const next = stream.next(perSend); // generate the next batch while this one is in flight
    await sending;
    sent += batch.length;
    bar.update(sent);
    batch = next;
  }
  const seconds = (performance.now() - t0) / 1000;
  bar.done();
  await producer.disconnect();
  const offsets = await admin.fetchTopicOffsets(topic);
  const inTopic = offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  if (inTopic !== N) throw new Error(`topic holds ${inTopic} messages, expected ${N}`);
  return { seconds, rate: N / seconds, stats: stream.stats, partitionSizes: offsets.map((p) => Number(p.high) - Number(p.low)) };
}

async function bareConsumer(run) {
  const groupId = `${prefix}-bare-r${run}`;
  created.groups.add(groupId);
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    maxBytesPerPartition: 4 * 1024 * 1024, // as the projector
    maxBytes: 16 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const bar = progressBar(`bare    #${run}`, N);
  let seen = 0;
  let bytes = 0;
  let tFirst;
  let tLast;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const kpid = kafkaPid();
  const kafkaCpu0 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine0 = machineBusySeconds();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await consumer.run({
    partitionsConsumedConcurrently: CONCURRENCY ?? 2,
    eachBatch: async ({ batch }) => {
      tFirst ??= performance.now();
      for (const message of batch.messages) {
        const event = JSON.parse(message.value.toString('utf8'));
        bytes += event.id.length;
      }
      seen += batch.messages.length;
      bar.update(seen);
      if (seen >= N && tLast === undefined) {
        tLast = performance.now();
        finish();
      }
    },
  });
  let lastSeen = -1;
  let lastProgress = performance.now();
  while (tLast === undefined) {
    await Promise.race([finished, sleep(1000)]);
    if (seen !== lastSeen) [lastSeen, lastProgress] = [seen, performance.now()];
    if (performance.now() - lastProgress > 120_000) throw new Error(`bare consumer stalled at ${seen}/${N}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const kafkaCpu1 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine1 = machineBusySeconds();
  bar.done();
  await consumer.disconnect();
  const steady = (tLast - tFirst) / 1000;
  const consumerCpu = (cpu.user + cpu.system) / 1e6;
  const kafkaCpu = kafkaCpu0 === undefined || kafkaCpu1 === undefined ? Number.NaN : kafkaCpu1 - kafkaCpu0;
  return {
    rate: N / steady,
    steadySeconds: steady,
    totalSeconds: (tLast - t0) / 1000,
    startupSeconds: (tFirst - t0) / 1000,
    cpuCores: consumerCpu / ((tLast - t0) / 1000),
    // Per event as the projector's figures: the consumer (this process) and the broker serving it.
    cpuUsPerEvent: (consumerCpu * 1e6) / N,
    kafkaUsPerEvent: (kafkaCpu * 1e6) / N,
    stackUsPerEvent: ((consumerCpu + kafkaCpu) * 1e6) / N,
    machineUsPerEvent: machine0 === undefined || machine1 === undefined ? Number.NaN : ((machine1 - machine0) * 1e6) / N,
    checksum: bytes,
  };
}

async function appliedSoFar(ns) {
  const units = await redis.smembers(`${ns}:units`);
  let applied = 0;
  let duplicates = 0;
  let lastAppliedMs = 0;
  if (units.length > 0) {
    const pipeline = redis.pipeline();
    for (const unit of units) pipeline.hgetall(`${ns}:{${unit}}:meta`);
    for (const [error, meta] of await pipeline.exec()) {
      if (error) throw error;
      for (const [field, value] of Object.entries(meta)) {
        if (field.startsWith('applied:')) applied += Number(value);
        else if (field.startsWith('duplicate:')) duplicates += Number(value);
        else if (field === 'lastAppliedMs') lastAppliedMs = Math.max(lastAppliedMs, Number(value));
      }
    }
  }
  return { applied, duplicates, lastAppliedMs, units: units.length };
}

const dlqExists = new Set();
async function dlqSize(dlq) {
  // Ask for offsets only once the projector has created the topic (else kafkajs logs errors).
  if (!dlqExists.has(dlq)) {
    if (!(await admin.listTopics()).includes(dlq)) return 0;
    dlqExists.add(dlq);
  }
  try {
    const offsets = await admin.fetchTopicOffsets(dlq);
    return offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0; // partitions not led yet
  }
}

const redisStats = () => redisServerStats(redis);

/** This bench's own commands (its progress poll, INFO): left out of the projector's command counts. */
const BENCH_COMMANDS = new Set(['info', 'smembers', 'hgetall']);

/**
 * What Redis ran for the projector between two INFO commandstats: calls and µs per event of each
 * command (a script's inner calls are counted as commands of their own, and their time is inside
 * the script's), the most called first.
 */
function commandsPerEvent(before, after) {
  const out = [];
  for (const [name, { calls, usec }] of after) {
    if (BENCH_COMMANDS.has(name)) continue;
    const was = before.get(name) ?? { calls: 0, usec: 0 };
    if (calls > was.calls) out.push({ name, calls: (calls - was.calls) / N, us: (usec - was.usec) / N });
  }
  return out.sort((a, b) => b.calls - a.calls);
}

const sumOf = (commands, field) => commands.reduce((sum, c) => sum + c[field], 0);

/** Each command's median calls per event over the runs, as 'HINCRBY 3.57 · ZADD 0.19 · …' (under 0.005 left out). */
function commandMix(list) {
  const names = new Set(list.flatMap((r) => r.commands.map((c) => c.name)));
  return [...names]
    .map((name) => ({ name, calls: median(list.map((r) => r.commands.find((c) => c.name === name)?.calls ?? 0)) }))
    .filter((c) => c.calls >= 0.005)
    .sort((a, b) => b.calls - a.calls)
    .map((c) => `${c.name.toUpperCase()} ${c.calls.toFixed(2)}`)
    .join(' · ');
}

/**
 * redis-server CPU seconds of one progress poll (appliedSoFar), measured on the run's final
 * namespace once the projectors have stopped: the mean of a few polls. The namespace holds every
 * unit then, so this is an upper bound of a poll during the run.
 */
async function redisCpuPerPoll(ns, times = 8) {
  const before = await redisStats();
  for (let i = 0; i < times; i++) await appliedSoFar(ns);
  const after = await redisStats();
  return Math.max(0, after.cpu - before.cpu) / times;
}

async function projectorRun(run, dossiers, { instances = 1, profileDir, nodeFlags = NODE_FLAGS, variant = '' } = {}) {
  const label = profileDir ? 'profile' : `r${run}-x${instances}${variant}`;
  const ns = `${prefix}-${label}`;
  const group = `${prefix}-projector-${label}`;
  const dlq = `${prefix}-dlq-${label}`;
  created.namespaces.add(ns);
  created.groups.add(group);
  created.topics.add(dlq);
  const ports = [];
  for (let i = 0; i < instances; i++) ports.push(await freePort());
  await waitLazyFree();
  const redis0 = await redisStats();
  const commands0 = await redisCommandStats(redis);
  const kpid = kafkaPid();
  const kafkaCpu0 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const baseEnv = {
    ...process.env,
    ...SYNTHETIC_UNITS_ENV,
    // The pre-fill writes straight to Kafka without a producer key id.
    ...UNCHECKED_PRODUCERS_ENV,
    NODE_OPTIONS: '',
    GLIBC_TUNABLES: TUNABLES,
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: env.kafkaBrokers,
    REDIS_URL: env.redisUrl,
    EVENTS_TOPIC: topic,
    DLQ_TOPIC: dlq,
    TOPIC_PARTITIONS: String(P),
    REDIS_NAMESPACE: ns,
    PROJECTOR_GROUP: group,
  };
  if (CONCURRENCY !== undefined) baseEnv.PROJECTOR_CONCURRENCY = String(CONCURRENCY);
  const t0 = Date.now();
  // Flags go on the command line: NODE_OPTIONS refuses --cpu-prof and most V8 flags.
  const nodeArgs = [...splitFlags(nodeFlags), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  // All processes start together and join one consumer group: the broker spreads the partitions over them.
  const procs = ports.map((port, i) => {
    const logFile = join(logDir, `projector-${ns}${instances > 1 ? `-p${i + 1}` : ''}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [...nodeArgs, PROJECTOR_MAIN], { env: { ...baseEnv, PROJECTOR_PORT: String(port) }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    created.children.add(child);
    const proc = { child, port, logFile, exit: undefined };
    child.once('exit', (code, signal) => (proc.exit = { code, signal }));
    return proc;
  });
  const logs = procs.length === 1 ? relative(ROOT, procs[0].logFile) : `${relative(ROOT, logDir)}/projector-${ns}-p*.log`;
  const bar = progressBar(profileDir ? 'profile   ' : `projector#${run} ×${instances}${variant}`, N);
  let tFirst;
  let tLast;
  let lastDone = -1;
  let lastProgress = Date.now();
  let final;
  let polls = 0;
  for (let tick = 1; ; tick++) {
    await sleep(Math.max(0, t0 + tick * 250 - Date.now()));
    const exited = procs.find((p) => p.exit !== undefined);
    if (exited !== undefined) {
      throw new Error(`projector exited (code ${exited.exit.code}, signal ${exited.exit.signal}) during the run; see ${relative(ROOT, exited.logFile)}`);
    }
    const [state, dead] = await Promise.all([appliedSoFar(ns), dlqSize(dlq)]);
    polls++;
    const now = Date.now();
    // Every process of the group writes into the one namespace: its counters are the group's sum.
    const done = state.applied + dead;
    if (done > 0) tFirst ??= now;
    if (done !== lastDone) [lastDone, lastProgress] = [done, now];
    bar.update(done);
    if (done >= N) {
      tLast = now;
      final = { ...state, dead };
      break;
    }
    if (now - lastProgress > 120_000) throw new Error(`projector stalled at ${done}/${N} for 120 s; see ${logs}`);
  }
  bar.done();
  const peakRssKb = procs.map((p) => procStatusKb(p.child.pid, 'VmHWM'));
  const cpuEach = procs.map((p) => procCpuSeconds(p.child.pid));
  const faultsEach = procs.map((p) => procMinorFaults(p.child.pid));
  const cpuSeconds = cpuEach.some((c) => c === undefined) ? undefined : cpuEach.reduce((a, b) => a + b, 0);
  const redis1 = await redisStats();
  const commands = commandsPerEvent(commands0, await redisCommandStats(redis));
  const scripts = commands.filter((c) => c.name === 'evalsha' || c.name === 'eval');
  const scriptCalls = scripts.reduce((sum, c) => sum + c.calls, 0);
  const kafkaCpu1 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine1 = machineBusySeconds();
  const self = process.cpuUsage(self0);
  const loadAvg = os.loadavg()[0];
  const metrics = await Promise.all(procs.map((p) => scrapeMetrics(p.port)));
  await Promise.all(procs.map((p) => stopChild(p.child)));
  for (const p of procs) created.children.delete(p.child);
  const pollCpu = polls * (await redisCpuPerPoll(ns));
  const removed = await dropNamespace(ns);
  created.namespaces.delete(ns);
  log(`redis: removed ${fmtInt(removed)} keys of ${ns}`);
  const steady = (tLast - tFirst) / 1000;
  const wall = (tLast - t0) / 1000;
  const total = (name) => metrics.reduce((s, m) => s + sumMetric(m, name), 0);
  const batches = total('dvc_projector_batch_seconds_count');
  const redisCpu = redis1.cpu - redis0.cpu;
  const kafkaCpu = kafkaCpu0 === undefined || kafkaCpu1 === undefined ? Number.NaN : kafkaCpu1 - kafkaCpu0;
  const machineCpu = machine0 === undefined || machine1 === undefined ? Number.NaN : machine1 - machine0;
  const projectorCpu = cpuSeconds ?? Number.NaN;
  const benchCpu = (self.user + self.system) / 1e6;
  const perEvent = (seconds) => (seconds * 1e6) / N;
  return {
    instances,
    rate: N / steady,
    steadySeconds: steady,
    totalSeconds: wall,
    totalRate: N / wall,
    startupSeconds: (tFirst - t0) / 1000,
    // Sum over the processes (each VmHWM is that process's peak; the peaks need not coincide).
    peakRssMiB: peakRssKb.some((kb) => kb === undefined) ? Number.NaN : peakRssKb.reduce((a, b) => a + b, 0) / 1024,
    cpuCores: projectorCpu / wall,
    cpuSecondsEach: cpuEach.map((c) => c ?? null),
    // Pages the kernel mapped for the projector(s) on first touch, start-up included: fresh buffers cost this.
    faultsPerEvent: faultsEach.some((f) => f === undefined) ? Number.NaN : faultsEach.reduce((a, b) => a + b, 0) / N,
    // CPU time per event is far less sensitive to a busy machine than the wall-clock rate.
    cpuUsPerEvent: perEvent(projectorCpu),
    redisUsPerEvent: perEvent(redisCpu),
    // This bench's own Redis load (the progress poll), and redis-server without it: the projector's share.
    pollUsPerEvent: perEvent(pollCpu),
    redisNetUsPerEvent: perEvent(redisCpu - pollCpu),
    polls,
    kafkaUsPerEvent: perEvent(kafkaCpu),
    // The three processes an event passes through after the pre-fill: projector(s), Redis, broker.
    stackUsPerEvent: perEvent(projectorCpu + redisCpu - pollCpu + kafkaCpu),
    machineUsPerEvent: perEvent(machineCpu),
    redisCpuCores: redisCpu / wall,
    kafkaCpuCores: kafkaCpu / wall,
    memoryDelta: redis1.usedMemory - redis0.usedMemory,
    // Redis' side in commands: how many events one unit's write script carries, and what it calls.
    commands,
    eventsPerScript: scriptCalls > 0 ? 1 / scriptCalls : Number.NaN,
    scriptUsPerEvent: scripts.reduce((sum, c) => sum + c.us, 0),
    innerUsPerEvent: commands.filter((c) => !scripts.includes(c)).reduce((sum, c) => sum + c.us, 0),
    bytesPerDossier: (redis1.usedMemory - redis0.usedMemory) / dossiers,
    keys: removed,
    units: final.units,
    duplicates: final.duplicates,
    dead: final.dead,
    batches,
    // How the group spread the work: a process that got no partition shows 0.
    appliedEach: metrics.map((m) => sumMetric(m, 'dvc_projector_events_applied_total')),
    // Owned partition state: each take-over (start, rebalance) reads its subjects' states again.
    takeovers: total('dvc_projector_partition_takeovers_total'),
    statesRead: total('dvc_projector_states_read_total'),
    eventsPerBatch: batches > 0 ? N / batches : Number.NaN,
    batchMs: batches > 0 ? (1000 * total('dvc_projector_batch_seconds_sum')) / batches : Number.NaN,
    conflicts: total('dvc_projector_write_conflicts_total'),
    benchCpuCores: benchCpu / wall,
    // Whatever else ran meanwhile: machine busy time minus projector(s), Redis, Kafka and this process.
    otherCpuCores: (machineCpu - projectorCpu - redisCpu - kafkaCpu - benchCpu) / wall,
    loadAvg,
  };
}

async function redisCeiling(run) {
  const key = `${prefix}:hincrby:r${run}`;
  created.keys.add(key);
  const fields = Array.from({ length: 64 }, (_, i) => `f${i}`);
  const size = 1000;
  const bar = progressBar(`redis   #${run}`, REDIS_OPS);
  const t0 = performance.now();
  for (let done = 0; done < REDIS_OPS;) {
    const n = Math.min(size, REDIS_OPS - done);
    const pipeline = redis.pipeline();
    for (let j = 0; j < n; j++) pipeline.hincrby(key, fields[j & 63], 1);
    const results = await pipeline.exec();
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    done += n;
    bar.update(done);
  }
  const seconds = (performance.now() - t0) / 1000;
  bar.done();
  const total = (await redis.hvals(key)).reduce((s, v) => s + Number(v), 0);
  await redis.unlink(key);
  created.keys.delete(key);
  if (total !== REDIS_OPS) throw new Error(`HINCRBY check: fields sum to ${total}, expected ${REDIS_OPS}`);
  return { rate: REDIS_OPS / seconds, seconds };
}

// ---------------------------------------------------------------------------- report
function defaultOutput() {
  const date = new Date().toISOString().slice(0, 10);
  let file = join(resultsDir, `projector-${date}.md`);
  for (let i = 2; existsSync(file); i++) file = join(resultsDir, `projector-${date}-${i}.md`);
  return file;
}

function report({ machine, fill, bare, proj, alt, ceiling, profile, startedAt, wallSeconds }) {
  const rate = (x) => (Number.isFinite(x) ? `${fmtInt(x)} ev/s` : 'n/a');
  const ops = (x) => `${fmtInt(x)} ops/s`;
  const sec = (x) => `${x.toFixed(2)} s`;
  const cores = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
  const runs = (list, pick, fmt) => list.map((r) => fmt(pick(r))).join(' · ');
  const row = (label, list, pick, fmt) => `| ${label} | **${fmt(median(list.map(pick)))}** | ${runs(list, pick, fmt)} |`;
  const { stats } = fill;
  const lines = [];
  lines.push(`# Projector benchmark — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`, '');
  lines.push(`${fmtInt(N)} events, ${P} partitions, ${R} run(s) per figure (median shown, then each run). Total bench time ${fmtDuration(wallSeconds)}.`, '');
  if (machine !== undefined) {
    lines.push('## Machine', '', '| | |', '|---|---|');
    for (const [k, v] of machine) lines.push(`| ${k} | ${v} |`);
    lines.push('');
  }
  lines.push('## Workload', '');
  lines.push(
    `Topic \`${topic}\` (deleted afterwards): ${fmtInt(N)} CloudEvents, ${fmtMiB(stats.bytes)} of JSON (${Math.round(stats.bytes / N)} B/event average), ` +
      `key = routing key, ${P} partitions (${fill.partitionSizes.map(fmtInt).join(' / ')} messages), no compression; ` +
      `${fmtInt(UNITS)} units (\`bench.u0000\`…), ${fmtInt(stats.dossiers)} dossiers, ${fmtInt(stats.payments)} payments, ${fmtInt(stats.reports)} reports; times in the 30 days from ${parsed.month}-01.`,
    '',
  );
  lines.push('| Event type | Count | Share |', '|---|---:|---:|');
  for (const [type, n] of [...stats.byType].sort((a, b) => b[1] - a[1])) lines.push(`| ${type} | ${fmtInt(n)} | ${((100 * n) / N).toFixed(1)} % |`);
  lines.push('', `Pre-fill (kafkajs idempotent producer, acks=-1, ${fmtInt(1500 * P)} messages per request): ${sec(fill.seconds)}, ${rate(fill.rate)}.`, '');
  const us = fixed(1, 'µs');
  const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
  const processes = (n) => `${n} projector process${n === 1 ? '' : 'es'}`;
  // Issue 13's goals beside the measured figure: stated, never enforced.
  const versus = (value, fmt, goal) => (Number.isFinite(value) ? `${fmt(value)} (${goal(value) ? 'met' : 'not met'})` : 'n/a');
  const shares = (list) => list.map((p, i) => p.rate / bare[i].rate);
  const med = (list, pick) => median(list.map(pick));
  lines.push('## Results', '');
  lines.push(
    `Side by side, median of ${R} run(s); the goals are issue 13's (median of 3 on a quiet 2-core machine), stated here beside the figures, not enforced. ` +
      'CPU per event = CPU seconds of the process during the run × 10⁶ / events; the machine total counts every process on the machine.',
    '',
  );
  const tableRow = (cells) => `| ${cells.join(' | ')} |`;
  lines.push(
    tableRow([
      'Consumer',
      'Events/s, first → last',
      `Of the bare consumer (goal ≥ ${pct(GOALS.shareOfBare)})`,
      `Consumer CPU per event (projector goal ≤ ${us(GOALS.projectorUs)})`,
      `redis-server per event, the bench's poll deducted (goal ≤ ${us(GOALS.redisUs)})`,
      'Kafka broker per event',
      'Consumer + Redis + broker',
      'Machine total per event',
    ]),
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  lines.push(
    tableRow([
      'Bare kafkajs consumer (JSON.parse only, in this bench process)',
      rate(med(bare, (r) => r.rate)),
      '100 %',
      us(med(bare, (r) => r.cpuUsPerEvent)),
      '—',
      us(med(bare, (r) => r.kafkaUsPerEvent)),
      us(med(bare, (r) => r.stackUsPerEvent)),
      us(med(bare, (r) => r.machineUsPerEvent)),
    ]),
  );
  for (const [n, list] of proj) {
    lines.push(
      tableRow([
        `**${processes(n)}**`,
        rate(med(list, (r) => r.rate)),
        versus(median(shares(list)), pct, (x) => x >= GOALS.shareOfBare),
        versus(
          med(list, (r) => r.cpuUsPerEvent),
          us,
          (x) => x <= GOALS.projectorUs,
        ),
        versus(
          med(list, (r) => r.redisNetUsPerEvent),
          us,
          (x) => x <= GOALS.redisUs,
        ),
        us(med(list, (r) => r.kafkaUsPerEvent)),
        us(med(list, (r) => r.stackUsPerEvent)),
        us(med(list, (r) => r.machineUsPerEvent)),
      ]),
    );
  }
  lines.push('');
  const [best] = [...proj].sort(([, a], [, b]) => med(b, (r) => r.rate) - med(a, (r) => r.rate));
  lines.push(
    proj.size > 1
      ? `**Serves this machine best: ${processes(best[0])}** (highest median rate of ${[...proj.keys()].join(', ')} processes: ${rate(med(best[1], (r) => r.rate))}, ` +
          `${pct(median(shares(best[1])))} of the bare consumer).`
      : `One count of projector processes measured (${best[0]}); \`--instances 1,2,3\` compares counts in one run.`,
    '',
  );
  lines.push('### Ceilings', '', '| Measure | Median | Runs |', '|---|---:|---|');
  lines.push(row('Bare kafkajs consumer (eachBatch, JSON.parse only), first → last message', bare, (r) => r.rate, rate));
  lines.push(row('Bare consumer, subscribe → last message', bare, (r) => N / r.totalSeconds, rate));
  lines.push(row('Bare consumer CPU per event (this bench process)', bare, (r) => r.cpuUsPerEvent, us));
  lines.push(row('CPU of the bare consumer (bench process, of one core)', bare, (r) => r.cpuCores, cores));
  lines.push(row('Kafka broker CPU per event during the bare consumer', bare, (r) => r.kafkaUsPerEvent, us));
  lines.push(row('Machine total CPU per event during the bare consumer', bare, (r) => r.machineUsPerEvent, us));
  lines.push(row('Redis ceiling: pipelined HINCRBY, 1 ioredis client, pipelines of 1,000', ceiling, (r) => r.rate, ops));
  for (const [n, list] of proj) {
    const all = n === 1 ? 'the projector process' : `all ${n} projector processes`;
    const ratio = shares(list);
    lines.push('', `### ${processes(n)}${n === 1 ? '' : ', one consumer group'}`, '', '| Measure | Median | Runs |', '|---|---:|---|');
    lines.push(row('Projector, first → last applied event (Redis poll every 250 ms)', list, (r) => r.rate, rate));
    lines.push(row('Projector, process start → last applied event', list, (r) => r.totalRate, rate));
    lines.push(row('Projector time to apply all events (first → last)', list, (r) => r.steadySeconds, sec));
    lines.push(row('Projector start-up (spawn → first applied event)', list, (r) => r.startupSeconds, sec));
    lines.push(
      `| **Projector / bare consumer** (first → last, paired per run; goal ≥ ${pct(GOALS.shareOfBare)}) | **${pct(median(ratio))}** | ${ratio.map(pct).join(' · ')} |`,
    );
    lines.push(row(`**Projector CPU per event**, ${all} (user+sys, incl. start-up; goal ≤ ${us(GOALS.projectorUs)})`, list, (r) => r.cpuUsPerEvent, us));
    lines.push(row("redis-server CPU per event, as measured (this bench's progress poll included)", list, (r) => r.redisUsPerEvent, us));
    lines.push(row('… of which the progress poll (polls × its cost measured after the run, an upper bound)', list, (r) => r.pollUsPerEvent, us));
    lines.push(row(`**redis-server CPU per event for the projector** (the poll deducted; goal ≤ ${us(GOALS.redisUs)})`, list, (r) => r.redisNetUsPerEvent, us));
    lines.push(row('Kafka broker CPU per event', list, (r) => r.kafkaUsPerEvent, us));
    lines.push(row('Projector + Redis (poll deducted) + broker CPU per event', list, (r) => r.stackUsPerEvent, us));
    lines.push(row('Machine total CPU per event (every process on the machine)', list, (r) => r.machineUsPerEvent, us));
    lines.push(row(`Minor page faults per event, ${all} (start-up included)`, list, (r) => r.faultsPerEvent, fixed(2)));
    lines.push(row(`Projector peak RSS (VmHWM${n === 1 ? '' : ', sum over the processes'})`, list, (r) => r.peakRssMiB, fixed(0, 'MiB')));
    lines.push(row('Redis `used_memory` delta per dossier (all keys / dossiers)', list, (r) => r.bytesPerDossier, bytes));
    lines.push(row('Redis `used_memory` delta, total', list, (r) => r.memoryDelta, fmtMiB));
    lines.push(row('Redis keys written', list, (r) => r.keys, fmtInt));
    lines.push(row('Events per unit write (events / write scripts run)', list, (r) => r.eventsPerScript, fixed(1)));
    lines.push(
      row('Redis calls per event, all commands (INFO commandstats; a script and each call it makes count)', list, (r) => sumOf(r.commands, 'calls'), fixed(2)),
    );
    lines.push(`| … by command (median of the runs; the most called first) | ${commandMix(list)} | |`);
    lines.push(row('Redis time per event in the write scripts (commandstats, their calls included)', list, (r) => r.scriptUsPerEvent, us));
    lines.push(row("… of which the commands' own time (the rest is Lua and the calls' overhead)", list, (r) => r.innerUsPerEvent, us));
    lines.push(row(`CPU during projector run: ${all} (of one core)`, list, (r) => r.cpuCores, cores));
    lines.push(row('CPU during projector run: redis-server', list, (r) => r.redisCpuCores, cores));
    lines.push(row('CPU during projector run: Kafka broker', list, (r) => r.kafkaCpuCores, cores));
    lines.push(row('CPU during projector run: this bench process (Redis polling)', list, (r) => r.benchCpuCores, cores));
    lines.push(row('CPU during projector run: all other processes on the machine', list, (r) => r.otherCpuCores, cores));
    lines.push(row('Load average (1 min) at the end of the projector run', list, (r) => r.loadAvg, fixed(1)));
    lines.push(row(`Projector batches (eachBatch calls${n === 1 ? '' : ', all processes'})`, list, (r) => r.batches, fmtInt));
    if (n > 1) {
      const spread = list.map((r) => r.appliedEach.map(fmtInt).join(' / ')).join(' · ');
      lines.push(`| Events applied per process (\`dvc_projector_events_applied_total\`: how the group spread the partitions) | | ${spread} |`);
    }
    lines.push(row('Partition take-overs (start-up and rebalances, all processes)', list, (r) => r.takeovers, fmtInt));
    lines.push(row('Subject states read from Redis (after take-overs)', list, (r) => r.statesRead, fmtInt));
    lines.push(row('Events per batch (mean)', list, (r) => r.eventsPerBatch, fmtInt));
    lines.push(row('Batch handling time (mean, decode + apply + commit)', list, (r) => r.batchMs, fixed(1, 'ms')));
    lines.push(row('Write conflicts / duplicates / dead letters', list, (r) => r.conflicts + r.duplicates + r.dead, fmtInt));
    if (alt.length > 0 && n === INSTANCES[0]) {
      const speedup = alt.map((a, i) => a.rate / list[i].rate);
      lines.push(row(`Projector with node flags \`${COMPARE}\`, first → last`, alt, (r) => r.rate, rate));
      lines.push(
        `| **Speed-up with node flags \`${COMPARE}\`** (paired per run) | **×${median(speedup).toFixed(2)}** | ${speedup.map((x) => `×${x.toFixed(2)}`).join(' · ')} |`,
      );
      lines.push(row(`… peak RSS (VmHWM)`, alt, (r) => r.peakRssMiB, fixed(0, 'MiB')));
      const cpuRatio = alt.map((a, i) => a.cpuUsPerEvent / list[i].cpuUsPerEvent);
      lines.push(row(`… CPU time per event`, alt, (r) => r.cpuUsPerEvent, us));
      lines.push(
        `| … CPU time per event, relative to default (paired per run) | **×${median(cpuRatio).toFixed(2)}** | ${cpuRatio.map((x) => `×${x.toFixed(2)}`).join(' · ')} |`,
      );
      lines.push(row(`… CPU of the projector process${n === 1 ? '' : 'es'}`, alt, (r) => r.cpuCores, cores));
      lines.push(row(`… batch handling time (mean)`, alt, (r) => r.batchMs, fixed(1, 'ms')));
      lines.push(row(`… CPU of all other processes`, alt, (r) => r.otherCpuCores, cores));
    }
  }
  lines.push('');
  lines.push(
    `Projector: the real service (\`node services/projector/dist/main.js\`, PROJECTOR_CONCURRENCY=${CONCURRENCY ?? 'default (2)'} per process, node flags ${NODE_FLAGS === '' ? 'none' : `\`${NODE_FLAGS}\``}, GLIBC_TUNABLES ${TUNABLES === '' ? 'none' : `\`${TUNABLES}\``}), fresh group and Redis namespace per run; ` +
      'with several processes, all start together in one consumer group and write into the one namespace; ' +
      `done when the \`applied:*\` fields of every \`<ns>:{unit}:meta\` hash plus the DLQ size reach ${fmtInt(N)}. ` +
      "That progress poll (one HGETALL per unit every 250 ms) loads Redis too: its cost per poll is measured on the run's final namespace once the projectors have stopped, and deducted from redis-server's figure for the projector. " +
      `All components share this machine (${os.cpus().length} CPUs), so CPU figures compete with each other; Redis is shared with whatever else runs on it, so memory and CPU deltas are approximate.`,
    '',
  );
  if (profile) {
    lines.push('## CPU profile of the projector (one extra run under `node --cpu-prof`)', '');
    lines.push(`Busy ${fmtInt(profile.busyMs)} ms of ${fmtInt(profile.totalMs)} ms sampled (the rest idle). Profile: \`${profile.file}\`.`, '');
    lines.push('| Package / area | Self time | Share of busy |', '|---|---:|---:|');
    for (const c of profile.categories.slice(0, 12)) lines.push(`| ${c.category} | ${fmtInt(c.ms)} ms | ${((100 * c.ms) / profile.busyMs).toFixed(1)} % |`);
    lines.push('', '| Function | Where | Self time | Share of busy |', '|---|---|---:|---:|');
    for (const f of profile.functions.slice(0, 20))
      lines.push(`| \`${f.name}\` | ${f.where || f.category} | ${fmtInt(f.ms)} ms | ${((100 * f.ms) / profile.busyMs).toFixed(1)} % |`);
    lines.push('', 'Inclusive time of the workspace code (callees included, GC not attributed):', '');
    lines.push('| Function | Where | Inclusive | Share of busy |', '|---|---|---:|---:|');
    for (const f of profile.inclusive.slice(0, 15))
      lines.push(`| \`${f.name}\` | ${f.where} | ${fmtInt(f.ms)} ms | ${((100 * f.ms) / profile.busyMs).toFixed(1)} % |`);
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------- main
async function main() {
  const startedAt = new Date();
  const output = parsed.section ?? parsed.output ?? defaultOutput();
  await admin.connect();
  const machine = await machineDetails(env, redis);
  log(`topic ${topic}: ${fmtInt(N)} events, ${P} partitions, ${R} run(s), projector processes ${INSTANCES.join(', ')}${PROFILE ? ' + profile run' : ''}`);
  const idle = INSTANCES.filter((n) => n > P);
  if (idle.length > 0) log(`note: ${idle.join(', ')} processes for ${P} partitions: the processes beyond ${P} get no partition and idle`);
  const fill = await prefill();
  const bare = [];
  /** Runs per count of projector processes, in the order of --instances. */
  const proj = new Map(INSTANCES.map((n) => [n, []]));
  const ceiling = [];
  const alt = [];
  const first = INSTANCES[0];
  for (let run = 1; run <= R; run++) {
    bare.push(await bareConsumer(run));
    // Each count once per run, the order rotating between runs so that a drifting machine load favours none.
    const shift = (run - 1) % INSTANCES.length;
    for (const n of [...INSTANCES.slice(shift), ...INSTANCES.slice(0, shift)]) {
      // A/B order alternates between runs for the same reason.
      const runB = async () => alt.push(await projectorRun(run, fill.stats.dossiers, { instances: n, nodeFlags: COMPARE, variant: 'b' }));
      const compare = COMPARE !== undefined && n === first;
      if (compare && run % 2 === 0) await runB();
      proj.get(n).push(await projectorRun(run, fill.stats.dossiers, { instances: n }));
      if (compare && run % 2 === 1) await runB();
      const p = proj.get(n).at(-1);
      if (compare) log(`run ${run}: projector with flags ${COMPARE}: ${fmtRate(alt.at(-1).rate)} (x${(alt.at(-1).rate / p.rate).toFixed(2)})`);
      log(
        `run ${run}: ${n} projector process${n === 1 ? '' : 'es'} ${fmtRate(p.rate)} (${((100 * p.rate) / bare.at(-1).rate).toFixed(1)} % of bare), ` +
          `CPU per event: projector ${p.cpuUsPerEvent.toFixed(1)} µs, Redis ${p.redisNetUsPerEvent.toFixed(1)} µs (+ poll ${p.pollUsPerEvent.toFixed(1)} µs), broker ${p.kafkaUsPerEvent.toFixed(1)} µs`,
      );
    }
    ceiling.push(await redisCeiling(run));
    log(`run ${run}: bare ${fmtRate(bare.at(-1).rate)}, redis ${fmtRate(ceiling.at(-1).rate)}`);
  }
  let profile;
  if (PROFILE) {
    const dir = join(resultsDir, 'profiles', prefix);
    mkdirSync(dir, { recursive: true });
    await projectorRun(R + 1, fill.stats.dossiers, { profileDir: dir });
    const file = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))[0];
    if (file) profile = { ...summariseProfile(file), file: relative(ROOT, file) };
    else log('profile: no .cpuprofile written (did the projector exit cleanly?)');
  }
  const wallSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const markdown = report({ machine, fill, bare, proj, alt, ceiling, profile, startedAt, wallSeconds });
  if (parsed.section === undefined) {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, `${markdown}\n`);
  } else {
    // One section of the combined report: no title or machine table, headings one level down.
    const body = report({ machine: undefined, fill, bare, proj, alt, ceiling, profile, startedAt, wallSeconds })
      .replace(/^# .*\n\n/, '')
      .replace(/^(#+ )/gm, '#$1');
    appendSection(output, { title: 'Projector throughput', markdown: body, machine, startedAt });
  }
  // Raw figures beside the report, for comparing runs later.
  const raw = {
    startedAt,
    events: N,
    partitions: P,
    runs: R,
    concurrency: CONCURRENCY ?? null,
    nodeFlags: NODE_FLAGS,
    compareNodeFlags: COMPARE ?? null,
    machine: Object.fromEntries(machine),
    prefill: { seconds: fill.seconds, rate: fill.rate },
    bare,
    instances: INSTANCES,
    projector: Object.fromEntries([...proj].map(([n, runs]) => [String(n), runs])),
    projectorCompare: alt,
    redisCeiling: ceiling,
  };
  writeFileSync(`${output.replace(/\.md$/, '')}${parsed.section === undefined ? '' : '-projector'}.json`, `${JSON.stringify(raw, null, 2)}\n`);
  process.stdout.write(`${markdown}\n`);
  log(`report written to ${output.startsWith(ROOT) ? relative(ROOT, output) : output}`);
}

let code = 0;
try {
  await main();
} catch (error) {
  process.stderr.write('\n');
  log(`FAILED: ${error.stack ?? error}`);
  code = 1;
} finally {
  if (!interrupted()) await cleanup();
}
if (!interrupted()) process.exit(code);
