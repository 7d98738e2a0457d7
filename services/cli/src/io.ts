import { createLogger, type Logger } from '@dvc/config';

/** A stream the CLI writes to: stdout/stderr in production, a buffer in tests. */
export interface OutStream {
  write(chunk: string): unknown;
  /** True when a terminal reads it: progress redraws one line instead of printing lines. */
  isTTY?: boolean;
}

/** Everything a command touches outside its arguments, injected so commands are testable. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: OutStream;
  stderr: OutStream;
  /** Wall clock (epoch ms). */
  now: () => number;
}

/** A command: its arguments (after the command name) in, an exit code out. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * The CLI's logger (mostly Kafka client diagnostics): JSON records on the process's stderr, never
 * stdout, so results and --json output stay clean. Level `error` unless LOG_LEVEL says otherwise:
 * kafkajs warns on every idempotent producer with bounded retries, which says nothing to an operator.
 */
export function cliLogger(io: CliIo): Logger {
  return createLogger('dvc-cli', io.env.LOG_LEVEL ?? 'error', { stream: 'stderr' });
}
