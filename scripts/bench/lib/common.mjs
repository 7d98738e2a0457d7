// Helpers shared by every benchmark runner: stack addresses, statistics, formatting, /proc
// readings and the Redis namespace clean-up.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackRunDir } from '@dvc/config';
import { unlinkMatching } from '@dvc/read-model';
import { freePort, parseExposition, parseStackEnv, sampleLines } from '@dvc/testing';
import { listeningPid } from './listener.mjs';

/** The tests' free-port finder and exposition reader (@dvc/testing), for the benchmarks too. */
export { freePort, parseExposition };

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The run folder of the stack measured (STACK_RUN_DIR, default <repo>/.run). */
export const RUN_DIR = stackRunDir(process.env);
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

export const log = (text) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtMiB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : 'n/a');

/** Parses a count such as 1000, 100k, 1e6 or 1,000,000; exits with a message naming the option. */
export function count(name, text, min = 1) {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(String(text).replace(/[_,]/g, '').trim());
  const value = m ? Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got '${text}'\n`);
    process.exit(2);
  }
  return value;
}

/**
 * The first instant of a month given as YYYY-MM in Asia/Ho_Chi_Minh (UTC+7, no daylight saving
 * time), epoch ms; exits with a message naming the option.
 */
export function monthStart(name, text) {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(String(text));
  if (m === null) {
    process.stderr.write(`--${name} must be YYYY-MM, got '${text}'\n`);
    process.exit(2);
  }
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) - 7 * 3_600_000;
}

/** A comma list of counts, e.g. "100,500,1000". */
export function countList(name, text, min = 1) {
  const items = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) {
    process.stderr.write(`--${name} must be a comma list of integers >= ${min}, got '${text}'\n`);
    process.exit(2);
  }
  return items.map((item) => count(name, item, min));
}

export function median(values) {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of the finite values; NaN when there are none. */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  if (p === 50 && v.length % 2 === 0) return (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  const rank = Math.min(v.length, Math.max(1, Math.ceil((p / 100) * v.length)));
  return v[rank - 1];
}

/** Addresses of the running stack: environment first, then what scripts/stack.sh wrote. */
export function stackEnv() {
  const file = join(RUN_DIR, 'stack.env');
  const written = existsSync(file) ? parseStackEnv(readFileSync(file, 'utf8')) : new Map();
  const get = (name, fallback) => process.env[name] ?? written.get(name) ?? fallback;
  return { kafkaBrokers: get('KAFKA_BROKERS', '127.0.0.1:19092'), redisUrl: get('REDIS_URL', 'redis://127.0.0.1:6379') };
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user+system CPU seconds of a process, from /proc (undefined when unreadable). */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/** Minor page faults of a process so far (the kernel mapping a page on first touch), from /proc; undefined when unreadable. */
export function procMinorFaults(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]); // minflt (field 10)
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds() {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** A "NNN kB" field of /proc/<pid>/status (VmRSS, VmHWM...), in kB; undefined when unreadable. */
export function procStatusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Kafka broker's pid: the pid file of a broker started without supervisord, else the process
 * listening on the first broker address when that address is on this machine (supervisord writes
 * no pid file). Undefined when neither is found, e.g. a remote broker; a broker in a container is
 * seen through whatever listens for it on this machine (a port proxy), so its CPU is not the broker's.
 */
export function kafkaPid() {
  try {
    const pid = readFileSync(join(RUN_DIR, 'kafka', 'kafka.pid'), 'utf8').replace(/\D/g, '');
    if (pid !== '') return Number(pid);
  } catch {
    // no pid file: look for the listener below
  }
  const m = /^(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(stackEnv().kafkaBrokers.split(',')[0].trim());
  return m ? listeningPid(Number(m[1])) : undefined;
}

export function infoField(info, field) {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return m ? m[1].trim() : undefined;
}

/** used_memory and CPU seconds of the Redis server. */
export async function redisStats(redis) {
  const info = await redis.info();
  return {
    usedMemory: Number(infoField(info, 'used_memory')),
    cpu: Number(infoField(info, 'used_cpu_user')) + Number(infoField(info, 'used_cpu_sys')),
  };
}

/** Calls and microseconds so far of each command the Redis server ran (INFO commandstats), by name. */
export async function redisCommandStats(redis) {
  const stats = new Map();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

/** UNLINKs every key matching `match` (SCAN + UNLINK, never a flush); returns the count. */
export { unlinkMatching as dropKeys };

export const dropNamespace = (redis, ns) => unlinkMatching(redis, `${ns}:*`);

/** Waits until Redis has freed what UNLINK handed to its background thread. */
export async function waitLazyFree(redis, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pending = Number(infoField(await redis.info('memory'), 'lazyfree_pending_objects') ?? 0);
    if (pending === 0) return;
    await sleep(100);
  }
}

export async function scrapeMetrics(port) {
  try {
    return parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  } catch {
    return new Map();
  }
}

/** One GET of `<url>/metrics`, timed: the text, its size, and how many samples (all, and `dvc_*`) it holds. */
export async function timedScrape(url) {
  const t0 = performance.now();
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  const ms = performance.now() - t0;
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  let series = 0;
  let dvcSeries = 0;
  for (const line of sampleLines(text)) {
    series += 1;
    if (line.startsWith('dvc_')) dvcSeries += 1;
  }
  return { ms, text, bytes: Buffer.byteLength(text), series, dvcSeries };
}

export const sumMetric = (metrics, name) => [...metrics].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((s, [, v]) => s + v, 0);

/** A short random tag for the names of one benchmark run. */
export const randomTag = () => Math.random().toString(36).slice(2, 8);

/** SIGTERM, then SIGKILL after timeoutMs; resolves once the child has exited. */
export async function stopChild(child, timeoutMs = 25_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs cleanup() once on an uncaught error (exit 1) or SIGINT/SIGTERM (exit 130), so an
 * interrupted benchmark leaves no topic, group, key or process behind. A closed stdout or
 * stderr (e.g. `| head`) must not kill the run before clean-up either.
 */
export function cleanUpOnInterrupt(cleanup) {
  let interrupted = false;
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', () => undefined);
  for (const event of ['uncaughtException', 'unhandledRejection']) {
    process.on(event, (error) => {
      if (interrupted) return;
      interrupted = true;
      log(`${event}: ${error?.stack ?? error}; cleaning up`);
      void cleanup().finally(() => process.exit(1));
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write('\n');
      log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  return () => interrupted;
}
