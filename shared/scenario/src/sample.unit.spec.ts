import { validateEvent } from '@dvc/domain';
import { SAMPLE_UNITS, localDayStart, sampleDay, sampleEvents } from './sample.js';

const at = (iso: string): number => Date.parse(iso);

/** The start-up sample of a plain `npm start` (sample.ts). */
describe('the start-up sample', () => {
  const morning = sampleEvents({ now: at('2026-12-05T08:00:00+07:00') });

  it('is the same events, ids included, at every instant of one local day: a second start that day counts nothing twice', () => {
    expect(sampleEvents({ now: at('2026-12-05T00:00:00+07:00') })).toEqual(morning);
    expect(sampleEvents({ now: at('2026-12-05T23:59:59.999+07:00') })).toEqual(morning);
    expect(morning[0]!.id).toBe('SAMPLE-20261205-0-received-0');
  });

  it("is another set of events on another day (the day's tag in every id)", () => {
    const next = sampleEvents({ now: at('2026-12-06T00:00:00+07:00') });
    expect(next[0]!.id).toBe('SAMPLE-20261206-0-received-0');
    const ids = new Set(morning.map((e) => e.id));
    expect(next.filter((e) => ids.has(e.id))).toEqual([]);
  });

  it('covers the ten days before the local day, every event valid under the contract, each id once', () => {
    expect(morning).toHaveLength(632);
    expect(morning.filter((e) => e.type === 'vn.dvc.dossier.submitted').map((e) => e.subject)).toEqual(
      [0, 1, 2, 3, 4].map((r) => `SAMPLE-20261205-online-${r}`),
    );
    const times = morning.map((e) => Date.parse(e.time));
    expect(Math.max(...times)).toBeLessThan(at('2026-12-05T00:00:00+07:00'));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(at('2026-11-25T00:00:00+07:00'));
    expect(new Set(morning.map((e) => e.id)).size).toBe(morning.length);
    expect(morning.filter((e) => !validateEvent(e).ok)).toEqual([]);
    expect(new Set(morning.map((e) => e.unitid))).toEqual(new Set(SAMPLE_UNITS));
  });

  it('takes the day in Vietnam (UTC+7), not in UTC', () => {
    // 17:00 UTC on 4 December is 00:00 on 5 December in Vietnam.
    expect(localDayStart(at('2026-12-04T17:00:00Z'))).toBe(at('2026-12-05T00:00:00+07:00'));
    expect(localDayStart(at('2026-12-04T16:59:59.999Z'))).toBe(at('2026-12-04T00:00:00+07:00'));
    expect(sampleDay(at('2026-12-04T17:00:00Z'))).toBe('2026-12-05');
  });
});
