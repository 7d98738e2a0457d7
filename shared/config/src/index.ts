export { loadConfig, describeConfig, ConfigError, str, int, port, bool, oneOf, list, url, type Spec, type ConfigOf, type VarSpec, type Parser } from './env.js';
export { loadReferenceData, DEFAULT_DATA_DIR, ZONE, DataFileError, type ReferenceData } from './data.js';
export { createLogger, type Logger } from './log.js';
export { runMain, type Running, type ServiceMain } from './lifecycle.js';
export { createHttpServer, listen, closeServer, readBody, sendJson, sendText, type Route, type BodyResult } from './http.js';
