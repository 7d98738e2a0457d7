import { KPI_NAMES_VI, ROLLING_WINDOWS } from '@dvc/config';
import { panelQueries, provinceOverview, unitDrilldown, type KpiThresholds, type PanelQuery } from '@dvc/dashboards';
import type { Prometheus, RangeSeries, Sample } from '@dvc/metrics';

/**
 * The board's aggregates, read from Prometheus with the very queries of the Grafana province
 * overview (`provinceOverview` of @dvc/dashboards, panel by panel), so that the board and the
 * dashboards cannot disagree; a unit's KPIs are read with the queries of the Grafana unit
 * drill-down (`unitDrilldown`) the same way; the per-unit figures use the recording rules of
 * infra/prometheus/rules/recording.yml (`dvc:*:sum_by_unit`, `dvc:overdue_ratio:by_unit`).
 */

/** A seed KPI of the overview: the province overview panel it is read from. */
interface KpiPanel {
  id: string;
  /** Vietnamese label shown on the board. */
  label: string;
  panelId: number;
  kpi: keyof KpiThresholds;
}

export const KPI_PANELS: readonly KpiPanel[] = [
  { id: 'overdue_ratio', label: 'Tỷ lệ hồ sơ giải quyết trễ hạn', panelId: 101, kpi: 'overdue_ratio' },
  { id: 'online_dossier_share', label: 'Tỷ lệ hồ sơ trực tuyến', panelId: 102, kpi: 'online_dossier_share' },
  { id: 'online_service_utilization_land', label: 'DVCTT có phát sinh hồ sơ – chi nhánh VPĐKĐĐ', panelId: 103, kpi: 'online_service_utilization' },
  { id: 'online_service_utilization_commune', label: 'DVCTT có phát sinh hồ sơ – bộ phận một cửa cấp xã', panelId: 104, kpi: 'online_service_utilization' },
  { id: 'digitization_share', label: 'Số hóa hồ sơ – cấp tỉnh, cấp huyện', panelId: 106, kpi: 'digitization_share' },
  { id: 'online_report_share', label: 'Báo cáo gửi trực tuyến', panelId: 107, kpi: 'online_report_share' },
];

/** The dossier counts of the overview, each a province overview panel (A of the balance panel 127 is `toResolve`). */
const COUNT_PANELS = {
  carriedOver: 132,
  received: 121,
  toResolve: 133,
  resolved: 122,
  resolvedOverdue: 123,
  openNow: 124,
  openOverdueNow: 125,
  withdrawn: 126,
} as const;
type CountName = keyof typeof COUNT_PANELS;

const BALANCE_PANEL = 127;
const PAYMENT_COUNT_PANEL = 141;
const PAYMENT_VND_PANEL = 142;

export interface KpiFigure {
  id: string;
  label: string;
  value: number | null;
  target: number;
  comparison: 'lt' | 'ge';
  /** null when there is no value (nothing in the window to compute it from). */
  met: boolean | null;
}

export interface Payment {
  kind: string;
  channel: string;
  count: number;
  vnd: number;
}

export interface Overview {
  window: string;
  kpis: KpiFigure[];
  counts: Record<CountName, number | null>;
  /** carried over + received, and resolved + open (at the period end, or now for the rolling window) + withdrawn. */
  balance: { left: number | null; right: number | null; open: number | null };
  payments: Payment[];
}

const WINDOW = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Whether `window` is a rolling window (`14d`), not a fixed period of the targets file. */
export const isRollingWindow = (window: string): boolean => ROLLING_WINDOWS.some((w) => w.id === window);

/**
 * The windows the exporters exported at their last scrape (`dvc_exporter_window_info`): a fixed
 * period that ended long ago (EXPORTER_PERIOD_DAYS_AFTER_END) is not among them. Empty when
 * Prometheus holds no exporter scrape at all (an exporter down or not yet scraped).
 */
export async function readExportedWindows(prom: Prometheus): Promise<ReadonlySet<string>> {
  return new Set((await prom.query('max by (window) (dvc_exporter_window_info)')).map((s) => s.metric.window ?? ''));
}

/** Whether `window` may be put into a query (a window id of the targets file or `14d`). */
export function isWindowId(window: string): boolean {
  return WINDOW.test(window);
}

const single = (samples: Sample[]): number | null => (samples.length === 1 && Number.isFinite(samples[0]!.value) ? samples[0]!.value : null);

export function metTarget(value: number | null, comparison: 'lt' | 'ge', target: number): boolean | null {
  if (value === null) return null;
  return comparison === 'lt' ? value < target : value >= target;
}

function panelQuery(queries: PanelQuery[], panelId: number, refId = 'A'): string {
  const found = queries.find((q) => q.panelId === panelId && q.refId === refId);
  if (found === undefined) throw new Error(`the dashboard ${queries[0]?.dashboard ?? '(none)'} has no query ${refId} in panel ${panelId}`);
  return found.expr;
}

/** A KPI of one unit: the unit drill-down panel it is read from (A: the unit's value, B: the unit's target). */
const UNIT_KPI_PANELS: readonly { id: keyof KpiThresholds; panelId: number }[] = [
  { id: 'overdue_ratio', panelId: 201 },
  { id: 'online_dossier_share', panelId: 202 },
  { id: 'online_service_utilization', panelId: 203 },
  { id: 'digitization_share', panelId: 204 },
  { id: 'online_report_share', panelId: 205 },
];

/** One KPI of one unit against the target that applies to it. */
export interface UnitKpi {
  id: keyof KpiThresholds;
  label: string;
  /** null when there is nothing in the window to compute it from. */
  value: number | null;
  /** The unit's target in the window (infra/data/targets.json as exported, `dvc_target`); null when none applies to the unit. */
  target: number | null;
  comparison: 'lt' | 'ge';
  /** null without a value or without a target. */
  met: boolean | null;
}

/**
 * One unit's KPIs in a window, each with the target that applies to it, read with the queries of
 * the Grafana unit drill-down (panels 201–205) for the unit and its level. The overdue ratio
 * always has one (the unit's own, else the province-wide objective); another KPI has none where
 * the targets file sets none for the unit's kind or the window.
 */
export async function readUnitKpis(prom: Prometheus, thresholds: KpiThresholds, unit: { id: string; level: string }, window: string): Promise<UnitKpi[]> {
  const queries = panelQueries(unitDrilldown(thresholds), { window, unit: unit.id, level: unit.level });
  return Promise.all(
    UNIT_KPI_PANELS.map(async (k): Promise<UnitKpi> => {
      const [value, target] = await Promise.all([
        prom.query(panelQuery(queries, k.panelId, 'A')).then(single),
        prom.query(panelQuery(queries, k.panelId, 'B')).then(single),
      ]);
      const { comparison } = thresholds[k.id];
      return { id: k.id, label: KPI_NAMES_VI[k.id], value, target, comparison, met: target === null ? null : metTarget(value, comparison, target) };
    }),
  );
}

/** The province overview of one window, every figure from the dashboard panel that shows it. */
export async function readOverview(prom: Prometheus, thresholds: KpiThresholds, window: string): Promise<Overview> {
  const queries = panelQueries(provinceOverview(thresholds), { window });
  const kpis = await Promise.all(
    KPI_PANELS.map(async (k): Promise<KpiFigure> => {
      const value = single(await prom.query(panelQuery(queries, k.panelId)));
      const targetQuery = queries.find((q) => q.panelId === k.panelId && q.refId === 'B');
      const fromSeries = targetQuery === undefined ? null : single(await prom.query(targetQuery.expr));
      const { comparison, value: fromFile } = thresholds[k.kpi];
      const target = fromSeries ?? fromFile;
      return { id: k.id, label: k.label, value, target, comparison, met: metTarget(value, comparison, target) };
    }),
  );
  const names = Object.keys(COUNT_PANELS) as CountName[];
  const values = await Promise.all(names.map(async (name) => single(await prom.query(panelQuery(queries, COUNT_PANELS[name])))));
  const counts = Object.fromEntries(names.map((name, i) => [name, values[i] ?? null])) as Record<CountName, number | null>;
  const left = single(await prom.query(panelQuery(queries, BALANCE_PANEL, 'A')));
  const right = single(await prom.query(panelQuery(queries, BALANCE_PANEL, 'B')));
  const open = right === null || counts.resolved === null || counts.withdrawn === null ? null : right - counts.resolved - counts.withdrawn;
  const [paymentCounts, paymentVnd] = await Promise.all([
    prom.query(panelQuery(queries, PAYMENT_COUNT_PANEL)),
    prom.query(panelQuery(queries, PAYMENT_VND_PANEL)),
  ]);
  const payments = paymentCounts
    .map((s): Payment => {
      const kind = s.metric.kind ?? '';
      const channel = s.metric.channel ?? '';
      const vnd = paymentVnd.find((v) => v.metric.kind === kind && v.metric.channel === channel)?.value ?? 0;
      return { kind, channel, count: s.value, vnd };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.channel.localeCompare(b.channel));
  return { window, kpis, counts, balance: { left, right, open }, payments };
}

/** One unit's line of the ranking and of the meeting report. */
export interface UnitFigures {
  unit: string;
  level: string;
  carriedOver: number;
  received: number;
  resolved: number;
  resolvedOverdue: number;
  /** resolvedOverdue / resolved; null when nothing was resolved. */
  overdueRatio: number | null;
  /** The unit's overdue-ratio target in the window; null when none applies. */
  overdueTarget: number | null;
  /** Open at the period end (fixed periods) or now (the rolling window). */
  open: number;
  openOverdueNow: number;
  withdrawn: number;
  /** Integrity signals of the window by reason (`dvc_integrity_flags`; only the reasons with a count). */
  integrity: Record<string, number>;
}

const byUnit = (samples: Sample[]): Map<string, Sample> => new Map(samples.map((s) => [s.metric.unit ?? '', s]));

/** Every unit's figures in a window, from the recording rules per unit (raw gauges de-duplicated across replicas first). */
export async function readUnitFigures(prom: Prometheus, window: string): Promise<UnitFigures[]> {
  const W = `window="${window}"`;
  const [received, resolved, overdue, ratio, target, carried, withdrawn, openAtEnd, openNow, openOverdue, integrity] = await Promise.all([
    prom.query(`dvc:dossiers_received:sum_by_unit{${W}}`),
    prom.query(`dvc:dossiers_resolved:sum_by_unit{${W}}`),
    prom.query(`dvc:dossiers_overdue:sum_by_unit{${W}}`),
    prom.query(`dvc:overdue_ratio:by_unit{${W}}`),
    prom.query(`dvc:overdue_ratio:target_by_unit{${W}}`),
    prom.query(`max by (unit, level, window) (dvc_dossiers_carried_over{${W}})`),
    prom.query(`max by (unit, level, window) (dvc_dossiers_withdrawn{${W}})`),
    prom.query(`max by (unit, level, window) (dvc_dossiers_open_at_end{${W}})`),
    prom.query('sum by (unit, level) (max by (unit, level, state) (dvc_dossiers_open))'),
    prom.query('max by (unit, level) (dvc_dossiers_open{state="overdue"})'),
    prom.query(`max by (unit, level, window, reason) (dvc_integrity_flags{${W}}) > 0`),
  ]);
  const maps = {
    received: byUnit(received),
    resolved: byUnit(resolved),
    overdue: byUnit(overdue),
    ratio: byUnit(ratio),
    target: byUnit(target),
    carried: byUnit(carried),
    withdrawn: byUnit(withdrawn),
    openAtEnd: byUnit(openAtEnd),
    openNow: byUnit(openNow),
    openOverdue: byUnit(openOverdue),
  };
  const units = new Map<string, string>();
  for (const samples of [received, resolved, carried, openNow]) for (const s of samples) units.set(s.metric.unit ?? '', s.metric.level ?? '');
  // A fixed period's open count is the one at its end, never today's, even where a unit has none of it.
  const periodEnds = !isRollingWindow(window);
  const signals = new Map<string, Record<string, number>>();
  for (const s of integrity) {
    const unit = s.metric.unit ?? '';
    signals.set(unit, { ...signals.get(unit), [s.metric.reason ?? '']: s.value });
  }
  const n = (map: Map<string, Sample>, unit: string) => map.get(unit)?.value ?? 0;
  return [...units]
    .filter(([unit]) => unit !== '')
    .map(([unit, level]): UnitFigures => ({
      unit,
      level,
      carriedOver: n(maps.carried, unit),
      received: n(maps.received, unit),
      resolved: n(maps.resolved, unit),
      resolvedOverdue: n(maps.overdue, unit),
      overdueRatio: maps.ratio.get(unit)?.value ?? null,
      overdueTarget: maps.target.get(unit)?.value ?? null,
      open: periodEnds ? n(maps.openAtEnd, unit) : n(maps.openNow, unit),
      openOverdueNow: n(maps.openOverdue, unit),
      withdrawn: n(maps.withdrawn, unit),
      integrity: signals.get(unit) ?? {},
    }))
    .sort((a, b) => a.unit.localeCompare(b.unit));
}

/** Red / amber / green of a unit's overdue share against its target: green meets it, amber is under twice it, red is the rest. */
export type Rag = 'green' | 'amber' | 'red' | 'none';
export function ragOf(ratio: number | null, target: number | null): Rag {
  if (ratio === null || target === null) return 'none';
  if (ratio < target) return 'green';
  return ratio < 2 * target ? 'amber' : 'red';
}

/** The span of the trend: the last 14 days of Prometheus' time axis. */
export const TREND_SPAN_MS = 14 * 86_400_000;

/**
 * The 14-day trend of every unit's overdue share in the rolling window, as Prometheus recorded it
 * (at most 200 points) from `endMs - TREND_SPAN_MS` to `endMs`. Prometheus stamps every sample
 * with the wall time it scraped or evaluated it, whatever the board's clock, so `endMs` is the
 * wall clock (the instant the overview's queries are evaluated at): with a pinned clock
 * (`CLOCK_AS_OF`) the samples are the figures as of the pinned instant, recorded over the days
 * the system ran, and a range ending at the pinned instant would hold none of them.
 */
export async function readTrend(prom: Prometheus, endMs: number): Promise<RangeSeries[]> {
  const step = Math.max(60, Math.ceil(TREND_SPAN_MS / 1000 / 200));
  return prom.queryRange('dvc:overdue_ratio:by_unit{window="14d"}', endMs - TREND_SPAN_MS, endMs, step);
}
