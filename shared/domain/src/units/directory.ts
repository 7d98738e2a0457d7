/**
 * The unit directory as data (infra/data/units.json): who a unit is, at which level, under
 * which parent, and when it existed. Levels are data, not a fixed three: Vietnam moved from
 * province/district/commune to province/commune on 1 July 2025.
 */
import { DvcError } from '../errors/dvc-error.js';
import { editDistance } from '../events/names.js';

export interface UnitRecord {
  id: string;
  name: string;
  level: string;
  kind: string;
  parent?: string;
  validFrom?: string;
  validTo?: string;
  successor?: string;
}

export interface UnitInfo {
  name: string;
  level: string;
  kind: string;
}

export const UNKNOWN_UNIT: UnitInfo = { name: '', level: 'unknown', kind: 'unknown' };

export interface UnitDirectory {
  readonly size: number;
  /** Which directory this is (units.json's "version", or a digest of its bytes): named in refusals. */
  readonly version: string;
  lookup(unitId: string): UnitInfo;
  has(unitId: string): boolean;
  /** Every unit id listed, in the file's order. */
  ids(): readonly string[];
  /** The unit's full record (validity, parent, successor), or undefined for a unit not listed. */
  record(unitId: string): Readonly<UnitRecord> | undefined;
}

/** Thrown when the unit data file contradicts itself. */
export class UnitDirectoryError extends DvcError {
  readonly code = 'DVC_UNIT_DIRECTORY';
}

/** Whether a unit existed on a local date (YYYY-MM-DD): from its validFrom to its validTo, both included. */
export function validOn(record: Readonly<UnitRecord>, date: string): boolean {
  return (record.validFrom === undefined || record.validFrom <= date) && (record.validTo === undefined || date <= record.validTo);
}

/** A unit's validity as refusals and warnings name it: `valid 2020-01-01–2025-06-30, successor dn`. */
export function validityText(record: Readonly<UnitRecord>): string {
  return `valid ${record.validFrom ?? '…'}–${record.validTo ?? '…'}${record.successor === undefined ? '' : `, successor ${record.successor}`}`;
}

/**
 * The listed unit an unlisted id was most likely meant to be (a misspelt 'dn.dongxaoi' for
 * 'dn.dongxoai'): the first in the file's order at the smallest edit distance, if that is at most
 * 3; undefined when none is that close. One pass over the directory: for a refusal, not per event.
 */
export function closestUnitId(directory: Pick<UnitDirectory, 'ids'>, unitId: string): string | undefined {
  const typed = unitId.slice(0, 80);
  let best: string | undefined;
  let bestDistance = 4;
  for (const id of directory.ids()) {
    if (Math.abs(id.length - typed.length) >= bestDistance) continue;
    const d = editDistance(typed, id);
    if (d < bestDistance) {
      best = id;
      bestDistance = d;
    }
  }
  return best;
}

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export function createUnitDirectory(records: readonly UnitRecord[], version = 'unversioned'): UnitDirectory {
  const byId = new Map<string, UnitInfo>();
  const recordsById = new Map<string, Readonly<UnitRecord>>();
  for (const r of records) {
    if (byId.has(r.id)) throw new UnitDirectoryError(`unit '${r.id}' appears twice in the unit directory`);
    for (const field of ['validFrom', 'validTo'] as const) {
      const date = r[field];
      // Validity dates are compared as text with local dates: only YYYY-MM-DD compares right.
      if (date !== undefined && (typeof date !== 'string' || !ISO_DATE.test(date))) {
        throw new UnitDirectoryError(`unit '${r.id}': ${field} must be a YYYY-MM-DD date, got ${JSON.stringify(date)}`);
      }
    }
    if (r.validFrom !== undefined && r.validTo !== undefined && r.validTo < r.validFrom) {
      throw new UnitDirectoryError(`unit '${r.id}': validTo ${r.validTo} is before validFrom ${r.validFrom}`);
    }
    byId.set(r.id, { name: r.name, level: r.level, kind: r.kind });
    recordsById.set(r.id, { ...r });
  }
  for (const r of records) {
    if (r.parent !== undefined && !byId.has(r.parent)) {
      throw new UnitDirectoryError(`unit '${r.id}': parent '${r.parent}' is not in the unit directory`);
    }
  }
  for (const r of records) {
    if (r.successor !== undefined && !byId.has(r.successor)) {
      throw new UnitDirectoryError(`unit '${r.id}': successor '${r.successor}' is not in the unit directory`);
    }
  }
  const ids = [...byId.keys()];
  return {
    size: byId.size,
    version,
    lookup: (unitId) => byId.get(unitId) ?? UNKNOWN_UNIT,
    has: (unitId) => byId.has(unitId),
    ids: () => ids,
    record: (unitId) => recordsById.get(unitId),
  };
}
