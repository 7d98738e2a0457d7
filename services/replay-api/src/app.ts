import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import type { EventStore } from '@dvc/eventstore';
import { keyRole, type ApiKeyRecord, type KeyRateLimiter, type KeysSource } from '@dvc/keys';
import { counter, createServiceHttp, gauge, sendJson, sendText, type BuildInfo, type HttpLimits } from '@dvc/service';
import { parseEventsQuery, type UnitCheck } from './query.js';
import { planRead } from './scope.js';
import { endLine, streamEvents, type StreamResult } from './stream.js';
import type { TokenCodec } from './token.js';

export interface ReplayDeps {
  store: Pick<EventStore, 'read' | 'head'>;
  keys: KeysSource;
  tokens: TokenCodec;
  limiter: KeyRateLimiter;
  registry: Registry;
  logger: Logger;
  /** Service, version and Node.js version: /healthz and dvc_build_info. */
  build: BuildInfo;
  /** The OpenAPI document, served as is at /v1/openapi.json. */
  openapi: string;
  /** The unit directory current now (reloaded without a restart) and pilot mode: which units `unit=` may name. */
  units: () => UnitCheck;
  now: () => number;
  batchSize: number;
  pollMs: number;
  heartbeatMs: number;
  /** Live tails (follow=true) one key may hold open at once; one more is a 429. */
  maxTailsPerKey: number;
  /** Edge limits (per-address rate, header size, timeouts); DEFAULT_HTTP_LIMITS when absent. */
  limits?: HttpLimits;
}

export interface ReplayApp {
  server: Server;
  /** Stops accepting requests, ends every open stream with a `shutdown` line, then closes the server. */
  close(): Promise<void>;
}

const CHALLENGE = 'Bearer realm="dvc-replay"';
const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

interface OpenStream {
  controller: AbortController;
  shutdown: boolean;
  done: Promise<void>;
}

export function createApp(deps: ReplayDeps): ReplayApp {
  const requests = counter(deps.registry, 'dvc_replay_requests_total', 'Requests to GET /v1/events by response status', ['status']);
  const streamed = counter(deps.registry, 'dvc_replay_events_streamed_total', 'Events written to clients of GET /v1/events');
  const activeTails = gauge(deps.registry, 'dvc_replay_active_tails', 'Live tails (follow=true) open now');
  const openStreams = new Set<OpenStream>();
  const tailsByKey = new Map<string, number>();
  let accepting = true;

  interface Refusal {
    headers?: Record<string, string>;
    /** More fields of the JSON body. */
    body?: Record<string, unknown>;
    /** The authenticated key's id, for the log. */
    key?: string;
  }
  const refuse = (res: ServerResponse, status: number, error: string, refusal: Refusal = {}) => {
    requests.inc({ status: String(status) });
    deps.logger.info({ status, error, key: refusal.key }, 'events request refused');
    sendJson(res, status, { error, ...refusal.body }, refusal.headers ?? {});
  };

  const authenticate = (req: IncomingMessage, res: ServerResponse): ApiKeyRecord | undefined => {
    const header = req.headers.authorization;
    if (header === undefined) {
      refuse(res, 401, 'missing API key: send the header Authorization: Bearer <key>', { headers: { 'www-authenticate': CHALLENGE } });
      return undefined;
    }
    const presented = BEARER.exec(header)?.[1];
    if (presented === undefined) {
      refuse(res, 401, 'malformed Authorization header: expected Bearer <key>', { headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_request"` } });
      return undefined;
    }
    const key = deps.keys.current().verify(presented);
    if (key === undefined) {
      refuse(res, 401, 'unknown API key', { headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` } });
      return undefined;
    }
    return key;
  };

  const getEvents = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') {
      refuse(res, 405, 'use GET', { headers: { allow: 'GET' } });
      return;
    }
    if (!accepting) {
      refuse(res, 503, 'shutting down; retry on another instance', { headers: { 'retry-after': '1' } });
      return;
    }
    const key = authenticate(req, res);
    if (key === undefined) return;
    const role = keyRole(key);
    if (role !== 'replay') {
      refuse(res, 403, `key '${key.id}' has the role '${role}'; the replay API takes only keys with the role 'replay'`, { key: key.id });
      return;
    }
    const rate = deps.limiter.take(key.id, key.ratePerMinute);
    if (!rate.ok) {
      refuse(res, 429, `rate limit of ${key.ratePerMinute} requests per minute reached for key '${key.id}'; retry in ${rate.retryAfterSeconds} s`, {
        headers: { 'retry-after': String(rate.retryAfterSeconds) },
        key: key.id,
      });
      return;
    }
    const params = new URL(req.url ?? '/', 'http://replay').searchParams;
    const parsed = parseEventsQuery(params, deps.tokens, deps.units());
    if (!parsed.ok) {
      refuse(res, 400, parsed.problems.join('; '), { body: { problems: parsed.problems }, key: key.id });
      return;
    }
    const query = parsed.query;
    const planned = planRead(query, key);
    if (!planned.ok) {
      refuse(res, 403, planned.problem, { key: key.id });
      return;
    }
    let head: number;
    try {
      head = await deps.store.head();
    } catch (error) {
      deps.logger.warn({ err: error }, 'event store unavailable');
      refuse(res, 503, 'event store unavailable; retry later', { headers: { 'retry-after': '2' }, key: key.id });
      return;
    }
    if (query.after > head) {
      const problem = `resume token position ${query.after} is beyond the head of the history (${head}): it was issued by another event store`;
      refuse(res, 400, problem, { body: { problems: [problem] }, key: key.id });
      return;
    }
    if (query.follow) {
      const open = tailsByKey.get(key.id) ?? 0;
      if (open >= deps.maxTailsPerKey) {
        refuse(res, 429, `key '${key.id}' already holds ${open} live tails, the most allowed; close one first`, {
          headers: { 'retry-after': '5' },
          key: key.id,
        });
        return;
      }
      tailsByKey.set(key.id, open + 1);
      activeTails.inc();
    }

    requests.inc({ status: '200' });
    res.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // Reverse proxies must pass lines through as they come, not buffer the response.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();

    const controller = new AbortController();
    let finish!: () => void;
    const stream: OpenStream = { controller, shutdown: false, done: new Promise<void>((resolve) => (finish = resolve)) };
    openStreams.add(stream);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    // A client gone before the listener was attached never fires it.
    if (res.destroyed) controller.abort();
    const started = deps.now();
    let result: StreamResult | undefined;
    try {
      result = await streamEvents({
        store: deps.store,
        plan: planned.plan,
        after: query.after,
        limit: query.limit,
        follow: query.follow,
        tokens: deps.tokens,
        batchSize: deps.batchSize,
        pollMs: deps.pollMs,
        heartbeatMs: deps.heartbeatMs,
        now: deps.now,
        signal: controller.signal,
        onStreamed: (n) => streamed.inc(n),
        write: (chunk) =>
          new Promise<void>((resolve) => {
            if (res.destroyed) controller.abort();
            if (res.destroyed || res.writableEnded || res.write(chunk)) {
              resolve();
              return;
            }
            const resume = () => {
              res.off('drain', resume);
              res.off('close', resume);
              resolve();
            };
            res.on('drain', resume);
            res.on('close', resume);
          }),
      });
      if (result.outcome !== 'stopped') res.end();
      else if (stream.shutdown && !res.destroyed) res.end(endLine('shutdown', result.position, result.events, deps.tokens));
    } finally {
      openStreams.delete(stream);
      if (query.follow) {
        activeTails.dec();
        const left = (tailsByKey.get(key.id) ?? 1) - 1;
        if (left === 0) tailsByKey.delete(key.id);
        else tailsByKey.set(key.id, left);
      }
      deps.logger.info(
        {
          key: key.id,
          query: params.toString(),
          follow: query.follow,
          outcome: result === undefined ? 'failed' : stream.shutdown && result.outcome === 'stopped' ? 'shutdown' : result.outcome,
          events: result?.events,
          position: result?.position,
          ms: deps.now() - started,
        },
        'events stream ended',
      );
      finish();
    }
  };

  const http = createServiceHttp({
    build: deps.build,
    registry: deps.registry,
    logger: deps.logger,
    routes: {
      '/v1/events': getEvents,
      '/v1/openapi.json': (_req, res) => sendText(res, 200, deps.openapi, 'application/json; charset=utf-8'),
    },
    ready: async () => {
      let store = false;
      try {
        await Promise.race([
          deps.store.head(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('event store did not answer within 2 s')), 2000).unref()),
        ]);
        store = true;
      } catch (error) {
        deps.logger.warn({ err: error }, 'event store not ready');
      }
      return { ready: accepting && store, details: { eventStore: store } };
    },
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
  });

  return {
    server: http.server,
    close: async () => {
      accepting = false;
      const streams = [...openStreams];
      for (const stream of streams) {
        stream.shutdown = true;
        stream.controller.abort();
      }
      await Promise.all(streams.map((s) => s.done));
      await http.close();
    },
  };
}
