// Types of nation.mjs for TypeScript callers (tests).

export const PROVINCES: ReadonlyArray<readonly [id: string, name: string]>;
export const NATION_COMMUNES: 3321;
export const DEPARTMENTS: ReadonlyArray<readonly [code: string, name: string]>;
export const DOSSIERS_PER_DAY: Readonly<Record<'province' | 'department' | 'land_registration_office' | 'land_registration_branch' | 'commune_desk', number>>;
export const COMMUNES_PER_BRANCH: number;
export const EVENTS_PER_DOSSIER: number;

export interface NationUnit {
  province: string;
  /** Dossiers received per working day (assumed). */
  perDay: number;
  record: { id: string; name: string; level: string; kind: string; parent?: string; validFrom: string };
}

export interface Traffic {
  units: number;
  provinces: number;
  byKind: Record<string, number>;
  dossiersPerDay: number;
  eventsPerDay: number;
}

export function nationDirectory(options?: { seed?: number }): NationUnit[];
export function traffic(units: readonly NationUnit[]): Traffic;
export function slice(units: readonly NationUnit[], provinces: number): NationUnit[];
export function weightedPicker(units: readonly NationUnit[]): (random: () => number) => string;
export function unitsFile(units: readonly NationUnit[], version: string): { version: string; about: string; units: NationUnit['record'][] };
