import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { stackRunDir } from '@dvc/config';
import { routingKeyOf, type DvcEvent } from '@dvc/domain';
import { parsePostgresUrl } from '@dvc/eventstore';
import { PRODUCER_KEY_HEADER, consumerLag, type KafkaClient } from '@dvc/kafka';
import { KEYS_FILE_VERSION, addKey, hashApiKey, writeKeysFile, type KeyRole, type KeysFile } from '@dvc/keys';
import { unlinkMatching, type RedisClient } from '@dvc/read-model';
import { ProjectionStore } from '@dvc/redis';
import { TEST_PRODUCER_KEY, parseStackEnv, spawnService, uniqueName, waitFor, type ServiceProcess } from '@dvc/testing';
import { testKafka } from '@dvc/kafka/testing';
import type { ProduceJob } from './produce-worker.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The producer key id the tests write straight to the events topic with (header dvc-producer-key),
 * as every producer must (ARCHITECTURE.md, "Who may write the events topic"). A projector or
 * archiver (which check producers by default, PRODUCER_KEYS_FILE) accepts these messages only from
 * a keys file holding a producer key of this id whose scope covers them: the tests' producer keys
 * file (testProducerKeysFile, which startService gives them) holds it, as TEST_PRODUCER_KEY, the
 * key postBatch sends to an ingest.
 */
export const TEST_PRODUCER_KEY_ID = 'test-producer';
export const TEST_PRODUCER_HEADERS: Record<string, string> = { [PRODUCER_KEY_HEADER]: TEST_PRODUCER_KEY_ID };

/**
 * The Kafka key a producer writes a test event with, as the ingest does: its routing key
 * (routingKeyOf of @dvc/domain: the dossier a payment names, else the subject). A consumer refuses
 * any other key as `misrouted`.
 */
export function routingKey(event: { type: string; subject: string; data: object }): string {
  return routingKeyOf(event as DvcEvent);
}

/** The run folder of the stack the tests use (STACK_RUN_DIR, default <repo>/.run): its stack.env, the tests' logs and scratch files. */
export const RUN_DIR = stackRunDir(process.env);

/**
 * Why this checkout's scripts/stack.sh must not restart parts of the stack in use, or undefined
 * when it may. scripts/stack.sh works on the run folder STACK_RUN_DIR, default `<checkout>/.run`
 * (scripts/lib.sh resolve_run_dir); a fault spec that starts a stopped node with it from a checkout
 * that did not start the running stack starts a stray node in the wrong folder instead. So:
 * - STACK_RUN_DIR set (as `npm test` sets it): it must be this checkout's own `.run`;
 * - STACK_RUN_DIR not set (a spec run by hand with the addresses of some stack.env): this
 *   checkout's `.run/stack.env` must exist, that is, this checkout started a stack;
 * - and then each of `addresses` (the variables naming what the spec restarts) set in the
 *   environment must be the one of this checkout's stack.env, when that file is given.
 * `ownStackEnv` is the text of `<checkout>/.run/stack.env`, undefined when there is none; a relative
 * STACK_RUN_DIR is taken against `cwd`, as scripts/stack.sh takes it, and both folders are compared
 * as `canonical` gives them (scripts/lib.sh resolves STACK_RUN_DIR with realpath; the identity by default).
 */
export function foreignStackProblem(input: {
  checkout: string;
  env: Record<string, string | undefined>;
  cwd: string;
  ownStackEnv: string | undefined;
  addresses: readonly string[];
  canonical?: (path: string) => string;
}): string | undefined {
  const canonical = input.canonical ?? ((path: string) => path);
  const own = canonical(resolve(input.checkout, '.run'));
  const set = input.env.STACK_RUN_DIR?.trim();
  const inUse = set === undefined || set === '' ? undefined : canonical(resolve(input.cwd, set));
  const refuse = (why: string) =>
    `refusing to restart stack parts: ${why}. scripts/stack.sh of this checkout (${resolve(input.checkout)}) owns only the stack of ${own}; ` +
    `with another stack it would start stray nodes or mix two checkouts' settings. Run this spec from the checkout that started the stack in use, with STACK_RUN_DIR set to its .run.`;
  if (inUse !== undefined && inUse !== own) return refuse(`the stack in use is the one of ${inUse} (STACK_RUN_DIR), not this checkout's ${own}`);
  if (input.ownStackEnv === undefined)
    return refuse(
      `${inUse === undefined ? 'STACK_RUN_DIR is not set and' : "STACK_RUN_DIR is this checkout's run folder, but"} ${join(own, 'stack.env')} does not exist: the stack in use was started from another run folder than ${own}`,
    );
  const written = parseStackEnv(input.ownStackEnv);
  for (const name of input.addresses) {
    const wanted = input.env[name];
    if (wanted !== undefined && written.get(name) !== wanted)
      return refuse(
        `${name} is ${wanted}, but this checkout's stack (${join(own, 'stack.env')}) has ${written.get(name) ?? 'none'}: the stack in use was started from another run folder than ${own}${inUse === undefined ? ' (STACK_RUN_DIR not set)' : ''}`,
      );
  }
  return undefined;
}

/**
 * Throws foreignStackProblem's message for this checkout and process, for a spec about to restart
 * stack parts with scripts/stack.sh (call it before anything starts).
 */
export function refuseForeignStack(addresses: readonly string[]): void {
  const ownEnvFile = join(REPO_ROOT, '.run', 'stack.env');
  const problem = foreignStackProblem({
    checkout: REPO_ROOT,
    env: process.env,
    cwd: process.cwd(),
    ownStackEnv: existsSync(ownEnvFile) ? readFileSync(ownEnvFile, 'utf8') : undefined,
    addresses,
    canonical: (path) => (existsSync(path) ? realpathSync(path) : path),
  });
  if (problem !== undefined) throw new Error(problem);
}

/** Addresses of the running stack: environment first, then what scripts/stack.sh wrote. */
export function stackEnv(): {
  kafkaBrokers: string;
  redisUrl: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  targetsDir: string;
  postgresUrl: string;
} {
  const file = join(RUN_DIR, 'stack.env');
  const written = existsSync(file) ? parseStackEnv(readFileSync(file, 'utf8')) : new Map<string, string>();
  const get = (name: string, fallback: string) => process.env[name] ?? written.get(name) ?? fallback;
  return {
    kafkaBrokers: get('KAFKA_BROKERS', '127.0.0.1:19092'),
    redisUrl: get('REDIS_URL', 'redis://127.0.0.1:6379'),
    prometheusUrl: get('PROMETHEUS_URL', 'http://127.0.0.1:9090'),
    alertmanagerUrl: get('ALERTMANAGER_URL', 'http://127.0.0.1:9093'),
    targetsDir: get('PROM_TARGETS_DIR', join(RUN_DIR, 'prometheus', 'targets')),
    postgresUrl: get('POSTGRES_URL', 'postgres://postgres@127.0.0.1:5432/postgres'),
  };
}

/** The event stores the history's services are tested on: the embedded default and PostgreSQL. */
export const STORE_KINDS = [
  { kind: 'sqlite', name: 'SQLite' },
  { kind: 'postgres', name: 'PostgreSQL' },
] as const;

export type StoreKind = (typeof STORE_KINDS)[number]['kind'];

/** A test's own event store: a SQLite file in its scratch folder, or a PostgreSQL schema named after it. */
export function eventStoreUrl(kind: StoreKind, id: string): string {
  if (kind === 'sqlite') return `sqlite:${join(RUN_DIR, 'tests', id, 'events.sqlite')}`;
  const schema = `dvc_t_${id.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`.slice(0, 63);
  return `${stackEnv().postgresUrl}?schema=${schema}`;
}

/** Removes a test's event store: the SQLite file's folder, or the PostgreSQL schema. */
export async function removeEventStore(url: string): Promise<void> {
  if (url.startsWith('sqlite:')) {
    rmSync(dirname(url.slice('sqlite:'.length)), { recursive: true, force: true });
    return;
  }
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export { freePort, scrapeMetrics, type ServiceProcess } from '@dvc/testing';

export type ServiceName = 'ingest' | 'projector' | 'exporter' | 'archiver' | 'replay-api' | 'notifier' | 'board';

/**
 * The tests' producer keys file (<run folder>/tests/producer-keys.json): TEST_PRODUCER_KEY, role
 * producer, every unit and type, 100,000 requests a minute. Always the same content, so tests
 * running side by side may each write it.
 */
export function testProducerKeysFile(): string {
  const file = join(RUN_DIR, 'tests', 'producer-keys.json');
  writeKeysFile(file, {
    version: KEYS_FILE_VERSION,
    keys: [
      {
        id: TEST_PRODUCER_KEY_ID,
        hash: hashApiKey(TEST_PRODUCER_KEY),
        units: '*',
        types: '*',
        ratePerMinute: 100_000,
        role: 'producer',
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    ],
  });
  return file;
}

/**
 * Starts a service's built main.js as a real process (spawnService) with its log in <run
 * folder>/logs/tests; a free port unless one is given. An ingest gets the tests' producer keys
 * file (TEST_PRODUCER_KEY, which postBatch sends) unless the env names INGEST_KEYS_FILE; a
 * projector or an archiver gets it as PRODUCER_KEYS_FILE (they check producers by default, and
 * accept the messages of TEST_PRODUCER_KEY_ID: the ingest's, and TEST_PRODUCER_HEADERS) unless the env names it.
 */
export function startService(service: ServiceName, env: Record<string, string>, portVariable: string, port?: number): Promise<ServiceProcess> {
  const keys =
    service === 'ingest' && env.INGEST_KEYS_FILE === undefined
      ? { INGEST_KEYS_FILE: testProducerKeysFile() }
      : (service === 'projector' || service === 'archiver') && env.PRODUCER_KEYS_FILE === undefined
        ? { PRODUCER_KEYS_FILE: testProducerKeysFile() }
        : {};
  return spawnService({
    name: service,
    entry: join(REPO_ROOT, 'services', service, 'dist', 'main.js'),
    env: { ...env, ...keys },
    portVariable,
    logDir: join(RUN_DIR, 'logs', 'tests'),
    ...(port === undefined ? {} : { port }),
  });
}

/** Writes a keys file at `file` with one key per role given (id `<prefix>-<role>`, every unit and type); returns the key texts by role. */
export function writeRoleKeys(file: string, prefix: string, roles: readonly KeyRole[]): Partial<Record<KeyRole, string>> {
  let content: KeysFile = { version: KEYS_FILE_VERSION, keys: [] };
  const keys: Partial<Record<KeyRole, string>> = {};
  for (const role of roles) {
    const added = addKey(content, { id: `${prefix}-${role}`, units: '*', types: '*', ratePerMinute: 6000, role }, new Date());
    if (!added.ok) throw new Error(added.problems.join('; '));
    keys[role] = added.value.key;
    content = added.value.file;
  }
  writeKeysFile(file, content);
  return keys;
}

/**
 * What a notifier started by a test needs to authenticate its callers, in the folder `dir`: a
 * token file for /v1/alertmanager (mode 0600, like the one scripts/stack.sh creates) and a keys
 * file with an operator key for /v1/notices. `env` goes into the notifier's environment; `token`
 * is what a test posting as Alertmanager sends, `operator` what it reads /v1/notices with. With
 * `tokenFile`, that file is used instead of a new one (the running Alertmanager's).
 */
export function notifierAuth(dir: string, prefix: string, tokenFile?: string): { env: Record<string, string>; token: string; operator: string } {
  mkdirSync(dir, { recursive: true });
  const file = tokenFile ?? join(dir, 'alertmanager-token');
  if (tokenFile === undefined) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  const keysFile = join(dir, 'notifier-keys.json');
  const { operator } = writeRoleKeys(keysFile, prefix, ['operator']);
  return { env: { NOTIFIER_TOKEN_FILE: file, NOTIFIER_KEYS_FILE: keysFile }, token: readFileSync(file, 'utf8').trim(), operator: operator! };
}

/**
 * The notifier webhook the running Alertmanager posts to, from its loaded configuration (whatever
 * run folder it came from): the port and the token file of its `http_config` (scripts/stack.sh).
 */
export async function alertmanagerReceiver(alertmanagerUrl = stackEnv().alertmanagerUrl): Promise<{ port: number; tokenFile: string }> {
  const res = await fetch(`${alertmanagerUrl}/api/v2/status`);
  const { config } = (await res.json()) as { config: { original: string } };
  const url = /\surl: http:\/\/127\.0\.0\.1:(\d+)\/v1\/alertmanager/.exec(config.original);
  if (url?.[1] === undefined)
    throw new Error(`the Alertmanager at ${alertmanagerUrl} posts to no local notifier webhook; run scripts/stack.sh start alertmanager`);
  const token = /\scredentials_file: (\S+)/.exec(config.original);
  if (token?.[1] === undefined)
    throw new Error(
      `the Alertmanager at ${alertmanagerUrl} sends the notifier no token (no http_config credentials_file); run scripts/stack.sh start alertmanager`,
    );
  return { port: Number(url[1]), tokenFile: token[1] };
}

/** Registers a target with the real Prometheus through file-based service discovery. */
export function registerScrapeTarget(id: string, port: number, job = 'dvc-exporter'): () => void {
  const { targetsDir } = stackEnv();
  mkdirSync(targetsDir, { recursive: true });
  const file = join(targetsDir, `test-${id}.json`);
  writeFileSync(file, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { job, test_id: id } }]));
  return () => rmSync(file, { force: true });
}

/** An instant query against the real Prometheus; returns the value per label set. */
export async function promQuery(query: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const { prometheusUrl } = stackEnv();
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus query failed: ${body.error ?? res.status}`);
  return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Applied and duplicate event counts straight from a projection namespace's meta hashes. */
export async function projectionProgress(redis: RedisClient, namespace: string): Promise<{ applied: number; duplicates: number }> {
  const store = new ProjectionStore(redis, namespace);
  let applied = 0;
  let duplicates = 0;
  for (const unit of await store.units()) {
    const meta = await redis.hgetall(store.keys.meta(unit));
    for (const [field, value] of Object.entries(meta)) {
      if (field.startsWith('applied:')) applied += Number(value);
      if (field.startsWith('duplicate:')) duplicates += Number(value);
    }
  }
  return { applied, duplicates };
}

/**
 * Produces events to a topic in order, `chunk` (default 5,000) a request with `gapMs` between
 * requests (default none), keyed by their routing key (idempotent producer, acks -1), as the
 * ingest would. The producer runs in a worker thread (./produce-worker.ts): inside jest's VM
 * context kafkajs's record encoding costs about three times its CPU (the Bình Phước history,
 * 455,847 events: 29 s there, about 10 s in the worker).
 */
export async function produceAll(
  topic: string,
  events: readonly { type: string; subject: string; data: object }[],
  { chunk = 5000, gapMs = 0 }: { chunk?: number; gapMs?: number } = {},
): Promise<void> {
  const job: ProduceJob = {
    brokers: stackEnv().kafkaBrokers.split(','),
    clientId: `${topic}-producer`,
    topic,
    keys: events.map(routingKey),
    values: events.map((e) => JSON.stringify(e)),
    headers: TEST_PRODUCER_HEADERS,
    chunk,
    gapMs,
  };
  const worker = new Worker(new URL('./produce-worker.ts', import.meta.url), { workerData: job });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`produceAll to ${topic}: the producer worker exited with code ${code}`))));
  });
}

/** Waits until a consumer group has committed everything in the topic: no batch in flight. */
export async function waitForZeroLag(kafka: KafkaClient, groupId: string, topic: string, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const lag = await consumerLag(admin, groupId, topic);
        return [...lag.values()].every((n) => n === 0) ? true : undefined;
      },
      { timeoutMs, description: `consumer lag 0 for ${groupId}` },
    );
  } finally {
    await admin.disconnect();
  }
}

/** The environment every service of one test shares: the stack's addresses, the test's own topics and namespace. */
export function serviceEnv(id: string): Record<string, string> {
  const env = stackEnv();
  return {
    KAFKA_BROKERS: env.kafkaBrokers,
    REDIS_URL: env.redisUrl,
    EVENTS_TOPIC: `${id}.events`,
    DLQ_TOPIC: `${id}.dlq`,
    TOPIC_PARTITIONS: '3',
    REDIS_NAMESPACE: id,
    PROJECTOR_GROUP: `${id}.projector`,
    ARCHIVER_GROUP: `${id}.archiver`,
    EVENTSTORE_URL: eventStoreUrl('sqlite', id),
  };
}

/** What a spec running services on the shared stack starts from (testStack). */
export interface TestStack {
  /** uniqueName(prefix), letters and digits only: the namespace, the topics' and groups' prefix. */
  id: string;
  /** serviceEnv(id) with the spec's own variables over it. */
  env: Record<string, string>;
  topic: string;
  dlq: string;
  /** A Kafka client of the spec (client id `id`) on the stack's brokers. */
  kafka: KafkaClient;
  /** The value of a variable of `env`; throws naming it when there is none. */
  setting(name: string): string;
  /**
   * Deletes what the services of `env` leave behind: the topics, the projector's and archiver's
   * groups, the event store (the SQLite folder or the PostgreSQL schema) and the spec's folder
   * under <run folder>/tests. Stop the services first.
   */
  cleanUp(): Promise<void>;
}

/**
 * The set-up the e2e specs share: a unique id, the services' environment for it (serviceEnv plus
 * `extra`, given the id when it depends on it), its topics and a Kafka client, and the clean-up.
 */
export function testStack(prefix: string, extra: Record<string, string> | ((id: string) => Record<string, string>) = {}): TestStack {
  const id = uniqueName(prefix).replace(/[^a-z0-9]/g, '');
  const env: Record<string, string> = { ...serviceEnv(id), ...(typeof extra === 'function' ? extra(id) : extra) };
  const setting = (name: string): string => {
    const value = env[name];
    if (value === undefined) throw new Error(`${id}: no ${name} in the services' environment`);
    return value;
  };
  const topic = setting('EVENTS_TOPIC');
  const dlq = setting('DLQ_TOPIC');
  const kafka = testKafka(id, stackEnv().kafkaBrokers.split(','));
  return {
    id,
    env,
    topic,
    dlq,
    kafka,
    setting,
    async cleanUp() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
        await admin.deleteGroups([setting('PROJECTOR_GROUP'), setting('ARCHIVER_GROUP')]).catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
      await removeEventStore(setting('EVENTSTORE_URL'));
      rmSync(join(RUN_DIR, 'tests', id), { recursive: true, force: true });
    },
  };
}

/**
 * The environment of a test whose units are made up (not in infra/data/units.json): pilot mode
 * (ACCEPT_UNKNOWN_UNITS), said explicitly by each test that needs it. Made-up units keep tests
 * apart in the shared Redis; a test of the real directory (admission, the 2022 case) leaves it out.
 */
export const UNKNOWN_UNITS_ACCEPTED: Record<string, string> = { ACCEPT_UNKNOWN_UNITS: 'true' };

/** Deletes every key starting with `prefix` (a test's own namespace only; never a flush). */
export async function unlinkPrefix(redis: RedisClient, prefix: string): Promise<void> {
  await unlinkMatching(redis, `${prefix}*`);
}

const execFileAsync = promisify(execFile);

/** Runs the operator CLI (`dvc`) as a process with the test's environment; rejects on a non-zero exit. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [join(REPO_ROOT, 'services', 'cli', 'dist', 'main.js'), ...args], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}
