import { evaluatedAfter, evaluationChainDepth, nextRoundEnd, type RuleGroupState } from './prometheus.js';

const group = (name: string, startedMs: number, tookMs = 500, recording = true): RuleGroupState => ({ name, recording, startedMs, tookMs, intervalMs: 3_000 });

describe('rounds of rule evaluation of the private Prometheus', () => {
  it('counts one round per recording group and one for the alerts', () => {
    expect(evaluationChainDepth([group('unit', 0), group('aggregates', 0), group('alerts', 0, 500, false)])).toBe(3);
    expect(evaluationChainDepth([group('alerts', 0, 500, false)])).toBe(1);
  });

  it('takes an evaluation as after a moment only when it started more than an interval after it (it reads the data of its tick)', () => {
    expect(evaluatedAfter(group('g', 13_000), 10_000)).toBe(false);
    expect(evaluatedAfter(group('g', 13_001), 10_000)).toBe(true);
    // Before its first evaluation Prometheus reports the zero time.
    expect(evaluatedAfter(group('g', Date.parse('0001-01-01T00:00:00Z')), 10_000)).toBe(false);
  });

  it('ends a round when every group has evaluated after the threshold, at the latest end of those evaluations', () => {
    expect(nextRoundEnd([group('a', 14_000, 200), group('b', 20_000, 7_500), group('c', 13_500, 100)], 10_000)).toBe(27_500);
    expect(nextRoundEnd([group('a', 14_000), group('slow', 12_000, 9_000)], 10_000)).toBeUndefined();
    expect(nextRoundEnd([], 10_000)).toBeUndefined();
  });
});
