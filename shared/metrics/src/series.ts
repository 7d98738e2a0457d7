import { Registry } from 'prom-client';
import { CURRENT_BUCKET, periodBucket, rollingWindowDays, type DayIndexer, type UnitDirectory, type WorkCalendar } from '@dvc/domain';
import { ROLLING_WINDOWS, type Targets } from '@dvc/config';
import type { UnitSnapshot } from '@dvc/read-model';
import { CalendarMetrics } from './calendar-metrics.js';
import { ProjectionMetrics } from './projection-metrics.js';
import type { WindowSpec } from './unit-series.js';

/** The reference data the series of one instant are labelled and windowed with (one reload's snapshot). */
export interface SeriesReference {
  days: DayIndexer;
  units: UnitDirectory;
  targets: Targets;
  calendar: WorkCalendar;
}

/** The windows exported at one instant, and every bucket to read for them. */
export interface ScrapeWindows {
  windows: WindowSpec[];
  buckets: string[];
}

/**
 * The windows of the metrics contract at `nowMs`: each rolling window (`14d`: the local day of
 * now and the 13 before it) and every fixed period of the targets file; the buckets to read are
 * their days and periods, and the current totals. With `periodDaysAfterEnd`, a fixed period
 * whose last day is more than that many local days before now's is left out (it ended long ago:
 * its figures no longer move, and the exporter need not serve them for every unit for ever).
 */
export function scrapeWindows(
  reference: Pick<SeriesReference, 'days' | 'targets'>,
  nowMs: number,
  periodDaysAfterEnd = Number.POSITIVE_INFINITY,
): ScrapeWindows {
  const today = reference.days.dayOf(nowMs);
  const rolling: WindowSpec[] = ROLLING_WINDOWS.map((w) => ({
    kind: 'rolling',
    id: w.id,
    buckets: rollingWindowDays(today, w.days).map((d) => reference.days.isoDate(d)),
  }));
  const periods: WindowSpec[] = reference.targets.periods
    .filter((p) => today - p.toDay <= periodDaysAfterEnd)
    .map((p) => ({ kind: 'period', id: p.id, buckets: [periodBucket(p.id)] }));
  const windows = [...rolling, ...periods];
  return { windows, buckets: [...new Set(windows.flatMap((w) => w.buckets)), CURRENT_BUCKET] };
}

/** What the series of one instant are computed from. */
export interface SeriesInput {
  snapshots: readonly UnitSnapshot[];
  windows: readonly WindowSpec[];
  /** The clock's now the snapshots were read at. */
  nowMs: number;
  /** The wall clock at the same read (freshness). */
  wallMs: number;
  reference: SeriesReference;
}

/**
 * The metrics contract of the projection on one registry: the projection's series
 * (ProjectionMetrics) and the calendar's (CalendarMetrics), replaced as a whole by each `update`.
 * The exporter serves it on every scrape; `dvc rebuild` computes it for two namespaces and
 * compares (`snapshotSeries`).
 */
export class ContractMetrics {
  private readonly projection: ProjectionMetrics;
  private readonly calendar: CalendarMetrics;

  constructor(registry: Registry) {
    this.projection = new ProjectionMetrics(registry);
    this.calendar = new CalendarMetrics(registry);
  }

  update(input: SeriesInput): void {
    const { reference } = input;
    this.projection.update(input.snapshots, input.windows, input.nowMs, input.wallMs, reference.units, (unit, window) =>
      reference.targets.forUnit(unit, window),
    );
    this.calendar.update(reference.calendar, reference.days, input.nowMs);
  }
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * Every series of a registry as `name{label="value",…}` → value, read from prom-client's
 * structured output (no exposition text is rendered or parsed); names and labels are written as
 * the exposition writes them, in the same order, so they read like the lines of `/metrics`.
 */
export async function seriesOf(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const name = (value as { metricName?: string }).metricName ?? metric.name;
      const labels = Object.entries(value.labels).map(([label, v]) => `${label}="${escapeLabel(String(v))}"`);
      out.set(labels.length === 0 ? name : `${name}{${labels.join(',')}}`, value.value);
    }
  }
  return out;
}

/** The series of the metrics contract for these snapshots, computed on a registry of their own. */
export async function snapshotSeries(input: SeriesInput): Promise<Map<string, number>> {
  const registry = new Registry();
  new ContractMetrics(registry).update(input);
  return seriesOf(registry);
}
