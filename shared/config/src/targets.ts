import type { DayIndexer, Period, UnitInfo } from '@dvc/domain';

export const KPIS = ['overdue_ratio', 'online_dossier_share', 'online_service_utilization', 'digitization_share', 'online_report_share'] as const;
export type Kpi = (typeof KPIS)[number];

/** Each KPI's Vietnamese name, as notices and the board write it. */
export const KPI_NAMES_VI: Readonly<Record<Kpi, string>> = {
  overdue_ratio: 'Tỷ lệ hồ sơ giải quyết trễ hạn',
  online_dossier_share: 'Tỷ lệ hồ sơ nộp trực tuyến',
  online_service_utilization: 'Tỷ lệ dịch vụ công trực tuyến có phát sinh hồ sơ',
  digitization_share: 'Tỷ lệ số hóa hồ sơ',
  online_report_share: 'Tỷ lệ báo cáo gửi trực tuyến',
};

export interface PeriodRecord {
  id: string;
  name: string;
  from: string;
  to: string;
}

export interface TargetRecord {
  kpi: Kpi;
  comparison: 'lt' | 'ge';
  value: number;
  windows: string[];
  levels?: string[];
  kinds?: string[];
  note?: string;
}

export interface Targets {
  periods: Period[];
  periodRecords: PeriodRecord[];
  targets: TargetRecord[];
  /** The targets that apply to a unit in a window. */
  forUnit(unit: UnitInfo, window: string): TargetRecord[];
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Validates the targets file; every problem is named with its place in the file. */
export function parseTargets(
  json: unknown,
  days: DayIndexer,
  rollingWindows: readonly string[],
): { ok: true; targets: Targets } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const doc = json as { periods?: unknown; targets?: unknown };
  const periodRecords = Array.isArray(doc.periods) ? (doc.periods as PeriodRecord[]) : [];
  if (!Array.isArray(doc.periods)) problems.push('periods must be an array');
  const periods: Period[] = [];
  const windowIds = new Set(rollingWindows);
  periodRecords.forEach((p, i) => {
    const where = `periods[${i}]`;
    if (typeof p.id !== 'string' || !ID.test(p.id)) problems.push(`${where}.id must match ${ID.source}`);
    else if (windowIds.has(p.id)) problems.push(`${where}.id '${p.id}' is used twice`);
    let fromDay: number | undefined;
    let toDay: number | undefined;
    try {
      fromDay = days.dayFromIso(p.from);
      toDay = days.dayFromIso(p.to);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    if (fromDay !== undefined && toDay !== undefined) {
      if (toDay < fromDay) problems.push(`${where}: to ${p.to} is before from ${p.from}`);
      else periods.push({ id: p.id, fromDay, toDay });
    }
    windowIds.add(p.id);
  });
  const targets = Array.isArray(doc.targets) ? (doc.targets as TargetRecord[]) : [];
  if (!Array.isArray(doc.targets)) problems.push('targets must be an array');
  targets.forEach((t, i) => {
    const where = `targets[${i}]`;
    if (!(KPIS as readonly string[]).includes(t.kpi)) problems.push(`${where}.kpi must be one of ${KPIS.join(', ')}`);
    if (t.comparison !== 'lt' && t.comparison !== 'ge') problems.push(`${where}.comparison must be lt or ge`);
    if (typeof t.value !== 'number' || !Number.isFinite(t.value) || t.value < 0 || t.value > 1) problems.push(`${where}.value must be a share between 0 and 1`);
    if (!Array.isArray(t.windows) || t.windows.length === 0) problems.push(`${where}.windows must list windows`);
    else for (const w of t.windows) if (!windowIds.has(w)) problems.push(`${where}.windows: '${w}' is neither a rolling window nor a period`);
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    targets: {
      periods,
      periodRecords,
      targets,
      forUnit: (unit, window) =>
        targets.filter(
          (t) =>
            t.windows.includes(window) && (t.levels === undefined || t.levels.includes(unit.level)) && (t.kinds === undefined || t.kinds.includes(unit.kind)),
        ),
    },
  };
}
