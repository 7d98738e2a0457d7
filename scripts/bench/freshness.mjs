#!/usr/bin/env node
// End-to-end freshness at a steady open-loop rate through the real ingest, projector, archiver,
// exporter and replay API; the services' memory under that load and Redis memory per open dossier.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import {
  count,
  dropNamespace,
  fmtInt,
  fmtMiB,
  kafkaPid,
  log,
  machineBusySeconds,
  median,
  parseExposition,
  percentile,
  procCpuSeconds,
  redisStats,
  sleep,
  sumMetric,
  waitLazyFree,
} from './lib/common.mjs';
import { createEventStream, iso } from './lib/events.mjs';
import { progressBar } from './lib/progress.mjs';
import { TABLE_HEAD, bytes, fixed, row, runBench } from './lib/runner.mjs';
import { assertRunning, benchProducerKey, benchServiceEnv, requireBuilt, sampleRss, serviceMain, startService } from './lib/services.mjs';

const DAY = 86_400_000;
const SERVICES = ['ingest', 'projector', 'archiver', 'exporter', 'replay-api'];

const HELP = `Usage: node scripts/bench/freshness.mjs [options]    (or: npm run bench -- --only freshness)

End-to-end freshness and memory under load. Per run it starts the ingest, projector, archiver,
exporter and replay API (services/*/dist/main.js) on topics, groups, a Redis namespace and a
store file of their own, with one live tail (follow=true) reading the replay API, then posts
--rate events/s to the ingest as batches of --batch on an open-loop schedule (batch k is sent at
start + k x batch/rate whatever the answers; at most --max-in-flight requests are open, a full
window delays the schedule and is reported). Every --probe-every ms one batch carries a probe:
a received dossier on one of --probe-units units of their own. /metrics of the exporter is
scraped back to back (at most every --poll ms); a probe is visible when its unit's 14-day
dvc_dossiers_received count includes it, and its freshness is the time from the start of its POST to the end of that scrape.
Reported: freshness p50/p99, offered and accepted rates, whether the rate was sustained, VmRSS
of each service (sampled every second) and VmHWM, and Redis used_memory delta per open dossier.

Options:
  --rate R            events per second offered (default 5000; quick: 500)
  --batch B           events per POST (default 50: every 10 ms at 5,000/s)
  --duration S        seconds of load per run (default 60; quick: 8)
  --warmup S          first seconds whose probes are not counted (default 10; quick: 2)
  --probe-every MS    one probe every MS milliseconds (default 200)
  --probe-units K     units the probes rotate over (default 20)
  --poll MS           shortest interval between two scrapes of /metrics (default 25)
  --units U           units of the load events (default 160, about a province)
  --max-in-flight N   open POST requests at most (default 256)
  --drain-timeout S   seconds to wait after the load for the last probes (default 120)`;

await runBench({
  name: 'freshness',
  title: 'End-to-end freshness and memory under load',
  help: HELP,
  options: {
    rate: { type: 'string', default: '5000', quick: '500' },
    batch: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60', quick: '8' },
    warmup: { type: 'string', default: '10', quick: '2' },
    'probe-every': { type: 'string', default: '200' },
    'probe-units': { type: 'string', default: '20' },
    poll: { type: 'string', default: '25' },
    units: { type: 'string', default: '160' },
    'max-in-flight': { type: 'string', default: '256' },
    'drain-timeout': { type: 'string', default: '120' },
  },
  async main(ctx) {
    requireBuilt(...SERVICES, 'cli');
    const { opts } = ctx;
    const o = {
      rate: count('rate', opts.rate),
      batch: count('batch', opts.batch),
      duration: count('duration', opts.duration),
      warmup: count('warmup', opts.warmup, 0),
      probeEvery: count('probe-every', opts['probe-every']),
      probeUnits: count('probe-units', opts['probe-units']),
      poll: count('poll', opts.poll, 0),
      units: count('units', opts.units),
      maxInFlight: count('max-in-flight', opts['max-in-flight']),
      drainTimeout: count('drain-timeout', opts['drain-timeout']),
    };
    if (o.warmup >= o.duration) throw new Error('--warmup must be shorter than --duration');
    const runs = [];
    for (let run = 1; run <= opts.runs; run++) {
      runs.push(await freshnessRun(ctx, run, o));
      const r = runs.at(-1);
      log(
        `run ${run}: accepted ${fmtInt(r.acceptedRate)} ev/s of ${fmtInt(o.rate)}, freshness p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ${r.sustained ? 'sustained' : `NOT sustained (${r.why.join('; ')})`}`,
      );
    }
    return { markdown: report(runs, o), raw: { options: o, runs } };
  },
});

async function freshnessRun(baseCtx, run, o) {
  const ctx = { ...baseCtx, prefix: `${baseCtx.prefix}-r${run}` };
  const { redis } = ctx;
  const env = { ...benchServiceEnv(ctx, { storeFile: join(ctx.workDir, `events-r${run}.sqlite`) }), CLOCK: 'wall', RETENTION_DAYS: '0' };
  for (const t of [env.EVENTS_TOPIC, env.DLQ_TOPIC]) ctx.ownTopic(t);
  for (const g of [env.PROJECTOR_GROUP, env.ARCHIVER_GROUP]) ctx.ownGroup(g);
  ctx.onCleanup(async () => log(`redis: removed ${fmtInt(await dropNamespace(redis, env.REDIS_NAMESPACE))} keys of ${env.REDIS_NAMESPACE}`));
  await waitLazyFree(redis);
  const redis0 = await redisStats(redis);

  const keysFile = join(ctx.workDir, `keys-r${run}.json`);
  const key = execFileSync(
    process.execPath,
    [serviceMain('cli'), 'keys', 'create', '--id', 'bench-tail', '--units', '*', '--types', '*', '--rate', '100000', '--file', keysFile],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  ).trim();
  const services = [];
  const producer = benchProducerKey(ctx, `producer-keys-r${run}.json`);
  services.push(await startService(ctx, 'ingest', { ...env, ...producer.env })); // creates the topics
  services.push(await startService(ctx, 'projector', { ...env, ...producer.consumerEnv }));
  services.push(await startService(ctx, 'archiver', { ...env, ...producer.consumerEnv }));
  services.push(await startService(ctx, 'exporter', env));
  services.push(await startService(ctx, 'replay-api', { ...env, REPLAY_KEYS_FILE: keysFile, REPLAY_TOKEN_SECRETS: randomBytes(24).toString('hex') }));
  const byName = Object.fromEntries(services.map((s) => [s.name, s]));
  const tail = replayTail(byName['replay-api'].url, key);

  const total = o.rate * o.duration;
  const stream = createEventStream({ total, units: o.units, tag: `${ctx.tag}r${run}`, startMs: Date.now() - DAY, spanMs: DAY - 60_000 });
  const probes = [];
  const unitProbes = new Map();
  // Probe i goes to probe unit i mod K and is visible once that unit's 14-day received count
  // includes it (the n-th accepted probe of a unit: count >= n). K units keep the scrape from
  // growing a unit per probe; K x --probe-every apart, two probes of one unit do not overtake
  // each other.
  const probeUnit = (j) => `bench-probe.${ctx.tag}.r${run}.${j}`;
  const probeEvent = (i) => {
    const unit = probeUnit(i % o.probeUnits);
    const subject = `PROBE-${ctx.tag}-r${run}-${i}`;
    const at = iso(Date.now() - 1000);
    const event = {
      specversion: '1.0',
      id: `${subject}:rcv`,
      source: 'bench/probe',
      type: 'vn.dvc.dossier.received',
      time: at,
      subject,
      unitid: unit,
      data: { dossierId: subject, unitId: unit, procedureId: 'P-1', channel: 'online', receivedAt: at, processingDays: 5 },
    };
    const probe = { unit, json: JSON.stringify(event) };
    if (!unitProbes.has(unit)) unitProbes.set(unit, []);
    unitProbes.get(unit).push(probe);
    return probe;
  };
  const probePrefix = `dvc_dossiers_received{unit="bench-probe.${ctx.tag}.r${run}.`;
  /** 14-day received count of each probe unit in one exposition text. */
  const probeCounts = (text) => {
    const counts = new Map();
    for (let i = text.indexOf(probePrefix); i !== -1; i = text.indexOf(probePrefix, i + 1)) {
      const line = text.slice(i, text.indexOf('\n', i));
      if (!line.includes('window="14d"')) continue;
      const unit = line.slice(line.indexOf('"') + 1, line.indexOf('"', line.indexOf('"') + 1));
      counts.set(unit, (counts.get(unit) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return counts;
  };

  // Scraper: back to back, at most every o.poll ms; marks the probes it sees.
  const scrapes = [];
  let scraping = true;
  let lastScrapeText = '';
  const exporterUrl = byName.exporter.url;
  const scraper = (async () => {
    while (scraping) {
      const t0 = performance.now();
      try {
        const text = await (await fetch(`${exporterUrl}/metrics`)).text();
        const t1 = performance.now();
        scrapes.push({ at: t1, ms: t1 - t0, bytes: text.length });
        lastScrapeText = text;
        const counts = probeCounts(text);
        // The n-th accepted probe of a unit is in once the unit's count reaches n.
        for (const [unit, list] of unitProbes) {
          const seen = counts.get(unit) ?? 0;
          let n = 0;
          for (const p of list) {
            if (p.refused) continue;
            n += 1;
            if (p.visibleAt === undefined && p.postedAt !== undefined && seen >= n) p.visibleAt = t1;
          }
        }
      } catch (error) {
        log(`scrape failed: ${error.message}`);
      }
      await sleep(Math.max(0, o.poll - (performance.now() - t0)));
    }
  })();

  // Open-loop sender.
  const rss = sampleRss(services);
  const cpu0 = Object.fromEntries(services.map((s) => [s.name, procCpuSeconds(s.pid)]));
  const kpid = kafkaPid();
  const kafka0 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const redisCpu0 = redis0.cpu;
  const interval = (1000 * o.batch) / o.rate;
  const batches = Math.floor(total / o.batch);
  const sends = [];
  let inFlight = 0;
  let blockedMs = 0;
  let nextProbeAt = 0;
  const statuses = {};
  const t0 = performance.now();
  const bar = progressBar(`load #${run}  `, batches);
  for (let k = 0; k < batches; k++) {
    const scheduled = t0 + k * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= o.maxInFlight) {
      const b0 = performance.now();
      while (inFlight >= o.maxInFlight) await sleep(1);
      blockedMs += performance.now() - b0;
    }
    const values = stream.next(o.batch).map((m) => m.value);
    let probe;
    if (scheduled - t0 >= nextProbeAt) {
      probe = probeEvent(probes.length);
      probe.warm = scheduled - t0 < o.warmup * 1000;
      probes.push(probe);
      values.push(probe.json);
      nextProbeAt += o.probeEvery;
    }
    const send = { scheduled, sent: performance.now(), events: values.length };
    sends.push(send);
    if (probe) probe.postedAt = send.sent;
    inFlight += 1;
    fetch(`${services[0].url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', ...producer.headers },
      body: `[${values.join(',')}]`,
    })
      .then(async (response) => {
        const text = await response.text();
        send.status = response.status;
        send.accepted = response.status === 202 ? JSON.parse(text).accepted : 0;
        if (response.status !== 202 && probe) probe.refused = true;
      })
      .catch((error) => {
        send.status = `error: ${error.message}`;
        send.accepted = 0;
        if (probe) probe.refused = true;
      })
      .finally(() => {
        inFlight -= 1;
        send.done = performance.now();
        statuses[send.status] = (statuses[send.status] ?? 0) + 1;
      });
    bar.update(k + 1);
    if (k % 100 === 0) assertRunning(services);
  }
  const loadEnd = performance.now();
  bar.done();
  while (inFlight > 0) await sleep(10);
  const answeredAt = performance.now();
  const cpuLoad = Object.fromEntries(services.map((s) => [s.name, procCpuSeconds(s.pid) - cpu0[s.name]]));
  const kafkaCpu = kpid === undefined ? Number.NaN : procCpuSeconds(kpid) - kafka0;
  const machineCpu = machineBusySeconds() - machine0;
  const self = process.cpuUsage(self0);
  const loadSeconds = (answeredAt - t0) / 1000;

  // Drain: every accepted probe visible (or the timeout).
  const deadline = performance.now() + o.drainTimeout * 1000;
  while (probes.some((p) => !p.refused && p.visibleAt === undefined) && performance.now() < deadline) {
    assertRunning(services);
    await sleep(100);
  }
  const drainedAt = performance.now();
  scraping = false;
  await scraper;
  const memory = rss.stop();
  const tailed = await tail.stop();
  const redis1 = await redisStats(redis);
  const metrics = parseExposition(lastScrapeText);
  const open = sumMetric(metrics, 'dvc_dossiers_open');
  const keys = await countKeys(redis, env.REDIS_NAMESPACE);
  for (const s of [...services].reverse()) await s.stop();

  const counted = probes.filter((p) => !p.warm && !p.refused);
  const latencies = counted.filter((p) => p.visibleAt !== undefined).map((p) => p.visibleAt - p.postedAt);
  const lost = counted.filter((p) => p.visibleAt === undefined).length;
  const accepted = sends.reduce((s, x) => s + (x.accepted ?? 0), 0);
  // The schedule spans batches x interval; a sender that fell behind took longer.
  const offeredSeconds = Math.max(loadEnd - t0, batches * interval) / 1000;
  const lags = sends.map((s) => s.sent - s.scheduled);
  const third = Math.floor(counted.length / 3);
  const early = percentile(
    counted
      .slice(0, third)
      .filter((p) => p.visibleAt)
      .map((p) => p.visibleAt - p.postedAt),
    50,
  );
  const late = percentile(
    counted
      .slice(-third)
      .filter((p) => p.visibleAt)
      .map((p) => p.visibleAt - p.postedAt),
    50,
  );
  const refusedRequests = sends.filter((s) => s.status !== 202).length;
  const why = [];
  const acceptedRate = accepted / offeredSeconds;
  if (acceptedRate < 0.95 * o.rate) why.push(`accepted ${fmtInt(acceptedRate)} ev/s < 95 % of ${fmtInt(o.rate)}`);
  if (percentile(lags, 99) > 1000) why.push(`the sender fell ${(percentile(lags, 99) / 1000).toFixed(1)} s behind its schedule (p99)`);
  if (blockedMs > 0) why.push(`${o.maxInFlight} requests in flight blocked the schedule for ${(blockedMs / 1000).toFixed(1)} s`);
  if (refusedRequests > 0) why.push(`${refusedRequests} requests refused or failed`);
  if (lost > 0) why.push(`${lost} probes not visible within ${o.drainTimeout} s after the load`);
  if (third >= 3 && late > 3 * Math.max(early, 200))
    why.push(`freshness grew from ${early.toFixed(0)} ms (first third) to ${late.toFixed(0)} ms (last third): the pipeline falls behind`);
  return {
    offeredRate: sends.reduce((s, x) => s + x.events, 0) / offeredSeconds,
    acceptedRate,
    accepted,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
    probes: counted.length,
    lost,
    early,
    late,
    lagP99: percentile(lags, 99),
    blockedMs,
    requestP50: percentile(
      sends.filter((s) => s.done).map((s) => s.done - s.sent),
      50,
    ),
    requestP99: percentile(
      sends.filter((s) => s.done).map((s) => s.done - s.sent),
      99,
    ),
    statuses,
    drainSeconds: (drainedAt - answeredAt) / 1000,
    scrapeP50: percentile(
      scrapes.map((s) => s.ms),
      50,
    ),
    scrapeP99: percentile(
      scrapes.map((s) => s.ms),
      99,
    ),
    scrapes: scrapes.length,
    scrapeBytes: scrapes.at(-1)?.bytes ?? Number.NaN,
    cpuCores: Object.fromEntries(Object.entries(cpuLoad).map(([k, v]) => [k, v / loadSeconds])),
    kafkaCores: kafkaCpu / loadSeconds,
    redisCores: (redis1.cpu - redisCpu0) / loadSeconds,
    machineCores: machineCpu / loadSeconds,
    clientCores: (self.user + self.system) / 1e6 / loadSeconds,
    memory,
    tailEvents: tailed.events,
    redisDelta: redis1.usedMemory - redis0.usedMemory,
    openDossiers: open,
    dossiers: stream.stats.dossiers + probes.length,
    keys,
    sustained: why.length === 0,
    why,
  };
}

async function countKeys(redis, ns) {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** One live tail of the replay API (follow=true), counting the events it receives. */
function replayTail(url, key) {
  const controller = new AbortController();
  let events = 0;
  const done = (async () => {
    try {
      const response = await fetch(`${url}/v1/events?follow=true`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
      if (response.status !== 200) throw new Error(`replay tail answered ${response.status}: ${await response.text()}`);
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        const text = decoder.decode(chunk, { stream: true });
        for (let i = text.indexOf('{"position":'); i !== -1; i = text.indexOf('{"position":', i + 1)) events += 1;
      }
    } catch (error) {
      if (error.name !== 'AbortError') log(`replay tail: ${error.message}`);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await done;
      return { events };
    },
  };
}

function report(runs, o) {
  const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');
  const rate = (x) => `${fmtInt(x)} ev/s`;
  const cores = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
  const mib = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MiB` : 'n/a');
  const sustained = runs.filter((r) => r.sustained).length;
  const lines = [
    `**Method.** Per run, fresh ingest, projector, archiver, exporter (CLOCK=wall) and replay API processes on their own topic (6 partitions), groups, Redis namespace and SQLite store; one live tail (\`follow=true\`) reads the replay API throughout. ` +
      `This process offers ${fmtInt(o.rate)} events/s to \`POST /v1/events\` as batches of ${o.batch} every ${((1000 * o.batch) / o.rate).toFixed(1)} ms on an open-loop schedule for ${o.duration} s (synthetic events over the last day, ${fmtInt(o.units)} units; at most ${o.maxInFlight} requests open). ` +
      `Every ${o.probeEvery} ms a batch carries one probe, a received dossier on one of ${o.probeUnits} probe units in turn; the exporter's /metrics is scraped back to back (at most every ${o.poll} ms) and a probe's freshness is from the start of its POST to the end of the first scrape whose 14-day \`dvc_dossiers_received\` of its unit counts it (probes of the first ${o.warmup} s not counted). ` +
      'The scrape time is part of the figure: it is what a Prometheus scraping at that moment would get.',
    '',
    TABLE_HEAD,
    row('Freshness p50 (POST → visible on /metrics)', runs, (r) => r.p50, ms),
    row('Freshness p90', runs, (r) => r.p90, ms),
    row('Freshness p99', runs, (r) => r.p99, ms),
    row('Freshness max', runs, (r) => r.max, ms),
    row('Freshness p50, first third of the probes → last third', runs, (r) => r.late, ms).replace(
      /\*\*(.+?)\*\*/,
      (m, x) => `**${ms(median(runs.map((r) => r.early)))} → ${x}**`,
    ),
    row('Probes counted / not visible at the end', runs, (r) => r.probes, fmtInt).replace(/ \|$/, ` (not visible: ${runs.map((r) => r.lost).join(' · ')}) |`),
    row('Offered rate', runs, (r) => r.offeredRate, rate),
    row('**Accepted rate** (202 answers)', runs, (r) => r.acceptedRate, rate),
    row('Sender behind schedule, p99', runs, (r) => r.lagP99, ms),
    row('POST latency p50 / p99', runs, (r) => r.requestP50, ms).replace(/\*\*(.+?)\*\*/, (m, x) => `**${x} / ${ms(median(runs.map((r) => r.requestP99)))}**`),
    row('Drain: last answer → every probe visible', runs, (r) => r.drainSeconds, fixed(1, 's')),
    row('Scrape of /metrics during the load, p50 / p99', runs, (r) => r.scrapeP50, ms).replace(
      /\*\*(.+?)\*\*/,
      (m, x) => `**${x} / ${ms(median(runs.map((r) => r.scrapeP99)))}**`,
    ),
    row('Scrape size at the end', runs, (r) => r.scrapeBytes, bytes),
    row('Events the replay tail received', runs, (r) => r.tailEvents, fmtInt),
  ];
  for (const name of SERVICES) lines.push(row(`CPU during the load: ${name} (of one core)`, runs, (r) => r.cpuCores[name], cores));
  lines.push(row('CPU during the load: Kafka broker', runs, (r) => r.kafkaCores, cores));
  lines.push(row('CPU during the load: redis-server', runs, (r) => r.redisCores, cores));
  lines.push(row('CPU during the load: this process (sender, scraper, replay tail)', runs, (r) => r.clientCores, cores));
  lines.push(row('CPU during the load: whole machine (cores busy)', runs, (r) => r.machineCores, fixed(2)));
  lines.push(
    '',
    sustained === runs.length
      ? `**Verdict.** ${fmtInt(o.rate)} events/s was sustained in every run (accepted ≥ 95 % of the offer, the sender on schedule, no refusal, every probe visible, freshness not growing).`
      : `**Verdict.** The system could **not** sustain ${fmtInt(o.rate)} events/s in ${runs.length - sustained} of ${runs.length} run(s): ${runs
          .filter((r) => !r.sustained)
          .map((r) => r.why.join('; '))
          .join(' | ')}.`,
  );
  const busiest = SERVICES.map((n) => [n, median(runs.map((r) => r.cpuCores[n]))]).sort((a, b) => b[1] - a[1])[0];
  lines.push(
    '',
    `**Bottleneck.** The busiest service was the ${busiest[0]} at ${cores(busiest[1])} of a core; the machine was ${median(runs.map((r) => r.machineCores)).toFixed(2)} cores busy. ` +
      `${busiest[1] >= 0.85 ? `The ${busiest[0]}'s single Node thread is the limit at this rate.` : 'No service saturated a core.'} ` +
      `${median(runs.map((r) => r.machineCores)) >= 0.9 * os.cpus().length ? `All ${os.cpus().length} cores were busy (services, Kafka, Redis, this process and anything else running), so the services competed for CPU: on this machine the whole pipeline together, not one service, is the limit. ` : ''}` +
      `${median(runs.map((r) => r.clientCores)) >= 0.85 ? 'This process (sender, scraper) used most of a core itself, so the load generator may be part of the limit. ' : ''}The back-to-back scrapes (p50 ${ms(median(runs.map((r) => r.scrapeP50)))}) bound the resolution of the freshness figure and cost exporter CPU of their own.`,
  );

  lines.push('', '### Memory under this load', '');
  lines.push(
    'VmRSS of each service sampled from /proc every second during the load and the drain (median and maximum of the samples), and VmHWM (peak) at the end. ' +
      'Redis: `used_memory` after the drain minus before the services started (the Redis server is shared, so other clients move it too), divided by the open dossiers the exporter reported last (`dvc_dossiers_open`, all states), and by all dossiers received.',
    '',
    TABLE_HEAD,
  );
  for (const name of SERVICES) {
    lines.push(
      row(`${name}: VmRSS median / max of samples`, runs, (r) => r.memory[name].medianMiB, mib).replace(
        /\*\*(.+?)\*\*/,
        (m, x) => `**${x} / ${mib(median(runs.map((r) => r.memory[name].maxMiB)))}**`,
      ),
    );
    lines.push(row(`${name}: VmHWM (peak)`, runs, (r) => r.memory[name].hwmMiB, mib));
  }
  lines.push(row('Redis `used_memory` delta', runs, (r) => r.redisDelta, fmtMiB));
  lines.push(row('Open dossiers at the end', runs, (r) => r.openDossiers, fmtInt));
  lines.push(row('**Redis memory per open dossier**', runs, (r) => r.redisDelta / r.openDossiers, bytes));
  lines.push(row('Redis memory per dossier received (open or not)', runs, (r) => r.redisDelta / r.dossiers, bytes));
  lines.push(row('Redis keys in the namespace', runs, (r) => r.keys, fmtInt));
  return lines.join('\n');
}
