import { Registry } from 'prom-client';
import { parseExposition } from '@dvc/testing';
import { createUnitDirectory } from '@dvc/domain';
import type { UnitSnapshot } from '@dvc/read-model';
import { ProjectionMetrics, selectExportedUnits } from './projection-metrics.js';

const directory = createUnitDirectory([{ id: 'ward-1', name: 'Phường 1', level: 'commune', kind: 'commune_desk' }]);

function snapshot(unitId: string, buckets: Record<string, Record<string, number>>, meta: Record<string, number> = {}): UnitSnapshot {
  return {
    unitId,
    buckets: new Map(Object.entries(buckets).map(([b, fields]) => [b, new Map(Object.entries(fields))])),
    meta: new Map(Object.entries(meta)),
    open: { overdue: 2, inTime: 5, dueWithin24h: 1 },
    paused: 3,
    resultOverdue: 4,
    receiptOverdue: 6,
  };
}

async function values(registry: Registry): Promise<Map<string, number>> {
  return parseExposition(await registry.metrics());
}

describe('ProjectionMetrics', () => {
  it('sums exactly the window days, derives the ratio from counts and labels unknown units', async () => {
    const registry = new Registry();
    const metrics = new ProjectionMetrics(registry);
    metrics.update(
      [
        snapshot(
          'ward-1',
          {
            '2022-06-21': { 'rcv:online': 3, 'res:on_time:online': 5, 'res:overdue:paper': 1, 'pay:fee:online': 2, 'vnd:fee:online': 30000 },
            '2022-06-22': { 'rcv:online': 4, 'res:overdue:online': 1, dig: 2 },
            '2022-06-23': { 'rcv:online': 100 },
            current: { 'team:commune': 1, 'members:commune': 9 },
          },
          { 'applied:vn.dvc.dossier.received': 7, lastAppliedMs: 10_000, lastEventMs: 5_000 },
        ),
        snapshot('stranger', {}),
      ],
      [{ kind: 'rolling', id: '14d', buckets: ['2022-06-21', '2022-06-22'] }],
      1_000_000,
      20_000,
      directory,
    );
    const v = await values(registry);
    const ward = 'unit="ward-1",level="commune"';
    expect(v.get(`dvc_dossiers_received{${ward},window="14d",channel="online"}`)).toBe(7);
    expect(v.get(`dvc_dossiers_resolved{${ward},window="14d",timeliness="on_time",processing="online"}`)).toBe(5);
    expect(v.get(`dvc_dossiers_resolved{${ward},window="14d",timeliness="overdue",processing="online"}`)).toBe(1);
    expect(v.get(`dvc_overdue_ratio{${ward},window="14d"}`)).toBeCloseTo(2 / 7, 12);
    expect(v.get(`dvc_dossiers_digitized{${ward},window="14d"}`)).toBe(2);
    expect(v.get(`dvc_payments_vnd{${ward},window="14d",kind="fee",channel="online"}`)).toBe(30000);
    expect(v.get(`dvc_dossiers_open{${ward},state="overdue"}`)).toBe(2);
    expect(v.get(`dvc_dossiers_open{${ward},state="paused"}`)).toBe(3);
    expect(v.get(`dvc_dossiers_due_soon{${ward},within="24h"}`)).toBe(1);
    expect(v.get(`dvc_community_team_members{${ward},team_level="commune"}`)).toBe(9);
    // Nothing resolved for the stranger: no ratio at all rather than 0 or NaN.
    expect(v.has('dvc_overdue_ratio{unit="stranger",level="unknown",window="14d"}')).toBe(false);
    expect(v.get('dvc_dossiers_received{unit="stranger",level="unknown",window="14d",channel="online"}')).toBe(0);
    expect(v.get('dvc_projection_events_applied_total{type="vn.dvc.dossier.received"}')).toBe(7);
    expect(v.get('dvc_projection_freshness_seconds')).toBe(10);
    expect(v.get('dvc_projection_last_event_timestamp_seconds')).toBe(5);
  });

  it("carries over into a rolling window what is open now less the window's own flows, its entries being its receipts on every channel", async () => {
    const registry = new Registry();
    const metrics = new ProjectionMetrics(registry);
    const days = {
      // flow_in in a day bucket is what an earlier version wrote there: not read any more.
      '2022-06-21': { 'rcv:online': 3, 'rcv:direct': 2, flow_out: 4, flow_in: 50 },
      '2022-06-22': { 'rcv:postal': 1, flow_out: 1 },
      '2022-06-23': { 'rcv:online': 7, flow_out: 2 },
      current: { flow_in: 20, flow_out: 9 },
    };
    metrics.update([snapshot('ward-1', days)], [{ kind: 'rolling', id: '14d', buckets: ['2022-06-21', '2022-06-22'] }], 0, 0, directory);
    // Open now 20 − 9 = 11; the window took in 3 + 2 + 1 = 6 and let out 4 + 1 = 5: 11 − (6 − 5) = 10.
    expect((await values(registry)).get('dvc_dossiers_carried_over{unit="ward-1",level="commune",window="14d"}')).toBe(10);
  });

  it('forgets series of a previous scrape', async () => {
    const registry = new Registry();
    const metrics = new ProjectionMetrics(registry);
    metrics.update([snapshot('gone', { d: { 'rcv:online': 1 } })], [{ kind: 'rolling', id: '14d', buckets: ['d'] }], 0, 0, directory);
    metrics.update([], [{ kind: 'rolling', id: '14d', buckets: ['d'] }], 0, 0, directory);
    const v = await values(registry);
    expect([...v.keys()].some((k) => k.includes('gone'))).toBe(false);
  });
});

describe('selectExportedUnits', () => {
  const units = createUnitDirectory([
    { id: 'ward-1', name: 'Phường 1', level: 'commune', kind: 'commune_desk' },
    { id: 'ward-2', name: 'Phường 2', level: 'commune', kind: 'commune_desk' },
  ]);

  it('exports every known unit and the lowest unknown ids up to the cap, counting the rest', () => {
    const ids = ['zz-9', 'ward-2', 'aa-3', 'ward-1', 'mm-1', 'aa-10'];
    expect(selectExportedUnits(ids, units, 2)).toEqual({ unitIds: ['aa-10', 'aa-3', 'ward-1', 'ward-2'], unknownExported: 2, unknownDropped: 2 });
    expect(selectExportedUnits(ids, units, 0)).toEqual({ unitIds: ['ward-1', 'ward-2'], unknownExported: 0, unknownDropped: 4 });
    expect(selectExportedUnits(ids, units, 20)).toEqual({
      unitIds: ['aa-10', 'aa-3', 'mm-1', 'ward-1', 'ward-2', 'zz-9'],
      unknownExported: 4,
      unknownDropped: 0,
    });
  });

  it('chooses the same units whatever the order it is given them in', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `rnd-${(i * 7919) % 1000}`);
    const once = selectExportedUnits(ids, units, 20);
    expect(selectExportedUnits([...ids].reverse(), units, 20)).toEqual(once);
    expect(once.unitIds).toEqual([...ids].sort().slice(0, 20));
    expect(once.unknownDropped).toBe(480);
  });
});
