import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parseTargets } from '@dvc/config';
import { thresholdsFrom } from '@dvc/dashboards';
import { INTEGRITY_REASONS, createUnitDirectory, validateEvent, type DvcEvent } from '@dvc/domain';
import { testProjectionContext } from '@dvc/domain/testing';
import { KeyRing, hashApiKey, type ApiKeyRecord, type KeyRole } from '@dvc/keys';
import { activeKey, createLiveView } from '@dvc/read-model';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { listen } from '@dvc/service';
import { startFiringPrometheus, testEvent, uniqueName, waitFor } from '@dvc/testing';
import { createApp, type BoardApp, type BoardDeps } from './app.js';
import { loadAssets } from './assets.js';
import { prometheusClient, type Prometheus } from '@dvc/metrics';

const ctx = testProjectionContext();
const { days } = ctx;

function received(id: string, unit: string, receivedAt: string, dueAt: string): DvcEvent {
  const result = validateEvent({
    specversion: '1.0',
    id,
    source: 'test',
    type: 'vn.dvc.dossier.received',
    time: receivedAt,
    subject: id,
    unitid: unit,
    data: { dossierId: id, unitId: unit, procedureId: `P-${id}`, channel: 'online', receivedAt, dueAt },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

/** The event as the projector takes it, or the test fails naming its problems. */
function validEvent(event: unknown): DvcEvent {
  const result = validateEvent(event);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

/** An online submission (not yet officially received) as the portal sends it. */
function submitted(id: string, unit: string, submittedAt: string): DvcEvent {
  return validEvent(testEvent('vn.dvc.dossier.submitted', id, { unit, time: submittedAt }, { dossierId: id, procedureId: `P-${id}`, submittedAt }));
}

/** A resolution (approved, on paper) of `id`, its result not handed back. */
function resolved(id: string, unit: string, resolvedAt: string): DvcEvent {
  return validEvent(
    testEvent('vn.dvc.dossier.resolved', id, { unit, time: resolvedAt }, { dossierId: id, resolvedAt, outcome: 'approved', processedOnline: false }),
  );
}

const NOW = '2022-06-22T17:00:00+07:00';

describe('the board read API on a real Redis, at a pinned clock', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const namespace = uniqueName('board').replace(/[^a-z0-9-]/g, '');
  const store = new ProjectionStore(redis, namespace);
  const units = createUnitDirectory([
    { id: 'ward', name: 'Phường Tân Phú', level: 'commune', kind: 'commune_desk' },
    { id: 'town', name: 'UBND thị xã Bình Long', level: 'district', kind: 'district_desk' },
    // In the directory, nothing projected: its lists are empty, truly.
    { id: 'quiet', name: 'UBND xã Thanh Lương', level: 'commune', kind: 'commune_desk' },
  ]);
  const parsed = parseTargets(
    {
      periods: [],
      targets: ['overdue_ratio', 'online_dossier_share', 'online_service_utilization', 'digitization_share', 'online_report_share'].map((kpi) => ({
        kpi,
        comparison: kpi === 'overdue_ratio' ? 'lt' : 'ge',
        value: 0.5,
        windows: ['14d'],
      })),
    },
    days,
    ['14d'],
  );
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const targets = parsed.targets;
  const record = (id: string, key: string, unitsScope: ApiKeyRecord['units'], role: KeyRole): ApiKeyRecord => ({
    id,
    hash: hashApiKey(key),
    units: unitsScope,
    types: '*',
    ratePerMinute: 1000,
    role,
    createdAt: '2026-01-01T00:00:00Z',
  });
  const ring = new KeyRing([
    record('all', 'key-all', '*', 'board'),
    record('ward', 'key-ward', ['ward'], 'board'),
    record('replay', 'key-replay', '*', 'replay'),
  ]);
  let app: BoardApp;
  let base = '';
  const get = (path: string, key?: string) => fetch(`${base}${path}`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  const json = async (path: string, key = 'key-all') => {
    const res = await get(path, key);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** The board's dependencies at the pinned clock, with this Prometheus and wall clock. */
  const deps = (prometheus: Prometheus, wall: () => number): BoardDeps => ({
    redis,
    live: createLiveView({ redis, base: namespace, clock: { mode: 'as-of', asOfMs: Date.parse(NOW) }, wall }),
    prometheus,
    keys: { current: () => ring },
    reference: () => ({ units, targets }),
    thresholds: () => thresholdsFrom(targets),
    assets: loadAssets(),
    openapi: '{}',
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    build: { service: 'board', version: '9.9.9', node: process.version },
    wall,
  });

  beforeAll(async () => {
    await applyEvents(
      store,
      [
        // Overdue at NOW: due 21 June 17:00 (1 day) and 18 June 17:00 (4 days); due soon: 23 June 08:00; in time: 30 June.
        received('late-1', 'ward', '2022-06-15T08:00:00+07:00', '2022-06-21T17:00:00+07:00'),
        received('late-4', 'ward', '2022-06-10T08:00:00+07:00', '2022-06-18T17:00:00+07:00'),
        received('soon', 'ward', '2022-06-20T08:00:00+07:00', '2022-06-23T08:00:00+07:00'),
        received('later', 'ward', '2022-06-20T09:00:00+07:00', '2022-06-30T17:00:00+07:00'),
        // Waiting for the citizen since 19 June 10:00 (due 21 June 17:00 plus the pause so far).
        received('waiting', 'ward', '2022-06-16T08:00:00+07:00', '2022-06-21T17:00:00+07:00'),
        validEvent(
          testEvent(
            'vn.dvc.dossier.supplement_requested',
            'waiting',
            { unit: 'ward', time: '2022-06-19T10:00:00+07:00' },
            { dossierId: 'waiting', at: '2022-06-19T10:00:00+07:00' },
          ),
        ),
        received('town-late', 'town', '2022-06-01T08:00:00+07:00', '2022-06-10T17:00:00+07:00'),
        // Submitted online on Friday 17 June and Wednesday 22 June: to be received within one working
        // day, so by the end of Monday 20 June and of Thursday 23 June; the first is late at NOW.
        submitted('online-late', 'ward', '2022-06-17T08:00:00+07:00'),
        submitted('online-in-time', 'ward', '2022-06-22T08:00:00+07:00'),
        // Resolved on Tuesday 14 June and Tuesday 21 June, results never handed back: due back within
        // two working days, by the end of Thursday 16 June and of Thursday 23 June; the first is late.
        received('result-late', 'ward', '2022-06-13T08:00:00+07:00', '2022-06-20T17:00:00+07:00'),
        resolved('result-late', 'ward', '2022-06-14T10:00:00+07:00'),
        received('result-in-time', 'ward', '2022-06-20T08:00:00+07:00', '2022-06-27T17:00:00+07:00'),
        resolved('result-in-time', 'ward', '2022-06-21T10:00:00+07:00'),
      ],
      ctx,
      () => 0,
    );
    app = createApp(deps(prometheusClient('http://127.0.0.1:9', 1000), Date.now));
    base = `http://127.0.0.1:${await listen(app.server, 0, '127.0.0.1')}`;
  });

  afterAll(async () => {
    await app.close();
    await store.dropNamespace();
    await redis.del(activeKey(namespace));
    redis.disconnect();
  });

  it('answers /healthz without a key, with the build info and the clock', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      service: 'board',
      version: '9.9.9',
      node: process.version,
      clock: { mode: 'as-of', asOf: new Date(NOW).toISOString() },
    });
  });

  it("lists the units a key may read, with the directory's names", async () => {
    expect((await json('/v1/units')).body.units).toEqual([
      { id: 'town', name: 'UBND thị xã Bình Long', level: 'district', kind: 'district_desk' },
      { id: 'ward', name: 'Phường Tân Phú', level: 'commune', kind: 'commune_desk' },
    ]);
    expect((await json('/v1/units', 'key-ward')).body.units).toEqual([{ id: 'ward', name: 'Phường Tân Phú', level: 'commune', kind: 'commune_desk' }]);
  });

  it('lists the overdue dossiers at the clock, the longest overdue first, ids and times only', async () => {
    const { status, body } = await json('/v1/units/ward/dossiers?state=overdue');
    expect(status).toBe(200);
    expect(body).toEqual({
      unit: 'ward',
      state: 'overdue',
      now: '2022-06-22T10:00:00.000Z',
      namespace,
      items: [
        {
          dossierId: 'late-4',
          procedureId: 'P-late-4',
          receivedAt: '2022-06-10T01:00:00.000Z',
          dueAt: '2022-06-18T10:00:00.000Z',
          daysOverdue: 4,
          pausedSince: null,
        },
        {
          dossierId: 'late-1',
          procedureId: 'P-late-1',
          receivedAt: '2022-06-15T01:00:00.000Z',
          dueAt: '2022-06-21T10:00:00.000Z',
          daysOverdue: 1,
          pausedSince: null,
        },
      ],
      next: null,
    });
    expect((await json('/v1/units/ward/dossiers?state=due_soon')).body.items).toEqual([
      {
        dossierId: 'soon',
        procedureId: 'P-soon',
        receivedAt: '2022-06-20T01:00:00.000Z',
        dueAt: '2022-06-23T01:00:00.000Z',
        daysOverdue: 0,
        pausedSince: null,
      },
    ]);
    // Paused since 19 June 10:00: its due time (21 June 17:00) moves on by the pause so far (3 days
    // 7 hours at NOW), so the list names when the pause began.
    expect((await json('/v1/units/ward/dossiers?state=paused')).body.items).toEqual([
      {
        dossierId: 'waiting',
        procedureId: 'P-waiting',
        receivedAt: '2022-06-16T01:00:00.000Z',
        dueAt: '2022-06-24T17:00:00.000Z',
        daysOverdue: 0,
        pausedSince: '2022-06-19T03:00:00.000Z',
      },
    ]);
  });

  it('lists the online submissions past their receipt deadline: not yet received, due at the deadline, days late', async () => {
    const { status, body } = await json('/v1/units/ward/dossiers?state=receipt_overdue');
    expect(status).toBe(200);
    expect(body.items).toEqual([
      {
        dossierId: 'online-late',
        procedureId: 'P-online-late',
        submittedAt: '2022-06-17T01:00:00.000Z',
        receivedAt: null,
        dueAt: '2022-06-20T16:59:59.999Z',
        daysOverdue: 1,
        pausedSince: null,
      },
    ]);
  });

  it('lists the resolved dossiers whose result was not handed back by its deadline: resolved when, due at the deadline, days late', async () => {
    const { status, body } = await json('/v1/units/ward/dossiers?state=result_not_returned');
    expect(status).toBe(200);
    expect(body.items).toEqual([
      {
        dossierId: 'result-late',
        procedureId: 'P-result-late',
        receivedAt: '2022-06-13T01:00:00.000Z',
        resolvedAt: '2022-06-14T03:00:00.000Z',
        dueAt: '2022-06-16T16:59:59.999Z',
        daysOverdue: 5,
        pausedSince: null,
      },
    ]);
  });

  it('pages with a cursor: limit 1 then after=next', async () => {
    const first = await json('/v1/units/ward/dossiers?state=overdue&limit=1');
    expect((first.body.items as { dossierId: string }[]).map((i) => i.dossierId)).toEqual(['late-4']);
    expect(typeof first.body.next).toBe('string');
    const second = await json(`/v1/units/ward/dossiers?state=overdue&limit=1&after=${encodeURIComponent(first.body.next as string)}`);
    expect((second.body.items as { dossierId: string }[]).map((i) => i.dossierId)).toEqual(['late-1']);
    expect(second.body.next).toBeNull();
    // A cursor of the overdue list is refused by another list.
    expect((await json(`/v1/units/ward/dossiers?state=paused&after=${encodeURIComponent(first.body.next as string)}`)).status).toBe(400);
  });

  it('refuses a bad request with every problem: state, limit, unknown parameter', async () => {
    const { status, body } = await json('/v1/units/ward/dossiers?state=late&limit=0&page=2');
    expect(status).toBe(400);
    expect(body.problems).toEqual([
      "unknown query parameter 'page'; accepted: state, limit, after",
      'state must be one of overdue, due_soon, paused, receipt_overdue, result_not_returned',
      'limit must be a whole number from 1 to 1000',
    ]);
    expect((await json('/v1/units/ward/other')).status).toBe(404);
  });

  it('a unit nobody measures is 404, not empty lists; a unit of the directory with nothing projected has empty lists', async () => {
    expect(await json('/v1/units/nosuch.unit/dossiers?state=overdue')).toEqual({
      status: 404,
      body: { error: "không có đơn vị 'nosuch.unit' trong số liệu và danh mục đơn vị (unknown unit)" },
    });
    const quiet = await json('/v1/units/quiet/dossiers?state=overdue');
    expect({ status: quiet.status, items: quiet.body.items }).toEqual({ status: 200, items: [] });
    // Out of a scoped key's units, known or not: 403 first (the key learns nothing of other units).
    expect((await json('/v1/units/nosuch.unit/dossiers?state=overdue', 'key-ward')).status).toBe(403);
  });

  it('a unit segment that is not a unit id is a 400 naming it, with the other problems', async () => {
    expect(await json('/v1/units/%E0%A4%A/dossiers?state=overdue')).toEqual({
      status: 400,
      body: { error: "the unit '%E0%A4%A' is not valid percent-encoding", problems: ["the unit '%E0%A4%A' is not valid percent-encoding"] },
    });
    const long = await json(`/v1/units/${'x'.repeat(300)}/dossiers?state=late`);
    expect(long.status).toBe(400);
    expect(long.body.problems).toEqual([
      `the unit '${'x'.repeat(80)}' is not a unit id (^[a-z0-9][a-z0-9._-]{0,63}$)`,
      'state must be one of overdue, due_soon, paused, receipt_overdue, result_not_returned',
    ]);
    expect((await json('/v1/units/a%2Fb/dossiers?state=overdue')).body.problems).toEqual(["the unit 'a/b' is not a unit id (^[a-z0-9][a-z0-9._-]{0,63}$)"]);
  });

  it('every route refuses a parameter it does not take or one given twice, with every problem, before reading anything', async () => {
    const refused = (problems: string[]) => ({ status: 400, body: { error: problems.join('; '), problems } });
    expect(await json('/v1/units?unit=ward')).toEqual(refused(["unknown query parameter 'unit'; this route takes none"]));
    expect(await json('/v1/context?x=1')).toEqual(refused(["unknown query parameter 'x'; this route takes none"]));
    expect(await json('/v1/trend?window=30d')).toEqual(refused(["unknown query parameter 'window'; this route takes none"]));
    expect(await json('/v1/overview?windwo=bp&window=nope')).toEqual(
      refused(["unknown query parameter 'windwo'; accepted: window", 'window must be 14d or a period id of the targets file']),
    );
    expect(await json('/v1/ranking?window=14d&window=14d')).toEqual(refused(['window is given 2 times; give it once']));
    expect(await json('/v1/report?period=nope&format=pdf&fromat=csv')).toEqual(
      refused([
        "unknown query parameter 'fromat'; accepted: period, format",
        'period must be 14d or a period id of the targets file',
        'format must be json, csv or xlsx',
      ]),
    );
    expect(await json('/v1/units/ward/dossiers?state=overdue&state=paused&state=due_soon')).toEqual(refused(['state is given 3 times; give it once']));
    // Refused before Prometheus is asked (it is unreachable here: a read would be a 502).
    expect((await json('/v1/overview?window=14d')).status).toBe(502);
  });

  it('keys: none is 401, an unknown one 401, a replay key 403, a key scoped to one unit 403 for another', async () => {
    expect((await get('/v1/units/ward/dossiers?state=overdue')).status).toBe(401);
    expect((await get('/v1/units/ward/dossiers?state=overdue', 'nope')).status).toBe(401);
    expect((await get('/v1/units/ward/dossiers?state=overdue', 'key-replay')).status).toBe(403);
    expect((await get('/v1/units/ward/dossiers?state=overdue', 'key-ward')).status).toBe(200);
    const other = await json('/v1/units/town/dossiers?state=overdue', 'key-ward');
    expect(other).toEqual({ status: 403, body: { error: "đơn vị 'town' nằm ngoài phạm vi của khóa 'ward'" } });
  });

  it('an unreachable Prometheus is a 502 for the aggregates, with the reason', async () => {
    const { status, body } = await json('/v1/overview?window=14d');
    expect(status).toBe(502);
    expect(String(body.error)).toMatch(/^không đọc được Prometheus: Prometheus did not answer/);
    expect((await json('/v1/overview?window=nope')).status).toBe(400);
    expect((await json('/v1/trend')).status).toBe(502);
    expect((await json('/v1/units/ward/kpis?window=14d')).status).toBe(502);
  });

  it("a unit's KPIs: refused as the unit's lists are (unit id, scope, unknown unit) and for a bad window, before Prometheus is asked", async () => {
    const refused = (problems: string[]) => ({ status: 400, body: { error: problems.join('; '), problems } });
    expect(await json('/v1/units/ward/kpis?window=nope&state=overdue')).toEqual(
      refused(["unknown query parameter 'state'; accepted: window", 'window must be 14d or a period id of the targets file']),
    );
    expect(await json(`/v1/units/${'x'.repeat(70)}/kpis`)).toEqual(refused([`the unit '${'x'.repeat(70)}' is not a unit id (^[a-z0-9][a-z0-9._-]{0,63}$)`]));
    expect(await json('/v1/units/town/kpis', 'key-ward')).toEqual({ status: 403, body: { error: "đơn vị 'town' nằm ngoài phạm vi của khóa 'ward'" } });
    expect(await json('/v1/units/nosuch.unit/kpis')).toEqual({
      status: 404,
      body: { error: "không có đơn vị 'nosuch.unit' trong số liệu và danh mục đơn vị (unknown unit)" },
    });
    expect((await get('/v1/units/ward/kpis', 'key-replay')).status).toBe(403);
    expect((await json('/v1/units/ward/other')).status).toBe(404);
  });

  it('the context answers without Prometheus: whether each window is exported is then unknown (null), the worklists need none of it', async () => {
    const { status, body } = await json('/v1/context');
    expect(status).toBe(200);
    expect(body.windows).toEqual([{ id: '14d', name: '14 ngày gần nhất', from: null, to: null, exported: null }]);
    // The integrity signals' names, one for each reason the projector counts.
    expect(Object.keys(body.signals as object)).toEqual([...INTEGRITY_REASONS]);
    expect((body.signals as Record<string, string>).result_not_returned).toBe('Chưa trả kết quả');
    // A Prometheus that accepts and never answers holds the context 1.5 s at most, not its query timeout.
    const silent = createServer(() => undefined);
    const silentPort = await listen(silent, 0, '127.0.0.1');
    const slow = createApp(deps(prometheusClient(`http://127.0.0.1:${silentPort}`, 60_000), Date.now));
    try {
      const port = await listen(slow.server, 0, '127.0.0.1');
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/context`, { headers: { authorization: 'Bearer key-all' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { windows: { exported: unknown }[] }).windows.map((w) => w.exported)).toEqual([null]);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await slow.close();
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("the context lists the system's own alerts firing now (a real Prometheus of the test's own): every one for the province's keys, the critical ones for a unit's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'board-health-'));
    const prometheus = await startFiringPrometheus(dir, [
      {
        alert: 'ExporterDown',
        labels: { severity: 'critical' },
        annotations: {
          title_vi: 'Dịch vụ xuất số liệu (exporter) không hoạt động',
          summary_vi: 'Dịch vụ xuất số liệu (exporter) 127.0.0.1:9464 không hoạt động',
        },
      },
      { alert: 'DvcCalendarEnding', labels: { severity: 'warning' }, annotations: { title_vi: 'Lịch ngày làm việc chính thức sắp hết dữ liệu' } },
      {
        alert: 'OverdueRatioAboveTarget',
        labels: { severity: 'warning', unit: 'ward', kpi: 'overdue_ratio' },
        annotations: { title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu' },
      },
    ]);
    const watched = createApp(deps(prometheusClient(prometheus.url, 10_000), Date.now));
    try {
      const port = await listen(watched.server, 0, '127.0.0.1');
      const health = async (key: string) =>
        (
          (await (await fetch(`http://127.0.0.1:${port}/v1/context`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
            health: { name: string }[] | null;
          }
        ).health;
      const all = await waitFor(async () => ((await health('key-all'))?.length === 2 ? await health('key-all') : undefined), {
        timeoutMs: 30_000,
        description: 'the two system alerts to fire',
      });
      expect(all).toEqual([
        {
          name: 'ExporterDown',
          severity: 'critical',
          title: 'Dịch vụ xuất số liệu (exporter) không hoạt động',
          summary: 'Dịch vụ xuất số liệu (exporter) 127.0.0.1:9464 không hoạt động',
          since: expect.stringMatching(/^\d{4}-/),
        },
        {
          name: 'DvcCalendarEnding',
          severity: 'warning',
          title: 'Lịch ngày làm việc chính thức sắp hết dữ liệu',
          summary: '',
          since: expect.stringMatching(/^\d{4}-/),
        },
      ]);
      expect((await health('key-ward'))?.map((a) => a.name)).toEqual(['ExporterDown']);
    } finally {
      await watched.close();
      await prometheus.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    // Without Prometheus, unknown: null, not an all-clear.
    expect((await json('/v1/context')).body.health).toBeNull();
  });

  it("the trend reads the last 14 days of Prometheus' time axis (the wall clock), not of the pinned clock, and names the board's clock", async () => {
    // The shared stack's Prometheus: its samples are stamped at wall times, as every Prometheus'.
    const wall = Date.parse('2026-12-04T06:00:00Z');
    const real = createApp(deps(prometheusClient(process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090', 10_000), () => wall));
    try {
      const port = await listen(real.server, 0, '127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${port}/v1/trend`, { headers: { authorization: 'Bearer key-all' } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { window: string; from: string; to: string; clock: unknown; series: { points: [number, number][] }[] };
      expect({ window: body.window, from: body.from, to: body.to, clock: body.clock }).toEqual({
        window: '14d',
        from: '2026-11-20T06:00:00.000Z',
        to: '2026-12-04T06:00:00.000Z',
        clock: { mode: 'as-of', asOf: '2022-06-22T10:00:00.000Z' },
      });
      const outside = body.series.flatMap((s) => s.points).filter(([t]) => t < wall - 14 * 86_400_000 || t > wall);
      expect(outside).toEqual([]);
    } finally {
      await real.close();
    }
  });

  it('serves the Vietnamese page and every asset itself: nothing is loaded from another host', async () => {
    const html = await (await get('/')).text();
    expect(html).toMatch(/^<!doctype html>\n<html lang="vi">/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    // Every file the page links is served (the icon too: without its link, browsers ask for /favicon.ico and log a 404).
    const linked = [...html.matchAll(/(?:src|href)="(\/[^"#]*)"/g)].map((m) => m[1]!);
    expect(linked.sort()).toEqual(['/assets/app.js', '/assets/board.css', '/assets/favicon.svg', '/assets/uplot.css', '/assets/uplot.js']);
    for (const path of linked) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(await res.text()).not.toMatch(/import\s[^;]*from\s*['"]https?:/);
    }
  });
});
