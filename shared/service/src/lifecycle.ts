import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError, describeConfig, loadConfig, type ConfigOf, type Logger, type Spec } from '@dvc/config';
import { httpLimits, type HttpLimits, type httpSpec } from './http.js';

export interface Running {
  /** Stops accepting work, finishes what is in flight, releases connections. */
  close(): Promise<void>;
}

/** What every service starts from: its configuration, checked; its edge limits; its process's registry. */
export interface Started<S extends Spec> {
  config: ConfigOf<S>;
  limits: HttpLimits;
  /** A registry with the process's default metrics (CPU, memory, event loop, GC) already on it. */
  registry: Registry;
}

export interface ServiceMain<S extends Spec & typeof httpSpec> {
  name: string;
  description: string;
  spec: S;
  logger: Logger;
  start(started: Started<S>): Promise<Running>;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * The composition-root wrapper every service's main.ts uses: `--help`, the configuration read
 * from the environment (errors as a clear message with exit code 2), the edge limits and the
 * process registry handed to `start`, graceful shutdown on SIGTERM/SIGINT.
 */
export async function runMain<S extends Spec & typeof httpSpec>(main: ServiceMain<S>): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(describeConfig(`${main.name}: ${main.description}`, main.spec));
    return;
  }
  let running: Running;
  try {
    const config = loadConfig(main.spec, process.env);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    running = await main.start({ config, limits: httpLimits(config), registry });
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
