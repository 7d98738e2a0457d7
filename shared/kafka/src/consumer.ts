import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import { routingKeyOf, type AdmissionLimits, type DvcEvent } from '@dvc/domain';
import type { DeadLetter, DlqCode } from './dead-letter.js';
import { admitMessage } from './decode.js';
import { retryingRetriable, watchLag, type LagWatch } from './lag.js';
import { PRODUCER_KEY_HEADER, headerText, quoted, type ProducerGate } from './producers.js';

/** One message of a batch as it was read: key and bytes untouched, its offset in the partition. */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** The producer key id of its header dvc-producer-key, when it has one. */
  producerKey?: string;
}

export interface AdmittedMessage extends ConsumedMessage {
  event: DvcEvent;
}

export interface RefusedMessage extends ConsumedMessage {
  code: DlqCode;
  reason: string;
}

/** A batch (one partition) decoded and admitted with one snapshot of the rules, at one instant. */
export interface AdmittedBatch<R> {
  topic: string;
  partition: number;
  /** The wall-clock instant the batch was judged at. */
  wallMs: number;
  rules: R;
  admitted: AdmittedMessage[];
  refused: RefusedMessage[];
}

/**
 * What a consumer does with its batches. `rules` is read once per batch (reference data reloads
 * without a restart); `handle` applies the batch and throws to leave it uncommitted (it is then
 * delivered again, so it must be idempotent).
 */
export interface BatchHandler<R extends { admission: AdmissionLimits }> {
  rules(wallMs: number): R;
  handle(batch: AdmittedBatch<R>): Promise<void>;
}

export interface BatchConsumerOptions<R extends { admission: AdmissionLimits }> {
  kafka: Kafka;
  topic: string;
  groupId: string;
  handler: BatchHandler<R>;
  registry: Registry;
  logger: Logger;
  /** Wall clock: the instant each batch is judged at. */
  now: () => number;
  /** The service's batch duration histogram (e.g. dvc_projector_batch_seconds). */
  batchSeconds: { name: string; help: string; buckets: number[] };
  partitionsConcurrently?: number;
  sessionTimeoutMs?: number;
  lagIntervalMs?: number;
  /**
   * Called each time this instance (re)joins its group, before any batch of the new assignment:
   * partitions it held may have been someone else's meanwhile (kafkajs rebalances eagerly).
   */
  onAssignment?: () => void;
  /**
   * Who may write (`PRODUCER_KEYS_FILE`): a message without a known producer key id in its header
   * dvc-producer-key is refused `unauthenticated` before it is decoded, an admitted event outside
   * its key's units or types `forbidden` (`judgeMessage`). Absent: every producer is accepted.
   */
  producers?: ProducerGate;
}

export interface BatchConsumer {
  /** Joins the group, starts consuming, and reads the lag once. */
  start(): Promise<void>;
  /** True once the consumer has joined its group and not crashed since. */
  isRunning(): boolean;
  /** True while the group has never committed an offset on the topic (a first start). */
  neverCommitted(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The stage a refusal code belongs to: `validation` for an invalid message, `producer` for who wrote it, `admission` for the others (`misrouted` too). */
export function refusalStage(code: RefusedMessage['code']): 'validation' | 'producer' | 'admission' {
  if (code === 'invalid') return 'validation';
  return code === 'unauthenticated' || code === 'forbidden' ? 'producer' : 'admission';
}

/** The dead letter of a refused message, its stage by its code (`refusalStage`), its producer key id kept. */
export function refusalLetter(topic: string, partition: number, refused: RefusedMessage): DeadLetter {
  return {
    key: refused.key,
    value: refused.value,
    reason: refused.reason,
    code: refused.code,
    sourceTopic: topic,
    sourcePartition: partition,
    sourceOffset: refused.offset,
    stage: refusalStage(refused.code),
    ...(refused.producerKey === undefined ? {} : { producerKey: refused.producerKey }),
  };
}

/**
 * Why a message of the events topic is on the wrong key: the sentence of a `misrouted` refusal
 * when its Kafka key (compared as bytes) is not the event's routing key or is missing, else
 * undefined.
 */
export function misrouting(key: Buffer | null, event: DvcEvent): string | undefined {
  const expected = routingKeyOf(event);
  if (key !== null && holdsText(key, expected)) return undefined;
  const found = key === null ? 'The message has no Kafka key, not' : `Kafka key ${quoted(key.toString('utf8'))} is not`;
  const rule = expected === event.subject ? 'an event is keyed by its subject' : 'a payment is keyed by the dossier it pays for';
  return `${found} the event's routing key ${quoted(expected)} (${rule}); re-drive it with dvc dlq redrive`;
}

/** Whether `bytes` are the UTF-8 encoding of `text`, without allocating when the text is ASCII (as routing keys are). */
function holdsText(bytes: Buffer, text: string): boolean {
  if (bytes.length !== text.length) return bytes.equals(Buffer.from(text, 'utf8'));
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return bytes.equals(Buffer.from(text, 'utf8'));
    if (bytes[i] !== code) return false;
  }
  return true;
}

/**
 * Judges one message: who wrote it (when `producers` is given: the key id alone, before decoding),
 * whether it is a valid and admissible event (`admitMessage`), whether its producer key's scope
 * covers it, whether its Kafka key is the event's routing key (`misrouted` otherwise), in that
 * order; the first refusal wins. The routing check comes last because a re-drive fixes it (`dvc
 * dlq redrive` re-keys the event), so a letter filed `misrouted` has nothing else wrong with it.
 */
export function judgeMessage(
  message: { key: Buffer | null; value: Buffer | null; offset: string; timestamp?: string; headers?: IHeaders },
  limits: AdmissionLimits,
  wallMs: number,
  producers?: ProducerGate,
): { ok: true; admitted: AdmittedMessage } | { ok: false; refused: RefusedMessage } {
  const keyId = headerText(message.headers, PRODUCER_KEY_HEADER);
  const consumed: ConsumedMessage = { key: message.key, value: message.value, offset: message.offset, ...(keyId === undefined ? {} : { producerKey: keyId }) };
  const producer = producers === undefined ? undefined : { gate: producers, verdict: producers.identify(keyId) };
  if (producer !== undefined && !producer.verdict.ok)
    return { ok: false, refused: { ...consumed, code: producer.verdict.code, reason: producer.verdict.reason } };
  const verdict = admitMessage(message.value, message.timestamp, limits, wallMs);
  if (!verdict.ok) return { ok: false, refused: { ...consumed, code: verdict.code, reason: verdict.reason } };
  if (producer?.verdict.ok === true) {
    const scope = producer.gate.scope(producer.verdict.key, verdict.event, limits.units);
    if (!scope.ok) return { ok: false, refused: { ...consumed, code: scope.code, reason: scope.reason } };
  }
  const misrouted = misrouting(message.key, verdict.event);
  if (misrouted !== undefined) return { ok: false, refused: { ...consumed, code: 'misrouted', reason: misrouted } };
  return { ok: true, admitted: { ...consumed, event: verdict.event } };
}

/**
 * The batch consumer every consumer of the event topic runs (projector, archiver): read-committed,
 * each Kafka batch (one partition) judged with `judgeMessage` (so every consumer keeps and refuses
 * the same events, a misrouted one included), handed to the handler, and only then its offset resolved and
 * committed. A crash anywhere before the commit delivers the batch again. Reports
 * `dvc_consumer_lag{topic,group,partition}` every `lagIntervalMs` (5 s) and the batch duration.
 */
export function createBatchConsumer<R extends { admission: AdmissionLimits }>(options: BatchConsumerOptions<R>): BatchConsumer {
  const { kafka, topic, groupId, handler, registry, logger } = options;
  const batchSeconds = new Histogram({ ...options.batchSeconds, registers: [registry] });
  const lagGauge = new Gauge({
    name: 'dvc_consumer_lag',
    help: 'Messages not yet committed by the group, per partition',
    labelNames: ['topic', 'group', 'partition'],
    registers: [registry],
  });
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const consumer: Consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    sessionTimeout,
    heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    // Large fetches make large batches when there is a backlog (a restart, a replay): the
    // projector writes each unit once per batch, so its cost per event falls as a unit gets more
    // events per batch (projector bench, 1M events of 346 B, 2,000 units: 4 MiB gave batches of
    // ≈ 10,200 events, 16 MiB ≈ 36,000, 32 MiB ≈ 60,000: the broker's own cap on a fetch
    // response, fetch.max.bytes 55 MiB, shares a response between partitions). 16 → 32 MiB, three
    // interleaved pairs: events per unit write 18 → 31, projector 23.7 → 20.1 µs of CPU per event
    // (medians), Redis 8.6 → 6.8 µs, peak RSS unchanged within the runs' spread (1.06–1.38 GiB).
    // Live traffic makes small batches either way.
    maxBytesPerPartition: 32 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    // An idle fetch waits this long for data (data returns it at once); kafkajs's default is 5 s,
    // and a graceful stop waits for the fetch in flight, so SIGTERM took about 5 s. 500 ms is the
    // Java client's fetch.max.wait.ms.
    maxWaitTimeInMs: 500,
  });
  const admin = kafka.admin();
  let running = false;
  let stopping = false;
  let lagWatch: LagWatch | undefined;
  const restarts = new Counter({
    name: 'dvc_consumer_restarts_total',
    help: 'Consumer restarts after a crash kafkajs gives up on (restart: false), by group',
    labelNames: ['group'],
    registers: [registry],
  });
  restarts.inc({ group: groupId }, 0);
  /** The restart after a crash kafkajs does not restart from, while one is scheduled; its attempt (1, 2, …) sets the delay. */
  let restartTimer: NodeJS.Timeout | undefined;
  let restartAttempt = 0;

  const eachBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const timer = batchSeconds.startTimer();
    const wallMs = options.now();
    const rules = handler.rules(wallMs);
    const admitted: AdmittedMessage[] = [];
    const refused: RefusedMessage[] = [];
    for (const message of batch.messages) {
      const judged = judgeMessage(message, rules.admission, wallMs, options.producers);
      if (judged.ok) admitted.push(judged.admitted);
      else refused.push(judged.refused);
    }
    await handler.handle({ topic: batch.topic, partition: batch.partition, wallMs, rules, admitted, refused });
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
    timer();
    restartAttempt = 0;
  };

  const run = () =>
    consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: 1000,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 2,
      eachBatch,
    });
  /**
   * kafkajs restarts its consumer after a retriable crash, but gives up on some (a broker away
   * longer than its retries: "Failed to find group coordinator"; an error it deems unrecoverable,
   * such as a TypeError in a handler) and leaves the process consuming nothing for ever. Those are
   * restarted here, after 1 s, doubling up to 30 s until a batch is handled again (a batch that
   * fails every time is retried every 30 s, not in a tight loop), or the consumer is stopped.
   */
  const scheduleRestart = () => {
    if (stopping || restartTimer !== undefined) return;
    restartAttempt += 1;
    const delayMs = Math.min(1000 * 2 ** (restartAttempt - 1), 30_000);
    logger.warn({ attempt: restartAttempt, delayMs }, 'kafkajs gave up on the consumer: restarting it');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      restarts.inc({ group: groupId });
      consumer
        .connect()
        .then(run)
        .catch((error: unknown) => {
          logger.error({ err: error, attempt: restartAttempt }, 'consumer restart failed');
          scheduleRestart();
        });
    }, delayMs);
  };

  return {
    async start() {
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        options.onAssignment?.();
        running = true;
        logger.info({ assigned: e.payload.memberAssignment }, 'joined consumer group');
      });
      consumer.on(consumer.events.CRASH, (e) => {
        running = false;
        logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
        if (!e.payload.restart) scheduleRestart();
      });
      await run();
      lagWatch = watchLag(
        admin,
        groupId,
        topic,
        options.lagIntervalMs ?? 5000,
        (partition, n) => lagGauge.set({ topic, group: groupId, partition: String(partition) }, n),
        (error) => logger.debug({ err: error }, 'lag refresh failed'),
      );
      await lagWatch.refresh();
    },
    isRunning: () => running,
    async neverCommitted() {
      // Asked at start-up too, when a broker that just started may still be loading the group's offsets.
      const offsets = await retryingRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      return offsets.every((t) => t.partitions.every((p) => p.offset === '-1'));
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      lagWatch?.stop();
      running = false;
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}
