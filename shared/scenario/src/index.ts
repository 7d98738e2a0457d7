export { createRng, type Rng } from './rng.js';
export { progressBar, type ProgressBar, type ProgressStream } from './progress.js';
export type { ScenarioEvent } from './event.js';
export { countFigures, referenceDueRule, type Amount, type CountOptions, type Figures, type LevelFigures, type WindowFigures } from './reference.js';
export {
  CLOCK,
  FIGURES,
  PERIOD,
  PLAN,
  generateBinhPhuoc2022,
  iso,
  loadCalendarYears,
  loadUnits,
  type ExpectedFigures,
  type GenerateOptions,
} from './generate.js';
export {
  DEMO_CASE,
  MARKER_VERSION,
  SETTING_NAMES,
  createMarker,
  dataGaps,
  parseMarker,
  settingsDrift,
  type DemoFacts,
  type DemoMarker,
  type DemoSettings,
} from './demo-state.js';
