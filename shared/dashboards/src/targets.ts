import type { Threshold } from './builders.js';

/** The seed KPIs of infra/data/targets.json. */
export const KPIS = ['overdue_ratio', 'online_dossier_share', 'online_service_utilization', 'digitization_share', 'online_report_share'] as const;
export type Kpi = (typeof KPIS)[number];

export interface TargetsFile {
  targets: { kpi: string; comparison: string; value: number }[];
}

export type KpiThresholds = Record<Kpi, Threshold>;

/** The threshold of each seed KPI from the targets file; throws when one is missing or malformed. */
export function thresholdsFrom(file: TargetsFile): KpiThresholds {
  const out: Partial<KpiThresholds> = {};
  for (const kpi of KPIS) {
    const t = file.targets.find((x) => x.kpi === kpi);
    if (t === undefined) throw new Error(`targets file has no target for ${kpi}`);
    if (t.comparison !== 'lt' && t.comparison !== 'ge') throw new Error(`target ${kpi}: comparison '${t.comparison}' is not lt or ge`);
    if (typeof t.value !== 'number' || !Number.isFinite(t.value)) throw new Error(`target ${kpi}: value is not a number`);
    out[kpi] = { comparison: t.comparison, value: t.value };
  }
  return out as KpiThresholds;
}

/** "1%", "25%", "100%": a target as the dashboards write it in titles. */
export function percent(value: number): string {
  return `${Math.round(value * 10_000) / 100}%`;
}
