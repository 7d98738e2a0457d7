import { Gauge, type Registry } from 'prom-client';
import type { UnitDirectory, UnitInfo } from '@dvc/domain';
import type { UnitSnapshot } from '@dvc/read-model';
import { UNIT_FAMILIES, UNIT_FAMILY_IDS, unitSeries, type EmitSeries, type TargetValue, type UnitFamilyId, type WindowSpec } from './unit-series.js';

export type { TargetValue, WindowSpec } from './unit-series.js';

/** What the projection-wide series are computed from: sums and latest times over the exported units' meta. */
export class MetaTotals {
  readonly applied = new Map<string, number>();
  readonly duplicates = new Map<string, number>();
  lastAppliedMs = 0;
  lastEventMs = 0;
  units = 0;

  /** Adds one unit's meta hash. */
  add(meta: ReadonlyMap<string, number>): void {
    this.units += 1;
    for (const [field, n] of meta) {
      if (field.startsWith('applied:')) this.applied.set(field.slice(8), (this.applied.get(field.slice(8)) ?? 0) + n);
      else if (field.startsWith('duplicate:')) this.duplicates.set(field.slice(10), (this.duplicates.get(field.slice(10)) ?? 0) + n);
    }
    this.lastAppliedMs = Math.max(this.lastAppliedMs, meta.get('lastAppliedMs') ?? 0);
    this.lastEventMs = Math.max(this.lastEventMs, meta.get('lastEventMs') ?? 0);
  }

  /** Adds the totals of other units (e.g. one unit's, kept from an earlier scrape). */
  merge(other: MetaTotals): void {
    this.units += other.units;
    for (const [type, n] of other.applied) this.applied.set(type, (this.applied.get(type) ?? 0) + n);
    for (const [type, n] of other.duplicates) this.duplicates.set(type, (this.duplicates.get(type) ?? 0) + n);
    this.lastAppliedMs = Math.max(this.lastAppliedMs, other.lastAppliedMs);
    this.lastEventMs = Math.max(this.lastEventMs, other.lastEventMs);
  }

  /** The totals of one unit's meta hash. */
  static of(meta: ReadonlyMap<string, number>): MetaTotals {
    const totals = new MetaTotals();
    totals.add(meta);
    return totals;
  }
}

/**
 * The projection-wide series of the contract (events applied, freshness, the unit count):
 * computed once per scrape from the units' meta totals, never per unit.
 */
export class ProjectionTotals {
  private readonly gauges: Gauge[] = [];
  private readonly applied: Gauge;
  private readonly duplicates: Gauge;
  private readonly lastApplied: Gauge;
  private readonly lastEvent: Gauge;
  private readonly freshness: Gauge;
  private readonly units: Gauge;

  constructor(registry: Registry) {
    const gauge = (name: string, help: string, labelNames: string[]) => {
      const g = new Gauge({ name, help, labelNames, registers: [registry] });
      this.gauges.push(g);
      return g;
    };
    this.applied = gauge('dvc_projection_events_applied_total', 'Events applied to the projection, all units', ['type']);
    this.duplicates = gauge('dvc_projection_events_duplicate_total', 'Events recognised as already applied (same id), all units', ['type']);
    this.lastApplied = gauge('dvc_projection_last_applied_timestamp_seconds', 'Wall-clock time of the latest projection write', []);
    this.lastEvent = gauge(
      'dvc_projection_last_event_timestamp_seconds',
      'Latest business time applied by any unit (a signal, not the clock: see dvc_exporter_clock_timestamp_seconds)',
      [],
    );
    this.freshness = gauge('dvc_projection_freshness_seconds', 'Seconds since the latest projection write', []);
    this.units = gauge('dvc_projection_units', 'Units known to the projection', []);
  }

  update(totals: MetaTotals, wallMs: number): void {
    for (const g of this.gauges) g.reset();
    for (const [type, n] of totals.applied) this.applied.set({ type }, n);
    for (const [type, n] of totals.duplicates) this.duplicates.set({ type }, n);
    if (totals.lastAppliedMs > 0) {
      this.lastApplied.set(totals.lastAppliedMs / 1000);
      this.freshness.set(Math.max(0, wallMs - totals.lastAppliedMs) / 1000);
    }
    if (totals.lastEventMs > 0) this.lastEvent.set(totals.lastEventMs / 1000);
    this.units.set(totals.units);
  }
}

/** `dvc_exporter_clock_timestamp_seconds`: the now the series were computed for. */
export class ClockMetric {
  private readonly clock: Gauge;

  constructor(registry: Registry) {
    this.clock = new Gauge({
      name: 'dvc_exporter_clock_timestamp_seconds',
      help: 'The "now" the windows and open states were computed for',
      registers: [registry],
    });
  }

  update(nowMs: number): void {
    this.clock.set(nowMs / 1000);
  }
}

/**
 * The metrics contract (ARCHITECTURE.md#metrics) on prom-client gauges: every unit's series
 * (`unitSeries`) and the projection-wide ones (`ProjectionTotals`). Values are set from a fresh
 * snapshot on each update, so any number of projector instances show one truth.
 */
export class ProjectionMetrics {
  private readonly unitGauges: Record<UnitFamilyId, Gauge>;
  private readonly totals: ProjectionTotals;
  private readonly clock: ClockMetric;

  constructor(registry: Registry) {
    const gauges: Partial<Record<UnitFamilyId, Gauge>> = {};
    for (const id of UNIT_FAMILY_IDS) {
      const family = UNIT_FAMILIES[id];
      gauges[id] = new Gauge({ name: family.name, help: family.help, labelNames: [...family.labelNames], registers: [registry] });
    }
    this.unitGauges = gauges as Record<UnitFamilyId, Gauge>;
    this.totals = new ProjectionTotals(registry);
    this.clock = new ClockMetric(registry);
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
    for (const id of UNIT_FAMILY_IDS) this.unitGauges[id].reset();
    const totals = new MetaTotals();
    const emit: EmitSeries = (family, labels, value) => this.unitGauges[family].set(labels, value);
    for (const snap of snapshots) {
      const info = directory.lookup(snap.unitId);
      unitSeries(snap, info, windows, (window) => targetsFor(info, window), emit);
      totals.add(snap.meta);
    }
    this.totals.update(totals, wallMs);
    this.clock.update(nowMs);
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
