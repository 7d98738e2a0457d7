import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createDayIndexer, createUnitDirectory, createWorkCalendar, validateEvent, type DvcEvent } from '@dvc/domain';
import { parseTargets, type Targets } from '@dvc/config';
import { ContractMetrics, scrapeWindows, selectExportedUnits, snapshotSeries } from '@dvc/metrics';
import { createLiveView, listUnits, readSnapshots } from '@dvc/read-model';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { parseExposition, uniqueName } from '@dvc/testing';
import { createApp } from './app.js';

const BUILD = { service: 'exporter', version: '0.0.0-test', node: process.version };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const days = createDayIndexer('Asia/Ho_Chi_Minh');
const calendar = createWorkCalendar(
  [2022, 2023].map((year) => ({ year, zone: days.zone, daysOff: [], workingSaturdays: [] })),
  days,
);
const ctx = {
  days,
  calendar,
  periods: [{ id: 'june', fromDay: days.dayFromIso('2022-06-01'), toDay: days.dayFromIso('2022-06-30') }],
  horizonDay: Number.NEGATIVE_INFINITY,
  rules: { resultReturnWorkingDays: 2, receiptWorkingDays: 1, feeBearingProcedures: new Set<string>() },
};
// u0–u7 in the directory; z1 and z2 are not (exported as unknown units).
const UNITS = Array.from({ length: 8 }, (_, i) => `u${i}`);
const directory = createUnitDirectory(UNITS.map((id) => ({ id, name: id, level: 'commune' as const, kind: 'commune_desk' as const })));
const parsed = parseTargets(
  {
    periods: [{ id: 'june', name: 'June', from: '2022-06-01', to: '2022-06-30' }],
    targets: [{ kpi: 'overdue_ratio', comparison: 'lt', value: 0.01, windows: ['14d', 'june'], levels: ['commune'] }],
  },
  days,
  ['14d'],
);
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const targets: Targets = parsed.targets;
const reference = { days, units: directory, targets, calendar };

/** A deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function event(type: string, id: string, unit: string, dossierId: string, time: number, data: Record<string, unknown>): DvcEvent {
  const result = validateEvent({
    specversion: '1.0',
    id,
    source: 'test',
    type,
    time: new Date(time).toISOString(),
    subject: dossierId,
    unitid: unit,
    data: { dossierId, unitId: unit, ...data },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

/** The contract's family names: what a from-scratch ContractMetrics computes. */
const CONTRACT_FAMILIES = (() => {
  const registry = new Registry();
  new ContractMetrics(registry);
  return new Set(registry.getMetricsAsArray().map((m) => m.name));
})();

const contractPart = (series: Map<string, number>) => new Map([...series].filter(([key]) => CONTRACT_FAMILIES.has(key.split('{')[0] ?? '')));

describe('the exporter cache: what it serves equals a from-scratch computation', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const namespace = uniqueName('expcache').replace(/[^a-z0-9-]/g, '');
  const store = new ProjectionStore(redis, namespace);
  let nowMs = Date.parse('2022-06-20T09:00:00+07:00');
  const app = (shard?: { index: number; count: number }) =>
    createApp({
      redis,
      live: createLiveView({ redis, base: namespace, clock: { mode: 'wall' }, wall: () => nowMs }),
      days,
      reference: () => reference,
      maxUnknownUnits: 20,
      logger: pino({ level: 'silent' }),
      build: BUILD,
      processRegistry: new Registry(),
      ...(shard === undefined ? {} : { shard }),
    });

  afterAll(async () => {
    await store.dropNamespace();
    redis.disconnect();
  });

  /** The contract's series computed from scratch at nowMs, as `dvc rebuild` computes them. */
  const fromScratch = async () => {
    const { windows, buckets } = scrapeWindows(reference, nowMs);
    const exported = selectExportedUnits(await listUnits(redis, store.keys), directory, 20);
    const snapshots = await readSnapshots(redis, store.keys, exported.unitIds, buckets, nowMs);
    return snapshotSeries({ snapshots, windows, nowMs, wallMs: nowMs, reference });
  };

  it('after random changes and clock moves (minutes to days, across local midnights and due times)', async () => {
    const rnd = random(20_220_620);
    const exporter = app();
    let seq = 0;
    const open: { unit: string; dossier: string }[] = [];
    const changeUnits = async (units: readonly string[]) => {
      const events: DvcEvent[] = [];
      for (const unit of units) {
        const n = 1 + Math.floor(rnd() * 3);
        for (let i = 0; i < n; i++) {
          seq += 1;
          const dossier = `d${seq}`;
          const at = nowMs - Math.floor(rnd() * 3 * DAY);
          const roll = rnd();
          const pending = open.findIndex((o) => o.unit === unit);
          if (roll < 0.3 && pending >= 0) {
            const [{ dossier: resolvedId } = { dossier }] = open.splice(pending, 1);
            events.push(
              event('vn.dvc.dossier.resolved', `e${seq}`, unit, resolvedId, nowMs - HOUR, {
                resolvedAt: new Date(nowMs - HOUR).toISOString(),
                outcome: 'approved',
                processedOnline: rnd() < 0.5,
              }),
            );
          } else {
            // Due between a few hours and a few days after now: overdue and due-soon move with the clock.
            const due = Math.max(at + HOUR, nowMs + Math.floor((rnd() * 5 - 1) * DAY));
            events.push(
              event('vn.dvc.dossier.received', `e${seq}`, unit, dossier, at, {
                procedureId: 'P',
                channel: rnd() < 0.5 ? 'online' : 'direct',
                receivedAt: new Date(at).toISOString(),
                dueAt: new Date(due).toISOString(),
              }),
            );
            open.push({ unit, dossier });
          }
        }
      }
      await applyEvents(store, events, ctx, () => nowMs);
    };
    await changeUnits([...UNITS, 'z1', 'z2']);
    const scrape = async () => {
      const text = await exporter.scrape();
      return { series: parseExposition(text), recomputed: parseExposition(text).get('dvc_exporter_units_recomputed') };
    };
    let compared = 0;
    for (let step = 0; step < 24; step++) {
      const moved = rnd();
      // Half the steps move the clock: by minutes, hours or days (crossing local midnight and due times).
      if (moved < 0.5) nowMs += Math.floor(moved < 0.2 ? rnd() * 30 * 60_000 : moved < 0.4 ? rnd() * 12 * HOUR : rnd() * 3 * DAY);
      const changed = [...UNITS, 'z1', 'z2'].filter(() => rnd() < 0.25);
      await changeUnits(changed);
      const served = await scrape();
      expect(contractPart(served.series)).toEqual(await fromScratch());
      compared += 1;
    }
    expect(compared).toBe(24);
  });

  it('computes again only the units that changed when the clock stands still', async () => {
    const exporter = app();
    const first = parseExposition(await exporter.scrape());
    expect(first.get('dvc_exporter_units_recomputed')).toBe(10);
    expect(parseExposition(await exporter.scrape()).get('dvc_exporter_units_recomputed')).toBe(0);
    await applyEvents(
      store,
      [
        event('vn.dvc.dossier.received', 'still-1', 'u3', 'still-1', nowMs - HOUR, {
          procedureId: 'P',
          channel: 'online',
          receivedAt: new Date(nowMs - HOUR).toISOString(),
        }),
      ],
      ctx,
      () => nowMs,
    );
    await applyEvents(
      store,
      [
        event('vn.dvc.dossier.received', 'still-2', 'z2', 'still-2', nowMs - HOUR, {
          procedureId: 'P',
          channel: 'online',
          receivedAt: new Date(nowMs - HOUR).toISOString(),
        }),
      ],
      ctx,
      () => nowMs,
    );
    const after = parseExposition(await exporter.scrape());
    expect(after.get('dvc_exporter_units_recomputed')).toBe(2);
    expect(contractPart(after)).toEqual(await fromScratch());
    // The local day moves: every unit's windows moved, every unit is computed again.
    nowMs += DAY;
    expect(parseExposition(await exporter.scrape()).get('dvc_exporter_units_recomputed')).toBe(10);
  });

  it('computes a unit again exactly when the clock crosses one of its due times, and not before', async () => {
    const exporter = app();
    nowMs = Date.parse('2022-09-01T08:00:00+07:00');
    const due = nowMs + 2 * HOUR;
    await applyEvents(
      store,
      [
        event('vn.dvc.dossier.received', 'cross-1', 'u5', 'cross-1', nowMs - HOUR, {
          procedureId: 'P',
          channel: 'online',
          receivedAt: new Date(nowMs - HOUR).toISOString(),
          dueAt: new Date(due).toISOString(),
        }),
      ],
      ctx,
      () => nowMs,
    );
    const at = async (ms: number) => {
      nowMs = ms;
      const series = parseExposition(await exporter.scrape());
      expect(contractPart(series)).toEqual(await fromScratch());
      return series;
    };
    await at(nowMs);
    const overdue = 'dvc_dossiers_open{unit="u5",level="commune",state="overdue"}';
    // Other units' due times may fall in between too: only u5's crossing is asserted by value.
    const before = await at(due);
    expect(before.get(overdue)).toBe((await fromScratch()).get(overdue));
    const crossed = await at(due + 1);
    expect((crossed.get(overdue) ?? 0) - (before.get(overdue) ?? 0)).toBe(1);
    expect(crossed.get('dvc_exporter_units_recomputed')).toBeGreaterThanOrEqual(1);
    // Standing at the same instant again: nothing to compute.
    expect(parseExposition(await exporter.scrape()).get('dvc_exporter_units_recomputed')).toBe(0);
  });

  it('splits the units between shards: together they serve every unit once, shard 0 alone the projection-wide totals', async () => {
    const whole = contractPart(parseExposition(await app().scrape()));
    const shards = await Promise.all([0, 1, 2].map(async (index) => parseExposition(await app({ index, count: 3 }).scrape())));
    const perUnit = (series: Map<string, number>) => [...contractPart(series)].filter(([key]) => key.includes('unit="'));
    const union = shards.flatMap(perUnit);
    expect(new Map(union)).toEqual(new Map([...whole].filter(([key]) => key.includes('unit="'))));
    expect(union.length).toBe([...whole.keys()].filter((key) => key.includes('unit="')).length);
    expect(shards.map((s) => s.get('dvc_exporter_units_served'))).toEqual(
      shards.map((s) => new Set(perUnit(s).map(([key]) => /unit="([^"]+)"/.exec(key)?.[1])).size),
    );
    expect(shards[0]?.get('dvc_projection_units')).toBe(10);
    expect(shards[0]?.get('dvc_projection_events_applied_total{type="vn.dvc.dossier.received"}')).toBe(
      whole.get('dvc_projection_events_applied_total{type="vn.dvc.dossier.received"}'),
    );
    expect(shards.slice(1).map((s) => [...s.keys()].filter((key) => key.startsWith('dvc_projection_')))).toEqual([[], []]);
    expect(shards.map((s) => s.get('dvc_exporter_clock_timestamp_seconds'))).toEqual([nowMs / 1000, nowMs / 1000, nowMs / 1000]);
  });
});
