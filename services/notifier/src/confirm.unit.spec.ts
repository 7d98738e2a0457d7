import { prometheusClient, type ActiveAlert } from '@dvc/metrics';
import { endChecker, endDeferral } from './confirm.js';

const NOW = Date.parse('2026-12-05T10:00:00Z');
const SETTLE = 300_000;
const UP_SINCE = NOW - 3_600_000;

const ended = [
  { alertname: 'OverdueRatioAboveTarget', unit: 'dn.dongxoai', level: 'commune', window: '14d', kpi: 'overdue_ratio', severity: 'warning', region: 'vn' },
];
const active = (labels: Record<string, string>, state: ActiveAlert['state'] = 'firing'): ActiveAlert => ({
  labels,
  annotations: {},
  state,
  activeAt: '2026-12-05T09:58:00Z',
});

describe('endDeferral: whether the monitoring confirms that a unit alert ended', () => {
  it('confirms when Prometheus has run long enough, does not hold the alert and holds no critical alert of the system', () => {
    const others = [
      active({ alertname: 'OverdueRatioAboveTarget', unit: 'dn.tanphu', level: 'commune', window: '14d', kpi: 'overdue_ratio', severity: 'warning' }),
      active({ alertname: 'OverdueBudgetFastBurn', unit: 'dn.dongxoai', kpi: 'overdue_ratio', severity: 'critical' }),
      active({ alertname: 'DvcCalendarEnding', severity: 'warning' }),
    ];
    expect(endDeferral(ended, others, UP_SINCE, NOW, SETTLE)).toBeUndefined();
  });

  it('holds while Prometheus started less than the settling time ago (no alert evaluated yet)', () => {
    expect(endDeferral(ended, [], NOW - 40_000, NOW, SETTLE)).toEqual({
      reason: 'prometheus_starting',
      message: 'held: Prometheus started 40 s ago; the alerts are read once it has run 300 s (scraped and evaluated its rules again)',
    });
  });

  it('holds while the alert is pending or firing again: its labels without the external ones Alertmanager adds', () => {
    const { region: _external, ...labels } = ended[0]!;
    for (const state of ['pending', 'firing'] as const) {
      expect(endDeferral(ended, [active(labels, state)], UP_SINCE, NOW, SETTLE)).toEqual({
        reason: 'alert_active',
        message: `held: OverdueRatioAboveTarget is ${state} again in Prometheus (active since 2026-12-05T09:58:00Z): the breach did not end`,
      });
    }
    // Another window of the same unit is another alert.
    expect(endDeferral(ended, [active({ ...labels, window: '30d' })], UP_SINCE, NOW, SETTLE)).toBeUndefined();
  });

  it("holds while a critical alert of the monitoring system is pending or firing: the unit's figures may be missing", () => {
    const system = [
      active({ alertname: 'ProjectionStale', severity: 'critical' }, 'pending'),
      active({ alertname: 'ExporterDown', severity: 'critical', instance: '127.0.0.1:9464' }),
      active({ alertname: 'ExporterDown', severity: 'critical', instance: '127.0.0.1:9465' }),
      active({ alertname: 'NotifierDown', severity: 'warning' }),
    ];
    expect(endDeferral(ended, system, UP_SINCE, NOW, SETTLE)).toEqual({
      reason: 'data_unsound',
      message:
        "held: the figures may be missing or stale while the monitoring system's critical alerts are active: ExporterDown (firing), ProjectionStale (pending)",
    });
  });
});

describe('endChecker: reads Prometheus', () => {
  it('holds when Prometheus does not answer, naming it', async () => {
    const check = endChecker(prometheusClient('http://127.0.0.1:9', 1000), 'http://127.0.0.1:9', SETTLE);
    const deferral = await check(ended, NOW);
    expect(deferral?.reason).toBe('prometheus_unreachable');
    expect(deferral?.message).toMatch(
      /^held: Prometheus \(http:\/\/127\.0\.0\.1:9\) cannot confirm the end: Prometheus did not answer \/api\/v1\/(alerts|status\/runtimeinfo): /,
    );
  });

  it('decides from the alerts and the start Prometheus reports', async () => {
    const prometheus = {
      alerts: () => Promise.resolve([active({ alertname: 'ExporterDown', severity: 'critical' })]),
      startedAt: () => Promise.resolve(UP_SINCE),
    };
    expect((await endChecker(prometheus, 'http://prom', SETTLE)(ended, NOW))?.reason).toBe('data_unsound');
    expect(await endChecker({ ...prometheus, alerts: () => Promise.resolve([]) }, 'http://prom', SETTLE)(ended, NOW)).toBeUndefined();
  });
});
