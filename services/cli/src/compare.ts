import { Keys, activeKey, execGroups, scanKeys, type RedisClient } from '@dvc/read-model';
import { epochKey } from '@dvc/redis';

/** One way two projections differ: where, and each side's value ('absent' when missing). */
export interface Difference {
  where: string;
  live: string;
  rebuilt: string;
}

/**
 * Series that depend on the wall clock of the writes or of the scrape, or describe the exporter
 * itself, not the projection: a rebuild cannot and need not reproduce them. Duplicate counts are
 * the history of redeliveries the live projection happened to see; the rebuild reads the event
 * store, which holds each id once, so its count is a different (and equally correct) number.
 */
const IGNORED_SERIES = new Set([
  'dvc_projection_last_applied_timestamp_seconds',
  'dvc_projection_freshness_seconds',
  'dvc_projection_events_duplicate_total',
  'dvc_exporter_namespace_info',
]);

/** The name part of `name{labels}`. */
function seriesName(series: string): string {
  const brace = series.indexOf('{');
  return brace < 0 ? series : series.slice(0, brace);
}

/** True for the series a rebuild must reproduce exactly: the projection's own dvc_ series. */
export function comparableSeries(series: string): boolean {
  const name = seriesName(series);
  return name.startsWith('dvc_') && !name.startsWith('dvc_exporter_scrape_') && !IGNORED_SERIES.has(name);
}

function same(a: number | undefined, b: number | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && Number.isNaN(a) && Number.isNaN(b));
}

/** Series by series (name + labels -> value), only the comparable ones, in sorted order. */
export function diffSeries(live: ReadonlyMap<string, number>, rebuilt: ReadonlyMap<string, number>): Difference[] {
  const names = new Set([...live.keys(), ...rebuilt.keys()].filter(comparableSeries));
  const out: Difference[] = [];
  for (const series of [...names].sort()) {
    const a = live.get(series);
    const b = rebuilt.get(series);
    if (!same(a, b)) out.push({ where: series, live: a === undefined ? 'absent' : String(a), rebuilt: b === undefined ? 'absent' : String(b) });
  }
  return out;
}

type Value = { type: 'none' } | { type: 'string'; value: string } | { type: 'hash'; value: Map<string, string> } | { type: 'set'; value: Map<string, string> };

/** Meta fields that record when or how often something was written, not what the projection holds. */
function ignoredMetaField(field: string): boolean {
  return field === 'lastAppliedMs' || field === 'revision' || field.startsWith('duplicate:');
}

/** JSON with object keys sorted, and each state's `ids` (the set of applied event ids) sorted. */
function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, k === 'ids' && Array.isArray(v) ? [...(v as unknown[])].map(String).sort() : canonicalJson(v)]));
  }
  return value;
}

/**
 * A state's content as canonical JSON. The store may prefix the JSON with a write version
 * (`<n>|`, its compare-and-set counter): that counts writes, which differ between a live
 * projection and a rebuild of the same history, so it is left out.
 */
function canonicalState(raw: string): string {
  const json = raw.replace(/^\d+\|/, '');
  try {
    return JSON.stringify(canonicalJson(JSON.parse(json)));
  } catch {
    return raw;
  }
}

/**
 * Bucket fields that earlier versions wrote and no reader reads, so that a live namespace written
 * before the change compares equal to its rebuild: `flow_in` outside the current bucket (a day's
 * entries are the sum of its `rcv:<channel>` receipts) and `flow_out` in period buckets.
 */
function retiredBucketField(key: string, field: string): boolean {
  const at = key.lastIndexOf(':b:');
  if (at < 0) return false;
  const bucket = key.slice(at + 3);
  return (field === 'flow_in' && bucket !== 'current') || (field === 'flow_out' && bucket.startsWith('p:'));
}

async function readValues(redis: RedisClient, keys: readonly string[]): Promise<Value[]> {
  if (keys.length === 0) return [];
  // One group per key: keys of any slots may be compared (on a cluster each is its own pipeline).
  const types = (
    await execGroups(
      redis,
      keys.map((key) => (pipeline) => pipeline.type(key)),
    )
  ).map(([t]) => t as string);
  const results = await execGroups(
    redis,
    keys.map((key, i) => (pipeline) => {
      const type = types[i];
      if (type === 'string') pipeline.get(key);
      else if (type === 'hash') pipeline.hgetall(key);
      else if (type === 'zset') pipeline.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'set') pipeline.smembers(key);
      else pipeline.exists(key);
    }),
  );
  return keys.map((key, i): Value => {
    const raw = results[i]?.[0];
    const type = types[i];
    if (type === 'string') return { type: 'string', value: canonicalState(raw as string) };
    if (type === 'hash') {
      const meta = key.endsWith(':meta');
      const fields = Object.entries(raw as Record<string, string>).filter(([f]) => !(meta ? ignoredMetaField(f) : retiredBucketField(key, f)));
      return { type: 'hash', value: new Map(fields) };
    }
    if (type === 'zset') {
      const flat = raw as string[];
      const members = new Map<string, string>();
      for (let j = 0; j < flat.length; j += 2) members.set(flat[j] ?? '', flat[j + 1] ?? '');
      return { type: 'set', value: members };
    }
    if (type === 'set') return { type: 'set', value: new Map((raw as string[]).map((m) => [m, ''])) };
    return { type: 'none' };
  });
}

const MEMBERS_SHOWN = 10;

function describeEntries(entries: ReadonlyMap<string, string>, keys: readonly string[]): string {
  const shown = keys.slice(0, MEMBERS_SHOWN).map((k) => (entries.get(k) === '' ? k : `${k}=${entries.get(k) ?? 'absent'}`));
  return shown.join(', ') + (keys.length > MEMBERS_SHOWN ? ` and ${keys.length - MEMBERS_SHOWN} more` : '');
}

/** The differences between two values of the same key suffix, field by field for hashes and sets. */
function diffValues(where: string, liveValue: Value, rebuiltValue: Value, out: Difference[]): void {
  if (liveValue.type === 'none' && rebuiltValue.type === 'none') return;
  // A key missing on one side compares as an empty one of the other side's kind, field by field.
  const emptyLike = (other: Value): Value => (other.type === 'hash' || other.type === 'set' ? { type: other.type, value: new Map() } : other);
  const live = liveValue.type === 'none' ? emptyLike(rebuiltValue) : liveValue;
  const rebuilt = rebuiltValue.type === 'none' ? emptyLike(liveValue) : rebuiltValue;
  if (live.type === 'hash' && rebuilt.type === 'hash') {
    const fields = [...new Set([...live.value.keys(), ...rebuilt.value.keys()])].sort();
    for (const field of fields) {
      const a = live.value.get(field);
      const b = rebuilt.value.get(field);
      if (a !== b) out.push({ where: `${where} ${field}`, live: a ?? 'absent', rebuilt: b ?? 'absent' });
    }
    return;
  }
  if (live.type === 'set' && rebuilt.type === 'set') {
    const members = [...new Set([...live.value.keys(), ...rebuilt.value.keys()])].sort();
    const differing = members.filter((m) => live.value.get(m) !== rebuilt.value.get(m));
    if (differing.length > 0) {
      out.push({
        where: `${where} (${differing.length} members)`,
        live:
          describeEntries(
            live.value,
            differing.filter((m) => live.value.has(m)),
          ) || 'none',
        rebuilt:
          describeEntries(
            rebuilt.value,
            differing.filter((m) => rebuilt.value.has(m)),
          ) || 'none',
      });
    }
    return;
  }
  if (live.type === 'string' && rebuilt.type === 'string') {
    if (live.value !== rebuilt.value) out.push({ where, live: live.value, rebuilt: rebuilt.value });
    return;
  }
  // Missing on one side (an empty hash or set after ignoring fields counts as missing), or of another type.
  const empty = (v: Value) => v.type === 'none' || ((v.type === 'hash' || v.type === 'set') && v.value.size === 0);
  if (empty(live) && empty(rebuilt)) return;
  const show = (v: Value) => (v.type === 'none' ? 'absent' : v.type === 'string' ? v.value : `${v.type} of ${v.value.size}`);
  out.push({ where, live: show(live), rebuilt: show(rebuilt) });
}

async function scanSuffixes(redis: RedisClient, namespace: string, batch: number, each: (suffixes: string[]) => Promise<void>): Promise<void> {
  // On a cluster, on every master.
  await scanKeys(redis, `${namespace}:*`, batch, async (keys) => {
    // The base's pointer lives under the base's prefix, and each namespace's epoch sentinel is
    // its own by design: neither is part of the projection.
    // Neither are the writers' ownership records (which projector owns what, since when).
    const layout = new Keys(namespace);
    const suffixes = keys
      .filter((k) => k !== activeKey(namespace) && k !== epochKey(namespace) && !layout.isBookkeeping(k))
      .map((k) => k.slice(namespace.length));
    if (suffixes.length > 0) await each(suffixes);
  });
}

/**
 * Compares two projection namespaces key by key: the unit set, each unit's states (canonical
 * JSON), bucket hashes, sets with their scores and meta counters. Wall-clock-only fields
 * (lastAppliedMs), write counts (revision, one per applied batch), redelivery counts
 * (duplicate:*) and bucket fields no version writes any more are ignored; expiries are not compared
 * (they follow from the bucket names). Reads in SCAN batches, so memory stays bounded.
 */
export async function diffProjections(redis: RedisClient, live: string, rebuilt: string, batch = 500): Promise<Difference[]> {
  const out: Difference[] = [];
  await scanSuffixes(redis, live, batch, async (suffixes) => {
    const [a, b] = await Promise.all([
      readValues(
        redis,
        suffixes.map((s) => live + s),
      ),
      readValues(
        redis,
        suffixes.map((s) => rebuilt + s),
      ),
    ]);
    suffixes.forEach((suffix, i) => diffValues(suffix.slice(1), a[i] ?? { type: 'none' }, b[i] ?? { type: 'none' }, out));
  });
  await scanSuffixes(redis, rebuilt, batch, async (suffixes) => {
    const exists = await execGroups(
      redis,
      suffixes.map((s) => (pipeline) => pipeline.exists(live + s)),
    );
    const missing = suffixes.filter((_, i) => exists[i]?.[0] === 0);
    const values = await readValues(
      redis,
      missing.map((s) => rebuilt + s),
    );
    missing.forEach((suffix, i) => diffValues(suffix.slice(1), { type: 'none' }, values[i] ?? { type: 'none' }, out));
  });
  return out.sort((x, y) => (x.where < y.where ? -1 : x.where > y.where ? 1 : 0));
}
