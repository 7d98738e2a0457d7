import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ConfigError, int, type ConfigOf } from '@dvc/config';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string | Buffer, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/**
 * How much of an oversized body is still read and thrown away before the refusal goes out, and for
 * how long. A client still sending when the server answers and closes gets a broken pipe instead of
 * the 413 (nginx calls the cure "lingering close"). Past either bound the refusal goes out at once.
 */
export const LINGER = { bytes: 16 * 1024 * 1024, ms: 2_000 } as const;

const TOO_LARGE: BodyResult = { ok: false, tooLarge: true };

/** Reads a request body; past the limit it keeps nothing and drains the rest within {@link LINGER}. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let lingerLeft: number = LINGER.bytes;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (result: BodyResult) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const refuse = () => {
      over = true;
      chunks.length = 0;
      if (declared > limitBytes + LINGER.bytes) settle(TOO_LARGE);
      else timer = setTimeout(() => settle(TOO_LARGE), LINGER.ms);
    };
    req.on('data', (chunk: Buffer) => {
      if (over) {
        lingerLeft -= chunk.length;
        if (lingerLeft < 0) settle(TOO_LARGE);
        return;
      }
      size += chunk.length;
      if (size > limitBytes) refuse();
      else chunks.push(chunk);
    });
    req.on('end', () => settle(over ? TOO_LARGE : { ok: true, body: Buffer.concat(chunks, size) }));
    req.on('error', (error) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(error);
    });
    if (declared > limitBytes) refuse();
  });
}

export const httpSpec = {
  HTTP_RATE_LIMIT_PER_SECOND: int('requests per second one client address may send, sustained (429 above; 0 = no limit)', 0, 0, 1_000_000),
  HTTP_RATE_LIMIT_BURST: int('requests one client address may send at once before the sustained rate applies (0 = one second of it)', 0, 0, 1_000_000),
  HTTP_MAX_HEADER_BYTES: int('largest request line and header block (431 above)', 16 * 1024, 1024, 1024 * 1024),
  HTTP_HEADERS_TIMEOUT_MS: int('time a client has to send the request headers (408 after: slow-header guard)', 10_000, 1000, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: int('time a client has to send a whole request, body included (408 after: slow-body guard)', 30_000, 1000, 3_600_000),
};

export interface HttpLimits {
  /** Sustained requests per second per client address; 0 turns rate limiting off. */
  ratePerSecond: number;
  /** Bucket size: requests a client may send at once. */
  burst: number;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/** The limits from a configuration loaded with httpSpec; refuses a header timeout longer than the request timeout. */
export function httpLimits(config: ConfigOf<typeof httpSpec>): HttpLimits {
  if (config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([
      `HTTP_HEADERS_TIMEOUT_MS (${config.HTTP_HEADERS_TIMEOUT_MS}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${config.HTTP_REQUEST_TIMEOUT_MS})`,
    ]);
  }
  return {
    ratePerSecond: config.HTTP_RATE_LIMIT_PER_SECOND,
    burst: config.HTTP_RATE_LIMIT_BURST === 0 ? Math.max(1, config.HTTP_RATE_LIMIT_PER_SECOND) : config.HTTP_RATE_LIMIT_BURST,
    maxHeaderBytes: config.HTTP_MAX_HEADER_BYTES,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  };
}

/** The limits when a service configures none: no rate limit, Node's header cap, short timeouts. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  ratePerSecond: 0,
  burst: 1,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** Why the edge refused a request before any route saw it: the label of the service's refusal counter. */
export type HttpRefusal = 'rate_limited' | 'headers_too_large' | 'timeout' | 'bad_request';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(client: string): RateDecision;
  /** Client addresses currently tracked (bounded by maxClients). */
  size(): number;
}

/**
 * One token bucket per client address: `burst` tokens, refilled at `ratePerSecond`, one per
 * request. Buckets are forgotten once full again, and the table never holds more than
 * `maxClients` addresses (oldest dropped first), so a wide address range cannot exhaust memory.
 */
export function createRateLimiter(ratePerSecond: number, burst: number, now: () => number, maxClients = 10_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, t: number) => Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * ratePerSecond);
  const sweep = (t: number) => {
    for (const [client, bucket] of buckets) if (refill(bucket, t) >= burst) buckets.delete(client);
    for (const client of buckets.keys()) {
      if (buckets.size < maxClients) break;
      buckets.delete(client);
    }
  };
  return {
    take(client) {
      const t = now();
      const bucket = buckets.get(client);
      const tokens = bucket === undefined ? burst : refill(bucket, t);
      if (tokens >= 1) {
        if (bucket === undefined && buckets.size >= maxClients) sweep(t);
        buckets.set(client, { tokens: tokens - 1, at: t });
        return { allowed: true };
      }
      buckets.set(client, { tokens, at: t });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / ratePerSecond)) };
    },
    size: () => buckets.size,
  };
}

export interface HttpServerOptions {
  limits?: HttpLimits;
  /** Paths never rate limited: liveness and readiness probes must answer under load. */
  unlimitedPaths?: readonly string[];
  /** Called once per refused request; services count it (e.g. dvc_http_refused_total{reason}). */
  onRefused?: (reason: HttpRefusal) => void;
  /** Clock of the rate limiter, in milliseconds. */
  now?: () => number;
  /**
   * Routes for every path under a prefix (e.g. `/v1/units/` for `/v1/units/{unit}/dossiers`),
   * tried in order when no exact route matches; the handler parses the rest of the path.
   */
  prefixRoutes?: readonly (readonly [prefix: string, route: Route])[];
}

const CLIENT_ERROR_STATUS: Record<Exclude<HttpRefusal, 'rate_limited'>, string> = {
  headers_too_large: '431 Request Header Fields Too Large',
  timeout: '408 Request Timeout',
  bad_request: '400 Bad Request',
};

function refusalOf(error: NodeJS.ErrnoException): Exclude<HttpRefusal, 'rate_limited'> {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'timeout';
  return 'bad_request';
}

/**
 * An HTTP server from a path -> handler table; unknown paths get 404, thrown errors 500
 * (logged by the caller's onError), never a crash. The edge limits apply before any route:
 * header size (431), slow headers or bodies (408), and, when configured, a per-address rate
 * limit (429 with Retry-After). Every refusal is reported through onRefused.
 */
export function createHttpServer(routes: Record<string, Route>, onError: (error: unknown) => void, options: HttpServerOptions = {}): Server {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const refused = options.onRefused ?? (() => undefined);
  const unlimited = new Set(options.unlimitedPaths ?? ['/healthz', '/readyz']);
  const limiter = limits.ratePerSecond > 0 ? createRateLimiter(limits.ratePerSecond, limits.burst, options.now ?? Date.now) : undefined;
  // Node looks for expired requests only every connectionsCheckingInterval (30 s by default),
  // which would let a slow client hold a connection far past its timeout.
  const checkEveryMs = Math.max(100, Math.min(5000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes, connectionsCheckingInterval: checkEveryMs }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (limiter !== undefined && !unlimited.has(path)) {
      const decision = limiter.take(req.socket.remoteAddress ?? 'unknown');
      if (!decision.allowed) {
        refused('rate_limited');
        req.resume();
        sendJson(
          res,
          429,
          { error: `too many requests from this address; retry in ${decision.retryAfterSeconds} s` },
          { 'retry-after': String(decision.retryAfterSeconds) },
        );
        return;
      }
    }
    const route = routes[path] ?? options.prefixRoutes?.find(([prefix]) => path.startsWith(prefix))?.[1];
    if (route === undefined) {
      sendJson(res, 404, { error: `no such path: ${path.slice(0, 200)}` });
      return;
    }
    Promise.resolve()
      .then(() => route(req, res))
      .catch((error: unknown) => {
        onError(error);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  // Node answers these itself when nobody listens; listening lets them be counted.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A response already under way (Node's own handler checks the same internal) cannot get a status line.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(error);
    refused(refusal);
    socket.end(`HTTP/1.1 ${CLIENT_ERROR_STATUS[refusal]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

/** Listens and resolves with the bound port (0 picks a free one, as tests do). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting connections and closes idle keep-alive ones; in-flight requests finish. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
