import { execGroups, type RedisClient } from './client.js';
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

/**
 * Reads, in one pipelined round trip (on a cluster, one per unit, all in flight together), the
 * buckets, meta and open-set counts of every unit. The overdue, due-soon and paused counts are those of the lists of `queueRange` (the domain's
 * `isOverdueAt`, `isDueSoonAt` and `isPaused` at `nowMs`); in time is open minus overdue (no
 * known due time included). Results and receipts are late when their deadline is before now.
 */
export async function readSnapshots(
  redis: RedisClient,
  keys: Keys,
  unitIds: readonly string[],
  buckets: readonly string[],
  nowMs: number,
): Promise<UnitSnapshot[]> {
  if (unitIds.length === 0) return [];
  // A unit's keys share its hash tag: one group per unit (one pipeline in all on one Redis).
  const results = await execGroups(
    redis,
    unitIds.map((unitId) => (pipeline) => {
      for (const bucket of buckets) pipeline.hgetall(keys.bucket(unitId, bucket));
      pipeline.hgetall(keys.meta(unitId));
      const overdue = queueRange(keys, unitId, 'overdue', nowMs);
      const dueSoon = queueRange(keys, unitId, 'due-soon', nowMs);
      const paused = queueRange(keys, unitId, 'paused', nowMs);
      pipeline.zcount(overdue.key, overdue.min, overdue.max);
      pipeline.zcard(keys.set(unitId, SETS.open));
      pipeline.zcount(dueSoon.key, dueSoon.min, dueSoon.max);
      pipeline.zcount(paused.key, paused.min, paused.max);
      pipeline.zcount(keys.set(unitId, SETS.awaitingResult), '-inf', `(${nowMs}`);
      pipeline.zcount(keys.set(unitId, SETS.pendingReceipt), '-inf', `(${nowMs}`);
    }),
  );
  return unitIds.map((unitId, u) => {
    const unitResults = results[u] ?? [];
    let i = 0;
    const next = (): unknown => unitResults[i++];
    const bucketMap = new Map<string, Map<string, number>>();
    for (const bucket of buckets) bucketMap.set(bucket, numbers(next() as Record<string, string>));
    const meta = numbers(next() as Record<string, string>);
    const overdue = next() as number;
    const total = next() as number;
    const dueWithin24h = next() as number;
    const paused = next() as number;
    const resultOverdue = next() as number;
    const receiptOverdue = next() as number;
    return { unitId, buckets: bucketMap, meta, open: { overdue, inTime: total - overdue, dueWithin24h }, paused, resultOverdue, receiptOverdue };
  });
}
