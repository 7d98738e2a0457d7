import { getHeapStatistics } from 'node:v8';
import type { Result } from 'ioredis';
import { DvcError, groupByUnit, projectUnit, subjectKeysOf, type DvcEvent, type EventType, type ProjectionContext, type SubjectState } from '@dvc/domain';
import { execGroups, parseStoredState } from '@dvc/read-model';
import type { ApplyStats } from './apply.js';
import { changeBody, confirmReplicas, writeScript, type ProjectionStore } from './store.js';

const FENCE_LUA = writeScript('fence.lua');
const OWNED_LUA = writeScript('owned.lua');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    dvcFence(numKeys: number, ...args: (string | number)[]): Result<number | [number, (string | null)[]], Context>;
    dvcOwned(numKeys: number, ...args: (string | number)[]): Result<number, Context>;
  }
}

/** Thrown when another projector took a partition over: this one must stop writing it (the batch stays uncommitted). */
export class PartitionFencedError extends DvcError {
  readonly code = 'DVC_PARTITION_FENCED';

  readonly retriable = true;
}

/** Thrown when a unit no longer records this owner's epoch although nothing newer took it (Redis lost writes): the partition is taken over again. */
export class FenceLostError extends DvcError {
  readonly code = 'DVC_FENCE_LOST';

  readonly retriable = true;
}

/** Thrown when a unit keeps being rewritten by writers that own no partition (a rebuild's tail) faster than this one can re-read it. */
export class ForeignWritesError extends DvcError {
  readonly code = 'DVC_FOREIGN_WRITES';

  readonly retriable = true;
}

/**
 * A state as the owner holds it: the stored revision it was read or last written at, and the
 * content (undefined: absent). It is also a link of its partition's recency list, so touching it
 * allocates nothing.
 */
interface Held {
  revision: number;
  state: SubjectState | undefined;
  /** Taken for new without a read (its first event creates it): the write checks it does not exist. */
  unverified: boolean;
  readonly unit: HeldUnit;
  readonly subject: string;
  /** Less recently used neighbour (undefined: the least recently used). */
  older: Held | undefined;
  /** More recently used neighbour (undefined: the most recently used). */
  newer: Held | undefined;
}

/** One unit's share of a partition: its states held in memory and the `ext` count they are current for. */
interface HeldUnit {
  /** Undefined until the unit was read or written once (only subjects taken for new are held). */
  ext: number | undefined;
  states: Map<string, Held>;
}

/**
 * A partition this instance owns in one namespace: its fencing epoch and the states it holds,
 * in a list from the least to the most recently used (the states link each other: holding or
 * touching one moves it to the end without building a key or allocating an entry).
 */
class Owned {
  readonly units = new Map<string, HeldUnit>();
  #size = 0;
  #oldest: Held | undefined;
  #newest: Held | undefined;

  constructor(readonly epoch: number) {}

  get size(): number {
    return this.#size;
  }

  /** The unit's share, created empty when there is none. */
  unit(unitId: string, ext: number | undefined): HeldUnit {
    let unit = this.units.get(unitId);
    if (unit === undefined) this.units.set(unitId, (unit = { ext, states: new Map() }));
    return unit;
  }

  /** Holds one state of a unit with this revision and content: it becomes the most recently used. */
  hold(unit: HeldUnit, subject: string, revision: number, state: SubjectState | undefined, unverified: boolean): void {
    let held = unit.states.get(subject);
    if (held === undefined) {
      held = { revision, state, unverified, unit, subject, older: undefined, newer: undefined };
      unit.states.set(subject, held);
      this.#size += 1;
    } else {
      held.revision = revision;
      held.state = state;
      held.unverified = unverified;
      this.#unlink(held);
    }
    this.#append(held);
  }

  /** Holds a state just written: one revision past the one held (0 when none), checked to exist now; it becomes the most recently used. */
  written(unit: HeldUnit, subject: string, state: SubjectState): void {
    const held = unit.states.get(subject);
    if (held === undefined) {
      this.hold(unit, subject, 1, state, false);
      return;
    }
    held.revision += 1;
    held.state = state;
    held.unverified = false;
    this.#unlink(held);
    this.#append(held);
  }

  /** Forgets a unit's states (they are read again when needed). */
  drop(unitId: string): void {
    const unit = this.units.get(unitId);
    if (unit === undefined) return;
    for (const held of unit.states.values()) this.#unlink(held);
    this.#size -= unit.states.size;
    this.units.delete(unitId);
  }

  /** Forgets the least recently used states beyond `max`. */
  trim(max: number): void {
    while (this.#size > max && this.#oldest !== undefined) {
      const held = this.#oldest;
      this.#unlink(held);
      held.unit.states.delete(held.subject);
      this.#size -= 1;
    }
  }

  #append(held: Held): void {
    held.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = held;
    else this.#newest.newer = held;
    this.#newest = held;
  }

  #unlink(held: Held): void {
    if (held.older === undefined) this.#oldest = held.newer;
    else held.older.newer = held.newer;
    if (held.newer === undefined) this.#newest = held.older;
    else held.newer.older = held.older;
    held.older = undefined;
    held.newer = undefined;
  }
}

/** What a batch of one partition did, beyond ApplyStats. */
export interface OwnedApplyStats extends ApplyStats {
  /** States that were not in memory and were read from Redis. */
  reads: number;
  /** True when this batch took the partition over (a new fencing epoch). */
  tookOver: boolean;
}

export interface OwnedStatesOptions {
  /** At most this many states are held per partition; past it the least recently used are forgotten (and read again when touched). */
  maxStatesPerPartition: number;
  /**
   * At most this many over all the partitions owned: each holds at most an equal share, so an
   * instance that takes over many partitions (its peers failed) holds fewer of each instead of
   * running out of heap. Absent: only the bound per partition.
   */
  maxStates?: number;
}

/** Heap one held state takes, rounded up (about 0.8 KB measured on the Bình Phước history). */
const HEAP_PER_STATE = 1024;

/**
 * The states that fill half of a heap limit (by default this process's: Node's default for the
 * machine, or --max-old-space-size): the default bound over all partitions a process holds.
 */
export function statesInHalfTheHeap(heapLimitBytes: number = getHeapStatistics().heap_size_limit): number {
  return Math.floor(heapLimitBytes / 2 / HEAP_PER_STATE);
}

const MAX_ATTEMPTS = 20;

/** Events that begin their subject's life: a subject not held whose first event is one is taken for new, not read (the write checks it). */
const CREATING: ReadonlySet<EventType> = new Set<EventType>([
  'vn.dvc.dossier.submitted',
  'vn.dvc.dossier.received',
  'vn.dvc.payment.completed',
  'vn.dvc.report.submitted',
  'vn.dvc.procedure.published',
  'vn.dvc.community_team.registered',
]);

function add(map: Map<EventType, number>, from: ReadonlyMap<EventType, number>): void {
  for (const [type, n] of from) map.set(type, (map.get(type) ?? 0) + n);
}

/**
 * The projector's write path for partitions it owns. Every event that changes a subject is keyed
 * by the subject's routing key (a payment by its dossier), so one partition's events are the
 * only ones that change its subjects' states: the instance that owns the partition keeps those
 * states in memory, folds each batch into them, and writes each unit's share of the batch as one
 * atomic script on the unit's hash tag (owned.lua) without reading a single state.
 *
 * Ownership is fenced. Taking a partition increments its epoch counter; the first read of a unit
 * (fence.lua) records that epoch in the unit's owners hash, and a unit refuses writes of that
 * partition by any other epoch, so a previous owner's late write is refused instead of
 * overwriting newer states. Writers that own no partition (apply.lua: a rebuild's tail, tools)
 * count their writes in the owners hash (`ext`); a unit whose count moved since it was read is
 * re-read and recomputed, so their writes are never overwritten either.
 *
 * At most `maxStatesPerPartition` states are held per partition, and at most an equal share of
 * `maxStates` (over all partitions owned), the least recently used forgotten first; a state not
 * held (forgotten, or dropped by a restart, rebalance or failure) is read again the first time a
 * batch touches it.
 */
export class OwnedStates {
  readonly #owned = new Map<number, Owned>();
  /** Partitions another instance took over: not taken back before `release()` (the group's next assignment). */
  readonly #fenced = new Set<number>();

  constructor(
    private readonly store: ProjectionStore,
    private readonly options: OwnedStatesOptions,
  ) {
    const redis = store.redis;
    if (typeof (redis as { dvcFence?: unknown }).dvcFence !== 'function') redis.defineCommand('dvcFence', { lua: FENCE_LUA });
    if (typeof (redis as { dvcOwned?: unknown }).dvcOwned !== 'function') redis.defineCommand('dvcOwned', { lua: OWNED_LUA });
  }

  /** The namespace written. */
  get namespace(): string {
    return this.store.keys.namespace;
  }

  /** Forgets every partition, fenced ones included (after a rejoin of the group: each one is taken over again on its next batch). */
  release(): void {
    this.#owned.clear();
    this.#fenced.clear();
  }

  /** States held in memory, over all partitions. */
  held(): number {
    let n = 0;
    for (const owned of this.#owned.values()) n += owned.size;
    return n;
  }

  /**
   * Applies one batch of one partition (events in offset order) with exactly-once effect. On any
   * failure the partition's memory is dropped (states may have been folded in place), so the
   * retried batch starts from what Redis holds.
   */
  async apply(
    partition: number,
    events: readonly DvcEvent[],
    ctx: ProjectionContext,
    now: () => number,
    expireAt: (bucket: string) => number | undefined = () => undefined,
  ): Promise<OwnedApplyStats> {
    if (this.#fenced.has(partition)) {
      throw new PartitionFencedError(
        `partition ${partition} of ${this.namespace} was taken over by another instance: not written until the group assigns it again`,
      );
    }
    let owned = this.#owned.get(partition);
    const tookOver = owned === undefined;
    if (owned === undefined) {
      owned = new Owned(await this.store.redis.incr(this.store.keys.partitionOwner(partition)));
      this.#owned.set(partition, owned);
      // One more partition: every partition's share of the bound shrinks.
      const share = this.#share();
      for (const other of this.#owned.values()) other.trim(share);
    }
    try {
      return { ...(await this.#apply(partition, owned, events, ctx, now, expireAt)), tookOver };
    } catch (error) {
      // Only the take-over that failed is forgotten: a batch still in flight from before a
      // release() must not drop (or fence) the partition as taken over again since.
      if (this.#owned.get(partition) === owned) {
        this.#owned.delete(partition);
        // Taking it back at once would fence out the instance the group gave it to; wait for the next assignment.
        if (error instanceof PartitionFencedError) this.#fenced.add(partition);
      }
      throw error;
    }
  }

  async #apply(
    partition: number,
    owned: Owned,
    events: readonly DvcEvent[],
    ctx: ProjectionContext,
    now: () => number,
    expireAt: (bucket: string) => number | undefined,
  ): Promise<Omit<OwnedApplyStats, 'tookOver'>> {
    const stats: Omit<OwnedApplyStats, 'tookOver'> = { applied: new Map(), duplicates: new Map(), conflicts: 0, reads: 0 };
    let pending = groupByUnit(events);
    const listed = new Set<string>();
    // Units whose states must all be read (a state taken for new existed, or another writer wrote them).
    const mustRead = new Set<string>();
    for (let attempt = 1; pending.size > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) {
        throw new ForeignWritesError(`units ${[...pending.keys()].join(', ')} kept being rewritten by other writers for ${MAX_ATTEMPTS} attempts`);
      }
      const { reads, touched } = await this.#load(partition, owned, pending, mustRead);
      stats.reads += reads;
      const changes = [...pending].map(([unitId, unitEvents]) => {
        const unit = owned.units.get(unitId);
        const before = new Map<string, SubjectState | undefined>();
        for (const key of touched.get(unitId) ?? []) before.set(key, unit?.states.get(key)?.state);
        // The held states are this instance's own: evolved in place. Should the write fail, the
        // unit (or the whole partition) is forgotten and read again, so nothing half-folded stays.
        return projectUnit(unitId, unitEvents, before, ctx, { inPlace: true });
      });
      // The unit set lives on its own slot: added first, so a unit whose keys exist is always listed.
      const unlisted = changes.map((c) => c.unitId).filter((u) => !listed.has(u));
      if (unlisted.length > 0) {
        await this.store.redis.sadd(this.store.keys.units(), ...unlisted);
        for (const u of unlisted) listed.add(u);
      }
      const results = await this.#write(partition, owned, changes, now(), expireAt);
      const retry = new Map<string, DvcEvent[]>();
      changes.forEach((change, index) => {
        const result = Number(results[index]?.[0]);
        const unit = owned.units.get(change.unitId);
        if (result === -1) {
          throw new PartitionFencedError(
            `partition ${partition} of ${this.namespace} is no longer owned by epoch ${owned.epoch} (unit ${change.unitId} names another owner): another projector took it over`,
          );
        }
        if (result === -4) {
          throw new FenceLostError(
            `unit ${change.unitId} no longer records epoch ${owned.epoch} of partition ${partition} of ${this.namespace}: Redis lost writes; taking the partition over again`,
          );
        }
        if (result < 0 || unit === undefined) {
          // -2: written by a writer that owns no partition since it was read; -3: a state taken
          // for new exists. Read the unit again and recompute it.
          owned.drop(change.unitId);
          mustRead.add(change.unitId);
          retry.set(change.unitId, pending.get(change.unitId) ?? []);
          stats.conflicts += 1;
          return;
        }
        unit.ext = result;
        for (const [key, state] of change.states) owned.written(unit, key, state);
        add(stats.applied, change.applied);
        add(stats.duplicates, change.duplicates);
      });
      pending = retry;
    }
    owned.trim(this.#share());
    return stats;
  }

  /** The states one owned partition may hold: the bound per partition, or its equal share of the bound over all, the smaller. */
  #share(): number {
    const { maxStatesPerPartition, maxStates } = this.options;
    return maxStates === undefined ? maxStatesPerPartition : Math.min(maxStatesPerPartition, Math.floor(maxStates / Math.max(1, this.#owned.size)));
  }

  /**
   * Reads (and fences) what the batch needs and memory does not hold: one fence.lua per unit with
   * missing states, all pipelined. A subject whose first event in the batch creates it is taken for
   * new instead of read (unless its unit is in `mustRead`); the write checks it does not exist. A
   * unit whose `ext` moved (another kind of writer wrote it) is dropped from memory and read whole.
   * Returns how many states were read, and each unit's subjects the events touch.
   */
  async #load(
    partition: number,
    owned: Owned,
    groups: ReadonlyMap<string, readonly DvcEvent[]>,
    mustRead: ReadonlySet<string>,
  ): Promise<{ reads: number; touched: Map<string, Set<string>> }> {
    const touched = new Map<string, Set<string>>();
    const wanted: { unitId: string; subjects: string[] }[] = [];
    for (const [unitId, events] of groups) {
      const held = owned.units.get(unitId);
      const read: string[] = [];
      const fresh: string[] = [];
      const subjects = new Set<string>();
      touched.set(unitId, subjects);
      const guess = !mustRead.has(unitId);
      for (const event of events) {
        const keys = subjectKeysOf(event);
        for (const key of keys) {
          if (subjects.has(key)) continue;
          subjects.add(key);
          if (held?.states.has(key) === true) continue;
          // subjectKeysOf lists the event's own subject first.
          if (guess && CREATING.has(event.type) && key === keys[0]) fresh.push(key);
          else read.push(key);
        }
      }
      if (fresh.length > 0) {
        const unit = held ?? owned.unit(unitId, undefined);
        for (const key of fresh) owned.hold(unit, key, 0, undefined, true);
      }
      if (read.length > 0) wanted.push({ unitId, subjects: read });
    }
    if (wanted.length === 0) return { reads: 0, touched };
    const keys = this.store.keys;
    const results = await execGroups(
      this.store.redis,
      wanted.map(
        ({ unitId, subjects }) =>
          (pipeline) =>
            pipeline.dvcFence(1 + subjects.length, keys.owners(unitId), ...subjects.map((s) => keys.state(unitId, s)), partition, owned.epoch),
      ),
    );
    let reads = 0;
    const stale: string[] = [];
    wanted.forEach(({ unitId, subjects }, index) => {
      const reply = results[index]?.[0] as number | [number, (string | null)[]];
      if (reply === -1 || !Array.isArray(reply)) {
        throw new PartitionFencedError(`partition ${partition} of ${this.namespace}: unit ${unitId} is held by a newer owner than epoch ${owned.epoch}`);
      }
      const [ext, values] = reply;
      const before = owned.units.get(unitId);
      if (before !== undefined && before.ext !== undefined && before.ext !== ext) {
        owned.drop(unitId);
        stale.push(unitId);
        return;
      }
      const unit = before ?? owned.unit(unitId, ext);
      // States taken for new stay checked by the write; those read are current as of `ext`.
      unit.ext = ext;
      subjects.forEach((subject, i) => {
        const raw = values[i] ?? null;
        if (raw === null) owned.hold(unit, subject, 0, undefined, false);
        else {
          const { revision, state } = parseStoredState(raw, keys.state(unitId, subject));
          owned.hold(unit, subject, revision, state, false);
        }
        reads += 1;
      });
    });
    if (stale.length > 0) {
      const again = new Map<string, readonly DvcEvent[]>();
      for (const unitId of stale) again.set(unitId, groups.get(unitId) ?? []);
      const reread = await this.#load(partition, owned, again, new Set([...mustRead, ...stale]));
      reads += reread.reads;
      for (const [unitId, subjects] of reread.touched) touched.set(unitId, subjects);
    }
    return { reads, touched };
  }

  /** Writes each unit's changes with owned.lua (no state read), all pipelined; WAIT after each when replicas are required. */
  async #write(
    partition: number,
    owned: Owned,
    changes: readonly ReturnType<typeof projectUnit>[],
    appliedAtMs: number,
    expireAt: (bucket: string) => number | undefined,
  ): Promise<unknown[][]> {
    const keys = this.store.keys;
    const durability = this.store.durability;
    const results = await execGroups(
      this.store.redis,
      changes.map((change) => (pipeline) => {
        const unit = owned.units.get(change.unitId);
        const head: string[] = [keys.meta(change.unitId), keys.owners(change.unitId)];
        const stateKeys: string[] = [];
        const values: string[] = [];
        for (const [subject, state] of change.states) {
          const held = unit?.states.get(subject);
          const key = keys.state(change.unitId, subject);
          if (held?.unverified === true) head.push(key);
          stateKeys.push(key);
          values.push(`${(held?.revision ?? 0) + 1}|${JSON.stringify(state)}`);
        }
        const args: (string | number)[] = [
          partition,
          owned.epoch,
          unit?.ext ?? '',
          head.length - 2,
          change.states.size,
          change.counters.size,
          change.sets.size,
          appliedAtMs,
          change.lastEventMs ?? '',
          // One argument for all states: each argument costs the client several string pieces to encode.
          values.join('\n'),
        ];
        head.push(...stateKeys);
        const body = changeBody(keys, change, expireAt);
        pipeline.dvcOwned(head.length + body.keys.length, ...head, ...body.keys, ...args, ...body.args);
        if (durability.replicas > 0) pipeline.call('WAIT', durability.replicas, durability.timeoutMs);
      }),
    );
    confirmReplicas(
      durability,
      changes.map((c) => c.unitId),
      results,
    );
    return results;
  }
}
