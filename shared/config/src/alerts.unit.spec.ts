import { isUnitAlert } from './alerts.js';

describe('isUnitAlert', () => {
  it("is a unit's alert with a unit or a KPI label (a level's and the province's too), the system's without", () => {
    expect(isUnitAlert({ alertname: 'OverdueRatioAboveTarget', unit: 'dn.dongxoai', kpi: 'overdue_ratio' })).toBe(true);
    expect(isUnitAlert({ alertname: 'OpenDossiersOverdue', unit: 'dn.stc', level: 'province' })).toBe(true);
    expect(isUnitAlert({ alertname: 'OverdueRatioAboveTargetProvinceWide', kpi: 'overdue_ratio' })).toBe(true);
    expect(isUnitAlert({ alertname: 'ExporterDown', severity: 'critical', instance: '127.0.0.1:9464' })).toBe(false);
    expect(isUnitAlert({ alertname: 'DvcCalendarEnding', severity: 'warning' })).toBe(false);
  });
});
