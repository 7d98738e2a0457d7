import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import { admitEvent, type AdmissionCode, type AdmissionLimits, type DvcEvent } from '@dvc/domain';
import { keyRole, type ApiKeyRecord, type KeyRateLimiter, type KeysSource } from '@dvc/keys';
import { counter, createServiceHttp, histogram, readBody, sendJson, type BuildInfo, type HttpLimits } from '@dvc/service';
import { bodyKindOf, parseBody, type RejectReason } from './parse.js';
import { eventsOutsideScope } from './scope.js';

/** The port the ingest edge publishes through: all of a batch, or none of it, with the id of the producer key that sent it. */
export interface EventPublisher {
  publish(events: readonly DvcEvent[], producerKey: string): Promise<void>;
}

/** The `key` label of a request without a known key: not a key id (ids start with a letter or digit), never the presented text. */
export const UNKNOWN_KEY_LABEL = '(unknown)';

const CHALLENGE = 'Bearer realm="dvc-ingest"';
const BEARER = /^Bearer +(\S+) *$/i;

/** Why a request was refused by the key check, as a metric label. */
type KeyRefusal = 'unauthenticated' | 'wrong_role' | 'key_rate_limited' | 'out_of_scope';

export interface IngestDeps {
  publisher: EventPublisher;
  /** True when Kafka answers; backs /readyz. */
  isReady(): Promise<boolean>;
  registry: Registry;
  logger: Logger;
  /** Service, version and Node.js version: /healthz and dvc_build_info. */
  build: BuildInfo;
  maxBodyBytes: number;
  maxEventsPerRequest: number;
  /**
   * The admission limits of the reference data current now (it reloads without a restart); read
   * once per request. Admission's "now" is `now()`.
   */
  admission: () => AdmissionLimits;
  /** Edge limits (rate, header size, timeouts); DEFAULT_HTTP_LIMITS when absent. */
  limits?: HttpLimits;
  /** Wall clock in milliseconds: admission's "now" and the rate limiter's clock (Date.now when absent). */
  now?: () => number;
  /** The producer keys (role `producer`), reloaded when their file changes; every request must carry one. */
  keys: KeysSource;
  /** Each key's ratePerMinute (requests), beside the per-address edge limit. */
  limiter: KeyRateLimiter;
}

export interface IngestApp {
  server: Server;
  close(): Promise<void>;
}

/** The help texts of this module's metric families, kept apart so each declaration reads on one line. */
const HELP = {
  rejections:
    'Requests to POST /v1/events refused, by reason; a request refused by admission counts once under each code its events break (future-time, before-history-start, due-too-far, unknown-unit); the client gets the problems in the answer, nothing is kept server-side',
  publishSeconds: 'Time to commit one request to Kafka',
  keyRequests: `Requests to POST /v1/events by producer key id and response status; a request without a known key counts under key="${UNKNOWN_KEY_LABEL}" (never the presented text)`,
  keyEvents: 'Events of authenticated requests by producer key id and outcome (accepted, refused: the whole batch, unavailable)',
} as const;

export function createApp(deps: IngestDeps): IngestApp {
  const requests = counter(deps.registry, 'dvc_ingest_requests_total', 'Requests to POST /v1/events by response status', ['status']);
  const events = counter(deps.registry, 'dvc_ingest_events_total', 'Events seen at the edge by outcome (accepted, rejected, unavailable)', ['outcome']);
  const rejections = counter(deps.registry, 'dvc_ingest_rejections_total', HELP.rejections, ['reason']);
  const publishSeconds = histogram(deps.registry, 'dvc_ingest_publish_seconds', HELP.publishSeconds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  const keyRequests = counter(deps.registry, 'dvc_ingest_key_requests_total', HELP.keyRequests, ['key', 'status']);
  const keyEvents = counter(deps.registry, 'dvc_ingest_key_events_total', HELP.keyEvents, ['key', 'outcome']);
  keyRequests.inc({ key: UNKNOWN_KEY_LABEL, status: '401' }, 0);
  let accepting = true;

  /** The key label of the request being answered (its key's id once authenticated). */
  const keyOf = new WeakMap<ServerResponse, string>();
  const reply = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    requests.inc({ status: String(status) });
    keyRequests.inc({ key: keyOf.get(res) ?? UNKNOWN_KEY_LABEL, status: String(status) });
    sendJson(res, status, body, headers);
  };

  const wallClock = deps.now ?? Date.now;

  const reject = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    reason: RejectReason | AdmissionCode | KeyRefusal | 'method' | 'query' | 'unsupported_media_type' | 'too_large',
    body: Record<string, unknown>,
    headers?: Record<string, string>,
    codes: readonly AdmissionCode[] = [],
  ) => {
    for (const r of new Set([reason, ...codes])) rejections.inc({ reason: r });
    deps.logger.info(
      {
        status,
        reason,
        codes,
        key: keyOf.get(res),
        client: req.socket.remoteAddress,
        error: String(body.error).slice(0, 300),
        invalidCount: body.invalidCount,
      },
      'request refused',
    );
    reply(res, status, body, headers);
  };

  /** The request's producer key, or undefined once it has been answered (401, 403 for another role, 429 past the key's rate). */
  const authenticate = (req: IncomingMessage, res: ServerResponse): ApiKeyRecord | undefined => {
    const refuse = (status: number, reason: KeyRefusal, error: string, headers: Record<string, string>) => {
      req.resume();
      reject(req, res, status, reason, { error }, headers);
      return undefined;
    };
    const header = req.headers.authorization;
    if (header === undefined)
      return refuse(401, 'unauthenticated', 'missing producer key: send the header Authorization: Bearer <key>', { 'www-authenticate': CHALLENGE });
    const presented = BEARER.exec(header)?.[1];
    if (presented === undefined) {
      return refuse(401, 'unauthenticated', 'malformed Authorization header: expected Bearer <key>', {
        'www-authenticate': `${CHALLENGE}, error="invalid_request"`,
      });
    }
    const key = deps.keys.current().verify(presented);
    if (key === undefined)
      return refuse(401, 'unauthenticated', 'unknown or revoked producer key', { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` });
    keyOf.set(res, key.id);
    const role = keyRole(key);
    if (role !== 'producer')
      return refuse(403, 'wrong_role', `key '${key.id}' has the role '${role}'; the ingest takes only keys with the role 'producer'`, {});
    const rate = deps.limiter.take(key.id, key.ratePerMinute);
    if (!rate.ok) {
      return refuse(
        429,
        'key_rate_limited',
        `rate limit of ${key.ratePerMinute} requests per minute reached for key '${key.id}'; retry in ${rate.retryAfterSeconds} s`,
        {
          'retry-after': String(rate.retryAfterSeconds),
        },
      );
    }
    return key;
  };

  const postEvents = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      req.resume();
      reject(req, res, 405, 'method', { error: 'use POST' }, { allow: 'POST' });
      return;
    }
    if (!accepting) {
      reply(res, 503, { error: 'shutting down; retry on another instance' }, { 'retry-after': '1' });
      return;
    }
    const key = authenticate(req, res);
    if (key === undefined) return;
    // No parameter changes what a POST does: one a client believes in (dryRun=true, validate=1)
    // is refused, not ignored while the events are published.
    const query = (req.url ?? '').split('?').slice(1).join('?');
    if (query !== '') {
      req.resume();
      const names = [...new Set([...new URLSearchParams(query).keys()])].map((n) => `'${n.slice(0, 80)}'`);
      reject(req, res, 400, 'query', {
        error: `POST /v1/events takes no query parameters (got ${names.join(', ') || `'${query.slice(0, 80)}'`}); nothing was accepted`,
      });
      return;
    }
    const kind = bodyKindOf(req.headers['content-type']);
    if (!kind.ok) {
      req.resume();
      reject(req, res, 415, 'unsupported_media_type', { error: kind.message });
      return;
    }
    const body = await readBody(req, deps.maxBodyBytes);
    if (!body.ok) {
      events.inc({ outcome: 'rejected' });
      keyEvents.inc({ key: key.id, outcome: 'refused' });
      reject(req, res, 413, 'too_large', { error: `body larger than ${deps.maxBodyBytes} bytes` }, { connection: 'close' });
      return;
    }
    // One snapshot of the limits and one instant for the whole request.
    const policy = { ...deps.admission(), referenceMs: wallClock() };
    const parsed = parseBody(body.body, kind.kind, deps.maxEventsPerRequest, (event) => admitEvent(event, policy));
    if (!parsed.ok) {
      // All or nothing: every event of a refused request is counted as rejected, valid ones included.
      events.inc({ outcome: 'rejected' }, Math.max(1, parsed.eventCount));
      keyEvents.inc({ key: key.id, outcome: 'refused' }, Math.max(1, parsed.eventCount));
      reject(
        req,
        res,
        parsed.status,
        parsed.reason,
        { error: parsed.message, invalid: parsed.invalid, invalidCount: parsed.invalidCount },
        undefined,
        parsed.codes,
      );
      return;
    }
    // The key's scope, with the same unit directory admission used: one event outside it refuses the whole batch.
    const outside = eventsOutsideScope(key.id, key, parsed.events, policy.units);
    if (outside !== undefined) {
      events.inc({ outcome: 'rejected' }, parsed.events.length);
      keyEvents.inc({ key: key.id, outcome: 'refused' }, parsed.events.length);
      reject(req, res, 403, 'out_of_scope', { error: outside.message, key: key.id, outside: outside.outside, outsideCount: outside.outsideCount });
      return;
    }
    const timer = publishSeconds.startTimer();
    try {
      await deps.publisher.publish(parsed.events, key.id);
    } catch (error) {
      events.inc({ outcome: 'unavailable' }, parsed.events.length);
      keyEvents.inc({ key: key.id, outcome: 'unavailable' }, parsed.events.length);
      deps.logger.warn({ err: error, events: parsed.events.length }, 'publish failed');
      reply(res, 503, { error: 'event log unavailable; nothing was accepted, retry later' }, { 'retry-after': '2' });
      return;
    } finally {
      timer();
    }
    events.inc({ outcome: 'accepted' }, parsed.events.length);
    keyEvents.inc({ key: key.id, outcome: 'accepted' }, parsed.events.length);
    reply(res, 202, { accepted: parsed.events.length });
  };

  const http = createServiceHttp({
    build: deps.build,
    registry: deps.registry,
    logger: deps.logger,
    routes: { '/v1/events': postEvents },
    ready: async () => {
      const ready = accepting && (await deps.isReady());
      return { ready, details: { kafka: ready } };
    },
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });

  return {
    server: http.server,
    close: async () => {
      accepting = false;
      await http.close();
    },
  };
}
