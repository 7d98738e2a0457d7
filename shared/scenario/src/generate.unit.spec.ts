import { createHash } from 'node:crypto';
import { CLOCK, FIGURES, generateBinhPhuoc2022 } from './generate.js';

const sha256 = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * The golden check of the move from scripts/scenario/generate.mjs to TypeScript (and onto the
 * domain's calendar): for seed 2022 the events and the expected figures are byte for byte those
 * the JavaScript generator produced (hashes taken from it before the move). A change that
 * alters them must say so here, and `npm run demo:reset` is then needed once.
 */
describe('the Bình Phước 2022 scenario, seed 2022', () => {
  const { events, expected } = generateBinhPhuoc2022({ seed: 2022 });

  it('has the events of the JavaScript generator, byte for byte', () => {
    expect(events).toHaveLength(455_847);
    expect(sha256(events)).toBe('0f8ec110631cc1f699cfdfccb0d8b88d9362f2ecab31d4d08fa7f64d3a09093f');
  });

  it('has its expected figures, byte for byte', () => {
    expect(sha256(expected)).toBe('ce5ae4a672585e16bd089b2d6f193c37227d96343c925234859a4ee89562feb3');
    expect(expected.clock).toBe(CLOCK);
    expect([
      expected.received,
      expected.carriedOver,
      expected.resolved,
      expected.resolvedOverdue,
      expected.open,
      expected.openOverdue,
      expected.withdrawn,
    ]).toEqual([FIGURES.received, FIGURES.carriedOver, FIGURES.resolved, FIGURES.resolvedOverdue, FIGURES.open, FIGURES.openOverdue, FIGURES.withdrawn]);
  });
});
