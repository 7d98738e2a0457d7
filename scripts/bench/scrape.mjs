#!/usr/bin/env node
// Scrape cost of the exporter's /metrics with many units: a namespace filled with the
// projections of --units units through applyEvents, then timed sequential scrapes, each after
// --changed-pct % of the units received new events.
import { loadavg } from 'node:os';
import { count, dropNamespace, fmtInt, log, median, percentile, procCpuSeconds, redisStats, timedScrape } from './lib/common.mjs';
import { createEventStream } from './lib/events.mjs';
import { progressBar } from './lib/progress.mjs';
import { TABLE_HEAD, bytes, row, runBench } from './lib/runner.mjs';
import { SYNTHETIC_UNITS_ENV, assertRunning, requireBuilt, startService } from './lib/services.mjs';

const DAY = 86_400_000;

const HELP = `Usage: node scripts/bench/scrape.mjs [options]    (or: npm run bench -- --only scrape)

Scrape cost of /metrics. Fills a Redis namespace of its own with the projections of --units
units (synthetic dossier life cycles, payments and reports over the last 13 days, so the 14-day
window is populated) through applyEvents from @dvc/redis, starts services/exporter/dist/main.js
on it (wall clock), and times the first scrape (empty cache, cold code) and per run --scrapes
sequential GET /metrics, each after --changed-pct % of the units (a different random choice each
time) received new events through the same write path (not timed): latency p50/p95/p99, bytes,
series, and the exporter's CPU per scrape (from /proc, around each scrape only).

Options:
  --units U             units with a projection (default 1000; quick: 50)
  --events-per-unit E   events per unit on average (default 60; quick: 20)
  --scrapes N           scrapes per run (default 30; quick: 10)
  --changed-pct P       percent of the units changed before each scrape (default 5; 0: none)
  --period-days D       the exporter's EXPORTER_PERIOD_DAYS_AFTER_END (default: the exporter's own;
                        36500 exports every fixed period of targets.json, as before it existed)`;

await runBench({
  name: 'scrape',
  title: 'Exporter scrape cost',
  help: HELP,
  options: {
    units: { type: 'string', default: '1000', quick: '50' },
    'events-per-unit': { type: 'string', default: '60', quick: '20' },
    scrapes: { type: 'string', default: '30', quick: '10' },
    'changed-pct': { type: 'string', default: '5' },
    'period-days': { type: 'string' },
  },
  async main(ctx) {
    requireBuilt('exporter');
    const { opts, redis } = ctx;
    const units = count('units', opts.units);
    const total = units * count('events-per-unit', opts['events-per-unit']);
    const scrapes = count('scrapes', opts.scrapes, 2);
    const changedPct = Number(opts['changed-pct']);
    if (!(changedPct >= 0 && changedPct <= 100)) throw new Error(`--changed-pct must be 0 to 100, got '${opts['changed-pct']}'`);
    const ns = ctx.prefix;
    ctx.onCleanup(async () => log(`redis: removed ${fmtInt(await dropNamespace(redis, ns))} keys of ${ns}`));
    const fill = await fillProjection(ns, { units, total, tag: ctx.tag, redis });
    const loadAtStart = loadavg();
    const periodDays = opts['period-days'] === undefined ? {} : { EXPORTER_PERIOD_DAYS_AFTER_END: String(count('period-days', opts['period-days'], 0)) };
    const exporter = await startService(ctx, 'exporter', {
      ...SYNTHETIC_UNITS_ENV,
      ...periodDays,
      REDIS_URL: ctx.env.redisUrl,
      REDIS_NAMESPACE: ns,
      CLOCK: 'wall',
    });
    const coldCpu0 = procCpuSeconds(exporter.pid);
    const cold = await scrapeOnce(exporter.url); // the first: empty cache, code not yet compiled
    const coldCpuMs = (procCpuSeconds(exporter.pid) - coldCpu0) * 1000;
    log(`first scrape: ${cold.ms.toFixed(0)} ms, CPU ${coldCpuMs.toFixed(0)} ms, ${fmtInt(cold.series)} series`);
    const unitIds = await (async () => {
      const { Keys, listUnits } = await import('@dvc/read-model');
      return listUnits(redis, new Keys(ns));
    })();
    let round = 0;
    const changeSome = () => changeUnits(ns, { redis, unitIds, share: changedPct / 100, tag: `${ctx.tag}c${++round}`, seed: round });

    const runs = [];
    for (let run = 1; run <= opts.runs; run++) {
      const bar = progressBar(`scrape  #${run}`, scrapes);
      const times = [];
      let last;
      let cpu = 0;
      let redisCpu = 0;
      let busy = 0;
      let changed = 0;
      for (let i = 0; i < scrapes; i++) {
        changed += await changeSome();
        const cpu0 = procCpuSeconds(exporter.pid);
        const redis0 = await redisStats(redis);
        last = await scrapeOnce(exporter.url);
        cpu += procCpuSeconds(exporter.pid) - cpu0;
        redisCpu += (await redisStats(redis)).cpu - redis0.cpu;
        busy += last.ms / 1000;
        times.push(last.ms);
        bar.update(i + 1);
      }
      const wall = busy;
      bar.done();
      assertRunning([exporter]);
      const unitsSeen = new Set([...last.text.matchAll(/^dvc_dossiers_received\{unit="([^"]+)"/gm)].map((m) => m[1])).size;
      runs.push({
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        p99: percentile(times, 99),
        changedPerScrape: changed / scrapes,
        recomputedPerScrape: last.recomputed,
        max: Math.max(...times),
        bytes: last.bytes,
        series: last.series,
        dvcSeries: last.dvcSeries,
        unitsSeen,
        cpuMsPerScrape: (cpu * 1000) / scrapes,
        cpuCores: cpu / wall,
        redisCpuMsPerScrape: (redisCpu * 1000) / scrapes,
      });
      log(
        `run ${run}: p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, ${fmtInt(last.bytes)} B, ${fmtInt(last.series)} series, CPU ${((cpu * 1000) / scrapes).toFixed(1)} ms/scrape`,
      );
    }
    const ms = (x) => `${x.toFixed(1)} ms`;
    const lines = [
      `**Method.** Namespace \`${ns}\` (deleted afterwards) filled through \`applyEvents\` (@dvc/redis, the projector's write path) with ${fmtInt(fill.events)} synthetic events over the last 13 days for ${fmtInt(fill.units)} units (${fmtInt(fill.dossiers)} dossiers; ${fmtInt(fill.rate)} ev/s in-process). ` +
        `The real exporter (\`services/exporter/dist/main.js\`, CLOCK=wall) serves it; the first scrape after its start (empty cache, code not compiled yet) took ${ms(cold.ms)} and ${ms(coldCpuMs)} of exporter CPU (${fmtInt(cold.series)} series, ${fmtInt(cold.bytes)} B). Then ${fmtInt(scrapes)} sequential \`GET /metrics\` per run from this process, each after ${changedPct} % of the units (${fmtInt(Math.round((unitIds.length * changedPct) / 100))}, chosen at random each time) received new events through \`applyEvents\` (not timed). CPU is the exporter process's user+sys time from /proc around each scrape. Load average at the start: ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min).`,
      '',
      TABLE_HEAD,
      row('Scrape latency p50', runs, (r) => r.p50, ms),
      row('Scrape latency p95', runs, (r) => r.p95, ms),
      row('Scrape latency p99', runs, (r) => r.p99, ms),
      row('Scrape latency max', runs, (r) => r.max, ms),
      row('Exporter CPU per scrape', runs, (r) => r.cpuMsPerScrape, ms),
      row(
        'Exporter CPU while scraped back to back (of one core)',
        runs,
        (r) => r.cpuCores,
        (x) => `${(x * 100).toFixed(0)} %`,
      ),
      row('Redis CPU per scrape (redis-server used_cpu delta; shared server, approximate)', runs, (r) => r.redisCpuMsPerScrape, ms),
      row('Response size', runs, (r) => r.bytes, bytes),
      row('Series (all)', runs, (r) => r.series, fmtInt),
      row('Series `dvc_*`', runs, (r) => r.dvcSeries, fmtInt),
      row('Units with `dvc_dossiers_received` series', runs, (r) => r.unitsSeen, fmtInt),
      row('Units changed before each scrape (mean)', runs, (r) => r.changedPerScrape, fmtInt),
      row('Units the exporter computed again at the last scrape (`dvc_exporter_units_recomputed`)', runs, (r) => r.recomputedPerScrape ?? Number.NaN, fmtInt),
      '',
      `**Bottleneck.** ${(() => {
        const cpu = median(runs.map((r) => r.cpuMsPerScrape));
        const p50 = median(runs.map((r) => r.p50));
        return `The exporter spends ${cpu.toFixed(0)} ms of CPU for a ${p50.toFixed(0)} ms scrape (p50): ${cpu >= 0.7 * p50 ? "the scrape is CPU-bound in the exporter (reading every unit's snapshot from Redis, computing the windows and rendering the exposition text)" : "most of the scrape is spent waiting, on Redis reads or on a busy machine, not in the exporter's own CPU"}. With Prometheus scraping every 15 s this is ${((100 * cpu) / 15_000).toFixed(1)} % of a core.`;
      })()}`,
    ];
    return {
      markdown: lines.join('\n'),
      raw: { units, fill, scrapes, changedPct, loadAtStart, cold: { ms: cold.ms, cpuMs: coldCpuMs, series: cold.series, bytes: cold.bytes }, runs },
    };
  },
});

/** A timed scrape, with the exporter's own count of the units it recomputed. */
async function scrapeOnce(url) {
  const scraped = await timedScrape(url);
  const recomputed = /^dvc_exporter_units_recomputed (\S+)$/m.exec(scraped.text);
  return { ...scraped, recomputed: recomputed === null ? undefined : Number(recomputed[1]) };
}

/**
 * New events for `share` of the units (a random choice, at least one unit when share > 0),
 * through applyEvents as the projector writes. Returns how many units received some.
 */
async function changeUnits(ns, { redis, unitIds, share, tag, seed }) {
  const chosen = [];
  const want = share === 0 ? 0 : Math.max(1, Math.round(unitIds.length * share));
  const pool = [...unitIds];
  for (let i = 0; i < want && pool.length > 0; i++) chosen.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]);
  if (chosen.length === 0) return 0;
  const { loadReferenceData, projectionRules } = await import('@dvc/config');
  const { validateEvent } = await import('@dvc/domain');
  const { ProjectionStore, applyEvents } = await import('@dvc/redis');
  const rules = projectionRules(loadReferenceData(), { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 });
  let next = 0;
  // Each new dossier, payment or report goes to the next chosen unit in turn: two events per unit.
  const stream = createEventStream({
    total: 2 * chosen.length,
    tag,
    seed,
    startMs: Date.now() - 3_600_000,
    spanMs: 1_800_000,
    pickUnit: () => chosen[next++ % chosen.length],
  });
  const batch = stream.next(2 * chosen.length).map((m) => {
    const r = validateEvent(JSON.parse(m.value));
    if (!r.ok) throw new Error(`generated event is invalid: ${JSON.stringify(r.problems)}`);
    return r.event;
  });
  await applyEvents(new ProjectionStore(redis, ns), batch, rules.ctxAt(Date.now()), Date.now, rules.expireAt);
  return new Set(batch.map((e) => e.unitid)).size;
}

/** Projections of `units` units through applyEvents, as the projector writes them. */
async function fillProjection(ns, { units, total, tag, redis }) {
  const { loadReferenceData, projectionRules } = await import('@dvc/config');
  const { validateEvent } = await import('@dvc/domain');
  const { ProjectionStore, applyEvents } = await import('@dvc/redis');
  const rules = projectionRules(loadReferenceData(), { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 });
  const store = new ProjectionStore(redis, ns);
  // Business times over the last 13 days up to an hour ago: all inside today's 14-day window.
  const stream = createEventStream({ total, units, tag, startMs: Date.now() - 13 * DAY, spanMs: 13 * DAY - 3_600_000 });
  const bar = progressBar('projection', total);
  const t0 = performance.now();
  for (let done = 0; done < total;) {
    const batch = stream.next(5000).map((m) => {
      const r = validateEvent(JSON.parse(m.value));
      if (!r.ok) throw new Error(`generated event is invalid: ${JSON.stringify(r.problems)}`);
      return r.event;
    });
    const now = Date.now();
    await applyEvents(store, batch, rules.ctxAt(now), Date.now, rules.expireAt);
    done += batch.length;
    bar.update(done);
  }
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const filled = (await store.units()).length;
  if (filled !== units) log(`note: ${filled} of ${units} units received events (skewed unit sizes); raise --events-per-unit for all`);
  return { events: total, units: filled, dossiers: stream.stats.dossiers, rate: total / seconds };
}
