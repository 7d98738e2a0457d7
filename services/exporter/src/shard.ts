import type { VarSpec } from '@dvc/config';

/** Which part of the units one exporter serves: the units whose hash modulo `count` is `index`. */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

export const MAX_SHARDS = 1024;

/** FNV-1a (32 bits) of the unit id's UTF-16 code units: stable across processes and versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Whether `unitId` belongs to `shard`. */
export function inShard(shard: Shard, unitId: string): boolean {
  return shard.count === 1 || fnv1a(unitId) % shard.count === shard.index;
}

/** `EXPORTER_SHARD`: `i/n`, 0 <= i < n <= MAX_SHARDS. */
export const shardSpec = (doc: string): VarSpec<Shard> => ({
  doc,
  default: WHOLE,
  defaultText: '0/1',
  parse: (raw) => {
    const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(raw);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (m === null || count < 1 || count > MAX_SHARDS || index >= count) {
      return { ok: false, reason: `must be i/n with 0 <= i < n <= ${MAX_SHARDS} (this exporter's part of the units), got '${raw}'` };
    }
    return { ok: true, value: { index, count } };
  },
});
