import { execGroups, type RedisClient } from './client.js';
import { eventWatermark, type ClockMode, type ClockSetting } from '@dvc/config';
import { Keys } from './keys.js';
import { assertNamespace, resolveActiveNamespace } from './namespaces.js';
import { listUnits } from './queues.js';

/** What is live and when "now" is, for one read (a scrape, a notice, a command). */
export interface LiveState {
  /** The namespace `<base>:active` names (the base itself when unset). */
  namespace: string;
  keys: Keys;
  /** The clock's now: the wall clock, the event-time watermark or the pinned instant. */
  nowMs: number;
  /** The wall clock at the same read (freshness, "written at"). */
  wallMs: number;
  clockMode: ClockMode;
}

/**
 * The one place readers of the projection learn what is live and what time it is. Each
 * `resolve()` reads the pointer afresh (one GET), so a switch by `dvc rebuild` shows on the next
 * read; with the event clock it also reads every unit's latest applied business time of that
 * namespace (one pipelined round trip; one per unit, in parallel, on a cluster) and takes their watermark.
 */
export interface LiveView {
  /** The configured clock (known without Redis). */
  readonly clock: ClockSetting;
  resolve(): Promise<LiveState>;
}

export interface LiveViewOptions {
  redis: RedisClient;
  /** The projection's base name (REDIS_NAMESPACE). */
  base: string;
  clock: ClockSetting;
  /** The wall clock (epoch ms). */
  wall: () => number;
}

/** The latest applied business time (`lastEventMs`) of each unit of a namespace that has one. */
async function latestEventTimes(redis: RedisClient, keys: Keys): Promise<number[]> {
  const unitIds = await listUnits(redis, keys);
  if (unitIds.length === 0) return [];
  const results = await execGroups(
    redis,
    unitIds.map((unitId) => (pipeline) => pipeline.hget(keys.meta(unitId), 'lastEventMs')),
  );
  const out: number[] = [];
  for (const [value] of results) if (typeof value === 'string') out.push(Number(value));
  return out;
}

export function createLiveView(options: LiveViewOptions): LiveView {
  assertNamespace(options.base);
  const { redis, base, clock, wall } = options;
  return {
    clock,
    resolve: async () => {
      const wallMs = wall();
      const namespace = await resolveActiveNamespace(redis, base);
      const keys = new Keys(namespace);
      const nowMs = clock.mode === 'wall' ? wallMs : clock.mode === 'as-of' ? clock.asOfMs : eventWatermark(await latestEventTimes(redis, keys), wallMs);
      return { namespace, keys, nowMs, wallMs, clockMode: clock.mode };
    },
  };
}

/**
 * A view fixed on `namespace` at the instant of an earlier read: a rebuild computes the live and
 * the rebuilt namespace at one and the same now, taken from the live view.
 */
export function pinnedView(at: LiveState, namespace: string): LiveView {
  assertNamespace(namespace);
  const state: LiveState = { ...at, namespace, keys: new Keys(namespace) };
  const clock: ClockSetting = at.clockMode === 'as-of' ? { mode: 'as-of', asOfMs: at.nowMs } : { mode: at.clockMode };
  return { clock, resolve: () => Promise.resolve(state) };
}
