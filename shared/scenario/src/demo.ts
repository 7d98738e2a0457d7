// Load-once bookkeeping of the Bình Phước 2022 demo (`DEMO=binh-phuoc-2022 npm start`): gathers
// the facts from Kafka, Redis and the event store, and acts on the pure decision of
// demo-state.ts (check, mark, reset).
import { DvcError } from '@dvc/domain';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATA_DIR, dataSpec, int, str, type ConfigOf, type Logger } from '@dvc/config';
import { eventStoreSpec, openEventStore, redactUrl } from '@dvc/eventstore';
import { consumerLag, createKafka, kafkaSpec } from '@dvc/kafka';
import { execGroups, resolveActiveNamespace, unlinkMatching } from '@dvc/read-model';
import { ProjectionStore, createRedisClient, redisSpec, type RedisClient } from '@dvc/redis';
import { DEMO_CASE, createMarker, dataGaps, parseMarker, settingsDrift, type DemoFacts, type DemoSettings } from './demo-state.js';

/** The seed `npm start` loads the case with (the generator's default). */
export const DEMO_SEED = 2022;
/** The generator's own modules, next to this one: a change to any of them changes the events. */
const GENERATOR_FILES = ['generate.js', 'rng.js', 'reference.js'];
const MODULE_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The variables demo check, mark and reset read. */
export const demoSpec = {
  ...kafkaSpec,
  ...redisSpec,
  ...eventStoreSpec,
  ...dataSpec,
  PROJECTOR_GROUP: str('Kafka consumer group of the projector', 'dvc-projector'),
  ARCHIVER_GROUP: str('Kafka consumer group of the archiver', 'dvc-archiver'),
  DEMO_MARK_TIMEOUT_S: int('how long mark waits for the projector and the archiver (s)', 900, 1, 86_400),
};
export type DemoConfig = ConfigOf<typeof demoSpec>;

type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/** A demo command refused or failed for a reason the user must act on (exit code 3). */
export class DemoError extends DvcError {
  readonly code = 'DVC_DEMO';
}

export interface DemoContext {
  config: DemoConfig;
  markerFile: string;
  admin: Admin;
  redis: RedisClient;
  say(line: string): void;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** sha256 over the generator's modules and every reference data file the figures depend on (not who is told: recipients.json). */
function fingerprint(dataDirs: readonly string[]): string {
  const hash = createHash('sha256');
  for (const name of GENERATOR_FILES) hash.update(`scenario/${name}\n`).update(readFileSync(join(MODULE_DIR, name)));
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.json') && entry.name !== 'recipients.json' ? [join(dir, entry.name)] : [],
      );
  for (const dir of [...new Set(dataDirs.map((d) => resolve(d)))]) {
    for (const file of walk(dir)) hash.update(`data/${relative(dir, file)}\n`).update(readFileSync(file));
  }
  return `sha256:${hash.digest('hex')}`;
}

function settingsOf(config: DemoConfig): DemoSettings {
  return {
    seed: DEMO_SEED,
    fingerprint: fingerprint([DEFAULT_DATA_DIR, config.DATA_DIR]),
    eventsTopic: config.EVENTS_TOPIC,
    dlqTopic: config.DLQ_TOPIC,
    projectorGroup: config.PROJECTOR_GROUP,
    archiverGroup: config.ARCHIVER_GROUP,
    namespace: config.REDIS_NAMESPACE,
    redis: redactUrl(config.REDIS_URL),
    eventStore: redactUrl(config.EVENTSTORE_URL),
  };
}

/** The SQLite file an EVENTSTORE_URL names, or undefined for EventStoreDB. */
function sqliteFile(url: string): string | undefined {
  const trimmed = url.trim();
  return trimmed.startsWith('sqlite:') ? resolve(trimmed.slice('sqlite:'.length)) : undefined;
}

/** Sum of the applied-event counters of the live namespace of `base`. */
async function appliedEvents(redis: RedisClient, base: string): Promise<number> {
  const live = await resolveActiveNamespace(redis, base);
  const store = new ProjectionStore(redis, live);
  const metas = await execGroups(
    redis,
    (await store.units()).map((unit) => (pipeline) => pipeline.hgetall(store.keys.meta(unit))),
  );
  let applied = 0;
  for (const [meta] of metas) {
    for (const [field, value] of Object.entries(meta as Record<string, string>)) if (field.startsWith('applied:')) applied += Number(value);
  }
  return applied;
}

/** What the stack holds now: Kafka's cluster id, the topic's end, the projection, the store's head. */
async function observe({ config, admin, redis }: DemoContext): Promise<DemoFacts> {
  const { clusterId } = await admin.describeCluster();
  const topics = new Set(await admin.listTopics());
  const topicEnd = topics.has(config.EVENTS_TOPIC)
    ? (await admin.fetchTopicOffsets(config.EVENTS_TOPIC)).reduce((sum, p) => sum + Number(p.high), 0)
    : undefined;
  const applied = await appliedEvents(redis, config.REDIS_NAMESPACE);
  const file = sqliteFile(config.EVENTSTORE_URL);
  let storeHead = 0;
  if (file === undefined || existsSync(file)) {
    const store = openEventStore(config.EVENTSTORE_URL);
    try {
      storeHead = await store.head();
    } finally {
      await store.close();
    }
  }
  return { kafkaClusterId: clusterId, topicEnd, applied, storeHead };
}

/** 0 when the case is loaded where the environment points and can be reused, 1 when it must be loaded (again). */
export async function checkDemo(ctx: DemoContext): Promise<0 | 1> {
  const { config, markerFile, say } = ctx;
  if (!existsSync(markerFile)) {
    say(`not loaded yet in this run folder (no ${markerFile}); loading it`);
    return 1;
  }
  const parsed = parseMarker(readFileSync(markerFile, 'utf8'));
  if (parsed.problem !== undefined) {
    say(`${parsed.problem} (${markerFile}); loading the case afresh`);
    return 1;
  }
  const { marker } = parsed;
  const reasons = settingsDrift(marker, settingsOf(config));
  if (reasons.length === 0) reasons.push(...dataGaps(marker, await observe(ctx)));
  if (reasons.length > 0) {
    say(`the load of ${marker.loadedAt} cannot be reused: ${reasons.join('; ')}; loading the case afresh`);
    return 1;
  }
  say(
    `already loaded (${marker.loadedAt}: ${fmt(marker.events)} events into ${marker.eventsTopic}, namespace ${marker.namespace}, ` +
      `event store ${marker.eventStore}); not sending it again. To load it afresh: npm run demo:reset`,
  );
  return 0;
}

/** After the ingest accepted every event of the receipt: waits for the consumers, then writes the marker. */
export async function markDemo(ctx: DemoContext, receiptFile: string, now: () => Date = () => new Date()): Promise<void> {
  const { config, markerFile, admin, say } = ctx;
  const receipt = JSON.parse(readFileSync(receiptFile, 'utf8')) as { case?: unknown; seed?: unknown; events?: unknown };
  if (receipt.case !== DEMO_CASE || receipt.seed !== DEMO_SEED || !Number.isSafeInteger(receipt.events) || (receipt.events as number) <= 0) {
    throw new DemoError(`${receiptFile} is not a receipt of a complete ${DEMO_CASE} load with seed ${DEMO_SEED}: ${JSON.stringify(receipt)}`);
  }
  const events = receipt.events as number;
  // Offsets are committed after a batch is written: zero lag means every event was processed.
  const deadline = Date.now() + config.DEMO_MARK_TIMEOUT_S * 1000;
  let lastReport = 0;
  for (;;) {
    const lags = await Promise.all(
      [config.PROJECTOR_GROUP, config.ARCHIVER_GROUP].map(async (group) =>
        [...(await consumerLag(admin, group, config.EVENTS_TOPIC)).values()].reduce((a, b) => a + b, 0),
      ),
    );
    const [projectorLag, archiverLag] = lags as [number, number];
    if (projectorLag === 0 && archiverLag === 0) break;
    if (Date.now() > deadline) {
      throw new DemoError(
        `the projector (lag ${fmt(projectorLag)}) and the archiver (lag ${fmt(archiverLag)}) did not reach the end of ${config.EVENTS_TOPIC} within ${config.DEMO_MARK_TIMEOUT_S} s`,
      );
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`waiting for the consumers: projector lag ${fmt(projectorLag)}, archiver lag ${fmt(archiverLag)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const facts = await observe(ctx);
  if (facts.topicEnd === undefined) throw new DemoError(`topic ${config.EVENTS_TOPIC} does not exist after the load`);
  if (facts.applied === 0) throw new DemoError(`the projection ${config.REDIS_NAMESPACE} holds no applied event after the load`);
  const marker = createMarker(settingsOf(config), { ...facts, topicEnd: facts.topicEnd }, events, now().toISOString());
  mkdirSync(dirname(markerFile), { recursive: true });
  writeFileSync(`${markerFile}.tmp`, `${JSON.stringify(marker, null, 2)}\n`);
  renameSync(`${markerFile}.tmp`, markerFile);
  rmSync(receiptFile, { force: true });
  say(
    `loaded: ${fmt(events)} events sent, ${fmt(facts.applied)} applied in ${config.REDIS_NAMESPACE}, event store at ${fmt(facts.storeHead)}; later starts reuse it (marker ${markerFile})`,
  );
}

/** Deletes the demo's topics, consumer groups, Redis keys of its namespace, SQLite event store and marker; refused while a consumer runs. */
export async function resetDemo({ config, markerFile, admin, redis, say }: DemoContext): Promise<void> {
  const done: string[] = [];
  // Consumers first: deleting the data under a running projector or archiver would not stick.
  const wanted = [config.PROJECTOR_GROUP, config.ARCHIVER_GROUP];
  const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  const groups = wanted.filter((g) => existing.has(g));
  if (groups.length > 0) {
    const busy = (await admin.describeGroups(groups)).groups.filter((g) => g.members.length > 0);
    if (busy.length > 0) {
      throw new DemoError(
        `consumer group(s) ${busy.map((g) => `${g.groupId} (${g.members.length} member(s))`).join(', ')} still consume the demo: stop its services first (npm run stop, same STACK_RUN_DIR)`,
      );
    }
    await admin.deleteGroups(groups);
    done.push(`consumer groups ${groups.join(', ')}`);
  }
  const present = new Set(await admin.listTopics());
  const doomed = [config.EVENTS_TOPIC, config.DLQ_TOPIC].filter((t) => present.has(t));
  if (doomed.length > 0) {
    await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    // Deletion completes in the background: wait until the broker no longer lists them.
    const deadline = Date.now() + 60_000;
    while ((await admin.listTopics()).some((t) => doomed.includes(t))) {
      if (Date.now() > deadline) throw new DemoError(`topics ${doomed.join(', ')} are still listed 60 s after their deletion`);
      await new Promise((r) => setTimeout(r, 250));
    }
    done.push(`topics ${doomed.join(', ')}`);
  }
  // The base's keys (its pointer included) and those of the namespaces rebuilt from it
  // (`<base>.<suffix>`); nothing else, whatever its name starts with.
  const base = config.REDIS_NAMESPACE;
  const keys = (await unlinkMatching(redis, `${base}:*`)) + (await unlinkMatching(redis, `${base}.*`));
  if (keys > 0) done.push(`${fmt(keys)} Redis keys of namespace ${base}`);
  const file = sqliteFile(config.EVENTSTORE_URL);
  if (file === undefined) {
    say(
      `EVENTSTORE_URL ${redactUrl(config.EVENTSTORE_URL)} is an EventStoreDB: its streams are left as they are (the next load's events are recognised as duplicates there)`,
    );
  } else {
    const files = [file, `${file}-wal`, `${file}-shm`, `${file}-journal`].filter((f) => existsSync(f));
    for (const f of files) rmSync(f, { force: true });
    if (files.length > 0) done.push(`event store ${file}`);
  }
  if (existsSync(markerFile)) {
    rmSync(markerFile, { force: true });
    done.push(`marker ${markerFile}`);
  }
  say(done.length > 0 ? `reset: deleted ${done.join('; ')}` : 'reset: nothing of it was there');
}

/** Connects to Kafka (admin) and Redis for one demo command, runs it, and disconnects. */
export async function withDemoContext<T>(
  config: DemoConfig,
  markerFile: string,
  clientId: string,
  logger: Logger,
  say: (line: string) => void,
  run: (ctx: DemoContext) => Promise<T>,
): Promise<T> {
  const admin = createKafka(config, clientId, logger).admin();
  const redis = createRedisClient({ url: config.REDIS_URL, connectionName: clientId });
  try {
    await admin.connect();
    return await run({ config, markerFile, admin, redis, say });
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
}
