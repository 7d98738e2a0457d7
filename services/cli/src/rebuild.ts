import type { Admin } from 'kafkajs';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { Logger, ProjectionRules, ReferenceData } from '@dvc/config';
import type { EventStore, Position } from '@dvc/eventstore';
import { createApp } from '@dvc/exporter';
import { applyEvents, pinnedView, type LiveState, type ProjectionStore } from '@dvc/redis';
import { parseExposition } from './compare.js';

export interface ApplyHistoryOptions {
  events: EventStore;
  projection: ProjectionStore;
  rules: ProjectionRules;
  /** Wall clock: the retention horizon and the applied-at stamp, as the projector uses them. */
  now: () => number;
  /** Apply the events after this position (exclusive). */
  after: Position;
  batchSize: number;
  /** Called after each batch with the last position applied and the events applied so far. */
  onBatch?: (position: Position, events: number) => void;
}

/**
 * Applies the store's history after `after`, in position order and in batches, exactly as the
 * projector applies a Kafka batch (same context, same expiry). Returns the last position
 * applied (`after` when there was nothing) and how many events were read.
 */
export async function applyHistory(options: ApplyHistoryOptions): Promise<{ position: Position; events: number }> {
  let position = options.after;
  let count = 0;
  for (;;) {
    const batch = await options.events.read({ after: position, limit: options.batchSize });
    if (batch.length === 0) break;
    const now = options.now();
    await applyEvents(options.projection, batch.map((s) => s.event), options.rules.ctxAt(now), options.now, options.rules.expireAt);
    position = batch[batch.length - 1]?.position ?? position;
    count += batch.length;
    options.onBatch?.(position, count);
  }
  return { position, events: count };
}

export interface ScrapeOptions {
  redis: Redis;
  reference: ReferenceData;
  namespace: string;
  /** One read of the live view: every namespace compared is computed at its now (and wall clock). */
  at: LiveState;
  logger: Logger;
}

/** Every series the exporter would serve for exactly this namespace at the instant of `at`. */
export async function scrapeNamespace(options: ScrapeOptions): Promise<Map<string, number>> {
  const app = createApp({
    redis: options.redis,
    live: pinnedView(options.at, options.namespace),
    days: options.reference.days,
    calendar: options.reference.calendar,
    units: options.reference.units,
    targets: options.reference.targets,
    logger: options.logger,
    processRegistry: new Registry(),
  });
  return parseExposition(await app.scrape());
}

/** Per partition, whether the group's committed offset has reached the given end offset. */
export async function groupReached(admin: Admin, groupId: string, topic: string, ends: ReadonlyMap<number, number>): Promise<boolean> {
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byPartition = new Map<number, number>();
  for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, Number(p.offset));
  for (const [partition, end] of ends) {
    if ((byPartition.get(partition) ?? -1) < end) return false;
  }
  return true;
}

/** The end offset (high watermark) of each partition holding messages; empty partitions need no wait. */
export async function topicEnds(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const ends = new Map<number, number>();
  for (const p of offsets) if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
  return ends;
}
