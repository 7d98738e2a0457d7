import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DvcEvent } from '@dvc/domain';
import { openEventStore, type EventStore } from '@dvc/eventstore';
import { ev, uniqueName, waitFor } from '@dvc/testing';
import { RUN_DIR, STORE_KINDS, eventStoreUrl, removeEventStore, scrapeMetrics, startService, type ServiceProcess } from './stack.js';

/**
 * The replay API as a real process over a real SQLite history that this test fills through the
 * event store port (a separate process from the service, as the archiver is in production).
 */

const SECRET = 'replay-e2e-token-secret';
const UNITS = ['u-a', 'u-b', 'u-c', 'u-d'];
const INITIAL = 600;
const LIVE = 400;
const RECEIVED = 'vn.dvc.dossier.received';
const RESOLVED = 'vn.dvc.dossier.resolved';

type Line =
  | { position: number; token: string; event: DvcEvent }
  | { heartbeat: string; position: number; token: string }
  | { end: string; position: number; token: string; events: number };

const isEvent = (line: Line): line is Extract<Line, { event: DvcEvent }> => 'event' in line;

/** Builds `count` valid events across four units, four types and ten business days. */
function history(prefix: string, from: number, count: number): DvcEvent[] {
  const out: unknown[] = [];
  for (let i = from; i < from + count; i += 1) {
    const unit = UNITS[i % UNITS.length] as string;
    const time = `2022-06-${String(10 + (i % 10)).padStart(2, '0')}T08:${String(i % 60).padStart(2, '0')}:00+07:00`;
    const kind = Math.floor(i / UNITS.length) % 4;
    if (kind === 0) out.push(ev.received(unit, `${prefix}-D${i}`, time, 'online'));
    else if (kind === 1) out.push(ev.resolved(unit, `${prefix}-D${i}`, time, true));
    else if (kind === 2) out.push(ev.payment(unit, `${prefix}-P${i}`, time, 'fee', 'online', 1000 + i));
    else out.push(ev.report(unit, `${prefix}-R${i}`, time, 'online'));
  }
  return out as DvcEvent[];
}

const sha = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;

/** A token in the documented layout, signed with the test's secret: what a client cannot make without it. */
function signedToken(position: number): string {
  const body = Buffer.alloc(9);
  body.writeUInt8(1, 0);
  body.writeBigUInt64BE(BigInt(position), 1);
  return Buffer.concat([body, createHmac('sha256', SECRET).update(body).digest().subarray(0, 12)]).toString('base64url');
}

describe.each(STORE_KINDS)('replay API (real process, real $name history)', ({ kind }) => {
  const id = uniqueName('replay').replace(/[^a-z0-9-]/g, '');
  const storeUrl = eventStoreUrl(kind, id);
  const dir = join(RUN_DIR, 'tests', id);
  const keysFile = join(dir, 'keys.json');
  const keys = { full: `dvcr_full-${id}`, scoped: `dvcr_scoped-${id}`, slow: `dvcr_slow-${id}`, tails: `dvcr_tails-${id}` };
  let store: EventStore;
  let service: ServiceProcess;
  let all: DvcEvent[];

  const get = (query: string, key: string | undefined, init: RequestInit = {}) =>
    fetch(`${service.url}/v1/events${query}`, { ...init, headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });

  async function page(query: string, key = keys.full): Promise<Line[]> {
    const res = await get(query, key);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    return text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
  }

  /** Every page of a read, following the end line's token, until caught up. */
  async function readAll(query: string, key = keys.full): Promise<{ events: Extract<Line, { event: DvcEvent }>[]; pages: number; last: Line }> {
    const events: Extract<Line, { event: DvcEvent }>[] = [];
    let after = '';
    for (let pages = 1; ; pages += 1) {
      const lines = await page(`?${query}${after}`, key);
      const last = lines.at(-1) as Line;
      expect('end' in last).toBe(true);
      events.push(...lines.filter(isEvent));
      if ('end' in last && last.end === 'caught-up') return { events, pages, last };
      after = `&after=${last.token}`;
    }
  }

  /**
   * A live tail: hands each complete line to `onLine` as it arrives; when onLine returns true the
   * connection is destroyed (abort), as a client that goes away does.
   */
  async function tail(query: string, onLine: (line: Line) => boolean, key = keys.full): Promise<void> {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new Error('tail took longer than 60 s')), 60_000);
    try {
      const res = await get(query, key, { signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        rest += decoder.decode(value, { stream: true });
        let newline = rest.indexOf('\n');
        while (newline !== -1) {
          const line = JSON.parse(rest.slice(0, newline)) as Line;
          rest = rest.slice(newline + 1);
          if (onLine(line)) {
            controller.abort();
            return;
          }
          newline = rest.indexOf('\n');
        }
      }
    } finally {
      clearTimeout(timeout);
    }
  }

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    const record = (keyId: string, key: string, units: unknown, types: unknown, ratePerMinute: number) => ({
      id: keyId,
      hash: sha(key),
      units,
      types,
      ratePerMinute,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    writeFileSync(
      keysFile,
      JSON.stringify({
        version: 1,
        keys: [
          record('full', keys.full, '*', '*', 100_000),
          record('scoped', keys.scoped, ['u-a', 'u-b'], [RECEIVED, RESOLVED], 100_000),
          record('slow', keys.slow, '*', '*', 3),
          record('tails', keys.tails, '*', '*', 100_000),
        ],
      }),
    );
    store = openEventStore(storeUrl);
    const initial = history(id, 0, INITIAL);
    await store.append(initial);
    all = initial;
    service = await startService(
      'replay-api',
      {
        EVENTSTORE_URL: storeUrl,
        REPLAY_KEYS_FILE: keysFile,
        REPLAY_TOKEN_SECRETS: SECRET,
        REPLAY_BATCH_SIZE: '37',
        REPLAY_POLL_MS: '50',
        REPLAY_HEARTBEAT_MS: '300',
        REPLAY_MAX_TAILS_PER_KEY: '2',
        // The history's units (u-a…u-d) are in no directory: a pilot's history.
        ACCEPT_UNKNOWN_UNITS: 'true',
      },
      'REPLAY_PORT',
    );
  });

  afterAll(async () => {
    await service?.kill('SIGTERM');
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    await removeEventStore(storeUrl);
  });

  it('(a) paging with limit and the end line token returns every event exactly once, in order', async () => {
    const { events, pages, last } = await readAll('limit=50');
    expect(pages).toBe(INITIAL / 50 + 1);
    expect(events.map((l) => l.position)).toEqual(all.map((_, i) => i + 1));
    expect(events.map((l) => l.event)).toEqual(all);
    expect(last).toMatchObject({ end: 'caught-up', position: INITIAL, events: 0 });

    // A filter matching a few events: the end lines still carry the whole scanned stretch.
    const reports = await readAll(`types=vn.dvc.report.submitted&unit=u-c&limit=7`);
    const expected = all.filter((e) => e.type === 'vn.dvc.report.submitted' && e.unitid === 'u-c');
    expect(expected.length).toBe(37);
    expect(reports.events.map((l) => l.event.id)).toEqual(expected.map((e) => e.id));
    expect(reports.last.position).toBe(INITIAL);

    // Nothing matches: one line, the end, at the head.
    expect(await page('?types=vn.dvc.procedure.published')).toEqual([{ end: 'caught-up', position: INITIAL, token: signedToken(INITIAL), events: 0 }]);

    // Business-time window: from inclusive, to exclusive.
    const window = await readAll('from=2022-06-12T08:00:00%2B07:00&to=2022-06-14T08:00:00%2B07:00&limit=10000');
    const inWindow = all.filter((e) => e.time >= '2022-06-12T08:00:00+07:00' && e.time < '2022-06-14T08:00:00+07:00');
    expect(window.events.map((l) => l.event.id)).toEqual(inWindow.map((e) => e.id));
    expect(inWindow.length).toBe(120);
  });

  it('(b) a live tail cut mid-stream and resumed from its last token sees every event exactly once', async () => {
    const live = history(`${id}-live`, INITIAL, LIVE);
    const appending = (async () => {
      for (let i = 0; i < live.length; i += 20) {
        await store.append(live.slice(i, i + 20));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const total = INITIAL + LIVE;
    const seen: number[] = [];
    let token = '';
    let lines = 0;
    await tail('?follow=true', (line) => {
      lines += 1;
      if (isEvent(line)) seen.push(line.position);
      token = line.token;
      return seen.length === 250;
    });
    expect(seen.length).toBe(250);
    // The server notices the client went away and stops that tail.
    await waitFor(async () => ((await scrapeMetrics(service.url)).get('dvc_replay_active_tails') === 0 ? true : undefined), {
      description: 'the cut tail to be closed',
    });
    let heartbeats = 0;
    await tail(`?follow=true&after=${token}`, (line) => {
      if (isEvent(line)) seen.push(line.position);
      else if ('heartbeat' in line) heartbeats += 1;
      return seen.length >= total && heartbeats > 0;
    });
    await appending;
    all = (await store.read()).map((s) => s.event);
    expect(all.length).toBe(total);
    expect(seen).toEqual(all.map((_, i) => i + 1));
    expect(lines).toBeGreaterThanOrEqual(250);
  });

  it('(b) a filtered tail resumes from a heartbeat token without a gap or a duplicate', async () => {
    const head = await store.head();
    let first: Line | undefined;
    await tail('?follow=true&types=vn.dvc.procedure.published', (line) => {
      first = line;
      return true;
    });
    // The heartbeat vouches for the whole history so far although nothing matched.
    expect(first).toMatchObject({ position: head, token: signedToken(head) });
    expect(first !== undefined && 'heartbeat' in first).toBe(true);
    const published = {
      specversion: '1.0',
      id: `${id}-PR1-published`,
      source: 'test/portal',
      type: 'vn.dvc.procedure.published',
      time: '2022-06-30T08:00:00+07:00',
      subject: `${id}-PR1`,
      unitid: 'u-a',
      data: { procedureId: `${id}-PR1`, unitId: 'u-a', onlineCapable: true },
    } as DvcEvent;
    await store.append([...history(`${id}-more`, INITIAL + LIVE, 10), published]);
    const got: Line[] = [];
    await tail(`?follow=true&types=vn.dvc.procedure.published&after=${(first as Line).token}`, (line) => {
      if (isEvent(line)) got.push(line);
      return got.length === 1;
    });
    expect(got).toEqual([{ position: head + 11, token: signedToken(head + 11), event: published }]);
    all = (await store.read()).map((s) => s.event);
  });

  it('(b) at most REPLAY_MAX_TAILS_PER_KEY live tails per key; metrics count them and the events', async () => {
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(controllers.map((c) => get('?follow=true&types=vn.dvc.procedure.published', keys.tails, { signal: c.signal })));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await get('?follow=true', keys.tails);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(((await third.json()) as { error: string }).error).toBe("key 'tails' already holds 2 live tails, the most allowed; close one first");
    const metrics = await scrapeMetrics(service.url);
    expect(metrics.get('dvc_replay_active_tails')).toBe(2);
    expect(metrics.get('dvc_replay_requests_total{status="429"}')).toBeGreaterThanOrEqual(1);
    expect(metrics.get('dvc_replay_events_streamed_total')).toBeGreaterThanOrEqual(2 * INITIAL);
    for (const c of controllers) c.abort();
    await waitFor(async () => ((await scrapeMetrics(service.url)).get('dvc_replay_active_tails') === 0 ? true : undefined), {
      description: 'both tails closed',
    });
    const again = await get('?follow=true&limit=1', keys.tails);
    expect(again.status).toBe(200);
    expect(
      (await again.text())
        .trimEnd()
        .split('\n')
        .map((l) => Object.keys(JSON.parse(l) as object)[0]),
    ).toEqual(['position', 'end']);
  });

  it('(c) scopes: a unit or type outside the key is 403; a request naming neither gets only the key scope', async () => {
    const unit = await get('?unit=u-c', keys.scoped);
    expect(unit.status).toBe(403);
    expect(await unit.json()).toEqual({ error: "unit 'u-c' is outside this key's scope (units: u-a, u-b)" });
    const types = await get(`?types=${RECEIVED},vn.dvc.payment.completed`, keys.scoped);
    expect(types.status).toBe(403);
    expect(await types.json()).toEqual({
      error: `event types outside this key's scope: vn.dvc.payment.completed (types: ${RECEIVED}, ${RESOLVED})`,
    });

    const inScope = (e: DvcEvent) => (e.unitid === 'u-a' || e.unitid === 'u-b') && (e.type === RECEIVED || e.type === RESOLVED);
    const expected = all.filter(inScope);
    expect(expected.length).toBe(254);
    const scoped = await readAll('limit=40', keys.scoped);
    expect(scoped.events.map((l) => l.event.id)).toEqual(expected.map((e) => e.id));
    expect(scoped.last.position).toBe(all.length);

    const narrower = await readAll(`unit=u-b&types=${RESOLVED}&limit=10000`, keys.scoped);
    expect(narrower.events.map((l) => l.event.id)).toEqual(all.filter((e) => e.unitid === 'u-b' && e.type === RESOLVED).map((e) => e.id));
  });

  it('(d) 401 without or with a bad key, 429 over the rate with Retry-After', async () => {
    const none = await get('', undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="dvc-replay"');
    expect(await none.json()).toEqual({ error: 'missing API key: send the header Authorization: Bearer <key>' });
    const bad = await get('', 'dvcr_not-a-key');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="dvc-replay", error="invalid_token"');
    expect(await bad.json()).toEqual({ error: 'unknown API key' });
    const basic = await fetch(`${service.url}/v1/events`, { headers: { authorization: 'Basic abc' } });
    expect(basic.status).toBe(401);

    for (let i = 0; i < 3; i += 1) expect((await get('?limit=1', keys.slow)).status).toBe(200);
    const limited = await get('?limit=1', keys.slow);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(((await limited.json()) as { error: string }).error).toBe(`rate limit of 3 requests per minute reached for key 'slow'; retry in ${retryAfter} s`);
  });

  it('(d) 400 for a bad token, types, dates or limit, each naming the problem', async () => {
    const forged = Buffer.from(signedToken(5), 'base64url');
    forged.writeUInt8(6, 8);
    const cases: [string, string][] = [
      ['?after=not*a*token', 'after is not a resume token: it must be base64url (A-Z, a-z, 0-9, - and _ only)'],
      ['?after=AQAAAAAAAAB7', 'after is not a resume token: it decodes to 9 bytes, a version 1 token has 21 (was it cut short?)'],
      [`?after=${forged.toString('base64url')}`, 'resume token signature does not match: it was altered, or issued by another deployment'],
      [
        `?after=${signedToken(1_000_000)}`,
        `resume token position 1000000 is beyond the head of the history (${all.length}): it was issued by another event store`,
      ],
      ['?types=vn.dvc.dossier.recieved', "types: unknown event type 'vn.dvc.dossier.recieved' (did you mean 'vn.dvc.dossier.received'?); valid types: "],
      ['?from=yesterday', "from 'yesterday' must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00"],
      ['?to=2022-02-29T00:00:00Z', "to '2022-02-29T00:00:00Z' day 29 does not exist in 2022-02"],
      ['?from=2022-07-01T00:00:00Z&to=2022-06-01T00:00:00Z', 'from (2022-07-01T00:00:00Z) must be before to (2022-06-01T00:00:00Z)'],
      ['?limit=0', "limit must be an integer from 1 to 10000, got '0'"],
      ['?limit=10001', "limit must be an integer from 1 to 10000, got '10001'"],
      ['?follow=1', "follow must be true or false, got '1'"],
      ['?offset=10', "unknown query parameter 'offset'; accepted: after, types, unit, from, to, limit, follow"],
    ];
    for (const [query, problem] of cases) {
      const res = await get(query, keys.full);
      const body = (await res.json()) as { error: string; problems?: string[] };
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(body.error.startsWith(problem)).toBe(true);
    }
    const version = Buffer.from(signedToken(5), 'base64url');
    version.writeUInt8(9, 0);
    const res = await get(`?after=${version.toString('base64url')}`, keys.full);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'resume token version 9 is not supported: this server reads version 1',
      problems: ['resume token version 9 is not supported: this server reads version 1'],
    });
  });

  it('serves its OpenAPI document and health without a key', async () => {
    const doc = (await (await fetch(`${service.url}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/events');
    expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ status: 'ready', eventStore: true });
  });

  it('SIGTERM ends an open live tail with a shutdown line carrying its resume token, then exits 0', async () => {
    const lines: Line[] = [];
    const ending = tail('?follow=true&types=vn.dvc.procedure.published', (line) => {
      lines.push(line);
      if (lines.length === 1) void service.kill('SIGTERM');
      return false;
    });
    await ending;
    expect(await service.exited).toBe(0);
    const head = await store.head();
    expect(lines.at(-1)).toEqual({ end: 'shutdown', position: head, token: signedToken(head), events: 1 });
  });
});
