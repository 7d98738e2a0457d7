#!/usr/bin/env node
// Load-once bookkeeping of the Bình Phước 2022 demo: see --help. The decision itself is in
// demo-state.mjs (pure); this file gathers the facts from Kafka, Redis and the event store.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, dataSpec, int, loadConfig, stackRunDir, str } from '@dvc/config';
import { eventStoreSpec, openEventStore, redactUrl } from '@dvc/eventstore';
import { consumerLag, createKafka, kafkaSpec } from '@dvc/kafka';
import { resolveActiveNamespace } from '@dvc/read-model';
import { ProjectionStore, createRedisClient, redisSpec } from '@dvc/redis';
import { DEMO_CASE, createMarker, dataGaps, parseMarker, settingsDrift } from './demo-state.mjs';

const SCENARIO_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = resolve(SCENARIO_DIR, '../..');
/** The seed `npm start` loads the case with (binh-phuoc-2022.mjs's default). */
const SEED = 2022;
/** The generator's own files: a change to any of them changes the events. */
const GENERATOR_FILES = ['generate.mjs', 'rng.mjs', 'reference.mjs'];

const HELP = `usage: node scripts/scenario/demo.mjs <check|mark|reset> [--receipt FILE.json]

Load-once bookkeeping of the ${DEMO_CASE} demo of \`DEMO=${DEMO_CASE} npm start\`
(scripts/start.sh runs it; \`npm run demo:reset\` runs reset).

  check   exit 0 when the case is loaded where the environment points and can be reused:
          its marker exists, was written with the same settings (topics, groups, Redis
          namespace and URL, event store, seed) and the same generator and reference data,
          and Kafka (same cluster), the topic, the live projection and the event store still
          hold at least what they held after the load. Exit 1, with the reason, when it must
          be loaded (again).
  mark    after the ingest accepted every event of --receipt (written by
          binh-phuoc-2022.mjs --receipt): waits until the projector and the archiver have
          consumed the whole topic, then writes the marker.
  reset   deletes the demo's topics, consumer groups, the Redis keys of its namespace (and
          of the namespaces rebuilt from it; never a flush), its event store file (SQLite)
          and the marker. Refused while a consumer of the demo still runs.

Marker: <run folder>/demo/${DEMO_CASE}.json (run folder: STACK_RUN_DIR, default <repo>/.run).
Environment: the services' own variables (KAFKA_BROKERS and KAFKA_SSL/SASL, EVENTS_TOPIC,
DLQ_TOPIC, PROJECTOR_GROUP, ARCHIVER_GROUP, REDIS_URL, REDIS_NAMESPACE, EVENTSTORE_URL, DATA_DIR)
and DEMO_MARK_TIMEOUT_S (how long mark waits for the consumers, default 900).
Exit codes: 0 done (check: reusable), 1 check: must be loaded, 2 bad usage or configuration,
3 failed (Kafka, Redis or the event store not reachable, reset refused, mark timed out).`;

const spec = {
  ...kafkaSpec,
  ...redisSpec,
  ...eventStoreSpec,
  ...dataSpec,
  PROJECTOR_GROUP: str('Kafka consumer group of the projector', 'dvc-projector'),
  ARCHIVER_GROUP: str('Kafka consumer group of the archiver', 'dvc-archiver'),
  DEMO_MARK_TIMEOUT_S: int('how long mark waits for the projector and the archiver (s)', 900, 1, 86_400),
};

const say = (line) => console.error(`demo ${DEMO_CASE}: ${line}`);
const fmt = (n) => n.toLocaleString('en-US');

/** kafkajs logs through this: its warnings and errors on stderr (a failure is also reported once at the end). */
const quietLogger = {
  error: (record, message) => console.error(`kafka: ${message}`),
  warn: (record, message) => console.error(`kafka: ${message}`),
  debug: () => undefined,
};

/** sha256 over the generator's files and every reference data file the figures depend on (not who is told: recipients.json). */
function fingerprint(dataDirs) {
  const hash = createHash('sha256');
  for (const name of GENERATOR_FILES) hash.update(`scenario/${name}\n`).update(readFileSync(join(SCENARIO_DIR, name)));
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.json') && entry.name !== 'recipients.json' ? [join(dir, entry.name)] : []));
  for (const dir of [...new Set(dataDirs.map((d) => resolve(d)))]) {
    for (const file of walk(dir)) hash.update(`data/${relative(dir, file)}\n`).update(readFileSync(file));
  }
  return `sha256:${hash.digest('hex')}`;
}

function settingsOf(config) {
  return {
    seed: SEED,
    fingerprint: fingerprint([join(REPO_ROOT, 'infra', 'data'), config.DATA_DIR]),
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
function sqliteFile(url) {
  const trimmed = url.trim();
  return trimmed.startsWith('sqlite:') ? resolve(trimmed.slice('sqlite:'.length)) : undefined;
}

/** Sum of the applied-event counters of the live namespace of `base`. */
async function appliedEvents(redis, base) {
  const live = await resolveActiveNamespace(redis, base);
  const store = new ProjectionStore(redis, live);
  const pipeline = redis.pipeline();
  for (const unit of await store.units()) pipeline.hgetall(store.keys.meta(unit));
  let applied = 0;
  for (const [error, meta] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    for (const [field, value] of Object.entries(meta)) if (field.startsWith('applied:')) applied += Number(value);
  }
  return applied;
}

/** What the stack holds now: Kafka's cluster id, the topic's end (sum of end offsets; undefined when missing), the projection, the store's head. */
async function observe(config, admin, redis) {
  const { clusterId } = await admin.describeCluster();
  const topics = new Set(await admin.listTopics());
  const topicEnd = topics.has(config.EVENTS_TOPIC) ? (await admin.fetchTopicOffsets(config.EVENTS_TOPIC)).reduce((sum, p) => sum + Number(p.high), 0) : undefined;
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

async function check(config, markerFile, admin, redis) {
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
  if (reasons.length === 0) reasons.push(...dataGaps(marker, await observe(config, admin, redis)));
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

async function mark(config, markerFile, receiptFile, admin, redis) {
  if (receiptFile === undefined) throw new UsageError('mark needs --receipt FILE.json (written by binh-phuoc-2022.mjs --receipt)');
  const receipt = JSON.parse(readFileSync(receiptFile, 'utf8'));
  if (receipt.case !== DEMO_CASE || receipt.seed !== SEED || !Number.isSafeInteger(receipt.events) || receipt.events <= 0) {
    throw new Error(`${receiptFile} is not a receipt of a complete ${DEMO_CASE} load with seed ${SEED}: ${JSON.stringify(receipt)}`);
  }
  // Offsets are committed after a batch is written: zero lag means every event was processed.
  const deadline = Date.now() + config.DEMO_MARK_TIMEOUT_S * 1000;
  let lastReport = 0;
  for (;;) {
    const lags = await Promise.all([config.PROJECTOR_GROUP, config.ARCHIVER_GROUP].map(async (group) => [...(await consumerLag(admin, group, config.EVENTS_TOPIC)).values()].reduce((a, b) => a + b, 0)));
    if (lags.every((lag) => lag === 0)) break;
    if (Date.now() > deadline) throw new Error(`the projector (lag ${fmt(lags[0])}) and the archiver (lag ${fmt(lags[1])}) did not reach the end of ${config.EVENTS_TOPIC} within ${config.DEMO_MARK_TIMEOUT_S} s`);
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`waiting for the consumers: projector lag ${fmt(lags[0])}, archiver lag ${fmt(lags[1])}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const facts = await observe(config, admin, redis);
  if (facts.topicEnd === undefined) throw new Error(`topic ${config.EVENTS_TOPIC} does not exist after the load`);
  if (facts.applied === 0) throw new Error(`the projection ${config.REDIS_NAMESPACE} holds no applied event after the load`);
  const marker = createMarker(settingsOf(config), facts, receipt.events, new Date().toISOString());
  mkdirSync(dirname(markerFile), { recursive: true });
  writeFileSync(`${markerFile}.tmp`, `${JSON.stringify(marker, null, 2)}\n`);
  renameSync(`${markerFile}.tmp`, markerFile);
  rmSync(receiptFile, { force: true });
  say(`loaded: ${fmt(receipt.events)} events sent, ${fmt(facts.applied)} applied in ${config.REDIS_NAMESPACE}, event store at ${fmt(facts.storeHead)}; later starts reuse it (marker ${markerFile})`);
  return 0;
}

/** Deletes the keys matching a pattern with SCAN + UNLINK (never a flush); returns how many. */
async function unlinkMatching(redis, pattern) {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

async function reset(config, markerFile, admin, redis) {
  const done = [];
  // Consumers first: deleting the data under a running projector or archiver would not stick.
  const wanted = [config.PROJECTOR_GROUP, config.ARCHIVER_GROUP];
  const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  const groups = wanted.filter((g) => existing.has(g));
  if (groups.length > 0) {
    const busy = (await admin.describeGroups(groups)).groups.filter((g) => g.members.length > 0);
    if (busy.length > 0) {
      throw new Error(`consumer group(s) ${busy.map((g) => `${g.groupId} (${g.members.length} member(s))`).join(', ')} still consume the demo: stop its services first (npm run stop, same STACK_RUN_DIR)`);
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
      if (Date.now() > deadline) throw new Error(`topics ${doomed.join(', ')} are still listed 60 s after their deletion`);
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
    say(`EVENTSTORE_URL ${redactUrl(config.EVENTSTORE_URL)} is an EventStoreDB: its streams are left as they are (the next load's events are recognised as duplicates there)`);
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
  return 0;
}

class UsageError extends Error {}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    (command === undefined ? console.error : console.log)(HELP);
    return command === undefined ? 2 : 0;
  }
  if (!['check', 'mark', 'reset'].includes(command)) throw new UsageError(`unknown command '${command}'`);
  let receipt;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--receipt' && rest[i + 1] !== undefined) receipt = rest[++i];
    else throw new UsageError(`unknown or incomplete option '${rest[i]}'`);
  }
  const config = loadConfig(spec, process.env);
  const markerFile = join(stackRunDir(process.env), 'demo', `${DEMO_CASE}.json`);
  const kafka = createKafka(config, `dvc-demo-${command}`, quietLogger);
  const admin = kafka.admin();
  const redis = createRedisClient({ url: config.REDIS_URL, connectionName: `dvc-demo-${command}` });
  try {
    await admin.connect();
    if (command === 'check') return await check(config, markerFile, admin, redis);
    if (command === 'mark') return await mark(config, markerFile, receipt, admin, redis);
    return await reset(config, markerFile, admin, redis);
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof ConfigError) {
    say(`${error.message}\n(see node scripts/scenario/demo.mjs --help)`);
    process.exitCode = 2;
  } else {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 3;
  }
}
