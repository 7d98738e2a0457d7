import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, int, str } from './env.js';
import {
  DvcError,
  createDayIndexer,
  createUnitDirectory,
  createWorkCalendar,
  type CalendarYear,
  type DayIndexer,
  type ProjectionContext,
  type UnitDirectory,
  type UnitRecord,
  type WorkCalendar,
} from '@dvc/domain';
import { parseTargets, type Targets } from './targets.js';

/** The repository's data folder (infra/data), found from this package's location. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../infra/data', import.meta.url));

export const ZONE = 'Asia/Ho_Chi_Minh';

/** Where a service finds the reference data. */
export const dataSpec = {
  DATA_DIR: str('folder with calendar/, units.json, targets.json and procedures.json', DEFAULT_DATA_DIR),
};

/** Thrown when a data file is missing or malformed; names the file. */
export class DataFileError extends DvcError {
  readonly code = 'DVC_DATA_FILE';
}

/** Which version of a data file was loaded: its `"version"` field, else a digest of its bytes. */
export interface DataFileVersion {
  /** The file's name relative to the data folder (e.g. `units.json`, `calendar/2026.json`). */
  file: string;
  version: string;
}

/**
 * A data file's JSON and version: the string `"version"` field when the file has one, else the
 * first 12 hex digits of the SHA-256 of its bytes (so any change gives a new version).
 */
export function readDataFile(path: string): { json: unknown; version: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new DataFileError(`cannot read data file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DataFileError(`data file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const field = typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined;
  const version = typeof field === 'string' && field.trim() !== '' ? field.trim().slice(0, 64) : createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return { json, version };
}

const CALENDAR_FILE = /^\d{4}\.json$/;

function calendarFiles(calendarDir: string): string[] {
  try {
    return readdirSync(calendarDir)
      .filter((f) => CALENDAR_FILE.test(f))
      .sort();
  } catch (error) {
    throw new DataFileError(`cannot list calendar folder ${calendarDir}: ${(error as Error).message}`);
  }
}

/** Every file the reference data is read from, for change detection (the calendar folder's year files included). */
export function referenceDataPaths(dataDir: string = DEFAULT_DATA_DIR): string[] {
  const calendarDir = join(dataDir, 'calendar');
  return [
    calendarDir,
    ...calendarFiles(calendarDir).map((f) => join(calendarDir, f)),
    ...['units.json', 'targets.json', 'procedures.json'].map((f) => join(dataDir, f)),
  ];
}

/** The rolling windows every service knows; fixed periods come from targets.json. */
export const ROLLING_WINDOWS = [{ id: '14d', days: 14 }] as const;

export interface ReferenceData {
  days: DayIndexer;
  calendar: WorkCalendar;
  units: UnitDirectory;
  targets: Targets;
  feeBearingProcedures: ReadonlySet<string>;
  /** The version of every file read, in reading order. */
  files: DataFileVersion[];
}

/** A domain constructor's complaint about a file's content, re-thrown naming the file. */
function inFile<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    throw new DataFileError(`${path} is invalid: ${(error as Error).message}`);
  }
}

/** Loads the working-day calendar (one file per year), the unit directory, targets and fee-bearing procedures. */
export function loadReferenceData(dataDir: string = DEFAULT_DATA_DIR): ReferenceData {
  const days = createDayIndexer(ZONE);
  const calendarDir = join(dataDir, 'calendar');
  const files = calendarFiles(calendarDir);
  if (files.length === 0) throw new DataFileError(`no calendar year files (YYYY.json) in ${calendarDir}`);
  const versions: DataFileVersion[] = [];
  const read = (name: string): unknown => {
    const { json, version } = readDataFile(join(dataDir, name));
    versions.push({ file: name, version });
    return json;
  };
  const years = files.map((f) => read(`calendar/${f}`) as CalendarYear);
  const calendar = inFile(calendarDir, () => createWorkCalendar(years, days));
  const unitsFile = join(dataDir, 'units.json');
  const unitsJson = read('units.json') as { units?: UnitRecord[] };
  if (!Array.isArray(unitsJson.units)) throw new DataFileError(`${unitsFile} must hold { "units": [...] }`);
  const unitsVersion = versions[versions.length - 1]?.version;
  const units = inFile(unitsFile, () => createUnitDirectory(unitsJson.units as UnitRecord[], unitsVersion));
  const targetsFile = join(dataDir, 'targets.json');
  const targets = parseTargets(
    read('targets.json'),
    days,
    ROLLING_WINDOWS.map((w) => w.id),
  );
  if (!targets.ok) throw new DataFileError(`${targetsFile} is invalid:\n  - ${targets.problems.join('\n  - ')}`);
  const proceduresFile = join(dataDir, 'procedures.json');
  const procedures = read('procedures.json') as { feeBearing?: unknown };
  if (!Array.isArray(procedures.feeBearing) || !procedures.feeBearing.every((p) => typeof p === 'string')) {
    throw new DataFileError(`${proceduresFile} must hold { "feeBearing": ["<procedure code>", ...] }`);
  }
  return {
    days,
    calendar,
    units,
    targets: targets.targets,
    feeBearingProcedures: new Set(procedures.feeBearing as string[]),
    files: versions,
  };
}

/** The pure projection context from the reference data and the two working-day rules. */
export function projectionContext(reference: ReferenceData, rules: { resultReturnWorkingDays: number; receiptWorkingDays: number }): ProjectionContext {
  return {
    days: reference.days,
    calendar: reference.calendar,
    periods: reference.targets.periods,
    horizonDay: Number.NEGATIVE_INFINITY,
    rules: { ...rules, feeBearingProcedures: reference.feeBearingProcedures },
  };
}

/** The projection rules every writer of the projection (projector, rebuild) must share. */
export const projectionSpec = {
  RESULT_RETURN_WORKING_DAYS: int('working days after resolution within which the result must be returned (integrity signal)', 2, 0, 60),
  RECEIPT_WORKING_DAYS: int('working days an online submission may wait for official receipt (Decree 118/2025)', 1, 0, 60),
  RETENTION_DAYS: int('days of daily buckets kept behind the wall clock (0 keeps all; use 0 for historical replays)', 0, 0, 36_500),
};

export interface ProjectionRules {
  /** The projection context for a batch applied at wall-clock instant `now` (the retention horizon moves with it). */
  ctxAt: (now: number) => ProjectionContext;
  /** Expiry (epoch ms) of a bucket: day buckets expire RETENTION_DAYS after their day; others never. */
  expireAt: (bucket: string) => number | undefined;
}

/**
 * The context and bucket expiry from the reference data and the projection settings, so a rebuild
 * writes exactly what the projector would have written. Throws a ConfigError for a retention
 * shorter than the 14-day window.
 */
export function projectionRules(
  reference: ReferenceData,
  settings: { RESULT_RETURN_WORKING_DAYS: number; RECEIPT_WORKING_DAYS: number; RETENTION_DAYS: number },
): ProjectionRules {
  const retention = settings.RETENTION_DAYS;
  if (retention > 0 && retention < 15) throw new ConfigError([`RETENTION_DAYS must be 0 or at least 15 (the 14-day window must stay whole), got ${retention}`]);
  const ctx = projectionContext(reference, {
    resultReturnWorkingDays: settings.RESULT_RETURN_WORKING_DAYS,
    receiptWorkingDays: settings.RECEIPT_WORKING_DAYS,
  });
  return {
    ctxAt: (now) => ({ ...ctx, horizonDay: retention > 0 ? reference.days.dayOf(now) - retention : Number.NEGATIVE_INFINITY }),
    expireAt: (bucket) => {
      if (retention === 0 || !/^\d{4}-\d{2}-\d{2}$/.test(bucket)) return undefined;
      return reference.days.startOfDayMs(reference.days.dayFromIso(bucket) + retention + 1);
    },
  };
}
