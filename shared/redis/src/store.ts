import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { DvcEvent, SubjectState, UnitChanges } from '@dvc/domain';
import { subjectKeysOf } from '@dvc/domain';
import { DvcError } from '@dvc/domain';
import { Keys, assertNamespace, execGroups, listUnits, parseStoredState, unlinkMatching, type RedisClient } from '@dvc/read-model';

/** A write script's source: the shared helpers of packed.lua, then the script itself. */
export function writeScript(name: string): string {
  const read = (file: string) => readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
  return `${read('packed.lua')}\n${read(name)}`;
}

const APPLY_LUA = writeScript('apply.lua');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    dvcApply(numKeys: number, ...args: (string | number)[]): Result<number, Context>;
  }
}

/**
 * The keys and arguments of a unit's changes beyond its states, in the order both write
 * scripts take them (apply.lua, owned.lua): each bucket's packed increments and expiry, the
 * meta increments, each set's packed upserts and removals. Packed arguments ('\n'-separated;
 * identifiers never hold control characters) are far fewer for the client to encode than one
 * per field.
 */
export function changeBody(keys: Keys, change: UnitChanges, expireAt: (bucket: string) => number | undefined): { keys: string[]; args: (string | number)[] } {
  const out: { keys: string[]; args: (string | number)[] } = { keys: [], args: [] };
  for (const [bucket, fields] of change.counters) {
    out.keys.push(keys.bucket(change.unitId, bucket));
    out.args.push(packPairs(fields), expireAt(bucket) ?? '');
  }
  const meta = new Map<string, number>();
  for (const [type, n] of change.applied) meta.set(`applied:${type}`, n);
  for (const [type, n] of change.duplicates) meta.set(`duplicate:${type}`, n);
  out.args.push(packPairs(meta));
  for (const [set, { upsert, remove }] of change.sets) {
    out.keys.push(keys.set(change.unitId, set));
    out.args.push(packPairs(upsert), [...remove].join('\n'));
  }
  return out;
}

/**
 * States read before a batch, with the revision each must still have for the write to succeed.
 * A stored state is `<revision>|<JSON>`: the compare-and-set sends the revision, not the state.
 */
export interface StateRead {
  states: Map<string, SubjectState | undefined>;
  revisions: Map<string, number>;
}

export type WriteOutcome = { applied: string[]; conflicted: string[] };

/**
 * How many replicas must hold a unit's write before it counts as done (Redis' WAIT after each
 * unit's script, on the connection that wrote it): 0 (the default) waits for none. Redis
 * replicates asynchronously, so a write the master acknowledged can be lost when a replica takes
 * over; with `replicas` 1 and one replica per master, the write is on the replica that would be
 * promoted before the batch's offsets are committed.
 */
export interface Durability {
  replicas: number;
  timeoutMs: number;
}

/** Thrown when fewer replicas than required confirmed a batch's writes in time: the batch stays uncommitted and is applied again (its events are then recognised). */
export class ReplicationError extends DvcError {
  readonly code = 'DVC_REDIS_REPLICATION';

  readonly retriable = true;
}

/**
 * Throws ReplicationError unless every unit's write (first reply of its group) was followed by a
 * WAIT (second reply) that counted the required replicas.
 */
export function confirmReplicas(durability: Durability, units: readonly string[], results: readonly (readonly unknown[] | undefined)[]): void {
  if (durability.replicas === 0) return;
  const unconfirmed: string[] = [];
  units.forEach((unitId, index) => {
    const replicas = results[index]?.[1];
    if (Number(replicas) < durability.replicas) unconfirmed.push(`${unitId} (${String(replicas)})`);
  });
  if (unconfirmed.length > 0) {
    throw new ReplicationError(
      `writes of units ${unconfirmed.join(', ')} reached fewer than ${durability.replicas} replica(s) within ${durability.timeoutMs} ms`,
    );
  }
}

/**
 * `key\nvalue\nkey\nvalue…`; an infinite score is written as Redis' '+inf'. Joined, not
 * concatenated piece by piece: the result is one flat string for the client to encode.
 */
function packPairs(pairs: ReadonlyMap<string, number>): string {
  const parts: (string | number)[] = [];
  for (const [key, value] of pairs) parts.push(key, value === Number.POSITIVE_INFINITY ? '+inf' : value);
  return parts.join('\n');
}

/**
 * The projection store: reads the states a batch touches in one round trip, and writes each
 * unit's changes as one compare-and-set script (all of a unit's keys on one hash slot), all units
 * pipelined in about one round trip (`execGroups`: on a cluster, one pipeline per unit, all in flight together).
 */
export class ProjectionStore {
  readonly keys: Keys;

  constructor(
    readonly redis: RedisClient,
    namespace: string,
    readonly durability: Durability = { replicas: 0, timeoutMs: 0 },
  ) {
    assertNamespace(namespace);
    this.keys = new Keys(namespace);
    if (typeof (redis as Partial<RedisClient>).dvcApply !== 'function') {
      redis.defineCommand('dvcApply', { lua: APPLY_LUA });
    }
  }

  /** Reads the current state of every subject the events touch, grouped by unit. */
  async readStates(groups: ReadonlyMap<string, readonly DvcEvent[]>): Promise<Map<string, StateRead>> {
    // One MGET per unit (its keys share a slot), all pipelined: about one round trip per batch (on
    // a cluster one pipeline per unit, all in flight together).
    const wanted: { unitId: string; subjects: string[] }[] = [];
    for (const [unitId, events] of groups) {
      wanted.push({ unitId, subjects: [...new Set(events.flatMap(subjectKeysOf))] });
    }
    const results = await execGroups(
      this.redis,
      wanted.map(
        ({ unitId, subjects }) =>
          (pipeline) =>
            pipeline.mget(subjects.map((s) => this.keys.state(unitId, s))),
      ),
    );
    const reads = new Map<string, StateRead>();
    wanted.forEach(({ unitId, subjects }, index) => {
      const values = results[index]?.[0];
      const read: StateRead = { states: new Map(), revisions: new Map() };
      reads.set(unitId, read);
      subjects.forEach((subject, i) => {
        const raw = (values as (string | null)[])[i] ?? null;
        if (raw === null) {
          read.states.set(subject, undefined);
          return;
        }
        const { revision, state } = parseStoredState(raw, this.keys.state(unitId, subject));
        read.states.set(subject, state);
        read.revisions.set(subject, revision);
      });
    });
    return reads;
  }

  /**
   * Writes each unit's changes atomically; returns the units applied and those that lost a race.
   * `expireAt` gives a bucket its expiry (epoch ms), e.g. day buckets past retention.
   */
  async write(
    changes: readonly UnitChanges[],
    reads: ReadonlyMap<string, StateRead>,
    appliedAtMs: number,
    expireAt: (bucket: string) => number | undefined = () => undefined,
  ): Promise<WriteOutcome> {
    // The unit set is a key of its own slot, apart from the units' keys: added first, so a unit
    // whose keys exist is always listed (a listed unit without keys reads as zeros).
    const units = changes.map((c) => c.unitId);
    if (units.length > 0) await this.redis.sadd(this.keys.units(), ...units);
    const results = await execGroups(
      this.redis,
      changes.map((change) => (pipeline) => {
        const read = reads.get(change.unitId);
        const keys: string[] = [this.keys.meta(change.unitId), this.keys.owners(change.unitId)];
        const args: (string | number)[] = [change.states.size, change.counters.size, change.sets.size, appliedAtMs, change.lastEventMs ?? ''];
        for (const [subject, state] of change.states) {
          keys.push(this.keys.state(change.unitId, subject));
          const revision = read?.revisions.get(subject);
          args.push(revision ?? '', `${(revision ?? 0) + 1}|${JSON.stringify(state)}`);
        }
        const body = changeBody(this.keys, change, expireAt);
        keys.push(...body.keys);
        args.push(...body.args);
        pipeline.dvcApply(keys.length, ...keys, ...args);
        // Same pipeline, same node and connection: WAIT counts the replicas holding this write.
        if (this.durability.replicas > 0) pipeline.call('WAIT', this.durability.replicas, this.durability.timeoutMs);
      }),
    );
    confirmReplicas(
      this.durability,
      changes.map((c) => c.unitId),
      results,
    );
    const outcome: WriteOutcome = { applied: [], conflicted: [] };
    changes.forEach((change, index) => {
      if (results[index]?.[0] === 0) outcome.applied.push(change.unitId);
      else outcome.conflicted.push(change.unitId);
    });
    return outcome;
  }

  /** Every unit the projection has seen. */
  async units(): Promise<string[]> {
    return listUnits(this.redis, this.keys);
  }

  /** Deletes every key of the namespace (tests and dropped rebuild namespaces only). */
  async dropNamespace(): Promise<number> {
    return unlinkMatching(this.redis, `${this.keys.namespace}:*`);
  }
}
