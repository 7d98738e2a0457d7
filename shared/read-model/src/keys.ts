import { DvcError, type SetName, type SubjectState } from '@dvc/domain';

/**
 * Key layout. Every key of a unit carries the hash tag `{unit}` so a unit's batch is one
 * atomic script on one Redis Cluster slot; the namespace lets a rebuild write beside the
 * live projection and lets tests stay out of each other's way.
 */
export class Keys {
  constructor(readonly namespace: string) {}
  units(): string {
    return `${this.namespace}:units`;
  }
  private unit(unitId: string): string {
    return `${this.namespace}:{${unitId}}`;
  }
  state(unitId: string, subjectKey: string): string {
    return `${this.unit(unitId)}:s:${subjectKey}`;
  }
  bucket(unitId: string, bucket: string): string {
    return `${this.unit(unitId)}:b:${bucket}`;
  }
  set(unitId: string, set: SetName): string {
    return `${this.unit(unitId)}:z:${set}`;
  }
  meta(unitId: string): string {
    return `${this.unit(unitId)}:meta`;
  }
  /**
   * The unit's writer bookkeeping (not part of the projection): field `<partition>` holds the
   * fencing epoch of the projector that owns that partition's share of the unit, field `ext`
   * counts writes by writers that own no partition (a rebuild's tail, tools).
   */
  owners(unitId: string): string {
    return `${this.unit(unitId)}:own`;
  }
  /** The fencing epoch counter of one partition of the events topic (INCR on every take-over). */
  partitionOwner(partition: number): string {
    return `${this.namespace}:partition:${partition}:owner`;
  }
  /** True for the writers' bookkeeping keys (owners, partition epochs), which hold no projection data. */
  isBookkeeping(key: string): boolean {
    return key.endsWith(':own') || key.startsWith(`${this.namespace}:partition:`);
  }
}

/** Thrown when a stored state is not `<revision>|<JSON>`: the namespace was written by something else. */
export class CorruptStateError extends DvcError {
  readonly code = 'DVC_CORRUPT_STATE';
}

/** A stored subject state: its compare-and-set revision and its content. */
export interface StoredState {
  revision: number;
  state: SubjectState;
}

/**
 * Reads a stored state, `<revision>|<JSON>` (the revision counts the writes of that state; the
 * writer's compare-and-set sends it instead of the state). `key` only names the state in errors.
 */
export function parseStoredState(raw: string, key: string): StoredState {
  const bar = raw.indexOf('|');
  const revision = bar > 0 ? Number(raw.slice(0, bar)) : Number.NaN;
  let state: SubjectState;
  try {
    state = JSON.parse(raw.slice(bar + 1)) as SubjectState;
  } catch {
    throw new CorruptStateError(`state ${key} is not <revision>|<JSON>`);
  }
  if (!Number.isSafeInteger(revision)) throw new CorruptStateError(`state ${key} has no revision`);
  return { revision, state };
}
