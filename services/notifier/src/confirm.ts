import { isUnitAlert } from '@dvc/config';
import { PrometheusError, type ActiveAlert, type Prometheus } from '@dvc/metrics';

/**
 * Why the all-clear of a unit's alerts is not sent yet:
 * - `prometheus_unreachable`: Prometheus does not answer, so nothing says the breach ended (when
 *   Prometheus is down, Alertmanager resolves every alert a few minutes after its last word);
 * - `prometheus_starting`: Prometheus started too recently to have scraped and evaluated again
 *   (its alerts are empty right after a restart);
 * - `alert_active`: the alert is pending or firing again in Prometheus (its series are back);
 * - `data_unsound`: a critical alert of the monitoring system itself (an exporter or projector
 *   down, a stale or lost projection) is pending or firing: the unit's figures may be missing.
 */
export type DeferralReason = 'prometheus_unreachable' | 'prometheus_starting' | 'alert_active' | 'data_unsound';

export interface Deferral {
  reason: DeferralReason;
  /** For operators, in the delivery's record (`GET /v1/notices`). */
  message: string;
}

/** The labels of the alerts a resolved notice reports ended, as Alertmanager sent them. */
export type EndedAlerts = readonly Readonly<Record<string, string>>[];

/**
 * Whether an alert Prometheus holds now is one of the ended ones: the same rule and the same
 * labels. Alertmanager's copy may carry more (Prometheus' external labels), never fewer.
 */
function isSameAlert(active: ActiveAlert, ended: Readonly<Record<string, string>>): boolean {
  if (active.labels.alertname !== ended.alertname) return false;
  return Object.entries(active.labels).every(([name, value]) => ended[name] === value);
}

/**
 * Whether the end of `ended` may be told now, from what Prometheus holds (`active`, its start):
 * undefined when it may, else why not. Pure: `checkEnd` reads Prometheus for it.
 */
export function endDeferral(ended: EndedAlerts, active: readonly ActiveAlert[], startedAtMs: number, nowMs: number, settleMs: number): Deferral | undefined {
  const upMs = nowMs - startedAtMs;
  if (upMs < settleMs) {
    return {
      reason: 'prometheus_starting',
      message: `held: Prometheus started ${Math.round(upMs / 1000)} s ago; the alerts are read once it has run ${Math.round(settleMs / 1000)} s (scraped and evaluated its rules again)`,
    };
  }
  const again = active.find((a) => ended.some((e) => isSameAlert(a, e)));
  if (again !== undefined) {
    return {
      reason: 'alert_active',
      message: `held: ${again.labels.alertname} is ${again.state} again in Prometheus (active since ${again.activeAt}): the breach did not end`,
    };
  }
  const unsound = active.filter((a) => !isUnitAlert(a.labels) && a.labels.severity === 'critical');
  if (unsound.length > 0) {
    const names = [...new Set(unsound.map((a) => `${a.labels.alertname} (${a.state})`))].sort().join(', ');
    return {
      reason: 'data_unsound',
      message: `held: the figures may be missing or stale while the monitoring system's critical alerts are active: ${names}`,
    };
  }
  return undefined;
}

/**
 * Reads Prometheus and decides whether the end of `ended` may be told now (see `endDeferral`).
 * Prometheus not answering defers it too: an all-clear is sent only when the monitoring confirms it.
 */
export function endChecker(
  prometheus: Pick<Prometheus, 'alerts' | 'startedAt'>,
  prometheusUrl: string,
  settleMs: number,
): (ended: EndedAlerts, nowMs: number) => Promise<Deferral | undefined> {
  return async (ended, nowMs) => {
    let active: ActiveAlert[];
    let startedAtMs: number;
    try {
      [active, startedAtMs] = await Promise.all([prometheus.alerts(), prometheus.startedAt()]);
    } catch (error) {
      if (!(error instanceof PrometheusError)) throw error;
      return {
        reason: 'prometheus_unreachable',
        message: `held: Prometheus (${prometheusUrl}) cannot confirm the end: ${error.message}`,
      };
    }
    return endDeferral(ended, active, startedAtMs, nowMs, settleMs);
  };
}
