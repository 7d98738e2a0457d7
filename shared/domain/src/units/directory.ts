/**
 * The unit directory as data (infra/data/units.json): who a unit is, at which level, under
 * which parent, and when it existed. Levels are data, not a fixed three: Vietnam moved from
 * province/district/commune to province/commune on 1 July 2025.
 */
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
  lookup(unitId: string): UnitInfo;
  has(unitId: string): boolean;
}

/** Thrown when the unit data file contradicts itself. */
export class UnitDirectoryError extends Error {}

export function createUnitDirectory(records: readonly UnitRecord[]): UnitDirectory {
  const byId = new Map<string, UnitInfo>();
  for (const r of records) {
    if (byId.has(r.id)) throw new UnitDirectoryError(`unit '${r.id}' appears twice in the unit directory`);
    if (r.validFrom !== undefined && r.validTo !== undefined && r.validTo < r.validFrom) {
      throw new UnitDirectoryError(`unit '${r.id}': validTo ${r.validTo} is before validFrom ${r.validFrom}`);
    }
    byId.set(r.id, { name: r.name, level: r.level, kind: r.kind });
  }
  for (const r of records) {
    if (r.parent !== undefined && !byId.has(r.parent)) {
      throw new UnitDirectoryError(`unit '${r.id}': parent '${r.parent}' is not in the unit directory`);
    }
  }
  return {
    size: byId.size,
    lookup: (unitId) => byId.get(unitId) ?? UNKNOWN_UNIT,
    has: (unitId) => byId.has(unitId),
  };
}
