import { systemAlerts } from './health.js';
import type { ActiveAlert } from '@dvc/metrics';

const alert = (
  labels: Record<string, string>,
  activeAt: string,
  state: ActiveAlert['state'] = 'firing',
  annotations: Record<string, string> = {},
): ActiveAlert => ({
  labels,
  annotations,
  state,
  activeAt,
});

describe('systemAlerts', () => {
  const alerts = [
    alert({ alertname: 'DvcCalendarEnding', severity: 'warning' }, '2026-11-02T00:00:00Z', 'firing', {
      title_vi: 'Lịch sắp hết',
      summary_vi: 'Lịch kết thúc 31/12/2026',
    }),
    alert({ alertname: 'ProjectionStale', severity: 'critical' }, '2026-12-05T10:00:00Z', 'firing', { title_vi: 'Số liệu không được cập nhật' }),
    alert({ alertname: 'ExporterDown', severity: 'critical', instance: '127.0.0.1:9464' }, '2026-12-05T09:00:00Z', 'firing', {
      summary: 'Metrics exporter is down',
    }),
    alert({ alertname: 'ProjectorDown', severity: 'critical' }, '2026-12-05T08:00:00Z', 'pending'),
    alert({ alertname: 'OverdueRatioAboveTarget', severity: 'warning', unit: 'dn.dongxoai', kpi: 'overdue_ratio' }, '2026-12-01T00:00:00Z'),
    alert({ alertname: 'OverdueRatioAboveTargetProvinceWide', severity: 'warning', kpi: 'overdue_ratio' }, '2026-12-01T00:00:00Z'),
    alert({ alertname: 'OpenDossiersOverdue', severity: 'warning', unit: 'dn.stc', level: 'province' }, '2026-12-01T00:00:00Z'),
  ];

  it('lists the firing alerts about the system itself (no unit, no KPI), critical first, then the oldest, with their Vietnamese texts', () => {
    expect(systemAlerts(alerts, true)).toEqual([
      { name: 'ExporterDown', severity: 'critical', title: 'ExporterDown', summary: 'Metrics exporter is down', since: '2026-12-05T09:00:00Z' },
      { name: 'ProjectionStale', severity: 'critical', title: 'Số liệu không được cập nhật', summary: '', since: '2026-12-05T10:00:00Z' },
      { name: 'DvcCalendarEnding', severity: 'warning', title: 'Lịch sắp hết', summary: 'Lịch kết thúc 31/12/2026', since: '2026-11-02T00:00:00Z' },
    ]);
  });

  it('gives a key scoped to units the critical ones only: its figures are missing or out of date', () => {
    expect(systemAlerts(alerts, false).map((a) => a.name)).toEqual(['ExporterDown', 'ProjectionStale']);
    expect(systemAlerts([], true)).toEqual([]);
  });
});
