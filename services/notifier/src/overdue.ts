import type { ClockSetting } from '@dvc/config';
import { readDueSoon, readOverdue, readReceiptOverdue, readResultNotReturned, type LiveView, type ReadAt, type RedisClient } from '@dvc/read-model';
import { OVERDUE_LIST_SIZE, type DossierList, type ListedDossier, type Worklist } from './render.js';

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
  /**
   * Per worklist asked for, per unit asked for: its first dossiers (the oldest overdue, the
   * soonest due within 24 hours, the online submissions longest past their receipt deadline, the
   * results longest past their return deadline), or
   * why they could not be read.
   */
  worklists: Map<Worklist, Map<string, DossierList>>;
}

/** Resolves what is live and when now is, then reads the worklists a notice names: the oldest overdue dossiers, the soonest due, the late-received online submissions and the results not returned in time of the units whose alerts name them. */
export interface OverdueReader {
  /** The configured clock of the live view (reported by the notifier). */
  readonly clock: ClockSetting;
  /** Reads the lists of the units asked for in each worklist (`worklistUnits` of a notice's alerts). */
  read(wanted: ReadonlyMap<Worklist, readonly string[]>): Promise<OverdueReading>;
}

/**
 * From the live view (`createLiveView` of @dvc/read-model: the namespace `<base>:active` names,
 * read afresh per notice, and the configured clock), each unit's first page of `readOverdue`
 * (its open dossiers overdue at that now, the domain's `isOverdueAt`, the longest overdue first);
 * for the units asked for due soon the first page of `readDueSoon` (due within 24 hours, the
 * soonest first), for those asked for late receipts `readReceiptOverdue` (online submissions
 * past their receipt deadline, the earliest deadline first), and for those asked for results not
 * returned `readResultNotReturned` (resolved, result past its return deadline, the earliest first). Never throws: within `timeoutMs` or
 * not at all, a notice goes out without the lists rather than not at all.
 */
export function liveOverdueReader(redis: RedisClient, live: LiveView, timeoutMs: number): OverdueReader {
  const pinned = live.clock.mode === 'as-of' ? live.clock.asOfMs : undefined;
  type ReadList = (at: ReadAt, unitId: string) => Promise<ListedDossier[]>;
  const readers: Record<Worklist, ReadList> = {
    overdue: async (at, unitId) =>
      (await readOverdue(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.dueMs })),
    'due-soon': async (at, unitId) =>
      (await readDueSoon(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.dueMs })),
    'receipt-overdue': async (at, unitId) =>
      (await readReceiptOverdue(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.deadlineMs })),
    'result-not-returned': async (at, unitId) =>
      (await readResultNotReturned(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.deadlineMs })),
  };
  const read = async (wanted: ReadonlyMap<Worklist, readonly string[]>): Promise<OverdueReading> => {
    // Only the worklists asked for appear in the reading.
    const asked = [...wanted].filter(([, units]) => units.length > 0);
    let timer: NodeJS.Timeout | undefined;
    try {
      const reading = (async (): Promise<OverdueReading> => {
        const state = await live.resolve();
        const lists = async (kind: Worklist, units: readonly string[]): Promise<[Worklist, Map<string, DossierList>]> => [
          kind,
          new Map(
            await Promise.all(
              units.map(async (unitId): Promise<[string, DossierList]> => {
                try {
                  return [unitId, { ok: true, dossiers: await readers[kind](state, unitId) }];
                } catch (error) {
                  return [unitId, { ok: false, reason: (error as Error).message }];
                }
              }),
            ),
          ),
        ];
        return {
          namespace: state.namespace,
          asOf: state.clockMode === 'wall' ? undefined : state.nowMs,
          worklists: new Map(await Promise.all(asked.map(([kind, units]) => lists(kind, units)))),
        };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      return await Promise.race([reading, timeout]);
    } catch (error) {
      const reason = (error as Error).message;
      const failed = (units: readonly string[]) => new Map(units.map((u): [string, DossierList] => [u, { ok: false, reason }]));
      return { namespace: undefined, asOf: pinned, worklists: new Map(asked.map(([kind, units]) => [kind, failed(units)])) };
    } finally {
      clearTimeout(timer);
    }
  };
  return { clock: live.clock, read };
}
