// The services as real processes (services/<name>/dist/main.js) with the benchmark's own
// topics, groups, namespace and store file, plus RSS sampling from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, freePort, log, median, procStatusKb, sleep, stopChild } from './common.mjs';

const PORT_VARIABLE = {
  ingest: 'INGEST_PORT',
  projector: 'PROJECTOR_PORT',
  exporter: 'EXPORTER_PORT',
  archiver: 'ARCHIVER_PORT',
  'replay-api': 'REPLAY_PORT',
};

export const serviceMain = (name) => join(ROOT, 'services', name, 'dist', 'main.js');

/** The default infra/supervisord.conf gives `variable` on the projector's command line (`${VARIABLE-default}`). */
function shippedDefault(variable) {
  const conf = readFileSync(join(ROOT, 'infra', 'supervisord.conf'), 'utf8');
  const found = new RegExp(`\\$\\{${variable}-([^}]*)\\}`).exec(conf);
  if (found === null) throw new Error(`infra/supervisord.conf no longer gives ${variable} a default: update scripts/bench/lib/services.mjs`);
  return found[1];
}

/**
 * The Node flags the stack starts the projector with: PROJECTOR_NODE_FLAGS when set (as for the
 * stack), else its default in infra/supervisord.conf, so the benchmark measures the projector as
 * it is run.
 */
export function projectorFlags() {
  return process.env.PROJECTOR_NODE_FLAGS ?? shippedDefault('PROJECTOR_NODE_FLAGS');
}

/** Space-separated command-line flags as a list. */
export const splitFlags = (text) => text.split(/\s+/).filter((f) => f !== '');

/**
 * The GLIBC_TUNABLES the stack starts the projector with: PROJECTOR_GLIBC_TUNABLES when set (as
 * for the stack; empty turns them off), else its default in infra/supervisord.conf.
 */
export function projectorTunables() {
  return process.env.PROJECTOR_GLIBC_TUNABLES ?? shippedDefault('PROJECTOR_GLIBC_TUNABLES');
}

/** Exits with a clear message when a service (or the CLI) has not been built. */
export function requireBuilt(...names) {
  for (const name of names) {
    const main = serviceMain(name);
    if (!existsSync(main)) {
      process.stderr.write(`${relative(ROOT, main)} is missing: run npx turbo run build first\n`);
      process.exit(1);
    }
  }
}

/**
 * The benchmarks' synthetic units (bench.u0000 …) are not in the unit directory: the services
 * run in pilot mode (admitted), and the exporter exports all of them so a scrape's cost is
 * measured with every unit.
 */
export const SYNTHETIC_UNITS_ENV = { ACCEPT_UNKNOWN_UNITS: 'true', EXPORTER_MAX_UNKNOWN_UNITS: '10000' };

/**
 * For a benchmark that writes its events straight to Kafka (no ingest, so no producer key id in
 * the header dvc-producer-key): the projector does not check producers (PRODUCER_KEYS_FILE=off;
 * with the check on, every such message would be dead-lettered `unauthenticated`).
 */
export const UNCHECKED_PRODUCERS_ENV = { PRODUCER_KEYS_FILE: 'off' };

/**
 * A producer key of every unit for the benchmark's ingest (dvc keys create --role producer) in
 * the run's work folder (a file of its own per call): `env` for the ingest (INGEST_KEYS_FILE) and `headers` for its posts;
 * `consumerEnv` for the projector and the archiver (PRODUCER_KEYS_FILE, the same file), which accept the ingest's messages by the key id it writes.
 */
export function benchProducerKey(ctx, fileName = 'producer-keys.json') {
  const file = join(ctx.workDir, fileName);
  const key = execFileSync(
    process.execPath,
    [serviceMain('cli'), 'keys', 'create', '--id', 'bench-producer', '--role', 'producer', '--units', '*', '--types', '*', '--rate', '100000', '--file', file],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  ).trim();
  if (!/^\S{20,}$/.test(key)) throw new Error(`dvc keys create printed no key: '${key}'`);
  return { env: { INGEST_KEYS_FILE: file }, consumerEnv: { PRODUCER_KEYS_FILE: file }, headers: { authorization: `Bearer ${key}` } };
}

/**
 * The environment shared by the services of one benchmark: the stack's addresses and names
 * of its own (topics, groups, namespace, store file, transactional id), with SYNTHETIC_UNITS_ENV.
 */
export function benchServiceEnv(ctx, { partitions = 6, storeFile } = {}) {
  return {
    ...SYNTHETIC_UNITS_ENV,
    KAFKA_BROKERS: ctx.env.kafkaBrokers,
    REDIS_URL: ctx.env.redisUrl,
    EVENTS_TOPIC: `${ctx.prefix}-events`,
    DLQ_TOPIC: `${ctx.prefix}-dlq`,
    TOPIC_PARTITIONS: String(partitions),
    REDIS_NAMESPACE: ctx.prefix,
    PROJECTOR_GROUP: `${ctx.prefix}-projector`,
    ARCHIVER_GROUP: `${ctx.prefix}-archiver`,
    INGEST_TRANSACTIONAL_ID: `${ctx.prefix}-ingest`,
    EVENTSTORE_URL: `sqlite:${storeFile ?? join(ctx.workDir, 'events.sqlite')}`,
  };
}

/**
 * Starts services/<name>/dist/main.js on a free port and waits for /healthz (and /readyz when
 * `ready`). The process is stopped (SIGTERM, SIGKILL after 25 s) by the run's clean-up or by stop().
 */
export async function startService(ctx, name, env, { ready = true, timeoutMs = 90_000 } = {}) {
  const port = await freePort();
  const logFile = join(ctx.logDir, `${ctx.prefix}-${name}.log`);
  const fd = openSync(logFile, 'a');
  // The projector runs as the stack runs it: its shipped Node flags and glibc tunables.
  const projector = name === 'projector';
  const nodeArgs = projector ? splitFlags(projectorFlags()) : [];
  const child = spawn(process.execPath, [...nodeArgs, serviceMain(name)], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'warn',
      ...(projector ? { GLIBC_TUNABLES: projectorTunables() } : {}),
      ...env,
      [PORT_VARIABLE[name]]: String(port),
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exit;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const service = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    logFile: relative(ROOT, logFile),
    child,
    exited: () => exit,
    stop: () => stopChild(child),
  };
  ctx.onCleanup(() => stopChild(child));
  const deadline = Date.now() + timeoutMs;
  const path = ready ? '/readyz' : '/healthz';
  for (;;) {
    if (exit !== undefined) throw new Error(`${name} exited during start-up (code ${exit.code}, signal ${exit.signal}); see ${service.logFile}`);
    try {
      if ((await fetch(`${service.url}${path}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready on ${path} within ${timeoutMs / 1000} s; see ${service.logFile}`);
    await sleep(200);
  }
  log(`${name} up on port ${port} (pid ${child.pid})`);
  return service;
}

/** Fails when any of the services has exited. */
export function assertRunning(services) {
  for (const s of services) {
    const exit = s.exited();
    if (exit !== undefined) throw new Error(`${s.name} exited (code ${exit.code}, signal ${exit.signal}) during the run; see ${s.logFile}`);
  }
}

/**
 * Samples VmRSS of each service every `intervalMs`. stop() returns, per service name, the
 * median and maximum RSS sampled and the peak (VmHWM) in MiB.
 */
export function sampleRss(services, intervalMs = 1000) {
  const samples = new Map(services.map((s) => [s.name, []]));
  const take = () => {
    for (const s of services) {
      const kb = procStatusKb(s.pid, 'VmRSS');
      if (kb !== undefined) samples.get(s.name).push(kb / 1024);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const out = {};
      for (const s of services) {
        const list = samples.get(s.name);
        const hwm = procStatusKb(s.pid, 'VmHWM');
        out[s.name] = {
          medianMiB: median(list),
          maxMiB: list.length > 0 ? Math.max(...list) : Number.NaN,
          hwmMiB: hwm === undefined ? Number.NaN : hwm / 1024,
          samples: list.length,
        };
      }
      return out;
    },
  };
}
