import { readFileSync } from 'node:fs';
import { execGroups, scanKeys, unlinkMatching, type RedisClient } from './client.js';
import { Keys } from './keys.js';
import { DvcError } from '@dvc/domain';

const SWITCH_LUA = readFileSync(new URL('./switch-active.lua', import.meta.url), 'utf8');

/** What a projection namespace must look like (the key prefix every projection key starts with). */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Thrown for a namespace name that is not valid, or not one of the base's projections. */
export class NamespaceError extends DvcError {
  readonly code = 'DVC_NAMESPACE';
}

/** Thrown when a guarded switch finds another namespace live than the one expected (a concurrent switch). */
export class SwitchConflictError extends DvcError {
  readonly code = 'DVC_SWITCH_CONFLICT';

  constructor(
    readonly expected: string,
    readonly found: string,
  ) {
    super(`the live namespace is '${found}', not '${expected}': another switch happened meanwhile`);
  }
}

export function assertNamespace(namespace: string): void {
  if (!NAMESPACE_PATTERN.test(namespace)) throw new NamespaceError(`Redis namespace '${namespace}' must match [A-Za-z0-9_.-]{1,64}`);
}

/** The key holding the namespace a base name currently serves. */
export function activeKey(base: string): string {
  return `${base}:active`;
}

/** True for the base itself and for the namespaces rebuilt from it (`<base>.<suffix>`). */
export function belongsTo(base: string, namespace: string): boolean {
  return namespace === base || namespace.startsWith(`${base}.`);
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** A fresh rebuild namespace: `<base>.r<UTC yyyymmddThhmmss>`. */
export function rebuildNamespace(base: string, nowMs: number): string {
  const d = new Date(nowMs);
  const stamp = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}T${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  const namespace = `${base}.r${stamp}`;
  assertNamespace(namespace);
  return namespace;
}

/**
 * The namespace a base name currently serves: the value of `<base>:active`, or the base itself
 * when no switch ever happened. One GET; a pointer naming something that is not a projection of
 * this base is refused rather than followed.
 */
export async function resolveActiveNamespace(redis: RedisClient, base: string): Promise<string> {
  const value = await redis.get(activeKey(base));
  if (value === null) return base;
  if (!NAMESPACE_PATTERN.test(value) || !belongsTo(base, value)) {
    throw new NamespaceError(`${activeKey(base)} holds '${value}', which is not a namespace of '${base}'`);
  }
  return value;
}

/**
 * Makes `next` the live namespace of `base` in one atomic step. With `expected`, the switch only
 * happens while `expected` is still live (a script: read and write with nothing in between), so
 * two rebuilds finishing together cannot both win; the loser gets a SwitchConflictError.
 */
export async function switchActiveNamespace(redis: RedisClient, base: string, next: string, expected?: string): Promise<void> {
  assertNamespace(next);
  if (!belongsTo(base, next)) throw new NamespaceError(`'${next}' is not a namespace of '${base}'`);
  if (expected === undefined) {
    await redis.set(activeKey(base), next);
    return;
  }
  const found = (await redis.eval(SWITCH_LUA, 1, activeKey(base), base, expected, next)) as string;
  if (found !== expected) throw new SwitchConflictError(expected, found);
}

/** What follows the namespace in its unit set's key. */
const UNITS_SUFFIX = new Keys('').units();

export interface NamespaceInfo {
  namespace: string;
  active: boolean;
  /** Units in the namespace's unit set (0 for an emptied namespace that is still live). */
  units: number;
}

/**
 * The base's namespaces that hold a projection (found by their unit set), plus the live one,
 * `active`, as a reader resolved it (`LiveView.resolve()`).
 */
export async function listNamespaces(redis: RedisClient, base: string, active: string): Promise<NamespaceInfo[]> {
  const found = new Set<string>([active]);
  // The unit set of every namespace whose name starts with the base's (on every master of a cluster).
  await scanKeys(redis, new Keys(`${base}*`).units(), 1000, (keys) => {
    for (const key of keys) {
      const namespace = key.slice(0, -UNITS_SUFFIX.length);
      if (NAMESPACE_PATTERN.test(namespace) && belongsTo(base, namespace)) found.add(namespace);
    }
    return Promise.resolve();
  });
  const names = [...found].sort();
  // Each unit set is a key of its own slot: one group each.
  const counts = await execGroups(
    redis,
    names.map((namespace) => (pipeline) => pipeline.scard(new Keys(namespace).units())),
  );
  return names.map((namespace, i) => ({ namespace, active: namespace === active, units: Number(counts[i]?.[0] ?? 0) }));
}

/**
 * Deletes every key of a namespace in batches (SCAN + UNLINK), never the live one and never the
 * base's pointer `<base>:active` (which lives under the base's prefix). Returns the keys deleted.
 */
export async function dropNamespace(redis: RedisClient, base: string, namespace: string, batch = 1000): Promise<number> {
  assertNamespace(namespace);
  if (!belongsTo(base, namespace)) throw new NamespaceError(`'${namespace}' is not a namespace of '${base}'`);
  const active = await resolveActiveNamespace(redis, base);
  if (namespace === active) throw new NamespaceError(`'${namespace}' is the live namespace of '${base}'; switch to another one first`);
  const pointer = activeKey(base);
  return unlinkMatching(redis, `${namespace}:*`, batch, (key) => key === pointer);
}
