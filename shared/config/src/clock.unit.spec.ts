import { clockSetting, clockSpec, describeClock, eventWatermark } from './clock.js';
import { ConfigError, describeConfig, loadConfig } from './env.js';

const WALL = Date.parse('2026-12-03T09:00:00Z');
const JUNE_22 = Date.parse('2022-06-22T10:00:00Z');
const Y2099 = Date.parse('2099-01-01T00:00:00Z');

const settingOf = (env: Record<string, string>) => clockSetting(loadConfig(clockSpec, env));

describe('clock settings', () => {
  it('defaults to the wall clock', () => {
    expect(settingOf({})).toEqual({ mode: 'wall' });
    expect(settingOf({ CLOCK: 'event' })).toEqual({ mode: 'event' });
  });

  it('pins now at CLOCK_AS_OF, an RFC 3339 instant with its offset', () => {
    expect(settingOf({ CLOCK_AS_OF: '2022-06-22T17:00:00+07:00' })).toEqual({ mode: 'as-of', asOfMs: JUNE_22 });
    expect(settingOf({ CLOCK: 'wall', CLOCK_AS_OF: ' 2022-06-22T10:00:00.000Z ' })).toEqual({ mode: 'as-of', asOfMs: JUNE_22 });
  });

  it('refuses CLOCK_AS_OF with CLOCK=event, naming both', () => {
    let error: unknown;
    try {
      settingOf({ CLOCK: 'event', CLOCK_AS_OF: '2022-06-22T17:00:00+07:00' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'CLOCK_AS_OF pins the clock at 2022-06-22T10:00:00.000Z and cannot be combined with CLOCK=event (unset one of them)',
    ]);
  });

  it('refuses an instant that is not one, with the reason', () => {
    expect(() => settingOf({ CLOCK_AS_OF: '2022-06-22' })).toThrow(
      "CLOCK_AS_OF must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00, got '2022-06-22'",
    );
    expect(() => settingOf({ CLOCK_AS_OF: '2022-02-30T00:00:00Z' })).toThrow("CLOCK_AS_OF day 30 does not exist in 2022-02, got '2022-02-30T00:00:00Z'");
    expect(() => settingOf({ CLOCK: 'sundial' })).toThrow("CLOCK must be one of wall, event, got 'sundial'");
  });

  it('describes itself for health bodies and logs', () => {
    expect(describeClock({ mode: 'wall' })).toEqual({ mode: 'wall' });
    expect(describeClock({ mode: 'event' })).toEqual({ mode: 'event' });
    expect(describeClock({ mode: 'as-of', asOfMs: JUNE_22 })).toEqual({ mode: 'as-of', asOf: '2022-06-22T10:00:00.000Z' });
  });

  it('says in --help that CLOCK_AS_OF is unset by default', () => {
    expect(describeConfig('x', clockSpec)).toMatch(/CLOCK_AS_OF .*not with CLOCK=event \[default: unset\]/);
  });
});

describe('event-time watermark', () => {
  const hours = (n: number) => JUNE_22 + n * 3_600_000;

  it('is the lower median of the units’ latest business times', () => {
    expect(eventWatermark([hours(3), hours(1), hours(2)], WALL)).toBe(hours(2));
    expect(eventWatermark([hours(4), hours(1), hours(3), hours(2)], WALL)).toBe(hours(2));
  });

  it('does not move when one unit has an event dated 2099', () => {
    const units = [hours(0), hours(1), hours(2), hours(3), hours(4)];
    const before = eventWatermark(units, WALL);
    expect(before).toBe(hours(2));
    expect(eventWatermark([...units.slice(0, 4), Y2099], WALL)).toBe(hours(2));
    // A sixth unit made of nothing but the outlier shifts it to the next genuine unit at most.
    expect(eventWatermark([...units, Y2099], WALL)).toBe(hours(2));
    // Two units of which one is the outlier: still the genuine one.
    expect(eventWatermark([hours(0), Y2099], WALL)).toBe(hours(0));
  });

  it('moves only when more than half of the units move', () => {
    expect(eventWatermark([hours(0), hours(1), Y2099, Y2099], WALL)).toBe(hours(1));
    expect(eventWatermark([hours(0), Y2099, Y2099], WALL)).toBe(WALL);
  });

  it('never passes the wall clock, even for a single unit (a pilot)', () => {
    expect(eventWatermark([Y2099], WALL)).toBe(WALL);
    expect(eventWatermark([hours(5)], WALL)).toBe(hours(5));
    expect(eventWatermark([WALL + 1, WALL + 2, WALL + 3], WALL)).toBe(WALL);
  });

  it('is the wall clock while no unit has applied an event', () => {
    expect(eventWatermark([], WALL)).toBe(WALL);
    expect(eventWatermark([Number.NaN], WALL)).toBe(WALL);
  });
});
