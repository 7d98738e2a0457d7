import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import { closeServer, createHttpServer, listen, sendJson, sendText, type HttpLimits, type Route } from './http.js';

/** What a process is: reported in /healthz and as `dvc_build_info{service,version,node}` (value 1). */
export interface BuildInfo {
  /** The service's short name (the `service` field of its log lines), e.g. `projector`. */
  service: string;
  /** The version of the service's package. */
  version: string;
  /** The Node.js version running it (`process.version`). */
  node: string;
}

/**
 * The build info of a service from its package.json (the `version` field), with the running
 * Node.js version. `packageJson` is the file's URL, e.g. `new URL('../package.json', import.meta.url)`
 * from a service's `dist/main.js`.
 */
export function buildInfo(service: string, packageJson: URL): BuildInfo {
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error(`${packageJson.pathname}: no "version" field`);
  return { service, version: manifest.version, node: process.version };
}

/** The answer of /readyz: 200 `{status: 'ready', ...details}` when ready, else 503 `{status: 'not ready', ...details}`. */
export interface Readiness {
  ready: boolean;
  details: Record<string, unknown>;
}

/** A /readyz that is ready while `ping` answers: `{ [name]: true|false }` in the details. */
export function pingReady(name: string, ping: () => Promise<unknown>): () => Promise<Readiness> {
  return async () => {
    const ok = await ping().then(
      () => true,
      () => false,
    );
    return { ready: ok, details: { [name]: ok } };
  };
}

export interface ServiceHttpOptions {
  build: BuildInfo;
  /** Where the runtime's own metrics go: `dvc_http_refused_total{reason}` and `dvc_build_info`. */
  registry: Registry;
  logger: Logger;
  /** The service's own routes, beside /healthz, /readyz and /metrics. */
  routes?: Record<string, Route>;
  /** Routes for every path under a prefix, tried in order when no exact route matches (see HttpServerOptions). */
  prefixRoutes?: readonly (readonly [prefix: string, route: Route])[];
  /** Fields /healthz adds to its status and build info (e.g. the clock). */
  health?: () => Record<string, unknown>;
  ready: () => Promise<Readiness>;
  /** The /metrics text (or its UTF-8 bytes); `registry.metrics()` when absent. */
  metrics?: () => Promise<string | Buffer>;
  /** Edge limits (rate, header size, timeouts); DEFAULT_HTTP_LIMITS when absent. */
  limits?: HttpLimits;
  /** Clock of the rate limiter, in milliseconds (Date.now when absent). */
  now?: () => number;
  /** The log message of a route that threw ('request failed' when absent). */
  failureMessage?: string;
}

export interface ServiceHttp {
  server: Server;
  /** Listens and resolves with the bound port (0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections, closes idle ones; in-flight requests finish. */
  close(): Promise<void>;
}

/**
 * The HTTP shell of a service: its routes behind the edge limits, each refusal counted in
 * `dvc_http_refused_total{reason}`, and the three routes every service answers: /healthz (alive:
 * status, build info and the service's extra fields; never rate limited), /readyz (never rate
 * limited) and /metrics.
 */
export function createServiceHttp(options: ServiceHttpOptions): ServiceHttp {
  const { build, registry } = options;
  const refused = new Counter({
    name: 'dvc_http_refused_total',
    help: 'Requests refused at the HTTP edge before any route: rate_limited, headers_too_large, timeout, bad_request',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'dvc_build_info',
    help: 'The service, its package version and the Node.js version running it (value 1)',
    labelNames: ['service', 'version', 'node'],
    registers: [registry],
  }).set({ service: build.service, version: build.version, node: build.node }, 1);
  const metrics = options.metrics ?? (() => registry.metrics());
  const server = createHttpServer(
    {
      ...options.routes,
      '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok', ...build, ...options.health?.() }),
      '/readyz': async (_req, res) => {
        const { ready, details } = await options.ready();
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...details });
      },
      '/metrics': async (_req, res) => sendText(res, 200, await metrics(), registry.contentType),
    },
    (error) => options.logger.error({ err: error }, options.failureMessage ?? 'request failed'),
    {
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.prefixRoutes === undefined ? {} : { prefixRoutes: options.prefixRoutes }),
      onRefused: (reason) => refused.inc({ reason }),
    },
  );
  return { server, listen: (port, host) => listen(server, port, host), close: () => closeServer(server) };
}
