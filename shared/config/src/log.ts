import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /**
   * Where the records go: stdout for services (the default), stderr for tools whose stdout is
   * their output (the CLI's --json).
   */
  stream?: 'stdout' | 'stderr';
}

/**
 * Structured JSON logs, one line per record, with the service name on each; on stdout unless told
 * otherwise. Written synchronously: nothing is lost when a process exits right after logging, and
 * a reader that went away (a log pipe closed: EPIPE) only silences the log. With pino's default
 * asynchronous stdout, a record still buffered when the process exits is flushed at exit by a loop
 * that retries a broken pipe for ever: a service told to stop logged "stopped" and never exited.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const settings = { name: service, level, base: { service, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return pino(settings, pino.destination({ dest: options.stream === 'stderr' ? 2 : 1, sync: true }));
}
