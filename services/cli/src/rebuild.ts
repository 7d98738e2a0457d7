import type { ProjectionRules, ReferenceData } from '@dvc/config';
import { ADMISSION_CODES, admitEvent, laneOf, type AdmissionCode, type AdmissionLimits, type DvcEvent } from '@dvc/domain';
import type { EventStore, Position } from '@dvc/eventstore';
import { scrapeWindows, snapshotSeries } from '@dvc/metrics';
import { listUnits, pinnedView, readSnapshots, type LiveState, type RedisClient } from '@dvc/read-model';
import { OwnedStates, applyEvents, statesInHalfTheHeap, type ProjectionStore } from '@dvc/redis';

export interface ApplyHistoryOptions {
  events: EventStore;
  projection: ProjectionStore;
  rules: ProjectionRules;
  /**
   * The admission limits: events the projector would refuse today are skipped (the store may
   * hold some archived before admission existed). The store keeps no time of recording, so
   * "now" is the wall clock.
   */
  admission: AdmissionLimits;
  /** Wall clock: admission, the retention horizon and the applied-at stamp, as the projector uses them. */
  now: () => number;
  /** Apply the events after this position (exclusive). */
  after: Position;
  batchSize: number;
  /** Called after each batch with the last position applied and the events applied so far. */
  onBatch?: (position: Position, events: number) => void;
  /**
   * True while nothing else writes the namespace (a rebuild before its switch): the history is
   * applied on the projector's own path, its states held in memory as a projector holds owned
   * partitions' (`REBUILD_LANES` lanes, partitions -1, -2, …, by routing key), nothing read back. False once projectors write it too (the
   * tail after a switch): the compare-and-set path, which re-reads every state and which the
   * projectors notice (their states of a unit it wrote are read again).
   */
  sole: boolean;
}

/**
 * Lanes a rebuild applies at once, each like an owned partition (numbered -1, -2, …: no Kafka
 * partition has them), an event's lane fixed by its routing key (laneOf of @dvc/domain) so each subject stays in one:
 * one lane's Redis round trip overlaps the others' folding.
 */
export const REBUILD_LANES = 4;

/**
 * States a rebuild holds in memory at most, per lane, and over all lanes as many as fill half the
 * heap (as the projector): the least recently used are forgotten first and read back when touched.
 */
const REBUILD_MAX_STATES = 200_000;

/** Events of the store not applied because admission refuses them, by code. */
export type Skipped = Partial<Record<AdmissionCode, number>>;

/**
 * Applies the store's history after `after`, in position order and in batches, exactly as the
 * projector applies a Kafka batch (same admission, same context, same expiry, same write path
 * while `sole`). Returns the last
 * position read (`after` when there was nothing), how many events were read and how many of
 * them were skipped as inadmissible, by code.
 */
export async function applyHistory(options: ApplyHistoryOptions): Promise<{ position: Position; events: number; skipped: Skipped }> {
  let position = options.after;
  let count = 0;
  const owned = options.sole ? new OwnedStates(options.projection, { maxStatesPerPartition: REBUILD_MAX_STATES, maxStates: statesInHalfTheHeap() }) : undefined;
  const skipped: Skipped = {};
  let next = options.events.read({ after: position, limit: options.batchSize });
  for (;;) {
    const batch = await next;
    if (batch.length === 0) break;
    // The next batch is read while this one is applied. An embedded store reads synchronously:
    // scheduled with setImmediate, its read runs once every lane waits on Redis (the writes sent),
    // so the store's read and Redis' work on this batch overlap on the two cores.
    const after = batch[batch.length - 1]?.position ?? position;
    next = new Promise<void>((resolve) => setImmediate(resolve)).then(() => options.events.read({ after, limit: options.batchSize }));
    // Should this batch fail, the read under way is not awaited: its failure, if any, is not reported twice.
    next.catch(() => undefined);
    const now = options.now();
    const policy = { ...options.admission, referenceMs: now };
    const admitted: DvcEvent[] = [];
    for (const { event } of batch) {
      const verdict = admitEvent(event, policy);
      if (verdict.ok) admitted.push(event);
      else skipped[verdict.code] = (skipped[verdict.code] ?? 0) + 1;
    }
    const ctx = options.rules.ctxAt(now);
    if (owned === undefined) await applyEvents(options.projection, admitted, ctx, options.now, options.rules.expireAt);
    else {
      const lanes: DvcEvent[][] = Array.from({ length: REBUILD_LANES }, () => []);
      for (const event of admitted) lanes[laneOf(event, REBUILD_LANES)]?.push(event);
      const busy = lanes.flatMap((events, lane) => (events.length === 0 ? [] : [{ events, partition: -1 - lane }]));
      await Promise.all(busy.map(({ events, partition }) => owned.apply(partition, events, ctx, options.now, options.rules.expireAt)));
    }
    position = after;
    count += batch.length;
    options.onBatch?.(position, count);
  }
  return { position, events: count, skipped };
}

/** How many were skipped, and by which code: "0", or "3 (future-time 1, unknown-unit 2)". */
export function describeSkipped(skipped: Skipped): string {
  const entries = ADMISSION_CODES.map((code) => [code, skipped[code] ?? 0] as const).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return total === 0 ? '0' : `${total} (${entries.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** The two counts summed, code by code. */
export function addSkipped(a: Skipped, b: Skipped): Skipped {
  const out: Skipped = { ...a };
  for (const [code, n] of Object.entries(b) as [AdmissionCode, number][]) out[code] = (out[code] ?? 0) + n;
  return out;
}

export interface SeriesOptions {
  redis: RedisClient;
  reference: ReferenceData;
  namespace: string;
  /** One read of the live view: every namespace compared is computed at its now (and wall clock). */
  at: LiveState;
}

/**
 * Every series of the metrics contract for exactly this namespace at the instant of `at`, as
 * the exporter computes them (`snapshotSeries` of @dvc/metrics, from the same reads), for every
 * unit: those the exporter would leave out beyond its cap of unknown units included.
 */
export async function namespaceSeries(options: SeriesOptions): Promise<Map<string, number>> {
  const { keys, nowMs, wallMs } = await pinnedView(options.at, options.namespace).resolve();
  const { windows, buckets } = scrapeWindows(options.reference, nowMs);
  const snapshots = await readSnapshots(options.redis, keys, await listUnits(options.redis, keys), buckets, nowMs);
  return snapshotSeries({ snapshots, windows, nowMs, wallMs, reference: options.reference });
}
