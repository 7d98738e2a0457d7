import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one line per record, with the service name on each. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
