import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { listen } from '@dvc/service';
import { loadReferenceData } from '@dvc/config';
import { createUnitDirectory, type DvcEvent } from '@dvc/domain';
import { SqliteEventStore, type ReadOptions } from '@dvc/eventstore';
import { KeyRateLimiter, KeyRing, hashApiKey } from '@dvc/keys';
import { waitFor } from '@dvc/testing';
import { createApp, type ReplayApp, type ReplayDeps } from './app.js';
import { createTokenCodec } from './token.js';

const EVENTS = 30_000;
const KEY = 'dvcr_backpressure-test';

/** The replay API on a loopback port with the settings every suite here shares; `deps` gives its store, keys, token codec and registry. */
async function startTestApp(
  deps: Pick<ReplayDeps, 'store' | 'keys' | 'tokens' | 'registry'> & Partial<Pick<ReplayDeps, 'units'>>,
): Promise<{ app: ReplayApp; port: number }> {
  const app = createApp({
    // The suites' events are of units no directory lists: pilot mode, unless a suite gives its own.
    units: () => ({ directory: createUnitDirectory([]), acceptUnknownUnits: true }),
    limiter: new KeyRateLimiter(Date.now),
    logger: pino({ level: 'silent' }),
    build: { service: 'replay-api', version: '0.0.0-test', node: process.version },
    openapi: '{}',
    now: Date.now,
    batchSize: 500,
    pollMs: 20,
    heartbeatMs: 10_000,
    maxTailsPerKey: 4,
    ...deps,
  });
  return { app, port: await listen(app.server, 0, '127.0.0.1') };
}

/** Closes the app, then its store, and removes the store's folder. */
async function stopTestApp(app: ReplayApp, store: SqliteEventStore, dir: string): Promise<void> {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

function event(i: number, unit = `u${i % 3}`): DvcEvent {
  const at = `2022-06-${String(10 + (i % 10)).padStart(2, '0')}T08:00:00+07:00`;
  return {
    specversion: '1.0',
    id: `bp-${i}`,
    source: 'test/backpressure',
    type: 'vn.dvc.dossier.digitized',
    time: at,
    subject: `D-${i}`,
    unitid: unit,
    data: { dossierId: `D-${i}`, unitId: unit, at, note: 'x'.repeat(200) },
  } as unknown as DvcEvent;
}

describe('GET /v1/events against a real SQLite store', () => {
  let dir: string;
  let store: SqliteEventStore;
  let app: ReplayApp;
  let port: number;
  let rowsRead = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-app-'));
    store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    for (let i = 0; i < EVENTS; i += 5000) await store.append(Array.from({ length: 5000 }, (_, j) => event(i + j)));
    const registry = new Registry();
    ({ app, port } = await startTestApp({
      store: {
        head: () => store.head(),
        read: async (options?: ReadOptions) => {
          const rows = await store.read(options);
          rowsRead += rows.length;
          return rows;
        },
      },
      keys: { current: () => new KeyRing([{ id: 'bp', hash: hashApiKey(KEY), units: '*', types: '*', ratePerMinute: 1000, createdAt: '' }]) },
      tokens: createTokenCodec(['backpressure-secret']),
      registry,
    }));
  });

  afterAll(() => stopTestApp(app, store, dir));

  it('stops reading the store while the client does not read, resumes when it does, and stops when it leaves', async () => {
    rowsRead = 0;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/v1/events?follow=true', headers: { authorization: `Bearer ${KEY}` } }, resolve);
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    res.pause();
    // Wait until the server has filled the socket and stopped: the count no longer moves.
    let previous = -1;
    const stalled = await waitFor(
      () => {
        const now = rowsRead;
        const same = now === previous && now > 0;
        previous = now;
        return same ? now : undefined;
      },
      { intervalMs: 300, timeoutMs: 20_000, description: 'reads to stall' },
    );
    expect(stalled).toBeLessThan(EVENTS);

    let received = 0;
    let rest = '';
    let last = 0;
    await new Promise<void>((resolve) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        rest += chunk;
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          const parsed = JSON.parse(line) as { position: number; event?: unknown };
          if (parsed.event === undefined) continue;
          expect(parsed.position).toBe(last + 1);
          last = parsed.position;
          received += 1;
        }
        if (received === EVENTS) resolve();
      });
      res.resume();
    });
    expect(received).toBe(EVENTS);
    expect(rowsRead).toBe(EVENTS);

    res.destroy();
    await waitFor(async () => (/^dvc_replay_active_tails 0$/m.test(await metricsText()) ? true : undefined), {
      description: 'the tail to close after the client left',
    });
  });

  async function metricsText(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  }
});

describe('GET /v1/events by key role', () => {
  let dir: string;
  let store: SqliteEventStore;
  let app: ReplayApp;
  let port: number;
  const record = (id: string, key: string, role?: 'replay' | 'producer' | 'board') => ({
    id,
    hash: hashApiKey(key),
    units: '*' as const,
    types: '*' as const,
    ratePerMinute: 1000,
    createdAt: '',
    ...(role === undefined ? {} : { role }),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-roles-'));
    store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    await store.append([event(1), event(2)]);
    ({ app, port } = await startTestApp({
      store,
      keys: {
        current: () =>
          new KeyRing([
            record('plain', 'dvcr_plain'),
            record('reader', 'dvcr_reader', 'replay'),
            record('sender', 'dvcr_sender', 'producer'),
            record('wall', 'dvcr_wall', 'board'),
          ]),
      },
      tokens: createTokenCodec(['roles-secret']),
      registry: new Registry(),
    }));
  });

  afterAll(() => stopTestApp(app, store, dir));

  const get = (key: string) => fetch(`http://127.0.0.1:${port}/v1/events`, { headers: { authorization: `Bearer ${key}` } });

  it('serves keys without a role and keys with the role replay', async () => {
    for (const key of ['dvcr_plain', 'dvcr_reader']) {
      const res = await get(key);
      expect(res.status).toBe(200);
      const lines = (await res.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event?: { id: string }; end?: string });
      expect(lines.map((l) => l.event?.id ?? l.end)).toEqual(['bp-1', 'bp-2', 'caught-up']);
    }
  });

  it('refuses keys of any other role with a 403 naming the role', async () => {
    for (const [key, id, role] of [
      ['dvcr_sender', 'sender', 'producer'],
      ['dvcr_wall', 'wall', 'board'],
    ] as const) {
      const res = await get(key);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: `key '${id}' has the role '${role}'; the replay API takes only keys with the role 'replay'` });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^dvc_replay_requests_total\{status="403"\} 2$/m);
  });
});

describe('GET /v1/events?unit= and the unit directory', () => {
  let dir: string;
  let store: SqliteEventStore;
  let app: ReplayApp;
  let port: number;
  let pilot = false;
  const directory = loadReferenceData().units;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-units-'));
    store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    await store.append([event(1, 'dn.dongxoai'), event(2, 'u-pilot'), event(3, 'dn.dongxoai')]);
    ({ app, port } = await startTestApp({
      store,
      keys: { current: () => new KeyRing([{ id: 'reader', hash: hashApiKey('dvcr_reader'), units: '*', types: '*', ratePerMinute: 1000, createdAt: '' }]) },
      tokens: createTokenCodec(['units-secret']),
      registry: new Registry(),
      units: () => ({ directory, acceptUnknownUnits: pilot }),
    }));
  });

  afterAll(() => stopTestApp(app, store, dir));

  const get = (query: string) => fetch(`http://127.0.0.1:${port}/v1/events?${query}`, { headers: { authorization: 'Bearer dvcr_reader' } });
  const ids = async (res: Response) =>
    (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event?: { id: string }; end?: string })
      .map((l) => l.event?.id ?? l.end);

  it("refuses a misspelt unit with a 400 naming the directory's closest unit, instead of an empty history", async () => {
    const res = await get('unit=dn.dongxaoi&follow=true');
    expect(res.status).toBe(400);
    const problem = `unit 'dn.dongxaoi' is not in the unit directory (version ${directory.version}; did you mean 'dn.dongxoai'?), and the history holds events of unlisted units only in pilot mode (ACCEPT_UNKNOWN_UNITS), which is off`;
    expect(await res.json()).toEqual({ error: problem, problems: [problem] });
    expect(await ids(await get('unit=dn.dongxoai'))).toEqual(['bp-1', 'bp-3', 'caught-up']);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^dvc_replay_requests_total\{status="400"\} 1$/m);
  });

  it('reads an unlisted unit in pilot mode, where the ingest admits it', async () => {
    expect((await get('unit=u-pilot')).status).toBe(400);
    pilot = true;
    expect(await ids(await get('unit=u-pilot'))).toEqual(['bp-2', 'caught-up']);
  });
});
