import { Gauge, type Registry } from 'prom-client';
import { Field, CURRENT_BUCKET, INTEGRITY_REASONS, type UnitDirectory, type UnitInfo } from '@dvc/domain';
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
 * The metrics contract (ARCHITECTURE.md#metrics). Counts are the truth and ratios are derived; every
 * business series carries unit and level. Values are set from a fresh snapshot on each scrape,
 * so any number of projector instances show one truth.
 */
export class ProjectionMetrics {
  private readonly gauges: Gauge[] = [];
  private readonly received: Gauge;
  private readonly resolved: Gauge;
  private readonly overdueRatio: Gauge;
  private readonly open: Gauge;
  private readonly dueSoon: Gauge;
  private readonly withdrawn: Gauge;
  private readonly digitized: Gauge;
  private readonly payments: Gauge;
  private readonly paymentsVnd: Gauge;
  private readonly reports: Gauge;
  private readonly proceduresOnline: Gauge;
  private readonly teams: Gauge;
  private readonly teamMembers: Gauge;
  private readonly applied: Gauge;
  private readonly duplicates: Gauge;
  private readonly lastApplied: Gauge;
  private readonly lastEvent: Gauge;
  private readonly freshness: Gauge;
  private readonly clock: Gauge;
  private readonly units: Gauge;
  private readonly carriedOver: Gauge;
  private readonly openAtEnd: Gauge;
  private readonly receivedLate: Gauge;
  private readonly receiptOverdue: Gauge;
  private readonly extended: Gauge;
  private readonly integrity: Gauge;
  private readonly proceduresWithOnline: Gauge;
  private readonly target: Gauge;

  constructor(registry: Registry) {
    const gauge = (name: string, help: string, labelNames: string[]) => {
      const g = new Gauge({ name, help, labelNames, registers: [registry] });
      this.gauges.push(g);
      return g;
    };
    const unitLabels = ['unit', 'level'];
    this.received = gauge('dvc_dossiers_received', 'Dossiers received in the window, by receivedAt', [...unitLabels, 'window', 'channel']);
    this.resolved = gauge('dvc_dossiers_resolved', 'Dossiers resolved in the window, by resolvedAt', [...unitLabels, 'window', 'timeliness', 'processing']);
    this.overdueRatio = gauge('dvc_overdue_ratio', 'Overdue share of dossiers resolved in the window (absent when none resolved)', [...unitLabels, 'window']);
    this.open = gauge('dvc_dossiers_open', 'Open dossiers now, by state', [...unitLabels, 'state']);
    this.dueSoon = gauge('dvc_dossiers_due_soon', 'Open dossiers, not overdue, whose effective due time is within the period', [...unitLabels, 'within']);
    this.withdrawn = gauge('dvc_dossiers_withdrawn', 'Dossiers withdrawn in the window, by withdrawal time', [...unitLabels, 'window']);
    this.digitized = gauge('dvc_dossiers_digitized', 'Of the dossiers received in the window, how many are digitized', [...unitLabels, 'window']);
    this.payments = gauge('dvc_payments', 'Payments completed in the window, by paidAt', [...unitLabels, 'window', 'kind', 'channel']);
    this.paymentsVnd = gauge('dvc_payments_vnd', 'Amount paid in the window in VND, by paidAt', [...unitLabels, 'window', 'kind', 'channel']);
    this.reports = gauge('dvc_reports_submitted', 'Reports submitted in the window, by submittedAt', [...unitLabels, 'window', 'channel']);
    this.proceduresOnline = gauge('dvc_procedures_online_capable', 'Procedures published as online-capable, now', unitLabels);
    this.teams = gauge('dvc_community_teams', 'Community technology teams registered, now', [...unitLabels, 'team_level']);
    this.teamMembers = gauge('dvc_community_team_members', 'Members of community technology teams, now', [...unitLabels, 'team_level']);
    this.applied = gauge('dvc_projection_events_applied_total', 'Events applied to the projection, all units', ['type']);
    this.duplicates = gauge('dvc_projection_events_duplicate_total', 'Events recognised as already applied (same id), all units', ['type']);
    this.lastApplied = gauge('dvc_projection_last_applied_timestamp_seconds', 'Wall-clock time of the latest projection write', []);
    this.lastEvent = gauge('dvc_projection_last_event_timestamp_seconds', 'Latest business time applied by any unit (a signal, not the clock: see dvc_exporter_clock_timestamp_seconds)', []);
    this.freshness = gauge('dvc_projection_freshness_seconds', 'Seconds since the latest projection write', []);
    this.clock = gauge('dvc_exporter_clock_timestamp_seconds', 'The "now" the windows and open states were computed for', []);
    this.units = gauge('dvc_projection_units', 'Units known to the projection', []);
    this.carriedOver = gauge('dvc_dossiers_carried_over', 'Dossiers open when the window starts (received before it, not yet resolved or withdrawn)', [...unitLabels, 'window']);
    this.openAtEnd = gauge('dvc_dossiers_open_at_end', 'Fixed periods: dossiers open when the period ends', [...unitLabels, 'window']);
    this.receivedLate = gauge('dvc_dossiers_received_late', 'Online submissions officially received more than the allowed working days after submission (Decree 118/2025), by receivedAt', [...unitLabels, 'window']);
    this.receiptOverdue = gauge('dvc_dossiers_receipt_overdue', 'Online submissions past their receipt deadline and still not received, now', unitLabels);
    this.extended = gauge('dvc_dossiers_extended', 'Deadline extensions with an apology letter, by extension time', [...unitLabels, 'window']);
    this.integrity = gauge('dvc_integrity_flags', 'Suspicious completions by reason (see docs/metrics.md for each rule)', [...unitLabels, 'window', 'reason']);
    this.proceduresWithOnline = gauge('dvc_procedures_with_online_dossiers', 'Online-capable procedures that received at least one online dossier in the window', [...unitLabels, 'window']);
    this.target = gauge('dvc_target', 'Target of a KPI for the unit in the window, from the targets file', [...unitLabels, 'kpi', 'window']);
  }

  /**
   * Replaces every value with those of the snapshot taken at nowMs, labelled with the unit
   * directory and targets of this scrape (reference data reloads without a restart).
   */
  update(
    snapshots: readonly UnitSnapshot[],
    windows: readonly WindowSpec[],
    nowMs: number,
    wallMs: number,
    directory: UnitDirectory,
    targetsFor: (unit: UnitInfo, window: string) => readonly TargetValue[] = () => [],
  ): void {
    for (const g of this.gauges) g.reset();
    const appliedByType = new Map<string, number>();
    const duplicatesByType = new Map<string, number>();
    let lastAppliedMs = 0;
    let lastEventMs = 0;
    for (const snap of snapshots) {
      const info = directory.lookup(snap.unitId);
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
        for (const channel of CHANNELS) this.received.set({ ...labels, channel }, sum(Field.received(channel)));
        let resolved = 0;
        let overdue = 0;
        for (const timeliness of TIMELINESS) {
          for (const processing of PROCESSING) {
            const n = sum(Field.resolved(timeliness, processing));
            this.resolved.set({ ...labels, timeliness, processing }, n);
            resolved += n;
            if (timeliness === 'overdue') overdue += n;
          }
        }
        if (resolved > 0) this.overdueRatio.set(labels, overdue / resolved);
        this.withdrawn.set(labels, sum(Field.withdrawn));
        this.digitized.set(labels, sum(Field.digitized));
        for (const kind of PAYMENT_KINDS) {
          for (const channel of PAYMENT_CHANNELS) {
            this.payments.set({ ...labels, kind, channel }, sum(Field.payments(kind, channel)));
            this.paymentsVnd.set({ ...labels, kind, channel }, sum(Field.paymentsVnd(kind, channel)));
          }
        }
        for (const channel of REPORT_CHANNELS) this.reports.set({ ...labels, channel }, sum(Field.reports(channel)));
        this.receivedLate.set(labels, sum(Field.receivedLate));
        this.extended.set(labels, sum(Field.extended));
        for (const reason of INTEGRITY_REASONS) {
          if (reason === 'result_not_returned') continue;
          this.integrity.set({ ...labels, reason }, sum(Field.flag(reason)));
        }
        if (w.kind === 'rolling') {
          // Open at the start = everything that ever entered minus left, less the window's own flows.
          const net = (current?.get(Field.flowIn) ?? 0) - (current?.get(Field.flowOut) ?? 0);
          this.carriedOver.set(labels, net - (sum(Field.flowIn) - sum(Field.flowOut)));
          // Outstanding results are a now-signal: reported with the rolling window.
          this.integrity.set({ ...labels, reason: 'result_not_returned' }, snap.resultOverdue);
        } else {
          this.carriedOver.set(labels, sum(Field.carriedOver));
          this.openAtEnd.set(labels, sum(Field.openAtEnd));
        }
        const usedOnline = new Set<string>();
        for (const bucket of w.buckets) {
          for (const [field, n] of snap.buckets.get(bucket) ?? []) {
            if (n > 0 && field.startsWith(PROC_ONLINE)) usedOnline.add(field.slice(PROC_ONLINE.length));
          }
        }
        let used = 0;
        for (const procedure of capable) if (usedOnline.has(procedure)) used += 1;
        this.proceduresWithOnline.set(labels, used);
        for (const t of targetsFor(info, w.id)) this.target.set({ ...labels, kpi: t.kpi }, t.value);
      }
      this.open.set({ ...base, state: 'in_time' }, snap.open.inTime);
      this.open.set({ ...base, state: 'overdue' }, snap.open.overdue);
      this.open.set({ ...base, state: 'paused' }, snap.paused);
      this.dueSoon.set({ ...base, within: '24h' }, snap.open.dueWithin24h);
      this.proceduresOnline.set(base, capable.length);
      this.receiptOverdue.set(base, snap.receiptOverdue);
      for (const teamLevel of TEAM_LEVELS) {
        this.teams.set({ ...base, team_level: teamLevel }, current?.get(Field.teams(teamLevel)) ?? 0);
        this.teamMembers.set({ ...base, team_level: teamLevel }, current?.get(Field.teamMembers(teamLevel)) ?? 0);
      }
      for (const [field, n] of snap.meta) {
        if (field.startsWith('applied:')) appliedByType.set(field.slice(8), (appliedByType.get(field.slice(8)) ?? 0) + n);
        else if (field.startsWith('duplicate:')) duplicatesByType.set(field.slice(10), (duplicatesByType.get(field.slice(10)) ?? 0) + n);
      }
      lastAppliedMs = Math.max(lastAppliedMs, snap.meta.get('lastAppliedMs') ?? 0);
      lastEventMs = Math.max(lastEventMs, snap.meta.get('lastEventMs') ?? 0);
    }
    for (const [type, n] of appliedByType) this.applied.set({ type }, n);
    for (const [type, n] of duplicatesByType) this.duplicates.set({ type }, n);
    if (lastAppliedMs > 0) {
      this.lastApplied.set(lastAppliedMs / 1000);
      this.freshness.set(Math.max(0, wallMs - lastAppliedMs) / 1000);
    }
    if (lastEventMs > 0) this.lastEvent.set(lastEventMs / 1000);
    this.clock.set(nowMs / 1000);
    this.units.set(snapshots.length);
  }
}

/** Which units a scrape exports: every unit of the directory, and at most a fixed number of others. */
export interface ExportedUnits {
  unitIds: string[];
  /** Units not in the directory that are exported (the lowest ids). */
  unknownExported: number;
  /** Units not in the directory left out of the export (counted, not exported). */
  unknownDropped: number;
}

/**
 * Bounds the series a scrape creates: units missing from the directory (admitted in pilot mode,
 * or projected before the directory changed) are exported up to `maxUnknown`, the lowest ids
 * first so every scrape chooses the same ones; the rest are only counted.
 */
export function selectExportedUnits(unitIds: readonly string[], directory: UnitDirectory, maxUnknown: number): ExportedUnits {
  const known: string[] = [];
  const unknown: string[] = [];
  for (const id of unitIds) (directory.has(id) ? known : unknown).push(id);
  unknown.sort();
  const kept = unknown.slice(0, Math.max(0, maxUnknown));
  return { unitIds: [...known, ...kept].sort(), unknownExported: kept.length, unknownDropped: unknown.length - kept.length };
}
