#!/usr/bin/env node
// National sizing: a slice of the nation-sized directory (lib/nation.mjs) with its traffic
// through the real projector and exporter; Redis memory, Kafka bytes, Prometheus series,
// scrape cost and projector CPU, per unit and per million events, and what a nation needs.
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, RUN_DIR, count, dropNamespace, fmtInt, log, procCpuSeconds, sleep, timedScrape, waitLazyFree } from './lib/common.mjs';
import { createEventStream } from './lib/events.mjs';
import { DOSSIERS_PER_DAY, EVENTS_PER_DOSSIER, PROVINCES, nationDirectory, slice, traffic, unitsFile, weightedPicker } from './lib/nation.mjs';
import { progressBar } from './lib/progress.mjs';
import { TABLE_HEAD, bytes, fixed, row, runBench } from './lib/runner.mjs';
import { UNCHECKED_PRODUCERS_ENV, assertRunning, benchServiceEnv, requireBuilt, startService } from './lib/services.mjs';

const DAY = 86_400_000;

const HELP = `Usage: node scripts/bench/sizing.mjs [options]    (or: npm run bench -- --only sizing)

National sizing. Generates the nation's unit directory (34 provinces after the 2025 reform, 17
departments, a land registration office and a branch per ~10 communes each, 3,321 communes:
about 4,300 units; assumptions in scripts/bench/lib/nation.mjs) and writes it as units.json in a
DATA_DIR of the run's own, so the services admit the units as known ones. Per run, the first
--provinces provinces' units get --days days of their assumed traffic times --scale, ending
an hour ago (inside the 14-day window), produced to a topic of the run's own; then the real
projector folds it into a namespace of its own and the real exporter serves it. Measured:
Redis memory (MEMORY USAGE of every key of the namespace), Kafka bytes (produced key+value
bytes, and the topic's log segments on disk when the broker's log folder is readable),
series and the cost of GET /metrics, and the projector's CPU per event (/proc). The report
extrapolates to the nation.

Options:
  --provinces N     provinces in the slice, from the start of the list (default 4; quick: 1)
  --days D          days of traffic, 1 to 13 (default 13; quick: 2)
  --scale X         traffic multiplier over the assumed rates (default 2; quick: 1)
  --partitions P    partitions of the run's topic (default 6)
  --scrapes N       timed scrapes per run (default 5; quick: 2)
  --kafka-log-dir D the broker's log folder, for on-disk topic sizes
                    (default <STACK_RUN_DIR or .run>/kafka/data; skipped when missing)`;

await runBench({
  name: 'sizing',
  title: 'National sizing',
  help: HELP,
  options: {
    provinces: { type: 'string', default: '4', quick: '1' },
    days: { type: 'string', default: '13', quick: '2' },
    scale: { type: 'string', default: '2', quick: '1' },
    partitions: { type: 'string', default: '6' },
    scrapes: { type: 'string', default: '5', quick: '2' },
    'kafka-log-dir': { type: 'string', default: join(RUN_DIR, 'kafka', 'data') },
  },
  async main(ctx) {
    requireBuilt('projector', 'exporter');
    const { opts } = ctx;
    const o = {
      provinces: count('provinces', opts.provinces),
      days: count('days', opts.days),
      scale: count('scale', opts.scale),
      partitions: count('partitions', opts.partitions),
      scrapes: count('scrapes', opts.scrapes),
      kafkaLogDir: opts['kafka-log-dir'],
    };
    if (o.provinces > PROVINCES.length) throw new Error(`--provinces must be at most ${PROVINCES.length}`);
    if (o.days > 13) throw new Error('--days must be at most 13 (the traffic must fit the 14-day window)');
    const nationUnits = nationDirectory();
    const nation = traffic(nationUnits);
    const units = slice(nationUnits, o.provinces);
    const part = traffic(units);
    const dataDir = join(ctx.workDir, 'data');
    cpSync(join(ROOT, 'infra', 'data'), dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'units.json'), `${JSON.stringify(unitsFile(nationUnits, `sizing-${ctx.tag}`), null, 1)}\n`);
    const total = Math.round(part.eventsPerDay * o.days * o.scale);
    log(
      `nation: ${fmtInt(nation.units)} units, ${fmtInt(nation.dossiersPerDay)} dossiers/day; slice: ${o.provinces} province(s), ${fmtInt(part.units)} units, ${fmtInt(total)} events`,
    );
    const runs = [];
    for (let run = 1; run <= opts.runs; run++) {
      runs.push(await sizingRun(ctx, run, { ...o, units, total, dataDir }));
      const r = runs.at(-1);
      log(
        `run ${run}: ${fmtInt(r.redisBytes)} B Redis, ${fmtInt(r.kafkaBytes)} B produced, ${fmtInt(r.series)} series, scrape ${r.scrapeMs.toFixed(0)} ms, projector ${r.cpuUsPerEvent.toFixed(1)} µs CPU/event`,
      );
    }
    return { markdown: report(runs, { o, nation, part, total }), raw: { options: o, nation, slice: part, total, runs } };
  },
});

async function sizingRun(baseCtx, run, o) {
  const ctx = { ...baseCtx, prefix: `${baseCtx.prefix}-r${run}` };
  const { redis } = ctx;
  // The events go straight to Kafka without a producer key id: UNCHECKED_PRODUCERS_ENV.
  const env = {
    ...benchServiceEnv(ctx, { partitions: o.partitions }),
    ...UNCHECKED_PRODUCERS_ENV,
    ACCEPT_UNKNOWN_UNITS: 'false',
    DATA_DIR: o.dataDir,
    CLOCK: 'wall',
  };
  const ns = env.REDIS_NAMESPACE;
  ctx.ownTopic(env.EVENTS_TOPIC);
  ctx.ownTopic(env.DLQ_TOPIC);
  ctx.ownGroup(env.PROJECTOR_GROUP);
  ctx.onCleanup(async () => log(`redis: removed ${fmtInt(await dropNamespace(redis, ns))} keys of ${ns}`));
  await waitLazyFree(redis);

  // Produce the slice's traffic to a topic of the run's own.
  const { kafka, admin } = await ctx.kafka();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: env.EVENTS_TOPIC, numPartitions: o.partitions, replicationFactor: -1 }] });
  const { validateEvent } = await import('@dvc/domain');
  const now = Date.now();
  const stream = createEventStream({
    total: o.total,
    tag: `${ctx.tag}r${run}`,
    startMs: now - o.days * DAY,
    spanMs: o.days * DAY - 3_600_000,
    pickUnit: weightedPicker(o.units),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bar = progressBar(`produce #${run}`, o.total);
  let kafkaBytes = 0;
  for (let sent = 0; sent < o.total;) {
    const batch = stream.next(6000);
    if (sent === 0) {
      for (const m of batch.slice(0, 2000)) {
        const r = validateEvent(JSON.parse(m.value));
        if (!r.ok) throw new Error(`generated event is invalid: ${JSON.stringify(r.problems)}`);
      }
    }
    for (const m of batch) kafkaBytes += Buffer.byteLength(m.key) + Buffer.byteLength(m.value);
    await producer.send({ topic: env.EVENTS_TOPIC, acks: -1, messages: batch });
    sent += batch.length;
    bar.update(sent);
  }
  bar.done();
  await producer.disconnect();

  // The projector folds the topic; CPU counted from /readyz to the last applied event.
  const projector = await startService(ctx, 'projector', env);
  const cpu0 = procCpuSeconds(projector.pid);
  const t0 = performance.now();
  const pbar = progressBar(`project #${run}`, o.total);
  let done;
  let lastChange = performance.now();
  let last = -1;
  for (;;) {
    assertRunning([projector]);
    done = (await applied(redis, ns)) + (await topicSize(admin, env.DLQ_TOPIC));
    pbar.update(Math.min(done, o.total));
    if (done >= o.total) break;
    if (done !== last) [last, lastChange] = [done, performance.now()];
    if (performance.now() - lastChange > 120_000) throw new Error(`projector stalled at ${done}/${o.total}`);
    await sleep(500);
  }
  const projectSeconds = (performance.now() - t0) / 1000;
  const cpu = procCpuSeconds(projector.pid) - cpu0;
  pbar.done();
  const dead = await topicSize(admin, env.DLQ_TOPIC);
  await projector.stop();

  const memory = await namespaceMemory(redis, ns);
  const unitsProjected = await redis.scard(`${ns}:units`);
  const kafkaDisk = topicDiskBytes(o.kafkaLogDir, env.EVENTS_TOPIC);

  const exporter = await startService(ctx, 'exporter', env);
  await scrape(exporter.url); // warm-up
  const scrapes = [];
  const ecpu0 = procCpuSeconds(exporter.pid);
  for (let i = 0; i < o.scrapes; i++) scrapes.push(await scrape(exporter.url));
  const exporterCpuMs = ((procCpuSeconds(exporter.pid) - ecpu0) * 1000) / o.scrapes;
  assertRunning([exporter]);
  await exporter.stop();
  const times = scrapes.map((s) => s.ms).sort((a, b) => a - b);
  const lastScrape = scrapes.at(-1);
  return {
    events: o.total,
    dossiers: stream.stats.dossiers,
    subjects: stream.stats.dossiers + stream.stats.payments + stream.stats.reports,
    days: o.days,
    units: o.units.length,
    unitsProjected,
    dead,
    kafkaBytes,
    kafkaDisk,
    redisBytes: memory.bytes,
    redisKeys: memory.keys,
    keyClasses: memory.classes,
    cpuUsPerEvent: (cpu * 1e6) / o.total,
    projectRate: o.total / projectSeconds,
    series: lastScrape.series,
    dvcSeries: lastScrape.dvcSeries,
    scrapeMs: times[Math.floor(times.length / 2)],
    scrapeBytes: lastScrape.bytes,
    exporterCpuMs,
  };
}

/** Events applied so far: the applied:* fields of every unit's meta hash. */
async function applied(redis, ns) {
  const units = await redis.smembers(`${ns}:units`);
  if (units.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const unit of units) pipeline.hgetall(`${ns}:{${unit}}:meta`);
  let sum = 0;
  for (const [error, meta] of await pipeline.exec()) {
    if (error) throw error;
    for (const [field, value] of Object.entries(meta)) if (field.startsWith('applied:')) sum += Number(value);
  }
  return sum;
}

async function topicSize(admin, topic) {
  if (!(await admin.listTopics()).includes(topic)) return 0;
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0;
  }
}

/** MEMORY USAGE (exact: SAMPLES 0) of every key of the namespace, by key class. */
async function namespaceMemory(redis, ns) {
  const classes = new Map();
  let bytes = 0;
  let keys = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', '0').pttl(key);
    const results = await pipeline.exec();
    batch.forEach((key, i) => {
      const size = Number(results[2 * i][1] ?? 0);
      const expires = Number(results[2 * i + 1][1]) >= 0;
      const rest = key.slice(ns.length + 1).replace(/^\{[^}]*\}/, '{unit}');
      const parts = rest.split(':');
      const name = (parts[0] === '{unit}' ? parts.slice(0, 2) : parts.slice(0, 1)).join(':').replace(/\d+/g, 'N');
      const c = classes.get(name) ?? { keys: 0, bytes: 0, expiring: 0 };
      c.keys += 1;
      if (expires) c.expiring += 1;
      c.bytes += size;
      classes.set(name, c);
      bytes += size;
      keys += 1;
    });
  } while (cursor !== '0');
  return { bytes, keys, classes: [...classes].map(([name, c]) => ({ name, ...c })).sort((a, b) => b.bytes - a.bytes) };
}

/** Bytes of the topic's log segments in the broker's log folder (undefined when not readable). */
function topicDiskBytes(logDir, topic) {
  if (!existsSync(logDir)) return undefined;
  let bytes = 0;
  let found = false;
  for (const dir of readdirSync(logDir)) {
    if (!dir.startsWith(`${topic}-`) || !/^\d+$/.test(dir.slice(topic.length + 1))) continue;
    found = true;
    for (const f of readdirSync(join(logDir, dir))) if (f.endsWith('.log')) bytes += statSync(join(logDir, dir, f)).size;
  }
  return found ? bytes : undefined;
}

/** A timed scrape's figures (not its text, which the raw results need not keep). */
async function scrape(url) {
  const { ms, bytes, series, dvcSeries } = await timedScrape(url);
  return { ms, bytes, series, dvcSeries };
}

function report(runs, { o, nation, part, total }) {
  const mib = (b) => (Number.isFinite(b) ? `${(b / 1024 / 1024).toFixed(1)} MiB` : 'n/a (broker log folder not readable: --kafka-log-dir)');
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
  const ms = (x) => `${x.toFixed(0)} ms`;
  const perM = (x, r) => (x * 1e6) / r.events;
  const med = (pick) => {
    const v = runs
      .map(pick)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return v.length === 0 ? Number.NaN : v[Math.floor(v.length / 2)];
  };
  const kinds = Object.entries(nation.byKind)
    .map(([k, n]) => `${fmtInt(n)} ${k} (${DOSSIERS_PER_DAY[k]}/day)`)
    .join(', ');
  const lines = [
    `**Directory and traffic.** Nation: ${fmtInt(nation.units)} units in ${nation.provinces} provinces: ${kinds}; ${fmtInt(nation.dossiersPerDay)} dossiers and ${fmtInt(nation.eventsPerDay)} events per working day (${EVENTS_PER_DOSSIER.toFixed(1)} events per dossier; assumptions in \`scripts/bench/lib/nation.mjs\`). ` +
      `Slice measured: the first ${o.provinces} province(s), ${fmtInt(part.units)} units, ${o.days} day(s) of their traffic ×${o.scale} = ${fmtInt(total)} events (${fmtInt(runs[0].dossiers)} dossiers) over the last ${o.days} day(s), ${o.partitions} partitions; units.json of the whole nation in a DATA_DIR of the run's own (ACCEPT_UNKNOWN_UNITS=false).`,
    '',
    `**Method.** Events produced (idempotent, acks=all, no compression) to a topic of the run's own, then the real projector (\`services/projector/dist/main.js\`, CLOCK=wall, default settings) folds them; CPU is its user+sys from /proc between /readyz and the last applied event. Redis memory is \`MEMORY USAGE … SAMPLES 0\` summed over every key of the run's namespace after the projector stopped. The real exporter then serves the namespace: one warm-up and ${o.scrapes} timed \`GET /metrics\`.`,
    '',
    TABLE_HEAD,
    row(
      'Events projected (dead letters)',
      runs,
      (r) => r.events,
      (x) => `${fmtInt(x)} (${fmtInt(runs[0].dead)})`,
    ),
    row('Units with a projection', runs, (r) => r.unitsProjected, fmtInt),
    row(
      'Projector rate, /readyz → last applied (busy shared machine)',
      runs,
      (r) => r.projectRate,
      (x) => `${fmtInt(x)} ev/s`,
    ),
    row('**Projector CPU per event**', runs, (r) => r.cpuUsPerEvent, fixed(1, 'µs')),
    row('Kafka: produced key+value bytes', runs, (r) => r.kafkaBytes, mib),
    row('Kafka: per event (produced)', runs, (r) => r.kafkaBytes / r.events, bytes),
    row('Kafka: log segments on disk', runs, (r) => r.kafkaDisk ?? Number.NaN, mib),
    row('**Kafka per 1M events** (on disk; produced when the log folder is not readable)', runs, (r) => perM(r.kafkaDisk ?? r.kafkaBytes, r), mib),
    row('Redis: keys of the namespace', runs, (r) => r.redisKeys, fmtInt),
    row('Redis: memory of the namespace', runs, (r) => r.redisBytes, mib),
    row('**Redis per unit** (all memory / units)', runs, (r) => r.redisBytes / r.unitsProjected, kib),
    row('**Redis per 1M events** (all memory / events)', runs, (r) => perM(r.redisBytes, r), mib),
    row(
      'Series on /metrics (all / `dvc_*`)',
      runs,
      (r) => r.series,
      (x) => `${fmtInt(x)} / ${fmtInt(runs[0].dvcSeries)}`,
    ),
    row('**Series per unit** (`dvc_*`)', runs, (r) => r.dvcSeries / r.unitsProjected, fixed(1)),
    row('Scrape: latency (median)', runs, (r) => r.scrapeMs, ms),
    row('Scrape: exporter CPU', runs, (r) => r.exporterCpuMs, ms),
    row('Scrape: bytes', runs, (r) => r.scrapeBytes, mib),
    row(
      '**Scrape per unit**: exporter CPU / bytes',
      runs,
      (r) => r.exporterCpuMs / r.unitsProjected,
      (x) => `${x.toFixed(2)} ms / ${fmtInt(med((r) => r.scrapeBytes / r.unitsProjected))} B`,
    ),
    '',
    'Redis memory by key class (first run; `{unit}` is the unit hash tag):',
    '',
    '| Key class | Keys | With a TTL | Memory | Share |',
    '|---|---:|---:|---:|---:|',
    ...runs[0].keyClasses
      .slice(0, 10)
      .map((c) => `| \`${c.name}\` | ${fmtInt(c.keys)} | ${fmtInt(c.expiring)} | ${mib(c.bytes)} | ${((100 * c.bytes) / runs[0].redisBytes).toFixed(1)} % |`),
  ];
  // Linear extrapolation to the nation: per-unit figures × units, per-event figures × events.
  const events14 = nation.eventsPerDay * 14;
  const seriesN = med((r) => r.dvcSeries / r.unitsProjected) * nation.units;
  const scrapeCpuN = med((r) => r.exporterCpuMs / r.unitsProjected) * nation.units;
  const scrapeBytesN = med((r) => r.scrapeBytes / r.unitsProjected) * nation.units;
  // Subject states (ns:{u}:s:*) stay for good: they grow with every dossier, payment and report;
  // the rest (day buckets, sets, meta) grows with units and days kept.
  const stateBytes = (r) => r.keyClasses.filter((c) => c.name === '{unit}:s').reduce((s, c) => s + c.bytes, 0);
  const perSubject = med((r) => stateBytes(r) / r.subjects);
  const perUnitDay = med((r) => (r.redisBytes - stateBytes(r)) / r.unitsProjected / r.days);
  const subjectsPerDossier = med((r) => r.subjects / r.dossiers);
  const redisYearN = perSubject * nation.dossiersPerDay * subjectsPerDossier * 250 + perUnitDay * nation.units * 365;
  const redisN = med((r) => r.redisBytes / r.events) * events14;
  const kafkaDayN = med((r) => (r.kafkaDisk ?? r.kafkaBytes) / r.events) * nation.eventsPerDay;
  const cpuDayN = (med((r) => r.cpuUsPerEvent) * nation.eventsPerDay) / 1e6;
  lines.push(
    '',
    `**The nation, extrapolated linearly** (${fmtInt(nation.units)} units, ${fmtInt(nation.eventsPerDay)} events a working day, 14 days held in Redis): ` +
      `${fmtInt(seriesN)} \`dvc_*\` series; a scrape of ≈ ${(scrapeCpuN / 1000).toFixed(1)} s exporter CPU and ${mib(scrapeBytesN)}; ` +
      `Redis ≈ ${mib(redisN)} for 14 days of events, and ≈ ${(redisYearN / 1024 ** 3).toFixed(1)} GiB after a year (250 working days; subject states ${fmtInt(perSubject)} B each, never expiring, ${subjectsPerDossier.toFixed(2)} subjects per dossier; other keys ${fmtInt(perUnitDay)} B per unit per day with RETENTION_DAYS=0); Kafka ≈ ${mib(kafkaDayN)} a day before replication; ` +
      `projector ≈ ${cpuDayN.toFixed(0)} CPU-seconds a day (${((100 * cpuDayN) / (8 * 3600)).toFixed(2)} % of one core over 8 working hours).`,
  );
  return lines.join('\n');
}
