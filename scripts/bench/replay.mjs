#!/usr/bin/env node
// Replay API streaming speed: the whole store as NDJSON over HTTP from the real
// services/replay-api process, paging with limit and tokens vs one long request.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { count, countList, fmtInt, log, median, procCpuSeconds } from './lib/common.mjs';
import { TABLE_HEAD, fixed, row, runBench } from './lib/runner.mjs';
import { assertRunning, requireBuilt, serviceMain, startService } from './lib/services.mjs';
import { STORE_HELP, STORE_OPTIONS, benchEvents, fillStore, storeSource } from './lib/store.mjs';

const HELP = `Usage: node scripts/bench/replay.mjs [options]    (or: npm run bench -- --only replay)

Replay API streaming speed. Fills a SQLite store of its own, creates an API key for every unit
and type with \`dvc keys create\` (a keys file of its own), starts services/replay-api/dist/main.js
on it, and per run streams the whole history as NDJSON:
  - paged: GET /v1/events?limit=L, then &after=<token of the end line>, until end=caught-up,
    for each page size L;
  - one request: GET /v1/events?follow=true (no limit), read until the first heartbeat line
    (sent once the tail has caught up), then disconnect.
Events/s and MB/s of response bodies, requests, and the replay API's CPU per event.

Options:
${STORE_HELP}
  --limits LIST     page sizes of the paged reads, 1..10000 (default 1000,10000)
  --batch N         REPLAY_BATCH_SIZE of the service (events per store read; default 500)`;

await runBench({
  name: 'replay',
  title: 'Replay API streaming',
  help: HELP,
  options: { ...STORE_OPTIONS, limits: { type: 'string', default: '1000,10000' }, batch: { type: 'string', default: '500' } },
  async main(ctx) {
    requireBuilt('replay-api', 'cli');
    const { opts } = ctx;
    const limits = countList('limits', opts.limits);
    if (limits.some((l) => l > 10_000)) throw new Error('--limits: the replay API takes 1..10000 per page');
    const batch = count('batch', opts.batch);
    const events = await benchEvents(storeSource(opts, count, ctx.tag));
    const store = await fillStore(ctx, events);
    events.length = 0;

    const keysFile = join(ctx.workDir, 'keys.json');
    const key = execFileSync(
      process.execPath,
      [serviceMain('cli'), 'keys', 'create', '--id', 'bench', '--units', '*', '--types', '*', '--rate', '100000', '--file', keysFile],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    ).trim();
    if (!/^\S{20,}$/.test(key)) throw new Error(`dvc keys create printed no key: '${key}'`);
    const api = await startService(ctx, 'replay-api', {
      EVENTSTORE_URL: store.url,
      REPLAY_KEYS_FILE: keysFile,
      REPLAY_TOKEN_SECRETS: randomBytes(24).toString('hex'),
      REPLAY_BATCH_SIZE: String(batch),
    });
    const get = (query, signal) => fetch(`${api.url}/v1/events?${query}`, { headers: { authorization: `Bearer ${key}` }, signal });

    const runs = [];
    for (let run = 1; run <= opts.runs; run++) {
      const result = { paged: {} };
      for (const limit of limits) {
        result.paged[limit] = await measure(api, () => paged(get, limit));
        if (result.paged[limit].events !== store.events)
          throw new Error(`paged (limit ${limit}) streamed ${result.paged[limit].events} events, the store holds ${store.events}`);
      }
      result.single = await measure(api, () => single(get));
      if (result.single.events !== store.events) throw new Error(`one request streamed ${result.single.events} events, the store holds ${store.events}`);
      assertRunning([api]);
      runs.push(result);
      log(
        `run ${run}: ${limits.map((l) => `limit ${l}: ${fmtInt(result.paged[l].rate)} ev/s`).join(', ')}, one request: ${fmtInt(result.single.rate)} ev/s, ${result.single.mbps.toFixed(1)} MB/s`,
      );
    }

    const rate = (x) => `${fmtInt(x)} ev/s`;
    const mbps = (x) => `${x.toFixed(1)} MB/s`;
    const cores = (x) => `${(x * 100).toFixed(0)} %`;
    const us = (x) => `${x.toFixed(1)} µs`;
    const lines = [
      `**Method.** The real \`services/replay-api\` process (REPLAY_BATCH_SIZE=${batch}) on a SQLite store of this run's own holding ${fmtInt(store.events)} ${opts.source === 'scenario' ? 'Bình Phước 2022 scenario events' : 'synthetic events'} (${(store.bytes / 1024 / 1024).toFixed(0)} MiB), one API key for every unit and type made with \`dvc keys create\`. ` +
        'The client (this process, Node fetch) counts lines and keeps only the last one of each response; MB/s counts response body bytes (1 MB = 10^6 B). Paged: `limit=L` then `after=<token of the end line>` until `end` is `caught-up`. One request: `follow=true`, cut at the first heartbeat (the tail has caught up).',
      '',
      TABLE_HEAD,
    ];
    /** Per page size: what each row shows, the figure of one run, and its format. */
    const measures = [
      ['events/s', (m) => m.rate, rate],
      ['MB/s', (m) => m.mbps, mbps],
      ['requests', (m) => m.requests, fmtInt],
      ['replay API CPU per event', (m) => m.apiUsPerEvent, us],
      ['replay API CPU (of one core)', (m) => m.apiCores, cores],
    ];
    for (const limit of limits) {
      for (const [label, figure, fmt] of measures) lines.push(row(`Paged, limit=${fmtInt(limit)}: ${label}`, runs, (r) => figure(r.paged[limit]), fmt));
    }
    lines.push(row('One request (follow=true until caught up): events/s', runs, (r) => r.single.rate, rate));
    lines.push(row('One request: MB/s', runs, (r) => r.single.mbps, mbps));
    lines.push(row('One request: time to first byte', runs, (r) => r.single.firstByteMs, fixed(0, 'ms')));
    lines.push(row('One request: replay API CPU per event', runs, (r) => r.single.apiUsPerEvent, us));
    lines.push(row('One request: replay API CPU (of one core)', runs, (r) => r.single.apiCores, cores));
    lines.push(row('One request: client (this process) CPU (of one core)', runs, (r) => r.single.clientCores, cores));
    const apiCores = median(runs.map((r) => r.single.apiCores));
    const clientCores = median(runs.map((r) => r.single.clientCores));
    lines.push(
      '',
      `**Bottleneck.** During the one long request the replay API used ${cores(apiCores)} of a core and the client ${cores(clientCores)}; ` +
        `${apiCores >= 0.8 ? "the service's single Node thread (store reads, JSON lines, tokens) is the limit" : clientCores >= 0.8 ? 'the client is the limit, so the service may go faster than shown' : 'neither process saturates a core, so the limit is elsewhere (the shared machine, SQLite I/O or socket backpressure)'}. ` +
        'Small pages pay one request (authentication, rate limit, query parsing, a fresh store read) per page.',
    );
    return { markdown: lines.join('\n'), raw: { store: { events: store.events, bytes: store.bytes, source: opts.source }, limits, batch, runs } };
  },
});

/** Runs one streaming read and adds rates and the CPU of the replay API and of this process. */
async function measure(api, read) {
  const cpu0 = procCpuSeconds(api.pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await read();
  const seconds = (performance.now() - t0) / 1000;
  const apiCpu = procCpuSeconds(api.pid) - cpu0;
  const self = process.cpuUsage(self0);
  return {
    ...out,
    seconds,
    rate: out.events / seconds,
    mbps: out.bytes / 1e6 / seconds,
    apiCores: apiCpu / seconds,
    apiUsPerEvent: (apiCpu * 1e6) / out.events,
    clientCores: (self.user + self.system) / 1e6 / seconds,
  };
}

/**
 * Reads one NDJSON response: counts event lines and bytes, keeps the last line; with
 * `untilHeartbeat`, stops at the first heartbeat line and aborts the request.
 */
async function readLines(response, untilHeartbeat = false, abort = () => undefined) {
  if (response.status !== 200) throw new Error(`replay API answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let tail = '';
  let events = 0;
  let bytes = 0;
  let last;
  let firstByte;
  let stopped = false;
  try {
    for await (const chunk of response.body) {
      firstByte ??= performance.now();
      bytes += chunk.length;
      const text = tail + decoder.decode(chunk, { stream: true });
      const cut = text.lastIndexOf('\n');
      if (cut < 0) {
        tail = text;
        continue;
      }
      const complete = text.slice(0, cut);
      tail = text.slice(cut + 1);
      for (let i = complete.indexOf('{"position":'); i !== -1; i = complete.indexOf('\n{"position":', i + 1)) events += 1;
      const start = complete.lastIndexOf('\n') + 1;
      last = complete.slice(start);
      if (untilHeartbeat && complete.includes('{"heartbeat"')) {
        last = complete.slice(complete.lastIndexOf('{"heartbeat"')).split('\n')[0];
        stopped = true;
        abort();
        break;
      }
    }
  } catch (error) {
    // Aborting our own request once the heartbeat is in ends the body with an AbortError.
    if (!(stopped && error.name === 'AbortError')) throw error;
  }
  return { events, bytes, last: last === undefined ? undefined : JSON.parse(last), firstByte };
}

async function paged(get, limit) {
  let after;
  let events = 0;
  let bytes = 0;
  let requests = 0;
  for (;;) {
    const response = await get(`limit=${limit}${after === undefined ? '' : `&after=${after}`}`);
    requests += 1;
    const page = await readLines(response);
    events += page.events;
    bytes += page.bytes;
    if (page.last?.end === undefined) throw new Error(`a page (limit ${limit}) ended without an end line`);
    after = page.last.token;
    if (page.last.end === 'caught-up') break;
  }
  return { events, bytes, requests };
}

async function single(get) {
  const controller = new AbortController();
  const t0 = performance.now();
  const response = await get('follow=true', controller.signal);
  const out = await readLines(response, true, () => controller.abort());
  if (out.last?.heartbeat === undefined) throw new Error('the follow request ended without a heartbeat');
  return { events: out.events, bytes: out.bytes, requests: 1, firstByteMs: out.firstByte - t0 };
}
