import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import { DvcError, ADMISSION_CODES, beyondRetention, type AdmissionLimits, type DvcEvent, type ProjectionContext } from '@dvc/domain';
import { admitMessage, watchLag, type LagWatch, type DeadLetter, type DeadLetterPublisher } from '@dvc/kafka';
import { resolveActiveNamespace } from '@dvc/read-model';
import { EpochGuard, ProjectionStore, applyEvents, type Redis } from '@dvc/redis';

export interface ProjectorDeps {
  kafka: Kafka;
  /** The store of the namespace live right now (see activeStore); resolved once per batch. */
  store: () => Promise<ProjectionStore>;
  /** The Redis the stores write to (for the namespace's epoch sentinel). */
  redis: Redis;
  deadLetters: DeadLetterPublisher;
  /**
   * The rules of a batch applied at wall-clock instant `now`, from the reference data current then
   * (it reloads without a restart): the projection context (the retention horizon moves with
   * `now`) and the admission limits.
   */
  rulesAt: (now: number) => BatchRules;
  /** Expiry of a bucket written at `now` (day buckets past retention), if any. */
  expireAt?: (bucket: string) => number | undefined;
  registry: Registry;
  logger: Logger;
  topic: string;
  groupId: string;
  /** Wall clock, for the "last applied" health timestamp and dead-letter headers. */
  now: () => number;
  partitionsConcurrently?: number;
  sessionTimeoutMs?: number;
  lagIntervalMs?: number;
}

/** What one batch is decoded, admitted and folded with: one snapshot of the reference data. */
export interface BatchRules {
  ctx: ProjectionContext;
  admission: AdmissionLimits;
}

export interface Projector {
  start(): Promise<void>;
  /** True once the consumer has joined its group and not crashed. */
  isRunning(): boolean;
  /** Why the live namespace is known to have lost data (nothing is applied until it is rebuilt), or undefined. */
  dataLoss(): string | undefined;
  stop(): Promise<void>;
}

/**
 * The store of the namespace `<base>:active` names, resolved with one GET per call, so batches
 * started after a rebuild's switch go to the new namespace. Stores are kept per namespace (the
 * script is defined once per client anyway). A batch that resolved the old namespace just before
 * a switch still lands there; the rebuild covers it by re-applying the event store's tail after
 * the archiver has passed the offsets seen at the switch.
 */
export function activeStore(redis: Redis, base: string, onSwitch: (namespace: string) => void): () => Promise<ProjectionStore> {
  const stores = new Map<string, ProjectionStore>();
  let current: string | undefined;
  return async () => {
    const namespace = await resolveActiveNamespace(redis, base);
    let store = stores.get(namespace);
    if (store === undefined) {
      store = new ProjectionStore(redis, namespace);
      stores.set(namespace, store);
    }
    if (namespace !== current) {
      current = namespace;
      onSwitch(namespace);
    }
    return store;
  };
}

/** Thrown to stop a batch while the live namespace has lost data: kafkajs retries it later, uncommitted. */
export class ProjectionDataLostError extends DvcError {
  readonly code = 'DVC_PROJECTION_DATA_LOST';
}

/**
 * The projector loop: each Kafka batch (one partition) is decoded and admitted, invalid and
 * inadmissible messages are dead-lettered (with their code), the others applied to Redis with
 * exactly-once effect, and only then the offset is resolved. A crash anywhere before the commit
 * replays the batch, which the projection recognises and does not count twice.
 */
export function createProjector(deps: ProjectorDeps): Projector {
  const applied = new Counter({ name: 'dvc_projector_events_applied_total', help: 'Events applied by this instance', labelNames: ['type'], registers: [deps.registry] });
  const duplicates = new Counter({ name: 'dvc_projector_events_duplicate_total', help: 'Events this instance found already applied', labelNames: ['type'], registers: [deps.registry] });
  const rejected = new Counter({
    name: 'dvc_projector_events_rejected_total',
    help: 'Events dead-lettered by this instance, by stage (validation, admission) and code (invalid, future-time, before-history-start, due-too-far, unknown-unit)',
    labelNames: ['stage', 'code'],
    registers: [deps.registry],
  });
  // Zero from the start, so a dashboard tells "none yet" from "not exported".
  rejected.inc({ stage: 'validation', code: 'invalid' }, 0);
  for (const code of ADMISSION_CODES) rejected.inc({ stage: 'admission', code }, 0);
  const conflicts = new Counter({ name: 'dvc_projector_write_conflicts_total', help: 'Unit writes that lost a compare-and-set race and were recomputed', registers: [deps.registry] });
  const batchSeconds = new Histogram({
    name: 'dvc_projector_batch_seconds',
    help: 'Time to decode, apply and dead-letter one batch',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.registry],
  });
  const beyond = new Counter({
    name: 'dvc_projector_events_beyond_retention_total',
    help: 'Events older than the retention horizon: applied to states and periods, not to day buckets',
    labelNames: ['type'],
    registers: [deps.registry],
  });
  const lagGauge = new Gauge({ name: 'dvc_consumer_lag', help: 'Messages not yet committed by the group, per partition', labelNames: ['topic', 'group', 'partition'], registers: [deps.registry] });

  const consumer: Consumer = deps.kafka.consumer({
    groupId: deps.groupId,
    readUncommitted: false,
    sessionTimeout: deps.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3000, Math.floor((deps.sessionTimeoutMs ?? 30_000) / 3)),
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 16 * 1024 * 1024,
  });
  const dataLossGauge = new Gauge({
    name: 'dvc_projector_data_loss',
    help: '1 while the live namespace has lost data (its epoch sentinel is gone): nothing is applied until `dvc rebuild --force`',
    registers: [deps.registry],
  });
  const admin = deps.kafka.admin();
  let running = false;
  let lagWatch: LagWatch | undefined;
  let lost: string | undefined;
  // A namespace without its sentinel is a birth only while this group has never committed.
  const epochs = new EpochGuard(deps.redis, `projector:${deps.groupId}`, async () => {
    const offsets = await admin.fetchOffsets({ groupId: deps.groupId, topics: [deps.topic] });
    return offsets.every((t) => t.partitions.every((p) => p.offset === '-1'));
  }, deps.now);

  const handleBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const timer = batchSeconds.startTimer();
    const store = await deps.store();
    const epoch = await epochs.check(store.keys.namespace);
    if (!epoch.ok) {
      if (lost === undefined) deps.logger.error({ namespace: store.keys.namespace, reason: epoch.reason }, 'projection data lost: applying nothing until it is rebuilt (dvc rebuild --force)');
      lost = epoch.reason;
      dataLossGauge.set(1);
      throw new ProjectionDataLostError(epoch.reason);
    }
    if (lost !== undefined) deps.logger.info({ namespace: store.keys.namespace }, 'projection namespace healthy again: applying');
    lost = undefined;
    dataLossGauge.set(0);
    const wall = deps.now();
    const { ctx, admission } = deps.rulesAt(wall);
    const events: DvcEvent[] = [];
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      const verdict = admitMessage(message.value, message.timestamp, admission, wall);
      if (verdict.ok) events.push(verdict.event);
      else {
        letters.push({
          key: message.key,
          value: message.value,
          reason: verdict.reason,
          code: verdict.code,
          sourceTopic: batch.topic,
          sourcePartition: batch.partition,
          sourceOffset: message.offset,
          stage: verdict.code === 'invalid' ? 'validation' : 'admission',
        });
      }
    }
    for (const event of events) if (beyondRetention(event, ctx)) beyond.inc({ type: event.type });
    const stats = await applyEvents(store, events, ctx, deps.now, deps.expireAt);
    if (letters.length > 0) {
      await deps.deadLetters.publish(letters, new Date(deps.now()));
      const byCode = new Map<string, number>();
      for (const l of letters) {
        rejected.inc({ stage: l.stage, code: l.code });
        byCode.set(l.code, (byCode.get(l.code) ?? 0) + 1);
      }
      deps.logger.warn({ partition: batch.partition, count: letters.length, codes: Object.fromEntries(byCode), first: letters[0]?.reason }, 'events dead-lettered');
    }
    for (const [type, n] of stats.applied) applied.inc({ type }, n);
    for (const [type, n] of stats.duplicates) duplicates.inc({ type }, n);
    if (stats.conflicts > 0) conflicts.inc(stats.conflicts);
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
    timer();
  };

  return {
    async start() {
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        running = true;
        deps.logger.info({ assigned: e.payload.memberAssignment }, 'joined consumer group');
      });
      consumer.on(consumer.events.CRASH, (e) => {
        running = false;
        deps.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      });
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommit: true,
        autoCommitInterval: 1000,
        partitionsConsumedConcurrently: deps.partitionsConcurrently ?? 2,
        eachBatch: handleBatch,
      });
      lagWatch = watchLag(
        admin,
        deps.groupId,
        deps.topic,
        deps.lagIntervalMs ?? 5000,
        (partition, n) => lagGauge.set({ topic: deps.topic, group: deps.groupId, partition: String(partition) }, n),
        (error) => deps.logger.debug({ err: error }, 'lag refresh failed'),
      );
    },
    isRunning: () => running,
    dataLoss: () => lost,
    async stop() {
      lagWatch?.stop();
      running = false;
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}
