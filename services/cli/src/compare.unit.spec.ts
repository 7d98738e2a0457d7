import { comparableSeries, diffSeries } from './compare.js';

describe('series comparison', () => {
  it('compares the projection series only, not wall-clock, redelivery or exporter series', () => {
    expect(comparableSeries('dvc_dossiers_received{unit="a"}')).toBe(true);
    expect(comparableSeries('dvc_exporter_clock_timestamp_seconds')).toBe(true);
    expect(comparableSeries('dvc_projection_last_applied_timestamp_seconds')).toBe(false);
    expect(comparableSeries('dvc_projection_freshness_seconds')).toBe(false);
    expect(comparableSeries('dvc_projection_events_duplicate_total{type="x"}')).toBe(false);
    expect(comparableSeries('dvc_exporter_scrape_seconds_bucket{le="0.1"}')).toBe(false);
    expect(comparableSeries('dvc_exporter_namespace_info{namespace="dvc"}')).toBe(false);
    expect(comparableSeries('process_cpu_seconds_total')).toBe(false);
  });

  it('lists every differing, missing and extra series in order, NaN equal to NaN', () => {
    const live = new Map([
      ['dvc_a{unit="u"}', 1],
      ['dvc_b{unit="u"}', 2],
      ['dvc_c', Number.NaN],
      ['dvc_projection_freshness_seconds', 10],
    ]);
    const rebuilt = new Map([
      ['dvc_a{unit="u"}', 1],
      ['dvc_b{unit="u"}', 3],
      ['dvc_c', Number.NaN],
      ['dvc_d{unit="v"}', 0],
      ['dvc_projection_freshness_seconds', 99],
    ]);
    expect(diffSeries(live, rebuilt)).toEqual([
      { where: 'dvc_b{unit="u"}', live: '2', rebuilt: '3' },
      { where: 'dvc_d{unit="v"}', live: 'absent', rebuilt: '0' },
    ]);
    expect(diffSeries(live, new Map())).toEqual([
      { where: 'dvc_a{unit="u"}', live: '1', rebuilt: 'absent' },
      { where: 'dvc_b{unit="u"}', live: '2', rebuilt: 'absent' },
      { where: 'dvc_c', live: 'NaN', rebuilt: 'absent' },
    ]);
  });
});
