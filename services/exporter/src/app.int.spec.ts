import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createUnitDirectory, createWorkCalendar, validateEvent, type DvcEvent } from '@dvc/domain';
import { testProjectionContext } from '@dvc/domain/testing';
import { parseTargets } from '@dvc/config';
import type { ClockSetting } from '@dvc/config';
import { activeKey, createLiveView, pinnedView, rebuildNamespace, switchActiveNamespace } from '@dvc/read-model';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { parseExposition, uniqueName } from '@dvc/testing';
import { createApp } from './app.js';

const BUILD = { service: 'exporter', version: '0.0.0-test', node: process.version };
const ctx = testProjectionContext((days) => [{ id: 'june', fromDay: days.dayFromIso('2022-06-21'), toDay: days.dayFromIso('2022-06-30') }]);
const { days } = ctx;

/** Official (data files, no day off) for 2022 and 2023 only. */
const calendar = createWorkCalendar(
  [2022, 2023].map((year) => ({ year, zone: days.zone, daysOff: [], workingSaturdays: [] })),
  days,
);

function received(id: string, unit: string, receivedAt: string, dueAt: string): DvcEvent {
  const result = validateEvent({
    specversion: '1.0',
    id,
    source: 'test',
    type: 'vn.dvc.dossier.received',
    time: receivedAt,
    subject: id,
    unitid: unit,
    data: { dossierId: id, unitId: unit, procedureId: 'P', channel: 'online', receivedAt, dueAt },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

describe('exporter windows and clocks on a real Redis', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const namespace = uniqueName('exp').replace(/[^a-z0-9-]/g, '');
  const store = new ProjectionStore(redis, namespace);
  // wm1–wm3: the units of the watermark test.
  const units = createUnitDirectory(
    ['ward', 'wm1', 'wm2', 'wm3'].map((id) => ({
      id,
      name: id === 'ward' ? 'Phường' : `Phường ${id}`,
      level: 'commune' as const,
      kind: 'commune_desk' as const,
    })),
  );
  const parsed = parseTargets(
    {
      periods: [{ id: 'june', name: 'June', from: '2022-06-21', to: '2022-06-30' }],
      targets: [{ kpi: 'overdue_ratio', comparison: 'lt', value: 0.01, windows: ['14d', 'june'], levels: ['commune'] }],
    },
    days,
    ['14d'],
  );
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const targets = parsed.targets;
  /** An exporter of the namespace `base` (the suite's own by default) on this clock. */
  const build = (clock: ClockSetting['mode'] | ClockSetting, wall: () => number, base = namespace, periodDaysAfterEnd?: number) =>
    createApp({
      ...(periodDaysAfterEnd === undefined ? {} : { periodDaysAfterEnd }),
      redis,
      live: createLiveView({ redis, base, clock: typeof clock === 'string' ? ({ mode: clock } as ClockSetting) : clock, wall }),
      days,
      reference: () => ({ units, targets, calendar }),
      maxUnknownUnits: 20,
      logger: pino({ level: 'silent' }),
      build: BUILD,
      processRegistry: new Registry(),
    });

  /** Applies `events` to `target` as the projector does, at wall time 0. */
  const project = (target: ProjectionStore, events: DvcEvent[]) => applyEvents(target, events, ctx, () => 0);

  beforeAll(async () => {
    await project(store, [
      // 2022-06-20 local; falls out of the window that starts 2022-06-21.
      received('A', 'ward', '2022-06-20T23:59:00+07:00', '2022-07-10T17:00:00+07:00'),
      // 2022-06-20T17:30Z is 2022-06-21 00:30 local: inside.
      received('B', 'ward', '2022-06-20T17:30:00Z', '2022-07-04T08:00:00+07:00'),
      received('C', 'ward', '2022-07-01T08:00:00+07:00', '2022-07-05T06:00:00+07:00'),
    ]);
  });

  afterAll(async () => {
    await store.dropNamespace();
    await redis.del(activeKey(namespace));
    redis.disconnect();
  });

  it('ends the 14-day window on the local day of the wall clock (23:30 UTC is the next day)', async () => {
    // 2022-07-03T23:30Z = 2022-07-04 06:30 local: window 2022-06-21 .. 2022-07-04.
    const app = build('wall', () => Date.parse('2022-07-03T23:30:00Z'));
    const metrics = parseExposition(await app.scrape());
    expect(metrics.get('dvc_dossiers_received{unit="ward",level="commune",window="14d",channel="online"}')).toBe(2);
    // B was due 2022-07-04 08:00 local, 1.5 h ahead: in time and due within 24 h; C too (due 07-05 06:00).
    expect(metrics.get('dvc_dossiers_open{unit="ward",level="commune",state="overdue"}')).toBe(0);
    expect(metrics.get('dvc_dossiers_open{unit="ward",level="commune",state="in_time"}')).toBe(3);
    expect(metrics.get('dvc_dossiers_due_soon{unit="ward",level="commune",within="24h"}')).toBe(2);
    expect(metrics.get('dvc_exporter_clock_timestamp_seconds')).toBe(Date.parse('2022-07-03T23:30:00Z') / 1000);
  });

  it('one millisecond earlier the window still holds 2022-06-20', async () => {
    const app = build('wall', () => Date.parse('2022-07-03T16:59:59.999Z'));
    const metrics = parseExposition(await app.scrape());
    expect(metrics.get('dvc_dossiers_received{unit="ward",level="commune",window="14d",channel="online"}')).toBe(3);
  });

  it('uses the latest event time as now with the event-time clock', async () => {
    const app = build('event', () => Date.parse('2030-01-01T00:00:00Z'));
    const metrics = parseExposition(await app.scrape());
    expect(metrics.get('dvc_exporter_clock_timestamp_seconds')).toBe(Date.parse('2022-07-01T08:00:00+07:00') / 1000);
    expect(metrics.get('dvc_dossiers_received{unit="ward",level="commune",window="14d",channel="online"}')).toBe(3);
    expect(metrics.has('dvc_overdue_ratio{unit="ward",level="commune",window="14d"}')).toBe(false);
  });

  it("exports where the official calendar ends and each year's source up to the clock's year + 1", async () => {
    const calendarSeries = (metrics: Map<string, number>) => [...metrics].filter(([k]) => k.startsWith('dvc_calendar_'));
    // The event-time clock (2022-07-01) decides the years, not the wall clock of 2030.
    expect(calendarSeries(parseExposition(await build('event', () => Date.parse('2030-01-01T00:00:00Z')).scrape()))).toEqual([
      ['dvc_calendar_end_timestamp_seconds', Date.parse('2024-01-01T00:00:00+07:00') / 1000],
      ['dvc_calendar_year_info{year="2022",source="official"}', 1],
      ['dvc_calendar_year_info{year="2023",source="official"}', 1],
    ]);
    const wall2024 = calendarSeries(parseExposition(await build('wall', () => Date.parse('2024-03-01T00:00:00+07:00')).scrape()));
    expect(wall2024.slice(1)).toEqual([
      ['dvc_calendar_year_info{year="2022",source="official"}', 1],
      ['dvc_calendar_year_info{year="2023",source="official"}', 1],
      ['dvc_calendar_year_info{year="2024",source="fallback"}', 1],
      ['dvc_calendar_year_info{year="2025",source="fallback"}', 1],
    ]);
  });

  it('pins now at the as-of instant whatever the wall clock, and says which clock it used', async () => {
    const app = build({ mode: 'as-of', asOfMs: Date.parse('2022-07-03T23:30:00Z') }, () => Date.parse('2030-01-01T00:00:00Z'));
    const metrics = parseExposition(await app.scrape());
    expect(metrics.get('dvc_exporter_clock_timestamp_seconds')).toBe(Date.parse('2022-07-03T23:30:00Z') / 1000);
    expect(metrics.get('dvc_exporter_clock_info{mode="as-of"}')).toBe(1);
    expect(metrics.has('dvc_exporter_clock_info{mode="wall"}')).toBe(false);
    expect(metrics.get('dvc_dossiers_received{unit="ward",level="commune",window="14d",channel="online"}')).toBe(2);
    expect(metrics.get('dvc_dossiers_due_soon{unit="ward",level="commune",within="24h"}')).toBe(2);
    expect(parseExposition(await build('wall', () => 0).scrape()).get('dvc_exporter_clock_info{mode="wall"}')).toBe(1);
    expect(parseExposition(await build('event', () => Date.parse('2030-01-01T00:00:00Z')).scrape()).get('dvc_exporter_clock_info{mode="event"}')).toBe(1);
  });

  it('keeps the event clock where it was when one unit applies an event dated 2099', async () => {
    const base = `${namespace}-wm`;
    const outlier = new ProjectionStore(redis, base);
    const app = build('event', () => Date.parse('2026-12-03T09:00:00Z'));
    const scrapeOf = async () => parseExposition(await build('event', () => Date.parse('2026-12-03T09:00:00Z'), base).scrape());
    try {
      // Three units whose latest business times are 20, 21 and 22 June 08:00: the watermark is 21 June.
      await project(outlier, [
        received('W1', 'wm1', '2022-06-20T08:00:00+07:00', '2022-06-21T07:00:00+07:00'),
        received('W2', 'wm2', '2022-06-21T08:00:00+07:00', '2022-06-30T17:00:00+07:00'),
        received('W3', 'wm3', '2022-06-22T08:00:00+07:00', '2022-06-30T17:00:00+07:00'),
      ]);
      const before = await scrapeOf();
      const june21 = Date.parse('2022-06-21T08:00:00+07:00') / 1000;
      expect(before.get('dvc_exporter_clock_timestamp_seconds')).toBe(june21);
      expect(before.get('dvc_dossiers_open{unit="wm1",level="commune",state="overdue"}')).toBe(1);
      expect(before.get('dvc_dossiers_received{unit="wm1",level="commune",window="14d",channel="online"}')).toBe(1);

      await project(outlier, [received('W99', 'wm3', '2099-01-01T08:00:00+07:00', '2099-01-10T17:00:00+07:00')]);
      const after = await scrapeOf();
      // The outlier is visible as the latest business time applied, and moves nothing else.
      expect(after.get('dvc_projection_last_event_timestamp_seconds')).toBe(Date.parse('2099-01-01T08:00:00+07:00') / 1000);
      expect(after.get('dvc_exporter_clock_timestamp_seconds')).toBe(june21);
      expect(after.get('dvc_dossiers_open{unit="wm1",level="commune",state="overdue"}')).toBe(1);
      expect(after.get('dvc_dossiers_received{unit="wm1",level="commune",window="14d",channel="online"}')).toBe(1);
      expect(after.get('dvc_dossiers_received{unit="wm2",level="commune",window="14d",channel="online"}')).toBe(1);
      // The namespace of the other tests is not touched by this one.
      expect(parseExposition(await app.scrape()).get('dvc_exporter_clock_timestamp_seconds')).toBe(Date.parse('2022-07-01T08:00:00+07:00') / 1000);
    } finally {
      await outlier.dropNamespace();
    }
  });

  it('exports fixed periods from their own buckets, with carried-over and targets', async () => {
    const app = build('event', () => Date.parse('2030-01-01T00:00:00Z'));
    const metrics = parseExposition(await app.scrape());
    // A (2022-06-20) is before the period: carried over into it; B was received inside, C after it.
    expect(metrics.get('dvc_dossiers_received{unit="ward",level="commune",window="june",channel="online"}')).toBe(1);
    expect(metrics.get('dvc_dossiers_carried_over{unit="ward",level="commune",window="june"}')).toBe(1);
    expect(metrics.get('dvc_dossiers_open_at_end{unit="ward",level="commune",window="june"}')).toBe(2);
    // The rolling window at 2022-07-01 starts 2022-06-18: nothing carried over into it.
    expect(metrics.get('dvc_dossiers_carried_over{unit="ward",level="commune",window="14d"}')).toBe(0);
    expect(metrics.get('dvc_target{unit="ward",level="commune",window="june",kpi="overdue_ratio"}')).toBe(0.01);
    expect(metrics.get('dvc_target{unit="ward",level="commune",window="14d",kpi="overdue_ratio"}')).toBe(0.01);
  });

  it('says which windows it exported: a period ended more than periodDaysAfterEnd days before now is left out, series and all', async () => {
    // 2022-09-30 is 92 local days after the period's last day (2022-06-30): still exported.
    const within = parseExposition(await build({ mode: 'as-of', asOfMs: Date.parse('2022-09-30T12:00:00+07:00') }, () => 0, namespace, 92).scrape());
    expect(within.get('dvc_exporter_window_info{window="14d",kind="rolling"}')).toBe(1);
    expect(within.get('dvc_exporter_window_info{window="june",kind="period"}')).toBe(1);
    expect(within.get('dvc_dossiers_open_at_end{unit="ward",level="commune",window="june"}')).toBe(2);
    // A day later it is 93 days: the period, its series and its line in dvc_exporter_window_info are gone.
    const after = parseExposition(await build({ mode: 'as-of', asOfMs: Date.parse('2022-10-01T12:00:00+07:00') }, () => 0, namespace, 92).scrape());
    expect(after.get('dvc_exporter_window_info{window="14d",kind="rolling"}')).toBe(1);
    expect([...after.keys()].filter((series) => series.includes('window="june"'))).toEqual([]);
  });

  it('serves the namespace the pointer names from the next scrape on, and says which', async () => {
    const rebuilt = new ProjectionStore(redis, rebuildNamespace(namespace, Date.parse('2026-11-30T07:00:00Z')));
    const app = build('event', () => Date.parse('2030-01-01T00:00:00Z'));
    const pinned = createApp({
      redis,
      live: pinnedView(
        await createLiveView({ redis, base: namespace, clock: { mode: 'event' }, wall: () => Date.parse('2030-01-01T00:00:00Z') }).resolve(),
        namespace,
      ),
      days,
      reference: () => ({ units, targets, calendar }),
      maxUnknownUnits: 20,
      logger: pino({ level: 'silent' }),
      build: BUILD,
      processRegistry: new Registry(),
    });
    const series = 'dvc_dossiers_received{unit="ward",level="commune",window="june",channel="online"}';
    try {
      expect(parseExposition(await app.scrape()).get(`dvc_exporter_namespace_info{namespace="${namespace}"}`)).toBe(1);
      await project(rebuilt, [
        received('B', 'ward', '2022-06-20T17:30:00Z', '2022-07-04T08:00:00+07:00'),
        received('D', 'ward', '2022-06-22T08:00:00+07:00', '2022-07-04T08:00:00+07:00'),
      ]);
      await switchActiveNamespace(redis, namespace, rebuilt.keys.namespace, namespace);
      const after = parseExposition(await app.scrape());
      expect(after.get(series)).toBe(2);
      expect(after.get(`dvc_exporter_namespace_info{namespace="${rebuilt.keys.namespace}"}`)).toBe(1);
      expect(after.has(`dvc_exporter_namespace_info{namespace="${namespace}"}`)).toBe(false);
      expect(parseExposition(await pinned.scrape()).get(series)).toBe(1);
    } finally {
      await redis.del(activeKey(namespace));
      await rebuilt.dropNamespace();
    }
  });

  it('exports at most maxUnknownUnits units missing from the directory (the lowest ids), counts the others, and follows a directory reload', async () => {
    const crowd = new ProjectionStore(redis, `${namespace}.crowd`);
    const strangers = Array.from({ length: 25 }, (_, i) => `x${String(i).padStart(2, '0')}`);
    await project(
      crowd,
      ['ward', ...strangers].map((unit, i) => received(`crowd-${i}`, unit, '2022-06-22T08:00:00+07:00', '2022-07-04T08:00:00+07:00')),
    );
    let reference = { units, targets, calendar };
    const live = pinnedView(
      await createLiveView({ redis, base: crowd.keys.namespace, clock: { mode: 'event' }, wall: () => Date.parse('2030-01-01T00:00:00Z') }).resolve(),
      crowd.keys.namespace,
    );
    const app = createApp({
      redis,
      live,
      days,
      reference: () => reference,
      maxUnknownUnits: 20,
      logger: pino({ level: 'silent' }),
      build: BUILD,
      processRegistry: new Registry(),
    });
    const exportedUnits = (metrics: Map<string, number>) =>
      [...metrics.keys()]
        .filter((k) => k.startsWith('dvc_dossiers_open{') && k.includes('state="in_time"'))
        .map((k) => /unit="([^"]+)",level="([^"]+)"/.exec(k)?.slice(1).join(' '));
    try {
      const first = parseExposition(await app.scrape());
      expect(exportedUnits(first)).toEqual(['ward commune', ...strangers.slice(0, 20).map((u) => `${u} unknown`)]);
      expect(first.get('dvc_exporter_unknown_units{state="exported"}')).toBe(20);
      expect(first.get('dvc_exporter_unknown_units{state="dropped"}')).toBe(5);
      // x24 is added to the directory: the next scrape labels it and drops one stranger fewer.
      reference = {
        units: createUnitDirectory([
          { id: 'ward', name: 'Phường', level: 'commune', kind: 'commune_desk' },
          { id: 'x24', name: 'Xã 24', level: 'commune', kind: 'commune_desk' },
        ]),
        targets,
        calendar,
      };
      const second = parseExposition(await app.scrape());
      expect(exportedUnits(second)).toEqual(['ward commune', ...strangers.slice(0, 20).map((u) => `${u} unknown`), 'x24 commune']);
      expect(second.get('dvc_exporter_unknown_units{state="dropped"}')).toBe(4);
    } finally {
      await crowd.dropNamespace();
    }
  });
});
