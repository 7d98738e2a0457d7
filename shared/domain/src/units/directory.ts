/**
 * The unit directory as data (infra/data/units.json): who a unit is, at which level, under
 * which parent, and when it existed. Levels are data, not a fixed three: Vietnam moved from
 * province/district/commune to province/commune on 1 July 2025.
 */
import { DvcError } from '../errors/dvc-error.js';

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
