import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@dvc/read-model';

/**
 * Every projection namespace carries a sentinel, `<namespace>:epoch`, written once when the
 * namespace is born (by the first projector of a fresh consumer group, or by a rebuild before
 * it switches). Redis restarted without persistence, a FLUSHDB or a deleted namespace all take
 * the sentinel with them, and a writer that finds it missing where it must exist knows the
 * projection lost data: it stops writing (partial counters would be served as if true) until
 * the namespace is rebuilt from the event store (`dvc rebuild --force`).
 */
export function epochKey(namespace: string): string {
  return `${namespace}:epoch`;
}

export interface Epoch {
  id: string;
  createdAtMs: number;
  createdBy: string;
}

/** Writes the namespace's sentinel unless it has one; returns the one that holds. */
export async function createEpoch(redis: RedisClient, namespace: string, createdBy: string, nowMs: number): Promise<Epoch> {
  const epoch: Epoch = { id: randomUUID(), createdAtMs: nowMs, createdBy };
  await redis.set(epochKey(namespace), JSON.stringify(epoch), 'NX');
  const held = await readEpoch(redis, namespace);
  if (held === undefined) throw new Error(`${epochKey(namespace)} vanished right after it was written`);
  return held;
}

export async function readEpoch(redis: RedisClient, namespace: string): Promise<Epoch | undefined> {
  const raw = await redis.get(epochKey(namespace));
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<Epoch>;
    if (typeof parsed.id === 'string' && typeof parsed.createdAtMs === 'number' && typeof parsed.createdBy === 'string') {
      return { id: parsed.id, createdAtMs: parsed.createdAtMs, createdBy: parsed.createdBy };
    }
  } catch {
    // fall through: a sentinel nobody can read is as good as none
  }
  throw new Error(`${epochKey(namespace)} holds '${raw.slice(0, 80)}', not an epoch written by this system`);
}

export type EpochCheck = { ok: true; epoch: Epoch } | { ok: false; reason: string };

/**
 * The writer's side of the sentinel. For each namespace it writes into, it remembers the epoch it
 * found; the first time it meets a namespace without one, `mayCreate` decides whether that is a
 * birth (nothing was ever projected by this writer's group: create it) or a loss.
 */
export class EpochGuard {
  readonly #seen = new Map<string, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly createdBy: string,
    /** True while this writer has never committed any progress (a fresh consumer group). */
    private readonly mayCreate: () => Promise<boolean>,
    private readonly now: () => number,
  ) {}

  async check(namespace: string): Promise<EpochCheck> {
    const found = await readEpoch(this.redis, namespace);
    const seen = this.#seen.get(namespace);
    if (found !== undefined) {
      if (seen !== undefined && seen !== found.id) {
        return {
          ok: false,
          reason: `${epochKey(namespace)} changed from ${seen} to ${found.id}: the namespace was deleted and started again while this writer had data in it`,
        };
      }
      this.#seen.set(namespace, found.id);
      return { ok: true, epoch: found };
    }
    if (seen !== undefined) {
      return {
        ok: false,
        reason: `${epochKey(namespace)} (epoch ${seen}) is gone: Redis lost the projection (restart without persistence, flush or deleted keys)`,
      };
    }
    if (!(await this.mayCreate())) {
      return {
        ok: false,
        reason: `namespace ${namespace} has no ${epochKey(namespace)} although this consumer group has already committed progress: the projection was lost or never written here`,
      };
    }
    const created = await createEpoch(this.redis, namespace, this.createdBy, this.now());
    this.#seen.set(namespace, created.id);
    return { ok: true, epoch: created };
  }
}
