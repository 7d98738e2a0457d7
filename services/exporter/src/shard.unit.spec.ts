import { inShard, shardSpec } from './shard.js';

const spec = shardSpec('test');

describe('EXPORTER_SHARD', () => {
  it('reads i/n and refuses anything else with the rule', () => {
    expect(spec.parse('2/3')).toEqual({ ok: true, value: { index: 2, count: 3 } });
    expect(spec.parse(' 0 / 1 ')).toEqual({ ok: true, value: { index: 0, count: 1 } });
    for (const bad of ['3/3', '0/0', '1', '-1/2', 'a/b', '0/1025', '1/2/3']) {
      expect(spec.parse(bad)).toEqual({ ok: false, reason: `must be i/n with 0 <= i < n <= 1024 (this exporter's part of the units), got '${bad}'` });
    }
    expect(spec.default).toEqual({ index: 0, count: 1 });
  });

  it('puts every unit in exactly one shard, the same one every time, and spreads them', () => {
    const units = Array.from({ length: 3000 }, (_, i) => `unit-${i}`);
    const sizes = [0, 1, 2].map((index) => units.filter((u) => inShard({ index, count: 3 }, u)).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
    for (const size of sizes) expect(Math.abs(size - 1000)).toBeLessThan(150);
    // FNV-1a of 'a' is 0xe40c292c = 3826002220, which is 0 modulo 4 (a fixed, documented hash).
    expect(inShard({ index: 0, count: 4 }, 'a')).toBe(true);
    expect(units.every((u) => inShard({ index: 0, count: 1 }, u))).toBe(true);
  });
});
