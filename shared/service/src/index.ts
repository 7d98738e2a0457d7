export { logProcessWarnings } from './warnings.js';
export { listenSpec, runMain, type ListenSpec, type Running, type ServiceMain, type Serving, type Started } from './lifecycle.js';
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
export { counter, gauge, histogram } from './metric.js';
export { queryProblems, wholeNumber } from './query.js';
export { buildInfo, createServiceHttp, pingReady, type BuildInfo, type Readiness, type ServiceHttp, type ServiceHttpOptions } from './service.js';
