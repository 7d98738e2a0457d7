import type { ClockSetting } from '@dvc/config';
import { readDueSoon, readOverdue, readReceiptOverdue, type LiveView, type ReadAt, type RedisClient } from '@dvc/read-model';
import { OVERDUE_LIST_SIZE, type DossierList, type ListedDossier } from './render.js';

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
  /** Per unit asked for late receipts: its online submissions longest past their receipt deadline, or why they could not be read. */
  receiptOverdue?: Map<string, DossierList>;
}

/** The units whose other worklists a notice names, besides the overdue ones. */
export interface OtherWorklists {
  dueSoon?: readonly string[];
  receiptOverdue?: readonly string[];
}

/** Resolves what is live and when now is, then reads the worklists a notice names: the oldest overdue dossiers, the soonest due and the late-received online submissions of the units whose alerts name them. */
export interface OverdueReader {
  /** The configured clock of the live view (reported by the notifier). */
  readonly clock: ClockSetting;
  read(unitIds: readonly string[], others?: OtherWorklists): Promise<OverdueReading>;
}

/**
 * From the live view (`createLiveView` of @dvc/read-model: the namespace `<base>:active` names,
 * read afresh per notice, and the configured clock), each unit's first page of `readOverdue`
 * (its open dossiers overdue at that now, the domain's `isOverdueAt`, the longest overdue first);
 * for the units asked for due soon the first page of `readDueSoon` (due within 24 hours, the
 * soonest first), and for those asked for late receipts `readReceiptOverdue` (online submissions
 * past their receipt deadline, the earliest deadline first). Never throws: within `timeoutMs` or
 * not at all, a notice goes out without the lists rather than not at all.
 */
export function liveOverdueReader(redis: RedisClient, live: LiveView, timeoutMs: number): OverdueReader {
  const pinned = live.clock.mode === 'as-of' ? live.clock.asOfMs : undefined;
  type ReadList = (at: ReadAt, unitId: string) => Promise<ListedDossier[]>;
  const overdue: ReadList = async (at, unitId) =>
    (await readOverdue(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.dueMs }));
  const dueSoon: ReadList = async (at, unitId) =>
    (await readDueSoon(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.dueMs }));
  const receipts: ReadList = async (at, unitId) =>
    (await readReceiptOverdue(redis, at, unitId, { limit: OVERDUE_LIST_SIZE })).items.map((d) => ({ code: d.dossierId, dueMs: d.deadlineMs }));
  const read = async (unitIds: readonly string[], others: OtherWorklists = {}): Promise<OverdueReading> => {
    const dueSoonUnits = others.dueSoon ?? [];
    const receiptUnits = others.receiptOverdue ?? [];
    // Only the worklists asked for appear in the reading.
    const optional = (units: readonly string[], lists: Map<string, DossierList>, name: 'dueSoon' | 'receiptOverdue') =>
      units.length === 0 ? {} : { [name]: lists };
    let timer: NodeJS.Timeout | undefined;
    try {
      const reading = (async (): Promise<OverdueReading> => {
        const state = await live.resolve();
        const lists = async (units: readonly string[], readList: ReadList) =>
          new Map(
            await Promise.all(
              units.map(async (unitId): Promise<[string, DossierList]> => {
                try {
                  return [unitId, { ok: true, dossiers: await readList(state, unitId) }];
                } catch (error) {
                  return [unitId, { ok: false, reason: (error as Error).message }];
                }
              }),
            ),
          );
        const [overdueLists, dueSoonLists, receiptLists] = await Promise.all([
          lists(unitIds, overdue),
          lists(dueSoonUnits, dueSoon),
          lists(receiptUnits, receipts),
        ]);
        return {
          namespace: state.namespace,
          asOf: state.clockMode === 'wall' ? undefined : state.nowMs,
          lists: overdueLists,
          ...optional(dueSoonUnits, dueSoonLists, 'dueSoon'),
          ...optional(receiptUnits, receiptLists, 'receiptOverdue'),
        };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      return await Promise.race([reading, timeout]);
    } catch (error) {
      const reason = (error as Error).message;
      const failed = (units: readonly string[]) => new Map(units.map((u): [string, DossierList] => [u, { ok: false, reason }]));
      return {
        namespace: undefined,
        asOf: pinned,
        lists: failed(unitIds),
        ...optional(dueSoonUnits, failed(dueSoonUnits), 'dueSoon'),
        ...optional(receiptUnits, failed(receiptUnits), 'receiptOverdue'),
      };
    } finally {
      clearTimeout(timer);
    }
  };
  return { clock: live.clock, read };
}
