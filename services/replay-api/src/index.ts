export { createApp, type ReplayApp, type ReplayDeps } from './app.js';
export { OPENAPI_FILE } from './openapi.js';
export { DEFAULT_LIMIT, MAX_LIMIT, QUERY_PARAMETERS, parseEventsQuery, type EventsQuery, type QueryParameter, type QueryResult } from './query.js';
export { passesPlan, planRead, type PlanResult, type ReadPlan } from './scope.js';
export { endLine, pause, streamEvents, type EndReason, type StreamLine, type StreamOptions, type StreamResult } from './stream.js';
export { TOKEN_VERSION, TokenSecretError, createTokenCodec, type TokenCodec, type TokenResult } from './token.js';
