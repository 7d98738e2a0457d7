import { ConfigError, type Logger } from '@dvc/config';
import { KeysFileError, watchedKeysFile, type KeysSource } from './keys.js';

/** How often, at most, a service looks at its keys file for changes (when it next uses its keys). */
export const KEYS_FILE_CHECK_MS = 1000;

/** The help of a service's `dvc_<service>_keys_reloads_total{outcome}` counter, the same in every service. */
export const KEYS_RELOADS_HELP = 'Reloads of the keys file after it changed, by outcome (ok, invalid: previous keys kept)';

export interface ServiceKeysOptions {
  logger: Logger;
  now: () => number;
  /** Each reload after the file changed: `ok`, or `invalid` (the previous keys stay in force). */
  reloaded: (outcome: 'ok' | 'invalid') => void;
  /** Appended to the ConfigError of a file invalid at start: what to do about it. */
  hint?: string;
}

/**
 * The API keys file of a service, set by the variable `variable`: checked for changes every
 * second, each reload logged and reported; a file that is invalid at start is a ConfigError
 * naming the variable (the service does not start).
 */
export function serviceKeysFile(variable: string, file: string, options: ServiceKeysOptions): KeysSource {
  const { logger, reloaded } = options;
  try {
    return watchedKeysFile(file, {
      now: options.now,
      checkIntervalMs: KEYS_FILE_CHECK_MS,
      onReload: (count) => {
        reloaded('ok');
        logger.info({ file, keys: count }, 'keys file reloaded');
      },
      onError: (error) => {
        reloaded('invalid');
        logger.error({ file: error.file, problems: error.problems }, 'keys file changed but is invalid; previous keys kept');
      },
    });
  } catch (error) {
    if (error instanceof KeysFileError) throw new ConfigError([`${variable}: ${error.message}${options.hint === undefined ? '' : ` (${options.hint})`}`]);
    throw error;
  }
}
