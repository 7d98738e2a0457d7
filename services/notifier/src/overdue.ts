import type { Redis } from 'ioredis';
import { SETS } from '@dvc/domain';
import type { ClockSetting } from '@dvc/config';
import type { LiveView } from '@dvc/redis';
import { OVERDUE_LIST_SIZE, type OverdueList } from './render.js';

/** What one notice is written from, read once per notice. */
export interface OverdueReading {
  /** The live namespace the lists were read from; undefined when Redis did not answer. */
  namespace: string | undefined;
  /**
   * The clock's now when it is not the wall clock (CLOCK_AS_OF, or the event-time watermark of
   * the live namespace): the lists are read at it and days overdue count from it. Undefined for
   * the wall clock, and for the watermark when Redis did not answer.
   */
  asOf: number | undefined;
  /** Per unit asked for: its oldest overdue open dossiers, or why they could not be read. */
  lists: Map<string, OverdueList>;
}

/** Resolves what is live and when now is, then reads the oldest overdue dossiers of each unit. */
export interface OverdueReader {
  /** The configured clock of the live view (reported by the notifier). */
  readonly clock: ClockSetting;
  read(unitIds: readonly string[]): Promise<OverdueReading>;
}

/**
 * From the live view (`createLiveView` of @dvc/redis: the namespace `<base>:active` names, read
 * afresh per notice, and the configured clock) and the projection's open sets
 * (`<ns>:{<unit>}:z:open`, scored by effective due time): the members scored before now are the
 * overdue ones, the lowest scores the longest overdue. Never throws: within `timeoutMs` or not
 * at all, a notice goes out without the list rather than not at all.
 */
export function liveOverdueReader(redis: Redis, live: LiveView, timeoutMs: number): OverdueReader {
  const pinned = live.clock.mode === 'as-of' ? live.clock.asOfMs : undefined;
  const read = async (unitIds: readonly string[]): Promise<OverdueReading> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const reading = (async (): Promise<OverdueReading> => {
        const state = await live.resolve();
        const pipeline = redis.pipeline();
        for (const unitId of unitIds) pipeline.zrangebyscore(state.keys.set(unitId, SETS.open), '-inf', `(${state.nowMs}`, 'WITHSCORES', 'LIMIT', 0, OVERDUE_LIST_SIZE);
        const results = unitIds.length === 0 ? [] : ((await pipeline.exec()) ?? []);
        const lists = new Map<string, OverdueList>();
        unitIds.forEach((unitId, i) => {
          const [error, value] = results[i] ?? [new Error('missing pipeline result'), null];
          if (error) {
            lists.set(unitId, { ok: false, reason: error.message });
            return;
          }
          const flat = value as string[];
          const dossiers = [];
          for (let j = 0; j + 1 < flat.length; j += 2) {
            const member = flat[j] ?? '';
            dossiers.push({ code: member.startsWith('dossier:') ? member.slice('dossier:'.length) : member, dueMs: Number(flat[j + 1]) });
          }
          lists.set(unitId, { ok: true, dossiers });
        });
        return { namespace: state.namespace, asOf: state.clockMode === 'wall' ? undefined : state.nowMs, lists };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      return await Promise.race([reading, timeout]);
    } catch (error) {
      const reason = (error as Error).message;
      return { namespace: undefined, asOf: pinned, lists: new Map(unitIds.map((u) => [u, { ok: false, reason }])) };
    } finally {
      clearTimeout(timer);
    }
  };
  return { clock: live.clock, read };
}
