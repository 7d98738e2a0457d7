export { loadConfig, describeConfig, ConfigError, str, int, port, bool, oneOf, list, url, type Spec, type ConfigOf, type VarSpec, type Parser } from './env.js';
export { loadReferenceData, projectionContext, projectionRules, projectionSpec, dataSpec, DEFAULT_DATA_DIR, ZONE, ROLLING_WINDOWS, DataFileError, type ReferenceData, type ProjectionRules } from './data.js';
export { parseTargets, KPIS, type Kpi, type Targets, type TargetRecord, type PeriodRecord } from './targets.js';
export { createLogger, type Logger } from './log.js';
export { DEFAULT_RUN_DIR, stackRunDir } from './run-dir.js';
export { runMain, type Running, type ServiceMain } from './lifecycle.js';
export {
  createHttpServer,
  createRateLimiter,
  httpLimits,
  httpSpec,
  DEFAULT_HTTP_LIMITS,
  listen,
  closeServer,
  readBody,
  sendJson,
  sendText,
  type Route,
  type BodyResult,
  type HttpLimits,
  type HttpRefusal,
  type HttpServerOptions,
  type RateDecision,
  type RateLimiter,
} from './http.js';
