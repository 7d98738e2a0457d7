import { Field, CURRENT_BUCKET, INTEGRITY_REASONS, type UnitInfo } from '@dvc/domain';
import type { UnitSnapshot } from '@dvc/read-model';

/**
 * One window to export: its label value and the buckets it sums. A rolling window sums day
 * buckets; a fixed period has one bucket of its own, which also knows what was open at its start.
 */
export type WindowSpec = { kind: 'rolling'; id: string; buckets: readonly string[] } | { kind: 'period'; id: string; buckets: readonly [string] };

/** A KPI target as exported: which units and windows it applies to is decided by the caller. */
export interface TargetValue {
  kpi: string;
  value: number;
}

/** A metric family whose series each belong to one unit (labels `unit` and `level` first). */
export interface UnitFamily {
  name: string;
  help: string;
  labelNames: readonly string[];
}

const UNIT = ['unit', 'level'] as const;

/**
 * The per-unit families of the metrics contract, in exposition order. Each series is a pure
 * function of one unit's snapshot, its directory entry, the windows and the targets
 * (`unitSeries`), which is what lets the exporter keep a unit's rendered lines until one of
 * those moves.
 */
export const UNIT_FAMILIES = {
  received: { name: 'dvc_dossiers_received', help: 'Dossiers received in the window, by receivedAt', labelNames: [...UNIT, 'window', 'channel'] },
  resolved: {
    name: 'dvc_dossiers_resolved',
    help: 'Dossiers resolved in the window, by resolvedAt',
    labelNames: [...UNIT, 'window', 'timeliness', 'processing'],
  },
  overdueRatio: {
    name: 'dvc_overdue_ratio',
    help: 'Overdue share of dossiers resolved in the window (absent when none resolved)',
    labelNames: [...UNIT, 'window'],
  },
  open: { name: 'dvc_dossiers_open', help: 'Open dossiers now, by state', labelNames: [...UNIT, 'state'] },
  dueSoon: {
    name: 'dvc_dossiers_due_soon',
    help: 'Open dossiers, not overdue, whose effective due time is within the period',
    labelNames: [...UNIT, 'within'],
  },
  withdrawn: { name: 'dvc_dossiers_withdrawn', help: 'Dossiers withdrawn in the window, by withdrawal time', labelNames: [...UNIT, 'window'] },
  digitized: { name: 'dvc_dossiers_digitized', help: 'Of the dossiers received in the window, how many are digitized', labelNames: [...UNIT, 'window'] },
  payments: { name: 'dvc_payments', help: 'Payments completed in the window, by paidAt', labelNames: [...UNIT, 'window', 'kind', 'channel'] },
  paymentsVnd: { name: 'dvc_payments_vnd', help: 'Amount paid in the window in VND, by paidAt', labelNames: [...UNIT, 'window', 'kind', 'channel'] },
  reports: { name: 'dvc_reports_submitted', help: 'Reports submitted in the window, by submittedAt', labelNames: [...UNIT, 'window', 'channel'] },
  proceduresOnline: { name: 'dvc_procedures_online_capable', help: 'Procedures published as online-capable, now', labelNames: [...UNIT] },
  teams: { name: 'dvc_community_teams', help: 'Community technology teams registered, now', labelNames: [...UNIT, 'team_level'] },
  teamMembers: { name: 'dvc_community_team_members', help: 'Members of community technology teams, now', labelNames: [...UNIT, 'team_level'] },
  carriedOver: {
    name: 'dvc_dossiers_carried_over',
    help: 'Dossiers open when the window starts (received before it, not yet resolved or withdrawn)',
    labelNames: [...UNIT, 'window'],
  },
  openAtEnd: { name: 'dvc_dossiers_open_at_end', help: 'Fixed periods: dossiers open when the period ends', labelNames: [...UNIT, 'window'] },
  receivedLate: {
    name: 'dvc_dossiers_received_late',
    help: 'Online submissions officially received more than the allowed working days after submission (Decree 118/2025), by receivedAt',
    labelNames: [...UNIT, 'window'],
  },
  receiptOverdue: {
    name: 'dvc_dossiers_receipt_overdue',
    help: 'Online submissions past their receipt deadline and still not received, now',
    labelNames: [...UNIT],
  },
  extended: { name: 'dvc_dossiers_extended', help: 'Deadline extensions with an apology letter, by extension time', labelNames: [...UNIT, 'window'] },
  integrity: {
    name: 'dvc_integrity_flags',
    help: 'Suspicious completions by reason (see docs/metrics.md for each rule)',
    labelNames: [...UNIT, 'window', 'reason'],
  },
  proceduresWithOnline: {
    name: 'dvc_procedures_with_online_dossiers',
    help: 'Online-capable procedures that received at least one online dossier in the window',
    labelNames: [...UNIT, 'window'],
  },
  target: { name: 'dvc_target', help: 'Target of a KPI for the unit in the window, from the targets file', labelNames: [...UNIT, 'kpi', 'window'] },
} as const satisfies Record<string, UnitFamily>;

export type UnitFamilyId = keyof typeof UNIT_FAMILIES;
export const UNIT_FAMILY_IDS = Object.keys(UNIT_FAMILIES) as UnitFamilyId[];

/** Receives one series of one unit: its family, its labels (in label order) and its value. */
export type EmitSeries = (family: UnitFamilyId, labels: Record<string, string>, value: number) => void;

const CHANNELS = ['online', 'direct', 'postal'] as const;
const TIMELINESS = ['on_time', 'overdue'] as const;
const PROCESSING = ['online', 'paper'] as const;
const PAYMENT_KINDS = ['fee', 'land_obligation'] as const;
const PAYMENT_CHANNELS = ['online', 'offline'] as const;
const REPORT_CHANNELS = ['online', 'offline'] as const;
const TEAM_LEVELS = ['commune', 'village'] as const;
const PROC_ONLINE = Field.procedureOnline('');
const PROC_CAPABLE = Field.procedureCapable('');

/**
 * Every series of one unit (ARCHITECTURE.md#metrics): counts are the truth and ratios are
 * derived; every series carries unit and level. Only the snapshot's `open`, `paused`,
 * `resultOverdue` and `receiptOverdue` depend on the clock's now beyond the windows' buckets.
 */
export function unitSeries(
  snap: UnitSnapshot,
  info: UnitInfo,
  windows: readonly WindowSpec[],
  targets: (window: string) => readonly TargetValue[],
  emit: EmitSeries,
): void {
  const base = { unit: snap.unitId, level: info.level };
  const current = snap.buckets.get(CURRENT_BUCKET);
  const capable: string[] = [];
  for (const [field, n] of current ?? []) if (n > 0 && field.startsWith(PROC_CAPABLE)) capable.push(field.slice(PROC_CAPABLE.length));
  for (const w of windows) {
    const sum = (field: string) => {
      let total = 0;
      for (const bucket of w.buckets) total += snap.buckets.get(bucket)?.get(field) ?? 0;
      return total;
    };
    const labels = { ...base, window: w.id };
    for (const channel of CHANNELS) emit('received', { ...labels, channel }, sum(Field.received(channel)));
    let resolved = 0;
    let overdue = 0;
    for (const timeliness of TIMELINESS) {
      for (const processing of PROCESSING) {
        const n = sum(Field.resolved(timeliness, processing));
        emit('resolved', { ...labels, timeliness, processing }, n);
        resolved += n;
        if (timeliness === 'overdue') overdue += n;
      }
    }
    if (resolved > 0) emit('overdueRatio', labels, overdue / resolved);
    emit('withdrawn', labels, sum(Field.withdrawn));
    emit('digitized', labels, sum(Field.digitized));
    for (const kind of PAYMENT_KINDS) {
      for (const channel of PAYMENT_CHANNELS) {
        emit('payments', { ...labels, kind, channel }, sum(Field.payments(kind, channel)));
        emit('paymentsVnd', { ...labels, kind, channel }, sum(Field.paymentsVnd(kind, channel)));
      }
    }
    for (const channel of REPORT_CHANNELS) emit('reports', { ...labels, channel }, sum(Field.reports(channel)));
    emit('receivedLate', labels, sum(Field.receivedLate));
    emit('extended', labels, sum(Field.extended));
    for (const reason of INTEGRITY_REASONS) {
      if (reason === 'result_not_returned') continue;
      emit('integrity', { ...labels, reason }, sum(Field.flag(reason)));
    }
    if (w.kind === 'rolling') {
      // Open at the start = everything that ever entered minus left, less the window's own flows.
      const net = (current?.get(Field.flowIn) ?? 0) - (current?.get(Field.flowOut) ?? 0);
      emit('carriedOver', labels, net - (sum(Field.flowIn) - sum(Field.flowOut)));
      // Outstanding results are a now-signal: reported with the rolling window.
      emit('integrity', { ...labels, reason: 'result_not_returned' }, snap.resultOverdue);
    } else {
      emit('carriedOver', labels, sum(Field.carriedOver));
      emit('openAtEnd', labels, sum(Field.openAtEnd));
    }
    const usedOnline = new Set<string>();
    for (const bucket of w.buckets) {
      for (const [field, n] of snap.buckets.get(bucket) ?? []) {
        if (n > 0 && field.startsWith(PROC_ONLINE)) usedOnline.add(field.slice(PROC_ONLINE.length));
      }
    }
    let used = 0;
    for (const procedure of capable) if (usedOnline.has(procedure)) used += 1;
    emit('proceduresWithOnline', labels, used);
    for (const t of targets(w.id)) emit('target', { ...labels, kpi: t.kpi }, t.value);
  }
  emit('open', { ...base, state: 'in_time' }, snap.open.inTime);
  emit('open', { ...base, state: 'overdue' }, snap.open.overdue);
  emit('open', { ...base, state: 'paused' }, snap.paused);
  emit('dueSoon', { ...base, within: '24h' }, snap.open.dueWithin24h);
  emit('proceduresOnline', base, capable.length);
  emit('receiptOverdue', base, snap.receiptOverdue);
  for (const teamLevel of TEAM_LEVELS) {
    emit('teams', { ...base, team_level: teamLevel }, current?.get(Field.teams(teamLevel)) ?? 0);
    emit('teamMembers', { ...base, team_level: teamLevel }, current?.get(Field.teamMembers(teamLevel)) ?? 0);
  }
}

const escapeLabelValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** A value as prom-client writes it in the exposition text. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/**
 * The exposition lines of one unit, one string per family of UNIT_FAMILY_IDS (each line ended by
 * '\n'; '' when the unit has none in that family), written as prom-client writes them.
 */
export function renderUnitSeries(
  snap: UnitSnapshot,
  info: UnitInfo,
  windows: readonly WindowSpec[],
  targets: (window: string) => readonly TargetValue[],
): string[] {
  const chunks = new Map<UnitFamilyId, string>();
  unitSeries(snap, info, windows, targets, (family, labels, value) => {
    let line = `${UNIT_FAMILIES[family].name}{`;
    let first = true;
    for (const [name, v] of Object.entries(labels)) {
      line += `${first ? '' : ','}${name}="${escapeLabelValue(v)}"`;
      first = false;
    }
    chunks.set(family, `${chunks.get(family) ?? ''}${line}} ${formatValue(value)}\n`);
  });
  return UNIT_FAMILY_IDS.map((id) => chunks.get(id) ?? '');
}
