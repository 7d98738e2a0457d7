// keys.ts is the package's core: every name it exports is public.
export * from './keys.js';
export { KeyRateLimiter, type KeyRateDecision } from './rate.js';
export { KEYS_FILE_CHECK_MS, KEYS_RELOADS_HELP, serviceKeysFile, type ServiceKeysOptions } from './service-keys.js';
