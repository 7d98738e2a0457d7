#!/usr/bin/env node
// Rebuild from the event store: `dvc rebuild --no-switch` as a process on a pre-filled SQLite
// store, next to the raw store read rate (store.read in pages).
import { spawn } from 'node:child_process';
import { count, dropKeys, fmtInt, log, median, procCpuSeconds, procStatusKb, sleep } from './lib/common.mjs';
import { TABLE_HEAD, fixed, row, runBench } from './lib/runner.mjs';
import { SYNTHETIC_UNITS_ENV, requireBuilt, serviceMain } from './lib/services.mjs';
import { STORE_HELP, STORE_OPTIONS, benchEvents, fillStore, storeSource } from './lib/store.mjs';

const HELP = `Usage: node scripts/bench/rebuild.mjs [options]    (or: npm run bench -- --only rebuild)

Rebuild from the event store. Fills a SQLite store of its own through @dvc/eventstore's
append, then per run:
  - runs \`node services/cli/dist/main.js rebuild --no-switch\` as a process into a fresh
    namespace (the live one is empty, so the comparison lists differences: exit 1 is expected)
    and reads the events/s the CLI prints for the apply phase, next to the whole command's time;
  - reads the whole store in-process with store.read({ after, limit }) pages, for the raw rate.

Options:
${STORE_HELP}
  --batch N         the CLI's --batch (events per batch; default 40000, the CLI's own)
  --pages LIST      page sizes of the raw read (default 500,2000)`;

await runBench({
  name: 'rebuild',
  title: 'Rebuild from the event store',
  help: HELP,
  options: { ...STORE_OPTIONS, batch: { type: 'string', default: '40000' }, pages: { type: 'string', default: '500,2000' } },
  async main(ctx) {
    requireBuilt('cli');
    const { opts } = ctx;
    const batch = count('batch', opts.batch);
    const pages = opts.pages.split(',').map((p) => count('pages', p.trim()));
    const events = await benchEvents(storeSource(opts, count, ctx.tag));
    const store = await fillStore(ctx, events);
    ctx.onCleanup(async () => {
      const n = await dropKeys(ctx.redis, `${ctx.prefix}*`);
      if (n > 0) log(`redis: removed ${fmtInt(n)} keys under ${ctx.prefix}`);
    });
    const { openEventStore } = await import('@dvc/eventstore');

    const runs = [];
    for (let run = 1; run <= opts.runs; run++) {
      const base = `${ctx.prefix}-r${run}`;
      const cli = await rebuildProcess(ctx, store.url, base, batch);
      if (cli.applied !== store.events) throw new Error(`rebuild applied ${cli.applied} events, the store holds ${store.events}`);
      const removed = await dropKeys(ctx.redis, `${base}*`);
      const reads = {};
      for (const page of pages) reads[page] = await rawRead(openEventStore, store.url, page, store.events);
      runs.push({ ...cli, keys: removed, reads });
      log(
        `run ${run}: rebuild apply ${fmtInt(cli.applyRate)} ev/s, whole command ${cli.wallSeconds.toFixed(1)} s; raw read ${pages.map((p) => `${p}: ${fmtInt(reads[p].rate)} ev/s`).join(', ')}`,
      );
    }

    const rate = (x) => `${fmtInt(x)} ev/s`;
    const sec = (x) => `${x.toFixed(1)} s`;
    const lines = [
      `**Method.** A SQLite store of this run's own (\`.run/bench/…\`, deleted afterwards) filled with ${fmtInt(store.events)} ${opts.source === 'scenario' ? 'events of the Bình Phước 2022 scenario (`@dvc/scenario`, seed 2022)' : 'synthetic events (scripts/bench/lib/events.mjs)'} through \`openEventStore(url).append\` in batches of 5,000 (${fmtInt(store.rate)} ev/s; ${(store.bytes / 1024 / 1024).toFixed(0)} MiB on disk). ` +
        `Each run: \`node services/cli/dist/main.js rebuild --no-switch --namespace <fresh> --eventstore <store> --batch ${batch}\` as a process (the apply rate is the one the CLI prints: events / time from first read to last write; the command then scrapes and compares the new namespace with the empty live one, which lists differences, so it exits 1), then the store read in-process with \`read({ after, limit })\` pages until empty.`,
      '',
      TABLE_HEAD,
      row("Rebuild: events applied per second (the CLI's own figure)", runs, (r) => r.applyRate, rate),
      row('Rebuild: apply phase', runs, (r) => r.applySeconds, sec),
      row('Rebuild: whole command (start, apply, scrape and compare, exit)', runs, (r) => r.wallSeconds, sec),
      row('Rebuild: whole command, events per second', runs, (r) => store.events / r.wallSeconds, rate),
      row('Rebuild: CLI CPU (user+sys, last /proc sample) per event', runs, (r) => (r.cpuSeconds * 1e6) / store.events, fixed(1, 'µs')),
      row(
        'Rebuild: CLI CPU during the whole command (of one core)',
        runs,
        (r) => r.cpuSeconds / r.wallSeconds,
        (x) => `${(x * 100).toFixed(0)} %`,
      ),
      row('Rebuild: CLI peak RSS (VmHWM, last /proc sample)', runs, (r) => r.hwmMiB, fixed(0, 'MiB')),
      row('Rebuild: Redis keys written', runs, (r) => r.keys, fmtInt),
      ...pages.map((p) => row(`Raw store read, pages of ${fmtInt(p)} (in-process, no projection)`, runs, (r) => r.reads[p].rate, rate)),
      '',
      `**Bottleneck.** The rebuild applies with the projector's own path (\`OwnedStates\` in 4 lanes by routing key: states held in memory, receipts not read, pure reducers evolving states in place, one \`owned.lua\` write per unit and lane) and runs ${(median(runs.map((r) => r.reads[pages[pages.length - 1]].rate)) / median(runs.map((r) => r.applyRate))).toFixed(0)}× below the raw read rate, so reading the store is not what limits it. ` +
        `The CLI process used ${(median(runs.map((r) => r.cpuSeconds / r.wallSeconds)) * 100).toFixed(0)} % of a core over the command: near or above 100 % (V8 garbage collection threads count too) means its Node thread (projection, building the Redis scripts) is the limit; well below means it waits on Redis round trips or on a busy machine.`,
    ];
    return { markdown: lines.join('\n'), raw: { store: { events: store.events, bytes: store.bytes, fillRate: store.rate, source: opts.source }, runs } };
  },
});

/** One `dvc rebuild --no-switch` process; parses its "applied N events ... (R/s)" line. */
async function rebuildProcess(ctx, url, base, batch) {
  const args = [serviceMain('cli'), 'rebuild', '--no-switch', '--namespace', base, '--eventstore', url, '--batch', String(batch), '--max-diffs', '0'];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...SYNTHETIC_UNITS_ENV, NODE_OPTIONS: '', REDIS_URL: ctx.env.redisUrl, KAFKA_BROKERS: ctx.env.kafkaBrokers, RETENTION_DAYS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ctx.onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    process.stderr.write(d);
  });
  let cpuSeconds = 0;
  let hwmKb = 0;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exit;
  void exited.then((e) => (exit = e));
  while (exit === undefined) {
    cpuSeconds = procCpuSeconds(child.pid) ?? cpuSeconds;
    hwmKb = procStatusKb(child.pid, 'VmHWM') ?? hwmKb;
    await Promise.race([exited, sleep(250)]);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const m = /applied (\d+) events \(last position \d+\) in (\S+?)(?: \((\d+)\/s\))?\n/.exec(stdout);
  if (exit.code !== 0 && exit.code !== 1) throw new Error(`dvc rebuild exited with ${exit.code ?? exit.signal}:\n${stdout}${stderr}`);
  if (!m) throw new Error(`dvc rebuild printed no "applied N events" line (exit ${exit.code}):\n${stdout}${stderr}`);
  const applied = Number(m[1]);
  const applyRate = m[3] === undefined ? Number.NaN : Number(m[3]);
  return {
    applied,
    applyRate,
    applySeconds: applied / applyRate,
    wallSeconds,
    exitCode: exit.code,
    cpuSeconds,
    hwmMiB: hwmKb / 1024,
    summary: stdout.trim().split('\n').slice(0, 4),
  };
}

/** Reads the whole store in pages of `page` in-process; the raw rate without projection. */
async function rawRead(openEventStore, url, page, expected) {
  const store = openEventStore(url);
  try {
    const t0 = performance.now();
    let after = 0;
    let n = 0;
    for (;;) {
      const batch = await store.read({ after, limit: page });
      if (batch.length === 0) break;
      n += batch.length;
      after = batch[batch.length - 1].position;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (n !== expected) throw new Error(`raw read returned ${n} events, expected ${expected}`);
    return { rate: n / seconds, seconds };
  } finally {
    await store.close();
  }
}
