import type { ChainableCommander } from 'ioredis';
import { DUE_SOON_MS, SETS } from '@dvc/domain';
import { execGroups, type RedisClient } from './client.js';
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

type Pipeline = ChainableCommander;

function queueClockCounts(pipeline: Pipeline, keys: Keys, unitId: string, nowMs: number): void {
  const overdue = queueRange(keys, unitId, 'overdue', nowMs);
  const dueSoon = queueRange(keys, unitId, 'due-soon', nowMs);
  const paused = queueRange(keys, unitId, 'paused', nowMs);
  const receiptOverdue = queueRange(keys, unitId, 'receipt-overdue', nowMs);
  const resultOverdue = queueRange(keys, unitId, 'result-not-returned', nowMs);
  pipeline.zcount(overdue.key, overdue.min, overdue.max);
  pipeline.zcard(keys.set(unitId, SETS.open));
  pipeline.zcount(dueSoon.key, dueSoon.min, dueSoon.max);
  pipeline.zcount(paused.key, paused.min, paused.max);
  pipeline.zcount(resultOverdue.key, resultOverdue.min, resultOverdue.max);
  pipeline.zcount(receiptOverdue.key, receiptOverdue.min, receiptOverdue.max);
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

/** Reads one group's results (execGroups answers them unwrapped) in order. */
function reader(results: readonly unknown[]): () => unknown {
  let i = 0;
  return () => results[i++];
}

/**
 * Reads, in one pipelined round trip, the buckets, meta and open-set counts of every unit. The
 * overdue, due-soon and paused counts are those of the lists of `queueRange` (the domain's
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
  return (await readSnapshotsAndHorizons(redis, keys, unitIds, buckets, nowMs, false)).map(({ snapshot }) => snapshot);
}

/**
 * `readSnapshots`, and for each unit until when its clock counts hold: the earliest instant
 * after `nowMs` at which one of them can change (a score leaving or entering one of their score
 * ranges), +Infinity when none can. The counts read at `nowMs` are those at every instant from
 * `nowMs` up to, not including, that horizon, as long as the unit's sets do not change.
 */
export async function readSnapshotsWithHorizons(
  redis: RedisClient,
  keys: Keys,
  unitIds: readonly string[],
  buckets: readonly string[],
  nowMs: number,
): Promise<{ snapshot: UnitSnapshot; clockHoldsUntilMs: number }[]> {
  return readSnapshotsAndHorizons(redis, keys, unitIds, buckets, nowMs, true);
}

/** A score as Redis writes it ('inf', '-inf' or a number). */
const score = (raw: unknown): number => {
  const text = String(raw);
  return text === 'inf' || text === '+inf' ? Number.POSITIVE_INFINITY : text === '-inf' ? Number.NEGATIVE_INFINITY : Number(text);
};

/** The lowest score of a ZRANGE … LIMIT 0 1 WITHSCORES answer, +Infinity when empty. */
const firstScore = (reply: unknown): number => {
  const pair = reply as string[];
  return pair.length >= 2 ? score(pair[1]) : Number.POSITIVE_INFINITY;
};

async function readSnapshotsAndHorizons(
  redis: RedisClient,
  keys: Keys,
  unitIds: readonly string[],
  buckets: readonly string[],
  nowMs: number,
  horizons: boolean,
): Promise<{ snapshot: UnitSnapshot; clockHoldsUntilMs: number }[]> {
  if (unitIds.length === 0) return [];
  // A unit's keys share its hash tag: one group per unit (one pipeline in all on a single Redis).
  const results = await execGroups(
    redis,
    unitIds.map((unitId) => (pipeline) => {
      for (const bucket of buckets) pipeline.hgetall(keys.bucket(unitId, bucket));
      pipeline.hgetall(keys.meta(unitId));
      queueClockCounts(pipeline, keys, unitId, nowMs);
      if (horizons) {
        // overdue (score < now) and due soon (now <= score <= now + DUE_SOON_MS) lose a member
        // when now passes the lowest open score >= now; due soon gains one when now + DUE_SOON_MS
        // reaches the lowest open score above it; results and receipts (score < now) when now
        // passes their lowest score >= now. The paused count does not move with the clock.
        pipeline.zrangebyscore(keys.set(unitId, SETS.open), nowMs, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
        pipeline.zrangebyscore(keys.set(unitId, SETS.open), `(${nowMs + DUE_SOON_MS}`, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
        pipeline.zrangebyscore(keys.set(unitId, SETS.awaitingResult), nowMs, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
        pipeline.zrangebyscore(keys.set(unitId, SETS.pendingReceipt), nowMs, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
      }
    }),
  );
  return unitIds.map((unitId, u) => {
    const next = reader(results[u] ?? []);
    const bucketMap = new Map<string, Map<string, number>>();
    for (const bucket of buckets) bucketMap.set(bucket, numbers(next() as Record<string, string>));
    const meta = numbers(next() as Record<string, string>);
    const snapshot = { unitId, buckets: bucketMap, meta, ...parseClockCounts(next) };
    if (!horizons) return { snapshot, clockHoldsUntilMs: nowMs };
    const leaves = firstScore(next());
    const enters = firstScore(next()) - DUE_SOON_MS;
    const result = firstScore(next());
    const receipt = firstScore(next());
    // A score s >= now leaves its ranges when now passes it: the counts hold up to s included,
    // i.e. before s + 1 when s is now itself (clocks are whole milliseconds); otherwise s, a
    // millisecond early at worst (an early horizon only costs a recomputation).
    return {
      snapshot,
      clockHoldsUntilMs: Math.min(
        leaves === nowMs ? leaves + 1 : leaves,
        enters,
        result === nowMs ? result + 1 : result,
        receipt === nowMs ? receipt + 1 : receipt,
      ),
    };
  });
}

/**
 * The revision of each unit (its meta hash's `revision`, moved by the projector's write script
 * with every batch it applies to the unit, in the same atomic step): an unchanged revision means
 * unchanged buckets, meta and sets. Undefined for a unit never written with a revision.
 */
export async function readRevisions(redis: RedisClient, keys: Keys, unitIds: readonly string[]): Promise<(string | undefined)[]> {
  if (unitIds.length === 0) return [];
  const results = await execGroups(
    redis,
    unitIds.map((unitId) => (pipeline) => pipeline.hget(keys.meta(unitId), 'revision')),
  );
  return results.map((group) => (group[0] as string | null) ?? undefined);
}

/** Reads the meta hash of each unit, in one pipelined round trip. */
export async function readMeta(redis: RedisClient, keys: Keys, unitIds: readonly string[]): Promise<Map<string, number>[]> {
  if (unitIds.length === 0) return [];
  const results = await execGroups(
    redis,
    unitIds.map((unitId) => (pipeline) => pipeline.hgetall(keys.meta(unitId))),
  );
  return results.map((group) => numbers(group[0] as Record<string, string>));
}
