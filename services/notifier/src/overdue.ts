import type { ClockSetting } from '@dvc/config';
import { readDueSoon, readOverdue, type LiveView, type RedisClient } from '@dvc/read-model';
import { OVERDUE_LIST_SIZE, type DossierList } from './render.js';

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
  lists: Map<string, DossierList>;
  /** Per unit asked for due soon: its open dossiers due soonest within 24 hours, or why they could not be read. */
  dueSoon?: Map<string, DossierList>;
}

/** Resolves what is live and when now is, then reads the worklists the notice names: the oldest overdue dossiers of some units, the soonest due of others. */
export interface OverdueReader {
  /** The configured clock of the live view (reported by the notifier). */
  readonly clock: ClockSetting;
  read(unitIds: readonly string[], dueSoonUnitIds?: readonly string[]): Promise<OverdueReading>;
}

/**
 * From the live view (`createLiveView` of @dvc/read-model: the namespace `<base>:active` names,
 * read afresh per notice, and the configured clock), each unit's first page of `readOverdue`
 * (its open dossiers overdue at that now, the domain's `isOverdueAt`, the longest overdue first),
 * and for the units asked for due soon the first page of `readDueSoon` (due within 24 hours,
 * the soonest first). Never throws: within `timeoutMs` or not at all, a notice goes out without
 * the lists rather than not at all.
 */
export function liveOverdueReader(redis: RedisClient, live: LiveView, timeoutMs: number): OverdueReader {
  const pinned = live.clock.mode === 'as-of' ? live.clock.asOfMs : undefined;
  const read = async (unitIds: readonly string[], dueSoonUnitIds: readonly string[] = []): Promise<OverdueReading> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const reading = (async (): Promise<OverdueReading> => {
        const state = await live.resolve();
        const lists = (units: readonly string[], readPage: typeof readOverdue) =>
          Promise.all(
            units.map(async (unitId): Promise<[string, DossierList]> => {
              try {
                const page = await readPage(redis, state, unitId, { limit: OVERDUE_LIST_SIZE });
                return [unitId, { ok: true, dossiers: page.items.map((d) => ({ code: d.dossierId, dueMs: d.dueMs })) }];
              } catch (error) {
                return [unitId, { ok: false, reason: (error as Error).message }];
              }
            }),
          );
        const [overdue, dueSoon] = await Promise.all([lists(unitIds, readOverdue), lists(dueSoonUnitIds, readDueSoon)]);
        return {
          namespace: state.namespace,
          asOf: state.clockMode === 'wall' ? undefined : state.nowMs,
          lists: new Map(overdue),
          ...(dueSoonUnitIds.length === 0 ? {} : { dueSoon: new Map(dueSoon) }),
        };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      return await Promise.race([reading, timeout]);
    } catch (error) {
      const reason = (error as Error).message;
      const failed = (units: readonly string[]) => new Map(units.map((u): [string, DossierList] => [u, { ok: false, reason }]));
      return { namespace: undefined, asOf: pinned, lists: failed(unitIds), ...(dueSoonUnitIds.length === 0 ? {} : { dueSoon: failed(dueSoonUnitIds) }) };
    } finally {
      clearTimeout(timer);
    }
  };
  return { clock: live.clock, read };
}
