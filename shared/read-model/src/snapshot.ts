import type { Redis } from 'ioredis';
import { SETS } from '@dvc/domain';
import type { Keys } from './keys.js';
import { queueRange } from './queues.js';

/** What the exporter needs of one unit at one instant. */
export interface UnitSnapshot {
  unitId: string;
  /** Bucket ('YYYY-MM-DD' or 'current') -> field -> count. */
  buckets: Map<string, Map<string, number>>;
  meta: Map<string, number>;
  open: { overdue: number; inTime: number; dueWithin24h: number };
  paused: number;
  /** Resolved dossiers whose result is past its return deadline and still not returned. */
  resultOverdue: number;
  /** Online submissions past their receipt deadline and still not received. */
  receiptOverdue: number;
}

function numbers(record: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(record)) out.set(k, Number(v));
  return out;
}

/** What of a unit's snapshot moves with the clock alone: its open-set counts at now. */
export type ClockCounts = Pick<UnitSnapshot, 'open' | 'paused' | 'resultOverdue' | 'receiptOverdue'>;

type Pipeline = ReturnType<Redis['pipeline']>;

function queueClockCounts(pipeline: Pipeline, keys: Keys, unitId: string, nowMs: number): void {
  const overdue = queueRange(keys, unitId, 'overdue', nowMs);
  const dueSoon = queueRange(keys, unitId, 'due-soon', nowMs);
  const paused = queueRange(keys, unitId, 'paused', nowMs);
  pipeline.zcount(overdue.key, overdue.min, overdue.max);
  pipeline.zcard(keys.set(unitId, SETS.open));
  pipeline.zcount(dueSoon.key, dueSoon.min, dueSoon.max);
  pipeline.zcount(paused.key, paused.min, paused.max);
  pipeline.zcount(keys.set(unitId, SETS.awaitingResult), '-inf', `(${nowMs}`);
  pipeline.zcount(keys.set(unitId, SETS.pendingReceipt), '-inf', `(${nowMs}`);
}

function parseClockCounts(next: () => unknown): ClockCounts {
  const overdue = next() as number;
  const total = next() as number;
  const dueWithin24h = next() as number;
  const paused = next() as number;
  const resultOverdue = next() as number;
  const receiptOverdue = next() as number;
  return { open: { overdue, inTime: total - overdue, dueWithin24h }, paused, resultOverdue, receiptOverdue };
}

function reader(results: [Error | null, unknown][]): () => unknown {
  let i = 0;
  return () => {
    const [error, value] = results[i++] ?? [new Error('missing pipeline result'), null];
    if (error) throw error;
    return value;
  };
}

/**
 * Reads, in one pipelined round trip, the buckets, meta and open-set counts of every unit. The
 * overdue, due-soon and paused counts are those of the lists of `queueRange` (the domain's
 * `isOverdueAt`, `isDueSoonAt` and `isPaused` at `nowMs`); in time is open minus overdue (no
 * known due time included). Results and receipts are late when their deadline is before now.
 */
export async function readSnapshots(
  redis: Redis,
  keys: Keys,
  unitIds: readonly string[],
  buckets: readonly string[],
  nowMs: number,
): Promise<UnitSnapshot[]> {
  if (unitIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const unitId of unitIds) {
    for (const bucket of buckets) pipeline.hgetall(keys.bucket(unitId, bucket));
    pipeline.hgetall(keys.meta(unitId));
    queueClockCounts(pipeline, keys, unitId, nowMs);
  }
  const next = reader((await pipeline.exec()) ?? []);
  return unitIds.map((unitId) => {
    const bucketMap = new Map<string, Map<string, number>>();
    for (const bucket of buckets) bucketMap.set(bucket, numbers(next() as Record<string, string>));
    const meta = numbers(next() as Record<string, string>);
    return { unitId, buckets: bucketMap, meta, ...parseClockCounts(next) };
  });
}

/**
 * A unit's change signal and clock counts, without its buckets: `revision` is the meta hash's
 * revision and lastAppliedMs (the projector's write script moves both with every batch it
 * applies to the unit, atomically with the batch), so an unchanged revision means unchanged
 * buckets and meta; `clock` (absent when not asked) is what moves with now alone.
 */
export interface UnitHead {
  unitId: string;
  revision: string;
  clock: ClockCounts | undefined;
}

/**
 * Reads, in one pipelined round trip, the revision of every unit of `unitIds` and the clock
 * counts at `nowMs` of those `withClock` says.
 */
export async function readUnitHeads(redis: Redis, keys: Keys, unitIds: readonly string[], withClock: (unitId: string) => boolean, nowMs: number): Promise<UnitHead[]> {
  if (unitIds.length === 0) return [];
  const pipeline = redis.pipeline();
  const clocked = unitIds.map(withClock);
  unitIds.forEach((unitId, i) => {
    pipeline.hmget(keys.meta(unitId), 'revision', 'lastAppliedMs');
    if (clocked[i]) queueClockCounts(pipeline, keys, unitId, nowMs);
  });
  const next = reader((await pipeline.exec()) ?? []);
  return unitIds.map((unitId, i) => {
    const [revision, lastAppliedMs] = next() as (string | null)[];
    return { unitId, revision: `${revision ?? ''}/${lastAppliedMs ?? ''}`, clock: clocked[i] ? parseClockCounts(next) : undefined };
  });
}

/** Reads the meta hash of each unit, in one pipelined round trip. */
export async function readMeta(redis: Redis, keys: Keys, unitIds: readonly string[]): Promise<Map<string, number>[]> {
  if (unitIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const unitId of unitIds) pipeline.hgetall(keys.meta(unitId));
  const next = reader((await pipeline.exec()) ?? []);
  return unitIds.map(() => numbers(next() as Record<string, string>));
}
