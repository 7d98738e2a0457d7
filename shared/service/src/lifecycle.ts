import type { Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError, createLogger, describeConfig, loadConfig, port, str, type ConfigOf, type Logger, type Spec, type VarSpec } from '@dvc/config';
import { httpLimits, httpSpec, listen, type HttpLimits } from './http.js';
import { logProcessWarnings } from './warnings.js';

/** The prefix of a service's listen variables: its short name's first word in capitals (`replay-api`: REPLAY). */
type Prefix<N extends string> = Uppercase<N extends `${infer First}-${string}` ? First : N>;

/** A service's HTTP port: `<PREFIX>_PORT` and `<PREFIX>_HOST` (PREFIX the name's first word in capitals), then the edge limits (httpSpec). */
export type ListenSpec<N extends string> = Record<`${Prefix<N>}_PORT`, VarSpec<number>> & Record<`${Prefix<N>}_HOST`, VarSpec<string>> & typeof httpSpec;

function prefixOf<N extends string>(name: N): Prefix<N> {
  return name.split('-')[0]!.toUpperCase() as Prefix<N>;
}

/** The variables of the HTTP port of the service `name`: `<PREFIX>_PORT` (`fallback` by default, documented by `portDoc`), `<PREFIX>_HOST` (127.0.0.1 by default) and the edge limits. */
export function listenSpec<N extends string>(name: N, fallback: number, portDoc = 'HTTP port for /healthz, /readyz and /metrics'): ListenSpec<N> {
  const prefix = prefixOf(name);
  return { [`${prefix}_PORT`]: port(portDoc, fallback), [`${prefix}_HOST`]: str('address to listen on', '127.0.0.1'), ...httpSpec } as ListenSpec<N>;
}

export interface Running {
  /** Stops accepting work, finishes what is in flight, releases connections. */
  close(): Promise<void>;
}

/** What `start` hands back: the server runMain listens on, then what runs once it listens. */
export interface Serving extends Running {
  server: Server;
  /** Called with the bound port once the server listens (consumers start here, after /readyz answers). */
  listening(port: number): Promise<void> | void;
}

/** What every service starts from: its configuration, checked; its edge limits; its process's registry; its logger. */
export interface Started<S extends Spec> {
  config: ConfigOf<S>;
  limits: HttpLimits;
  /** A registry with the process's default metrics (CPU, memory, event loop, GC) already on it. */
  registry: Registry;
  logger: Logger;
}

export interface ServiceMain<S extends Spec> {
  description: string;
  spec: S;
  start(started: Started<S>): Promise<Serving>;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * The composition-root wrapper every service's main.ts uses. `name` is the service's short name:
 * the logger's name, `dvc-<name>` in `--help` and errors, the prefix of the listen variables.
 * It does `--help`, reads the configuration from the environment (errors as a clear message with
 * exit code 2), hands the edge limits, the process registry and the logger to `start`, listens
 * with the returned server on `<PREFIX>_PORT`/`<PREFIX>_HOST`, logs process warnings as records of
 * its log (logProcessWarnings) instead of Node.js's text on stderr, and shuts down gracefully on
 * SIGTERM/SIGINT (exit code 0 once `close` resolved). A signal during start-up is handled too:
 * the start runs to its next step (`start` resolves; `listening` finishes if it began), nothing
 * further starts, and the service closes what it started, within `shutdownTimeoutMs` as always.
 */
export async function runMain<N extends string, S extends Spec & ListenSpec<N>>(name: N, main: ServiceMain<S>): Promise<void> {
  const title = `dvc-${name}`;
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(describeConfig(`${title}: ${main.description}`, main.spec));
    return;
  }
  const logger = createLogger(name);
  logProcessWarnings(logger);
  // The signal handlers come first: a SIGTERM during start-up (a rollout, a supervisor giving up)
  // must not kill the process halfway, with a consumer joining its group it never leaves (the
  // group would wait out the session timeout) and its connections dropped.
  let running: Running | undefined;
  let started = false;
  let signalled: string | undefined;
  const shutDown = (serving: Running) => {
    serving.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  const stop = (signal: string) => {
    if (signalled !== undefined) return;
    signalled = signal;
    logger.info({ signal, ...(started ? {} : { during: 'start-up' }) }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, main.shutdownTimeoutMs ?? 20_000);
    timer.unref();
    // During start-up the start sequence stops at its next step and closes what it started.
    if (started && running !== undefined) shutDown(running);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    const config = loadConfig(main.spec, process.env);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const serving = await main.start({ config, limits: httpLimits(config), registry, logger });
    running = serving;
    const prefix = prefixOf(name);
    const address = config as Record<string, unknown>;
    // Signalled meanwhile: no listening, no consumer started; a consumer already starting has
    // finished starting (joined or joining) and leaves its group on close.
    if (signalled === undefined) {
      const port = await listen(serving.server, address[`${prefix}_PORT`] as number, address[`${prefix}_HOST`] as string);
      if (signalled === undefined) await serving.listening(port);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${title}: ${error.message}\nRun with --help to see every variable.\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
  started = true;
  if (signalled !== undefined) shutDown(running);
}
