import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /**
   * Where the records go: stdout for services (the default), stderr for tools whose stdout is
   * their output (the CLI's --json). stderr is written synchronously so nothing is lost when a
   * command exits right after logging.
   */
  stream?: 'stdout' | 'stderr';
}

/** Structured JSON logs, one line per record, with the service name on each; on stdout unless told otherwise. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const settings = { name: service, level, base: { service, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return options.stream === 'stderr' ? pino(settings, pino.destination({ dest: 2, sync: true })) : pino(settings);
}
