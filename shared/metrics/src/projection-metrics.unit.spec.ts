import { Registry } from 'prom-client';
import { createUnitDirectory } from '@dvc/domain';
import type { UnitSnapshot } from '@dvc/redis';
import { ProjectionMetrics } from './projection-metrics.js';

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
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('ProjectionMetrics', () => {
  it('sums exactly the window days, derives the ratio from counts and labels unknown units', async () => {
    const registry = new Registry();
    const metrics = new ProjectionMetrics(registry, directory);
    metrics.update(
      [
        snapshot('ward-1', {
          '2022-06-21': { 'rcv:online': 3, 'res:on_time:online': 5, 'res:overdue:paper': 1, 'pay:fee:online': 2, 'vnd:fee:online': 30000 },
          '2022-06-22': { 'rcv:online': 4, 'res:overdue:online': 1, dig: 2 },
          '2022-06-23': { 'rcv:online': 100 },
          current: { 'team:commune': 1, 'members:commune': 9 },
        }, { 'applied:vn.dvc.dossier.received': 7, lastAppliedMs: 10_000, lastEventMs: 5_000 }),
        snapshot('stranger', {}),
      ],
      [{ kind: 'rolling', id: '14d', buckets: ['2022-06-21', '2022-06-22'] }],
      1_000_000,
      20_000,
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

  it('forgets series of a previous scrape', async () => {
    const registry = new Registry();
    const metrics = new ProjectionMetrics(registry, directory);
    metrics.update([snapshot('gone', { d: { 'rcv:online': 1 } })], [{ kind: 'rolling', id: '14d', buckets: ['d'] }], 0, 0);
    metrics.update([], [{ kind: 'rolling', id: '14d', buckets: ['d'] }], 0, 0);
    const v = await values(registry);
    expect([...v.keys()].some((k) => k.includes('gone'))).toBe(false);
  });
});
