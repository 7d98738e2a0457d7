import type { Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import { DvcError, ADMISSION_CODES, beyondRetention, type AdmissionLimits, type ProjectionContext } from '@dvc/domain';
import { refusalLetter, type AdmittedBatch, type BatchHandler, type DeadLetterPublisher } from '@dvc/kafka';
import { resolveActiveNamespace } from '@dvc/read-model';
import { EpochGuard, OwnedStates, ProjectionStore, type Durability, type RedisClient } from '@dvc/redis';
import { counter, gauge } from '@dvc/service';

export interface ProjectionDeps {
  /** The store of the namespace live right now (see activeStore); resolved once per batch. */
  store: () => Promise<ProjectionStore>;
  /** The Redis the stores write to (for the namespace's epoch sentinel). */
  redis: RedisClient;
  deadLetters: DeadLetterPublisher;
  /**
   * The rules of a batch applied at wall-clock instant `now`, from the reference data current then
   * (it reloads without a restart): the projection context (the retention horizon moves with
   * `now`) and the admission limits.
   */
  rulesAt: (now: number) => BatchRules;
  /** Expiry of a bucket written at `now` (day buckets past retention), if any. */
  expireAt?: (bucket: string) => number | undefined;
  /** The consumer group: `epochOwner` names it in the epoch sentinel; `neverCommitted` tells a birth from a loss. */
  group: { epochOwner: string; neverCommitted: () => Promise<boolean> };
  registry: Registry;
  logger: Logger;
  /** Wall clock, for the "last applied" health timestamp and dead-letter headers. */
  now: () => number;
  /** At most this many states held in memory per owned partition (PROJECTOR_MAX_STATES_PER_PARTITION). */
  maxStatesPerPartition: number;
  /** At most this many over all owned partitions, shared equally (PROJECTOR_MAX_STATES). */
  maxStates: number;
}

/** What one batch is decoded, admitted and folded with: one snapshot of the reference data. */
export interface BatchRules {
  ctx: ProjectionContext;
  admission: AdmissionLimits;
}

export interface Projection extends BatchHandler<BatchRules> {
  /** Why the live namespace is known to have lost data (nothing is applied until it is rebuilt), or undefined. */
  dataLoss(): string | undefined;
  /** Forgets the partitions owned so far (the consumer rejoined its group: each is taken over again on its next batch). */
  release(): void;
}

/**
 * The store of the namespace `<base>:active` names, resolved with one GET per call, so batches
 * started after a rebuild's switch go to the new namespace. Stores are kept per namespace (the
 * script is defined once per client anyway). A batch that resolved the old namespace just before
 * a switch still lands there; the rebuild covers it by re-applying the event store's tail after
 * the archiver has passed the offsets seen at the switch.
 */
export function activeStore(redis: RedisClient, base: string, onSwitch: (namespace: string) => void, durability?: Durability): () => Promise<ProjectionStore> {
  const stores = new Map<string, ProjectionStore>();
  let current: string | undefined;
  return async () => {
    const namespace = await resolveActiveNamespace(redis, base);
    let store = stores.get(namespace);
    if (store === undefined) {
      store = new ProjectionStore(redis, namespace, durability);
      stores.set(namespace, store);
    }
    if (namespace !== current) {
      current = namespace;
      onSwitch(namespace);
    }
    return store;
  };
}

/** Thrown to stop a batch while the live namespace has lost data: the batch is retried later, uncommitted. */
export class ProjectionDataLostError extends DvcError {
  readonly code = 'DVC_PROJECTION_DATA_LOST';
}

/** The help texts of this module's metric families, kept apart so each declaration reads on one line. */
const HELP = {
  rejected:
    'Events dead-lettered by this instance, by stage (validation, admission, producer) and code (invalid, future-time, before-history-start, due-too-far, unknown-unit, misrouted: Kafka key not the routing key, unauthenticated, forbidden)',
  beyond: 'Events older than the retention horizon: applied to states and periods, not to day buckets',
  dataLossGauge: '1 while the live namespace has lost data (its epoch sentinel is gone): nothing is applied until `dvc rebuild --force`',
  conflicts: 'Unit writes refused because a writer that owns no partition (a rebuild tail, a tool) changed the unit since it was read: re-read and recomputed',
  statesRead: 'Subject states read from Redis because memory did not hold them (first touch after a take-over, closed dossiers, other subjects)',
  held: 'Subject states held in memory for the partitions this instance owns',
  takeovers: 'Partitions this instance took over (a new fencing epoch): after a start, a rebalance or a failed batch',
} as const;

/**
 * The projector's batch handler: the admitted events of a batch are applied to Redis with
 * exactly-once effect, the invalid and inadmissible messages dead-lettered (with their code).
 * The consumer runtime (`createBatchConsumer` of @dvc/kafka) commits the offset only afterwards;
 * a crash anywhere before the commit replays the batch, which the projection recognises and does
 * not count twice.
 */
export function createProjection(deps: ProjectionDeps): Projection {
  const applied = counter(deps.registry, 'dvc_projector_events_applied_total', 'Events applied by this instance', ['type']);
  const duplicates = counter(deps.registry, 'dvc_projector_events_duplicate_total', 'Events this instance found already applied', ['type']);
  const rejected = counter(deps.registry, 'dvc_projector_events_rejected_total', HELP.rejected, ['stage', 'code']);
  // Zero from the start, so a dashboard tells "none yet" from "not exported".
  rejected.inc({ stage: 'validation', code: 'invalid' }, 0);
  for (const code of [...ADMISSION_CODES, 'misrouted']) rejected.inc({ stage: 'admission', code }, 0);
  const conflicts = counter(deps.registry, 'dvc_projector_write_conflicts_total', HELP.conflicts);
  const statesRead = counter(deps.registry, 'dvc_projector_states_read_total', HELP.statesRead);
  const takeovers = counter(deps.registry, 'dvc_projector_partition_takeovers_total', HELP.takeovers);
  let owned: OwnedStates | undefined;
  const held = gauge(deps.registry, 'dvc_projector_states_held', HELP.held);
  const beyond = counter(deps.registry, 'dvc_projector_events_beyond_retention_total', HELP.beyond, ['type']);
  const dataLossGauge = gauge(deps.registry, 'dvc_projector_data_loss', HELP.dataLossGauge);
  let lost: string | undefined;
  // A namespace without its sentinel is a birth only while this group has never committed.
  const epochs = new EpochGuard(deps.redis, deps.group.epochOwner, deps.group.neverCommitted, deps.now);

  const handle = async ({ topic, partition, rules, admitted, refused }: AdmittedBatch<BatchRules>) => {
    const store = await deps.store();
    const epoch = await epochs.check(store.keys.namespace);
    if (!epoch.ok) {
      if (lost === undefined)
        deps.logger.error(
          { namespace: store.keys.namespace, reason: epoch.reason },
          'projection data lost: applying nothing until it is rebuilt (dvc rebuild --force)',
        );
      lost = epoch.reason;
      dataLossGauge.set(1);
      throw new ProjectionDataLostError(epoch.reason);
    }
    if (lost !== undefined) deps.logger.info({ namespace: store.keys.namespace }, 'projection namespace healthy again: applying');
    lost = undefined;
    dataLossGauge.set(0);
    const events = admitted.map((m) => m.event);
    for (const event of events) if (beyondRetention(event, rules.ctx)) beyond.inc({ type: event.type });
    // The partitions are owned per namespace: after a rebuild's switch the new one is taken over.
    if (owned?.namespace !== store.keys.namespace)
      owned = new OwnedStates(store, { maxStatesPerPartition: deps.maxStatesPerPartition, maxStates: deps.maxStates });
    const stats = await owned.apply(partition, events, rules.ctx, deps.now, deps.expireAt);
    statesRead.inc(stats.reads);
    if (stats.tookOver) takeovers.inc();
    held.set(owned.held());
    if (refused.length > 0) {
      const letters = refused.map((r) => refusalLetter(topic, partition, r));
      await deps.deadLetters.publish(letters, new Date(deps.now()));
      const byCode = new Map<string, number>();
      for (const l of letters) {
        rejected.inc({ stage: l.stage, code: l.code });
        byCode.set(l.code, (byCode.get(l.code) ?? 0) + 1);
      }
      deps.logger.warn({ partition, count: letters.length, codes: Object.fromEntries(byCode), first: letters[0]?.reason }, 'events dead-lettered');
    }
    for (const [type, n] of stats.applied) applied.inc({ type }, n);
    for (const [type, n] of stats.duplicates) duplicates.inc({ type }, n);
    if (stats.conflicts > 0) conflicts.inc(stats.conflicts);
  };

  return { rules: deps.rulesAt, handle, dataLoss: () => lost, release: () => owned?.release() };
}
