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

/** A per-unit family: its labels are `unit`, `level`, then `labels`. */
const family = (name: string, help: string, ...labels: string[]): UnitFamily => ({ name, help, labelNames: [...UNIT, ...labels] });

/**
 * The per-unit families of the metrics contract, in exposition order. Each series is a pure
 * function of one unit's snapshot, its directory entry, the windows and the targets
 * (`unitSeries`), which is what lets the exporter keep a unit's rendered lines until one of
 * those moves.
 */
export const UNIT_FAMILIES = {
  received: family('dvc_dossiers_received', 'Dossiers received in the window, by receivedAt', 'window', 'channel'),
  resolved: family('dvc_dossiers_resolved', 'Dossiers resolved in the window, by resolvedAt', 'window', 'timeliness', 'processing'),
  overdueRatio: family('dvc_overdue_ratio', 'Overdue share of dossiers resolved in the window (absent when none resolved)', 'window'),
  open: family('dvc_dossiers_open', 'Open dossiers now, by state', 'state'),
  dueSoon: family('dvc_dossiers_due_soon', 'Open dossiers, not overdue, whose effective due time is within the period', 'within'),
  withdrawn: family('dvc_dossiers_withdrawn', 'Dossiers withdrawn in the window, by withdrawal time', 'window'),
  digitized: family('dvc_dossiers_digitized', 'Of the dossiers received in the window, how many are digitized', 'window'),
  payments: family('dvc_payments', 'Payments completed in the window, by paidAt', 'window', 'kind', 'channel'),
  paymentsVnd: family('dvc_payments_vnd', 'Amount paid in the window in VND, by paidAt', 'window', 'kind', 'channel'),
  reports: family('dvc_reports_submitted', 'Reports submitted in the window, by submittedAt', 'window', 'channel'),
  proceduresOnline: family('dvc_procedures_online_capable', 'Procedures published as online-capable, now'),
  teams: family('dvc_community_teams', 'Community technology teams registered, now', 'team_level'),
  teamMembers: family('dvc_community_team_members', 'Members of community technology teams, now', 'team_level'),
  carriedOver: family('dvc_dossiers_carried_over', 'Dossiers open when the window starts (received before it, not yet resolved or withdrawn)', 'window'),
  openAtEnd: family('dvc_dossiers_open_at_end', 'Fixed periods: dossiers open when the period ends', 'window'),
  receivedLate: family(
    'dvc_dossiers_received_late',
    'Online submissions officially received more than the allowed working days after submission (Decree 118/2025), by receivedAt',
    'window',
  ),
  receiptOverdue: family('dvc_dossiers_receipt_overdue', 'Online submissions past their receipt deadline and still not received, now'),
  extended: family('dvc_dossiers_extended', 'Deadline extensions with an apology letter, by extension time', 'window'),
  integrity: family('dvc_integrity_flags', 'Suspicious completions by reason (see docs/metrics.md for each rule)', 'window', 'reason'),
  proceduresWithOnline: family(
    'dvc_procedures_with_online_dossiers',
    'Online-capable procedures that received at least one online dossier in the window',
    'window',
  ),
  target: family('dvc_target', 'Target of a KPI for the unit in the window, from the targets file', 'kpi', 'window'),
} satisfies Record<string, UnitFamily>;

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
    let received = 0;
    for (const channel of CHANNELS) {
      const n = sum(Field.received(channel));
      emit('received', { ...labels, channel }, n);
      received += n;
    }
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
      // Open at the start = everything that ever entered minus left, less the window's own flows
      // (its entries are its receipts: day buckets keep no flow_in of their own).
      const net = (current?.get(Field.flowIn) ?? 0) - (current?.get(Field.flowOut) ?? 0);
      emit('carriedOver', labels, net - (received - sum(Field.flowOut)));
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
