import { Gauge, Histogram, Registry } from 'prom-client';
import { sampleLines } from '@dvc/testing';
import { createDayIndexer, createUnitDirectory, createWorkCalendar } from '@dvc/domain';
import { parseTargets } from '@dvc/config';
import type { UnitSnapshot } from '@dvc/read-model';
import { scrapeWindows, seriesOf, snapshotSeries } from './series.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const parsed = parseTargets(
  {
    periods: [{ id: 'bp-2022-report', name: 'report', from: '2022-05-01', to: '2022-06-22' }],
    targets: [{ kpi: 'overdue_ratio', comparison: 'lt', value: 0.01, windows: ['14d', 'bp-2022-report'], levels: ['commune'] }],
  },
  days,
  ['14d'],
);
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const targets = parsed.targets;
const units = createUnitDirectory([{ id: 'ward-1', name: 'Phường 1', level: 'commune', kind: 'commune_desk' }]);
const reference = { days, units, targets, calendar: createWorkCalendar([], days) };
const NOW = Date.parse('2022-06-22T17:00:00+07:00');

describe('seriesOf: a registry as series, without exposition text', () => {
  it('names each series as the exposition does: name{labels} -> value, NaN kept', async () => {
    const registry = new Registry();
    new Gauge({ name: 'dvc_x', help: 'x', labelNames: ['unit', 'level'], registers: [registry] }).set({ unit: 'a', level: 'commune' }, 3);
    new Gauge({ name: 'dvc_y', help: 'y', registers: [registry] }).set(0.25);
    new Gauge({ name: 'dvc_z', help: 'z', registers: [registry] }).set(Number.NaN);
    expect(await seriesOf(registry)).toEqual(
      new Map([
        ['dvc_x{unit="a",level="commune"}', 3],
        ['dvc_y', 0.25],
        ['dvc_z', Number.NaN],
      ]),
    );
  });

  it('equals the exposition text line for line, escaped label values and histogram series included', async () => {
    const registry = new Registry();
    new Gauge({ name: 'dvc_odd', help: 'odd', labelNames: ['unit'], registers: [registry] }).set({ unit: 'quote " back \\ new\nline' }, 1);
    new Histogram({ name: 'dvc_seconds', help: 's', buckets: [0.1, 1], registers: [registry] }).observe(0.5);
    const series = await seriesOf(registry);
    const lines = sampleLines(await registry.metrics());
    expect([...series].map(([name, value]) => `${name} ${value}`)).toEqual(lines);
    expect(series.get('dvc_odd{unit="quote \\" back \\\\ new\\nline"}')).toBe(1);
    expect(series.get('dvc_seconds_bucket{le="1"}')).toBe(1);
  });
});

describe('scrapeWindows', () => {
  it('the rolling 14 days ending on the local day of now, every fixed period, and the buckets to read', () => {
    const { windows, buckets } = scrapeWindows(reference, NOW);
    const fortnight = Array.from({ length: 14 }, (_, i) => `2022-06-${String(9 + i).padStart(2, '0')}`);
    expect(windows).toEqual([
      { kind: 'rolling', id: '14d', buckets: fortnight },
      { kind: 'period', id: 'bp-2022-report', buckets: ['p:bp-2022-report'] },
    ]);
    expect(buckets).toEqual([...fortnight, 'p:bp-2022-report', 'current']);
    // 00:30 local time on 23 June is already the next local day.
    expect(scrapeWindows(reference, Date.parse('2022-06-23T00:30:00+07:00')).windows[0]?.buckets[13]).toBe('2022-06-23');
  });

  it('leaves out a fixed period more than periodDaysAfterEnd local days after its last day (22 June)', () => {
    const ids = (at: string, daysAfter: number) => scrapeWindows(reference, Date.parse(at), daysAfter).windows.map((w) => w.id);
    expect(ids('2022-06-25T23:59:59+07:00', 3)).toEqual(['14d', 'bp-2022-report']);
    expect(ids('2022-06-26T00:00:00+07:00', 3)).toEqual(['14d']);
    expect(scrapeWindows(reference, Date.parse('2022-06-26T00:00:00+07:00'), 3).buckets).not.toContain('p:bp-2022-report');
    expect(ids('2022-06-22T23:59:59+07:00', 0)).toEqual(['14d', 'bp-2022-report']);
    expect(ids('2030-01-01T00:00:00+07:00', Number.POSITIVE_INFINITY)).toEqual(['14d', 'bp-2022-report']);
  });
});

describe('snapshotSeries: the contract computed from snapshots', () => {
  it('gives the projection, target and calendar series of the instant', async () => {
    const snapshot: UnitSnapshot = {
      unitId: 'ward-1',
      buckets: new Map([
        ['2022-06-21', new Map([['rcv:online', 3]])],
        ['p:bp-2022-report', new Map([['rcv:online', 40]])],
      ]),
      meta: new Map(),
      open: { overdue: 2, inTime: 5, dueWithin24h: 1 },
      paused: 3,
      resultOverdue: 0,
      receiptOverdue: 0,
    };
    const { windows } = scrapeWindows(reference, NOW);
    const series = await snapshotSeries({ snapshots: [snapshot], windows, nowMs: NOW, wallMs: NOW, reference });
    const ward = 'unit="ward-1",level="commune"';
    expect(series.get(`dvc_dossiers_received{${ward},window="14d",channel="online"}`)).toBe(3);
    expect(series.get(`dvc_dossiers_received{${ward},window="bp-2022-report",channel="online"}`)).toBe(40);
    expect(series.get(`dvc_dossiers_open{${ward},state="overdue"}`)).toBe(2);
    expect(series.get(`dvc_dossiers_open{${ward},state="paused"}`)).toBe(3);
    expect(series.get(`dvc_target{${ward},window="bp-2022-report",kpi="overdue_ratio"}`)).toBe(0.01);
    expect(series.get('dvc_exporter_clock_timestamp_seconds')).toBe(NOW / 1000);
    expect(series.get('dvc_calendar_year_info{year="2022",source="fallback"}')).toBe(1);
    expect(series.get('dvc_calendar_end_timestamp_seconds')).toBe(0);
  });
});
