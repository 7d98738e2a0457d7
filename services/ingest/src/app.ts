import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';
import { closeServer, createHttpServer, readBody, sendJson, sendText, type Logger } from '@dvc/config';
import type { DvcEvent } from '@dvc/domain';
import { bodyKindOf, parseBody } from './parse.js';

/** The port the ingest edge publishes through: all of a batch, or none of it. */
export interface EventPublisher {
  publish(events: readonly DvcEvent[]): Promise<void>;
}

export interface IngestDeps {
  publisher: EventPublisher;
  /** True when Kafka answers; backs /readyz. */
  isReady(): Promise<boolean>;
  registry: Registry;
  logger: Logger;
  maxBodyBytes: number;
  maxEventsPerRequest: number;
}

export interface IngestApp {
  server: Server;
  close(): Promise<void>;
}

export function createApp(deps: IngestDeps): IngestApp {
  const requests = new Counter({
    name: 'dvc_ingest_requests_total',
    help: 'Requests to POST /v1/events by response status',
    labelNames: ['status'],
    registers: [deps.registry],
  });
  const events = new Counter({
    name: 'dvc_ingest_events_total',
    help: 'Events seen at the edge by outcome (accepted, rejected, unavailable)',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });
  const publishSeconds = new Histogram({
    name: 'dvc_ingest_publish_seconds',
    help: 'Time to commit one request to Kafka',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [deps.registry],
  });
  let accepting = true;

  const reply = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    requests.inc({ status: String(status) });
    sendJson(res, status, body, headers);
  };

  const postEvents = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      reply(res, 405, { error: 'use POST' }, { allow: 'POST' });
      return;
    }
    if (!accepting) {
      reply(res, 503, { error: 'shutting down; retry on another instance' }, { 'retry-after': '1' });
      return;
    }
    const kind = bodyKindOf(req.headers['content-type']);
    if (!kind.ok) {
      req.resume();
      reply(res, 415, { error: kind.message });
      return;
    }
    const body = await readBody(req, deps.maxBodyBytes);
    if (!body.ok) {
      reply(res, 413, { error: `body larger than ${deps.maxBodyBytes} bytes` }, { connection: 'close' });
      return;
    }
    const parsed = parseBody(body.body, kind.kind, deps.maxEventsPerRequest);
    if (!parsed.ok) {
      events.inc({ outcome: 'rejected' }, Math.max(1, parsed.invalid.length));
      reply(res, parsed.status, { error: parsed.message, invalid: parsed.invalid });
      return;
    }
    const timer = publishSeconds.startTimer();
    try {
      await deps.publisher.publish(parsed.events);
    } catch (error) {
      events.inc({ outcome: 'unavailable' }, parsed.events.length);
      deps.logger.warn({ err: error, events: parsed.events.length }, 'publish failed');
      reply(res, 503, { error: 'event log unavailable; nothing was accepted, retry later' }, { 'retry-after': '2' });
      return;
    } finally {
      timer();
    }
    events.inc({ outcome: 'accepted' }, parsed.events.length);
    reply(res, 202, { accepted: parsed.events.length });
  };

  const server = createHttpServer(
    {
      '/v1/events': postEvents,
      '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/readyz': async (_req, res) => {
        const ready = accepting && (await deps.isReady());
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', kafka: ready });
      },
      '/metrics': async (_req, res) => sendText(res, 200, await deps.registry.metrics(), deps.registry.contentType),
    },
    (error) => deps.logger.error({ err: error }, 'request failed'),
  );
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return {
    server,
    close: async () => {
      accepting = false;
      await closeServer(server);
    },
  };
}
