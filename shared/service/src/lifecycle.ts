import { ConfigError, describeConfig, type Logger, type Spec } from '@dvc/config';

export interface Running {
  /** Stops accepting work, finishes what is in flight, releases connections. */
  close(): Promise<void>;
}

export interface ServiceMain {
  name: string;
  description: string;
  spec: Spec;
  logger: Logger;
  start(): Promise<Running>;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * The composition-root wrapper every service's main.ts uses: `--help`, configuration errors
 * as a clear message with exit code 2, graceful shutdown on SIGTERM/SIGINT.
 */
export async function runMain(main: ServiceMain): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(describeConfig(`${main.name}: ${main.description}`, main.spec));
    return;
  }
  let running: Running;
  try {
    running = await main.start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${main.name}: ${error.message}\nRun with --help to see every variable.\n`);
      process.exit(2);
    }
    main.logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    main.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      main.logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, main.shutdownTimeoutMs ?? 20_000);
    timer.unref();
    running.close().then(
      () => {
        main.logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        main.logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
