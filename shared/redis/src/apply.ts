import { DvcError, groupByUnit, projectUnit, type DvcEvent, type EventType, type ProjectionContext } from '@dvc/domain';
import type { ProjectionStore } from './store.js';

export interface ApplyStats {
  applied: Map<EventType, number>;
  duplicates: Map<EventType, number>;
  /** Times a unit's write lost a compare-and-set race and was recomputed. */
  conflicts: number;
}

/** Thrown when a unit keeps losing write races: another writer is hammering the same subjects. */
export class ContendedWriteError extends DvcError {
  readonly code = 'DVC_CONTENDED_WRITE';

  readonly retriable = true;
}

const MAX_ATTEMPTS = 20;

/**
 * Applies a batch of valid events to the projection with exactly-once effect: states are read,
 * the pure reducers compute each unit's changes, and each unit is written only if none of its
 * states changed since the read. Units that lost a race (a rebalance left two consumers on one
 * partition for a moment) are re-read and recomputed; their already-applied events are then
 * recognised by id and change nothing.
 */
export async function applyEvents(
  store: ProjectionStore,
  events: readonly DvcEvent[],
  ctx: ProjectionContext,
  now: () => number,
  expireAt?: (bucket: string) => number | undefined,
): Promise<ApplyStats> {
  const stats: ApplyStats = { applied: new Map(), duplicates: new Map(), conflicts: 0 };
  let pending = groupByUnit(events);
  for (let attempt = 1; pending.size > 0; attempt++) {
    if (attempt > MAX_ATTEMPTS) {
      throw new ContendedWriteError(`units ${[...pending.keys()].join(', ')} still contended after ${MAX_ATTEMPTS} attempts`);
    }
    const reads = await store.readStates(pending);
    // The states were parsed for this attempt alone (the write needs only their revisions): handed over, evolved in place.
    const changes = [...pending].map(([unitId, unitEvents]) => projectUnit(unitId, unitEvents, reads.get(unitId)?.states ?? new Map(), ctx, { inPlace: true }));
    const outcome = await store.write(changes, reads, now(), expireAt);
    const applied = new Set(outcome.applied);
    for (const change of changes) {
      if (!applied.has(change.unitId)) continue;
      for (const [type, n] of change.applied) stats.applied.set(type, (stats.applied.get(type) ?? 0) + n);
      for (const [type, n] of change.duplicates) stats.duplicates.set(type, (stats.duplicates.get(type) ?? 0) + n);
    }
    stats.conflicts += outcome.conflicted.length;
    const retry = new Map<string, DvcEvent[]>();
    for (const unitId of outcome.conflicted) retry.set(unitId, pending.get(unitId) ?? []);
    pending = retry;
  }
  return stats;
}
