import type { Redis } from 'ioredis';
import { SETS } from '@dvc/domain';
import { Keys } from '@dvc/redis';
import { OVERDUE_LIST_SIZE, type OverdueList } from './render.js';

/** Reads the oldest overdue open dossiers of a unit at `nowMs`. */
export type OverdueReader = (unitId: string, nowMs: number) => Promise<OverdueList>;

/**
 * From the projection's open set (`<ns>:{<unit>}:z:open`, scored by effective due time): the
 * members scored before now are the overdue ones, the lowest scores the longest overdue.
 * Never throws: a notice goes out without the list rather than not at all.
 */
export function redisOverdueReader(redis: Redis, namespace: string, timeoutMs: number): OverdueReader {
  const keys = new Keys(namespace);
  return async (unitId, nowMs) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = redis.zrangebyscore(keys.set(unitId, SETS.open), '-inf', `(${nowMs}`, 'WITHSCORES', 'LIMIT', 0, OVERDUE_LIST_SIZE);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const flat = await Promise.race([read, timeout]);
      const dossiers = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const member = flat[i] ?? '';
        dossiers.push({ code: member.startsWith('dossier:') ? member.slice('dossier:'.length) : member, dueMs: Number(flat[i + 1]) });
      }
      return { ok: true, dossiers };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
}
