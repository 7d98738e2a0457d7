import { isUnitAlert } from '@dvc/config';
import type { ActiveAlert } from '@dvc/metrics';

/** An alert of the monitoring system itself, as the board shows it above every page. */
export interface HealthAlert {
  /** The rule's name (`ExporterDown`), for operators. */
  name: string;
  /** `critical`: figures missing or out of date; `warning`: something to act on (the calendar, dead letters, lag). */
  severity: string;
  /** The rule's Vietnamese title (`title_vi`), else its name. */
  title: string;
  /** Its Vietnamese summary (`summary_vi`), else the English one, else empty. */
  summary: string;
  /** Since when it holds (RFC 3339). */
  since: string;
}

const SEVERITY_ORDER = ['critical', 'warning', 'info'];

/**
 * The alerts about the system rather than a unit (no `unit` and no `kpi` label) firing now, most
 * severe first, then the oldest first. A key scoped to units gets only the critical ones, which
 * say its figures are missing or out of date; the others (the calendar running out, dead letters,
 * consumer lag) are the operations team's to act on.
 */
export function systemAlerts(alerts: readonly ActiveAlert[], allUnits: boolean): HealthAlert[] {
  const rank = (severity: string) => {
    const i = SEVERITY_ORDER.indexOf(severity);
    return i === -1 ? SEVERITY_ORDER.length : i;
  };
  return alerts
    .filter((a) => a.state === 'firing' && !isUnitAlert(a.labels))
    .filter((a) => allUnits || a.labels.severity === 'critical')
    .map((a) => ({
      name: a.labels.alertname ?? '',
      severity: a.labels.severity ?? '',
      title: a.annotations.title_vi ?? a.labels.alertname ?? '',
      summary: a.annotations.summary_vi ?? a.annotations.summary ?? '',
      since: a.activeAt,
    }))
    .sort((x, y) => rank(x.severity) - rank(y.severity) || x.since.localeCompare(y.since) || x.name.localeCompare(y.name));
}
