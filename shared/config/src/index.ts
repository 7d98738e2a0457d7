export {
  loadConfig,
  describeConfig,
  ConfigError,
  str,
  int,
  port,
  bool,
  oneOf,
  list,
  url,
  optionalDate,
  type Spec,
  type ConfigOf,
  type VarSpec,
  type Parser,
} from './env.js';
export {
  loadReferenceData,
  readDataFile,
  referenceDataPaths,
  projectionContext,
  projectionRules,
  projectionSpec,
  dataSpec,
  DEFAULT_DATA_DIR,
  ZONE,
  ROLLING_WINDOWS,
  DataFileError,
  type DataFileVersion,
  type ReferenceData,
  type ProjectionRules,
} from './data.js';
export { admissionSpec, admissionLimits, type AdmissionConfig } from './admission.js';
export {
  reloadingData,
  reloadSpec,
  watchedDataSpec,
  admittingReferenceSpec,
  watchReferenceData,
  watchAdmittingReference,
  type AdmittingReference,
  type LoadedData,
  type ReloadingData,
  type ReloadOptions,
  type ReferenceWatchDeps,
} from './reload.js';
export { parseTargets, KPIS, KPI_NAMES_VI, type Kpi, type Targets, type TargetRecord, type PeriodRecord } from './targets.js';
export { isUnitAlert } from './alerts.js';
export { createLogger, type Logger } from './log.js';
export { clockSetting, clockSpec, describeClock, eventWatermark, type ClockMode, type ClockSetting } from './clock.js';
export { DEFAULT_RUN_DIR, stackRunDir } from './run-dir.js';
export { SQLITE_MIN_NODE_MAJOR, assertSqliteRuntime, sqliteRuntimeProblem } from './sqlite-runtime.js';
