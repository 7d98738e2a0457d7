/**
 * What the fault scenarios share: one scenario's own topics, group and namespace; feeding the
 * history into Kafka directly (faults injected by the feeder) or through the ingest with
 * retrying clients; waiting until the projection has settled; comparing every exported number
 * with the reference; a private broker; cleaning up.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { consumerLag, ensureTopics, type KafkaClient } from '@dvc/kafka';
import { ProjectionStore, createRedisClient, type RedisClient } from '@dvc/redis';
import { producerAuth, uniqueName, waitFor } from '@dvc/testing';
import { testKafka } from '@dvc/kafka/testing';
import { CLOCK, generateHistory, type History, type WireEvent } from './history.js';
import { compareWithReference, loadReferenceData, referenceSeries } from './reference.js';
import {
  TEST_PRODUCER_HEADERS,
  routingKey,
  UNKNOWN_UNITS_ACCEPTED,
  freePort,
  startService,
  projectionProgress,
  REPO_ROOT,
  RUN_DIR,
  scrapeMetrics,
  serviceEnv,
  waitForZeroLag,
  type ServiceProcess,
} from '../stack.js';
import { createRng } from '@dvc/scenario';

/**
 * SOAK=1 scales every scenario up (longer streams, more faults); SOAK_SCALE sets the factor.
 * The default keeps the whole suite within a few minutes on a 2-core machine.
 */
export const SCALE = Number(process.env.SOAK_SCALE ?? (process.env.SOAK === '1' ? 8 : 1));
if (!Number.isFinite(SCALE) || SCALE < 1) throw new Error(`SOAK_SCALE must be a number >= 1, got '${process.env.SOAK_SCALE}'`);

/** How long a scenario may wait for the projection to catch up, scaled with the stream. */
export const SETTLE_MS = 120_000 * SCALE;

export const PARTITIONS = 6;

const run = promisify(execFile);

export interface Scenario {
  id: string;
  env: Record<string, string>;
  topic: string;
  dlq: string;
  group: string;
  kafka: KafkaClient;
  redis: RedisClient;
  history: History;
  expected: Map<string, number>;
  /** Set by dropScenario: background feeders and clients stop instead of outliving a failed test. */
  closed: boolean;
  /** Rejects as soon as a background feeder or client fails, so waits on the stream fail with its error. */
  failed: Promise<never>;
  fail(error: unknown): void;
}

/**
 * A scenario's own topics, consumer group and Redis namespace (all named after `id`), its
 * history (seeded) and the reference numbers of that history. `brokers` overrides the stack's
 * broker (a private one), `redisUrl` the stack's Redis (the local Redis Cluster).
 */
export async function createScenario(
  id: string,
  history: { seed: number; dossiers: number; units?: number },
  brokers?: string,
  redisUrl?: string,
): Promise<Scenario> {
  const base = { ...serviceEnv(id), ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }) };
  const env: Record<string, string> = {
    ...base,
    // The history's units are made up.
    ...UNKNOWN_UNITS_ACCEPTED,
    ...(brokers === undefined ? {} : { KAFKA_BROKERS: brokers }),
    TOPIC_PARTITIONS: String(PARTITIONS),
    // A killed member's partitions move once its session expires: the shortest allowed.
    PROJECTOR_SESSION_TIMEOUT_MS: '6000',
    INGEST_TRANSACTIONAL_ID: `${id}.ingest`,
    // The reference model counts at the history's last event time: the services are pinned to it.
    CLOCK_AS_OF: CLOCK,
  };
  const kafka = testKafka(id, (env.KAFKA_BROKERS as string).split(','));
  const topic = env.EVENTS_TOPIC as string;
  const dlq = env.DLQ_TOPIC as string;
  await ensureTopics(kafka, [topic, dlq], PARTITIONS);
  const h = generateHistory({ seed: history.seed, prefix: id, dossiers: history.dossiers, units: history.units ?? 6, resendShare: 0.02 });
  const expected = referenceSeries(h.events, loadReferenceData(join(REPO_ROOT, 'infra', 'data')));
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  return {
    id,
    env,
    topic,
    dlq,
    group: env.PROJECTOR_GROUP as string,
    kafka,
    redis: createRedisClient({ url: env.REDIS_URL as string, connectionName: `dvc-test-${id}` }),
    history: h,
    expected,
    closed: false,
    failed,
    fail,
  };
}

/** Waits for `wait`, failing at once with the error of a background feeder or client that failed meanwhile. */
export function watched<T>(s: Scenario, wait: Promise<T>): Promise<T> {
  return Promise.race([wait, s.failed]);
}

/** Deletes the scenario's topics, consumer group and Redis keys (its namespace prefix only); call once its processes are gone. */
export async function dropScenario(s: Scenario): Promise<void> {
  s.closed = true;
  await new ProjectionStore(s.redis, s.id).dropNamespace();
  s.redis.disconnect();
  const admin = s.kafka.admin();
  await admin.connect().catch(() => undefined);
  await admin.deleteTopics({ topics: [s.topic, s.dlq] }).catch(() => undefined);
  await admin.deleteGroups([s.group]).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
}

/** Stops every process still running (SIGKILL: nothing of theirs is kept). */
export async function killAll(processes: readonly ServiceProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
}

/** What a fault test's file shares: its id, its seed, its processes, and (once beforeAll ran) its scenario and exporter. */
export interface FaultFixture {
  readonly id: string;
  readonly seed: number;
  /** Every process the test starts goes here: all are SIGKILLed after the file. */
  readonly processes: ServiceProcess[];
  /** The scenario and exporter (once beforeAll ran) and the fault-timing source of the seed. */
  ready(): { scenario: Scenario; exporter: ServiceProcess; rand: () => number };
}

/**
 * The frame of every fault test: an id from `prefix`, the seed (FAULT_SEED, else the clock), and
 * in beforeAll a scenario of its own (on the brokers `setUp` returns, default the stack's) with an
 * exporter on it and, with `projector`, one projector; afterAll kills every process, drops the
 * scenario and runs `tearDown`.
 */
export function faultFixture(
  prefix: string,
  options: { dossiers: number; projector: boolean; redisUrl?: string; setUp?: (id: string) => Promise<string>; tearDown?: () => Promise<void> },
): FaultFixture {
  const id = uniqueName(prefix);
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000_000);
  const processes: ServiceProcess[] = [];
  let scenario: Scenario | undefined;
  let exporter: ServiceProcess | undefined;
  beforeAll(async () => {
    const brokers = options.setUp === undefined ? undefined : await options.setUp(id);
    scenario = await createScenario(id, { seed, dossiers: options.dossiers }, brokers, options.redisUrl);
    exporter = await startService('exporter', scenario.env, 'EXPORTER_PORT');
    processes.push(exporter);
    if (options.projector) processes.push(await startService('projector', scenario.env, 'PROJECTOR_PORT'));
  });
  afterAll(async () => {
    await killAll(processes);
    if (scenario !== undefined) await dropScenario(scenario);
    await options.tearDown?.();
  });
  const ready = () => {
    if (scenario === undefined || exporter === undefined) throw new Error(`${id}: no scenario: beforeAll did not complete`);
    return { scenario, exporter, rand: faultRng(seed) };
  };
  return { id, seed, processes, ready };
}

/**
 * `count` fault points spread over the first 80 % of `total`, one in each of `count` equal
 * slices, at a random place inside its slice (`rand` is the scenario's seeded source).
 */
export function faultPoints(total: number, count: number, rand: () => number): number[] {
  return Array.from({ length: count }, (_, k) => Math.floor(((k + 0.2 + 0.6 * rand()) / count) * 0.8 * total));
}

/** A fault injected into a stream: `run` once the stream has been produced up to `at`. */
export interface Fault {
  at: number;
  run(): Promise<void>;
}

/**
 * Produces the stream straight into the topic, in order, `chunk` events per send, keeping at
 * most a tenth of the stream produced but not yet applied (flow control only), and runs each
 * fault right after the chunk that reaches its point has been sent (after a random 0–50 ms),
 * so the group has just been handed new work and the fault lands among batches in flight.
 * Resolves with the records not yet committed at each fault, measured as it starts.
 * Keyed by subject, so a subject's events keep their order.
 */
export function produceStream(s: Scenario, options: { chunk: number; faults: readonly Fault[]; rand: () => number }): Promise<number[]> {
  return handled(
    produce(s, options).catch((error: unknown) => {
      s.fail(error);
      throw error;
    }),
  );
}

/** A background promise a test awaits late: its failure reaches the test through Scenario.failed meanwhile, not as an unhandled rejection. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function produce(s: Scenario, options: { chunk: number; faults: readonly Fault[]; rand: () => number }): Promise<number[]> {
  const ahead = Math.floor(s.history.unique / 10);
  const faults = [...options.faults].sort((a, b) => a.at - b.at);
  const outstanding: number[] = [];
  const producer = s.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < s.history.events.length && !s.closed; i += options.chunk) {
      await waitFor(async () => (s.closed || (await progress(s)).applied >= i - ahead ? true : undefined), {
        intervalMs: 50,
        timeoutMs: SETTLE_MS,
        description: `projection within ${ahead} events of the stream in ${s.id}`,
      });
      if (s.closed) break;
      await producer.send({
        topic: s.topic,
        acks: -1,
        messages: s.history.events.slice(i, i + options.chunk).map((e) => ({ key: routingKey(e), value: JSON.stringify(e), headers: TEST_PRODUCER_HEADERS })),
      });
      while (faults.length > 0 && (faults[0] as Fault).at < i + options.chunk) {
        const fault = faults.shift() as Fault;
        await new Promise((resolve) => setTimeout(resolve, Math.floor(options.rand() * 50)));
        // Measured as the fault starts (a killed member commits nothing more).
        const [n] = await Promise.all([uncommitted(s), fault.run()]);
        outstanding.push(n);
      }
    }
  } finally {
    await producer.disconnect();
  }
  return outstanding;
}

export interface PostStats {
  batches: number;
  /** Attempts that got a 503 or no answer (connection refused, reset, timeout) and were retried. */
  retries: number;
  /** Events acknowledged with 202 so far. */
  accepted: number;
}

/**
 * Holds the clients of postStream between two batches: while closed, each client finishes the
 * batch it is sending (retries included) and waits before the next. A fault can so be put in
 * place while events remain to be sent, however fast the clients are.
 */
export class PostGate {
  #opened: Promise<void> | undefined;
  #open: (() => void) | undefined;

  close(): void {
    this.#opened ??= new Promise((resolve) => (this.#open = resolve));
  }

  open(): void {
    this.#open?.();
    this.#opened = undefined;
    this.#open = undefined;
  }

  /** Resolves at once while open, else when opened. */
  passed(): Promise<void> {
    return this.#opened ?? Promise.resolve();
  }
}

/**
 * Posts the stream through the ingest like several portal clients: the events are split by
 * subject over `clients` concurrent clients (a subject's events keep their order), each posting
 * batches one after the other and retrying a batch on 503 or a connection error until it is
 * accepted, against whatever `ingestUrl()` names at that moment (the ingest may be restarted
 * on another port). Any other answer (400, 413, ...) fails the scenario. With `gate`, a client
 * sends its next batch only once the gate is open.
 */
export function postStream(
  s: Scenario,
  ingestUrl: () => string,
  options: { clients: number; batch: number; stats: PostStats; gate?: PostGate },
): Promise<void> {
  const lanes: WireEvent[][] = Array.from({ length: options.clients }, () => []);
  for (const e of s.history.events) (lanes[laneOf(e.subject, options.clients)] as WireEvent[]).push(e);
  return handled(
    Promise.all(lanes.map((lane) => postLane(s, lane, ingestUrl, options.batch, options.stats, options.gate))).then(
      () => undefined,
      (error: unknown) => {
        s.fail(error);
        throw error;
      },
    ),
  );
}

function laneOf(subject: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < subject.length; i++) h = (Math.imul(h, 31) + subject.charCodeAt(i)) >>> 0;
  return h % lanes;
}

async function postLane(s: Scenario, lane: readonly WireEvent[], ingestUrl: () => string, batch: number, stats: PostStats, gate?: PostGate): Promise<void> {
  for (let i = 0; i < lane.length && !s.closed; i += batch) {
    await gate?.passed();
    const body = JSON.stringify(lane.slice(i, i + batch));
    stats.batches += 1;
    for (let attempt = 1; !s.closed; attempt++) {
      let status: number | undefined;
      let text = '';
      try {
        const res = await fetch(`${ingestUrl()}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents-batch+json', ...producerAuth() },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        text = await res.text();
      } catch {
        // No answer: the ingest is down or restarting. The batch may or may not have landed;
        // sending it again is safe (the projection recognises event ids).
      }
      if (status === 202) {
        stats.accepted += Math.min(batch, lane.length - i);
        break;
      }
      if (status !== undefined && status !== 503) throw new Error(`ingest answered ${status} to a valid batch: ${text.slice(0, 500)}`);
      if (attempt > 600) throw new Error(`a batch was still not accepted after ${attempt} attempts (last status ${status ?? 'no answer'})`);
      stats.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
    }
  }
}

/** Waits until the clients of postStream have had `count` events accepted. */
export function waitForAccepted(s: Scenario, stats: PostStats, count: number): Promise<true> {
  return watched(
    s,
    waitFor(() => (stats.accepted >= count ? true : undefined), {
      intervalMs: 20,
      timeoutMs: SETTLE_MS,
      description: `${count} events accepted by the ingest in ${s.id}`,
    }),
  );
}

/** Events applied and recognised as duplicates, from the namespace's meta hashes. */
export function progress(s: Scenario): Promise<{ applied: number; duplicates: number }> {
  return projectionProgress(s.redis, s.id);
}

/** Waits until `applied` reaches `count` (a point of the stream), polling fast. */
export async function waitForApplied(s: Scenario, count: number, timeoutMs = SETTLE_MS): Promise<{ applied: number; duplicates: number }> {
  return watched(
    s,
    waitFor(
      async () => {
        const p = await progress(s);
        return p.applied >= count ? p : undefined;
      },
      { intervalMs: 20, timeoutMs, description: `${count} events applied in ${s.id}` },
    ),
  );
}

/** Records of the topic the group has not committed yet: work outstanding or in flight. */
export async function uncommitted(s: Scenario): Promise<number> {
  const admin = s.kafka.admin();
  await admin.connect();
  try {
    return [...(await consumerLag(admin, s.group, s.topic)).values()].reduce((a, b) => a + b, 0);
  } finally {
    await admin.disconnect();
  }
}

/** Records in the dead-letter topic: what the projector rejected. */
export async function deadLettered(s: Scenario): Promise<number> {
  const admin = s.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(s.dlq);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The end of every scenario: once the group has committed the whole topic, every distinct event
 * was applied exactly once, the deliberate resends (and whatever redelivery the faults caused)
 * were recognised as duplicates, nothing was dead-lettered, and every number of the compared
 * families on the exporter equals the reference.
 */
export async function expectExact(s: Scenario, exporter: ServiceProcess): Promise<{ applied: number; duplicates: number }> {
  // Offsets are committed after a batch is written: zero lag means every batch was processed.
  await watched(s, waitForZeroLag(s.kafka, s.group, s.topic, SETTLE_MS));
  const done = await progress(s);
  expect(done.applied).toBe(s.history.unique);
  expect(done.duplicates).toBeGreaterThanOrEqual(s.history.resent);
  expect(await deadLettered(s)).toBe(0);
  const mismatches = compareWithReference(await scrapeMetrics(exporter.url), s.expected);
  expect(mismatches.slice(0, 40)).toEqual([]);
  return done;
}

/** A seeded pseudo-random source for fault timing, so a failing run can be replayed (its seed is logged); not the history's sequence. */
export function faultRng(seed: number): () => number {
  return createRng((seed ^ 0x9e3779b9) >>> 0).next;
}

export interface PrivateBroker {
  brokers: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the broker and deletes its folder (data, logs). */
  remove(): Promise<void>;
}

/**
 * A Kafka broker of the scenario's own, run by scripts/stack.sh in its own folder on free ports
 * (reusing the jars the shared stack fetched), so it can be stopped and started without
 * touching the broker everybody else uses. Same folder on every start: same data.
 */
export async function privateBroker(id: string): Promise<PrivateBroker> {
  const dir = join(RUN_DIR, 'tests', id, 'stack');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    STACK_RUN_DIR: dir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
  };
  const stack = async (command: 'start' | 'stop') => {
    try {
      await run('bash', [join(REPO_ROOT, 'scripts', 'stack.sh'), command, 'kafka'], { env, timeout: 180_000 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`stack.sh ${command} kafka (${dir}) failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
    }
  };
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => stack('start'),
    stop: () => stack('stop'),
    remove: async () => {
      await stack('stop');
      rmSync(join(RUN_DIR, 'tests', id), { recursive: true, force: true });
    },
  };
}
