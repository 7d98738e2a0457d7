#!/usr/bin/env node
// Ingest throughput: accepted events/s and request latency of POST /v1/events with batches of
// several sizes from N concurrent clients, against the real services/ingest process.
import { count, countList, fmtInt, kafkaPid, log, machineBusySeconds, percentile, procCpuSeconds, sleep } from './lib/common.mjs';
import { createEventStream } from './lib/events.mjs';
import { TABLE_HEAD, fixed, row, runBench } from './lib/runner.mjs';
import { assertRunning, benchProducerKey, benchServiceEnv, requireBuilt, startService } from './lib/services.mjs';

const HELP = `Usage: node scripts/bench/ingest.mjs [options]    (or: npm run bench -- --only ingest)

Ingest throughput. Starts services/ingest/dist/main.js on a topic of its own, then for each
batch size runs --clients closed-loop clients (each posts its next batch as soon as the previous
one is answered) for --duration seconds: accepted events/s (202 answers), request latency
p50/p99, refusals, and the CPU of the ingest process and the Kafka broker per event. Bodies are
application/cloudevents-batch+json arrays of valid synthetic events, each id made unique.

Options:
  --batches LIST    events per request (default 100,500,1000)
  --clients N       concurrent clients (default 8; quick: 2)
  --duration S      seconds per batch size and run (default 20; quick: 3)
  --partitions P    partitions of the topic (default 6)`;

await runBench({
  name: 'ingest',
  title: 'Ingest throughput',
  help: HELP,
  options: {
    batches: { type: 'string', default: '100,500,1000' },
    clients: { type: 'string', default: '8', quick: '2' },
    duration: { type: 'string', default: '20', quick: '3' },
    partitions: { type: 'string', default: '6' },
  },
  async main(ctx) {
    requireBuilt('ingest', 'cli');
    const { opts } = ctx;
    const batches = countList('batches', opts.batches);
    const clients = count('clients', opts.clients);
    const duration = count('duration', opts.duration);
    const partitions = count('partitions', opts.partitions);
    const env = benchServiceEnv(ctx, { partitions });
    ctx.ownTopic(env.EVENTS_TOPIC);
    ctx.ownTopic(env.DLQ_TOPIC);
    const producer = benchProducerKey(ctx);
    const ingest = await startService(ctx, 'ingest', { ...env, ...producer.env });

    // A pool of valid events; each posted copy gets a unique id prefix.
    const pool = createEventStream({ total: Math.max(...batches) * 4, units: 160, tag: ctx.tag })
      .next(Math.max(...batches) * 4)
      .map((m) => m.value);
    let seq = 0;
    const body = (size) => {
      const start = (seq * size) % (pool.length - size);
      const n = seq++;
      const parts = new Array(size);
      for (let i = 0; i < size; i++) parts[i] = pool[start + i].replace('"id":"', `"id":"b${n}.`);
      return `[${parts.join(',')}]`;
    };
    const post = async (size) => {
      const payload = body(size);
      const t0 = performance.now();
      const response = await fetch(`${ingest.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json', ...producer.headers },
        body: payload,
      });
      const text = await response.text();
      return {
        ms: performance.now() - t0,
        status: response.status,
        accepted: response.status === 202 ? JSON.parse(text).accepted : 0,
        bytes: payload.length,
        text,
      };
    };
    const warm = await post(batches[0]);
    if (warm.status !== 202) throw new Error(`warm-up POST answered ${warm.status}: ${warm.text.slice(0, 500)}`);

    const runs = [];
    for (let run = 1; run <= opts.runs; run++) {
      const result = {};
      for (const size of batches) {
        result[size] = await load(ingest, post, size, clients, duration);
        assertRunning([ingest]);
        const r = result[size];
        log(`run ${run}, batches of ${size}: ${fmtInt(r.rate)} ev/s accepted, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ${r.refused} refused`);
      }
      runs.push(result);
    }

    const rate = (x) => `${fmtInt(x)} ev/s`;
    const ms = (x) => `${x.toFixed(0)} ms`;
    const us = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} µs` : 'n/a');
    const cores = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
    const lines = [
      `**Method.** The real ingest (\`services/ingest/dist/main.js\`: validation, one Kafka transaction per request, idempotent producer, acks from all in-sync replicas) on topic \`${env.EVENTS_TOPIC}\` (${partitions} partitions, deleted afterwards). ` +
        `${clients} closed-loop clients in this process (Node fetch, keep-alive) post for ${duration} s per batch size; events/s counts the \`accepted\` of 202 answers over the whole interval. Synthetic events (${Math.round(pool.reduce((s, v) => s + v.length, 0) / pool.length)} B average).`,
      '',
      TABLE_HEAD,
    ];
    /** Per batch size: what each row shows, the figure of one run, and its format. */
    const measures = [
      ['accepted events/s', (m) => m.rate, rate],
      ['requests/s', (m) => m.requestRate, fixed(1)],
      ['latency p50', (m) => m.p50, ms],
      ['latency p99', (m) => m.p99, ms],
      ['refused requests (non-202)', (m) => m.refused, fmtInt],
      ['ingest CPU per event', (m) => m.ingestUsPerEvent, us],
      ['ingest CPU (of one core)', (m) => m.ingestCores, cores],
      ['Kafka broker CPU (of one core)', (m) => m.kafkaCores, cores],
      ['client (this process) CPU (of one core)', (m) => m.clientCores, cores],
      ['whole machine busy (cores)', (m) => m.machineCores, fixed(2)],
    ];
    for (const size of batches) {
      for (const [label, figure, fmt] of measures) lines.push(row(`Batches of ${fmtInt(size)}: ${label}`, runs, (r) => figure(r[size]), fmt));
    }
    const last = runs.map((r) => r[batches[batches.length - 1]]);
    const med = (f) => percentile(last.map(f), 50);
    const statuses = [...new Set(runs.flatMap((r) => batches.flatMap((b) => Object.keys(r[b].statuses))))].filter((s) => s !== '202');
    lines.push(
      '',
      `**Bottleneck.** With batches of ${fmtInt(batches[batches.length - 1])}, the ingest process used ${cores(med((m) => m.ingestCores))} of a core, the broker ${cores(med((m) => m.kafkaCores))}, the clients ${cores(med((m) => m.clientCores))}, the whole machine ${med((m) => m.machineCores).toFixed(2)} cores: ` +
        `${med((m) => m.ingestCores) >= 0.85 ? "the ingest's single Node thread (JSON parsing and validation) is the limit; more instances behind a load balancer scale it" : med((m) => m.machineCores) >= 1.8 ? 'the machine is saturated (all processes share its cores), so the figure is a floor' : 'no process saturates a core; the per-request Kafka transaction (commit round trips) bounds each client, so more clients or bigger batches raise the rate'}.` +
        (statuses.length > 0 ? ` Non-202 answers seen: ${statuses.join(', ')}.` : ''),
    );
    return { markdown: lines.join('\n'), raw: { batches, clients, duration, partitions, runs } };
  },
});

/** `clients` closed loops posting batches of `size` for `duration` seconds. */
async function load(ingest, post, size, clients, duration) {
  const latencies = [];
  const statuses = {};
  let accepted = 0;
  let refused = 0;
  const kpid = kafkaPid();
  const cpu0 = procCpuSeconds(ingest.pid);
  const kafka0 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + duration * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const r = await post(size);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 202) {
          accepted += r.accepted;
          latencies.push(r.ms);
        } else {
          refused += 1;
          if (r.status === 503 || r.status === 429) await sleep(200);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = procCpuSeconds(ingest.pid) - cpu0;
  const kafka1 = kpid === undefined ? undefined : procCpuSeconds(kpid);
  const machine1 = machineBusySeconds();
  const self = process.cpuUsage(self0);
  return {
    rate: accepted / seconds,
    requestRate: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    refused,
    statuses,
    accepted,
    seconds,
    ingestCores: cpu / seconds,
    ingestUsPerEvent: accepted > 0 ? (cpu * 1e6) / accepted : Number.NaN,
    kafkaCores: kafka0 === undefined || kafka1 === undefined ? Number.NaN : (kafka1 - kafka0) / seconds,
    clientCores: (self.user + self.system) / 1e6 / seconds,
    machineCores: machine0 === undefined || machine1 === undefined ? Number.NaN : (machine1 - machine0) / seconds,
  };
}
