export { createApp, type ReplayApp, type ReplayDeps } from './app.js';
export {
  DEFAULT_KEYS_FILE,
  KEY_PREFIX,
  KEYS_FILE_VERSION,
  MAX_RATE_PER_MINUTE,
  KeyRing,
  KeysFileError,
  addKey,
  generateApiKey,
  hashApiKey,
  parseKeysFile,
  parseTypesScope,
  parseUnitsScope,
  readKeysFile,
  serializeKeysFile,
  watchedKeysFile,
  writeKeysFile,
  type ApiKeyRecord,
  type KeyScope,
  type KeysFile,
  type KeysSource,
  type NewKey,
  type Parsed,
} from './keys.js';
export { OPENAPI_FILE } from './openapi.js';
export {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  QUERY_PARAMETERS,
  parseEventsQuery,
  type EventsQuery,
  type QueryParameter,
  type QueryResult,
} from './query.js';
export { RateLimiter, type RateDecision } from './rate.js';
export { passesPlan, planRead, type PlanResult, type ReadPlan } from './scope.js';
export { endLine, pause, streamEvents, type EndReason, type StreamLine, type StreamOptions, type StreamResult } from './stream.js';
export { TOKEN_VERSION, TokenSecretError, createTokenCodec, type TokenCodec, type TokenResult } from './token.js';
