import type { EventEmitter } from 'node:events';
import type { Logger } from '@dvc/config';

/** How one process warning is logged: at which level, with which fields. */
export interface WarningLog {
  level: 'debug' | 'warn';
  fields: { warning: { name: string; message: string; code?: string } };
}

/**
 * kafkajs 2.2.4 (RequestQueue.scheduleCheckPendingRequests, after each response) sets the timer of
 * its request queue's next check to `throttledUntil - Date.now()`, and `throttledUntil` is -1 until
 * a broker throttles the client: a negative delay, which Node.js 24 runs after 1 ms as before but
 * reports (once per process) as a TimeoutNegativeWarning. No client option avoids it. Known and
 * harmless, so it is logged at debug level; it is recognised by the warning's name and kafkajs on
 * its stack, so a negative delay from any other code stays a warning.
 */
function isKafkajsNegativeTimeout(warning: Error): boolean {
  return warning.name === 'TimeoutNegativeWarning' && /[\\/]kafkajs[\\/]/.test(warning.stack ?? '');
}

/** The log record of a process warning: its name, message and code (when it has one); debug for the known kafkajs one, warn for every other. */
export function warningLog(warning: Error & { code?: unknown }): WarningLog {
  const code = typeof warning.code === 'string' ? { code: warning.code } : {};
  return {
    level: isKafkajsNegativeTimeout(warning) ? 'debug' : 'warn',
    fields: { warning: { name: warning.name, message: warning.message, ...code } },
  };
}

/**
 * Process warnings go to the service's structured log, one record each (warningLog), instead of
 * the plain text Node.js writes to stderr by default: its own listener is removed (as --no-warnings
 * would leave it out), so a warning is neither lost nor printed outside the JSON log.
 */
export function logProcessWarnings(logger: Logger, emitter: EventEmitter = process): void {
  emitter.removeAllListeners('warning');
  emitter.on('warning', (warning: Error) => {
    const { level, fields } = warningLog(warning);
    logger[level](fields, 'process warning');
  });
}
