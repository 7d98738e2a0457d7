/**
 * Whether an alert concerns units (a unit's, a level's or the province's targets and dossiers:
 * it carries a `unit` or a `kpi` label) rather than the monitoring system itself (services down,
 * stale or lost data, the calendar, dead letters: neither label). The rules of
 * infra/prometheus/rules are written so; the notifier holds only unit alerts' resolutions, and the
 * ops board shows only the system's alerts above its pages.
 */
export function isUnitAlert(labels: Readonly<Record<string, string>>): boolean {
  return labels.unit !== undefined || labels.kpi !== undefined;
}
