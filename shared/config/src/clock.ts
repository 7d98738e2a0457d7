import { parseTimestamp } from '@dvc/domain';
import { ConfigError, oneOf, type VarSpec } from './env.js';

/**
 * What "now" is for every reader of the projection (exporter, notifier, CLI):
 * - `wall`: the wall clock;
 * - `event`: the event-time watermark of the live projection (see `eventWatermark`);
 * - `as-of`: a fixed instant from the configuration (a demo or a replay of a known history).
 */
export type ClockMode = 'wall' | 'event' | 'as-of';

export type ClockSetting = { mode: 'wall' } | { mode: 'event' } | { mode: 'as-of'; asOfMs: number };

/** An RFC 3339 instant with an offset (impossible dates refused); unset by default. */
const instant = (doc: string): VarSpec<number | undefined> => ({
  doc,
  default: undefined,
  parse: (raw) => {
    const parsed = parseTimestamp(raw.trim());
    return parsed.ok ? { ok: true, value: parsed.ms } : { ok: false, reason: `${parsed.reason}, got '${raw}'` };
  },
});

/** The clock settings every reader of the projection shares. */
export const clockSpec = {
  CLOCK: oneOf(
    'wall: now is the wall clock; event: now is the event-time watermark (the median over units of their latest applied business time, never past the wall clock)',
    'wall',
    ['wall', 'event'] as const,
  ),
  CLOCK_AS_OF: instant('pins now at this RFC 3339 instant, e.g. 2022-06-22T17:00:00+07:00 (demos, replays); not with CLOCK=event'),
};

/**
 * The clock the settings describe. CLOCK_AS_OF with CLOCK=event is a contradiction (two
 * different answers to "now"): refused with a ConfigError naming both variables.
 */
export function clockSetting(config: { CLOCK: 'wall' | 'event'; CLOCK_AS_OF: number | undefined }): ClockSetting {
  if (config.CLOCK_AS_OF === undefined) return { mode: config.CLOCK };
  if (config.CLOCK === 'event') {
    throw new ConfigError([
      `CLOCK_AS_OF pins the clock at ${new Date(config.CLOCK_AS_OF).toISOString()} and cannot be combined with CLOCK=event (unset one of them)`,
    ]);
  }
  return { mode: 'as-of', asOfMs: config.CLOCK_AS_OF };
}

/**
 * The event-time watermark: the lower median of the units' latest applied business times,
 * never later than the wall clock; the wall clock when no unit has applied anything yet.
 *
 * Why the median: the latest time over all units (the old event clock) follows the single most
 * extreme event, so one event dated 2099 moved it to 2099 and emptied every window. The lower
 * median only moves when more than half of the units move: outliers on fewer than half of them
 * can only shift it to another genuine unit's time (one outlier at most to the neighbouring
 * one), never to the outlier's. The wall clock bounds it in any case. With one unit (a pilot) the median is that unit's latest time,
 * so an outlier there still moves it, up to the wall clock and no further: a pilot should run
 * with the wall clock or pin CLOCK_AS_OF. The watermark is recomputed from the projection on
 * each read, so it may step back when a unit with older events joins.
 */
export function eventWatermark(latestByUnit: readonly number[], wallMs: number): number {
  const known = latestByUnit.filter((ms) => Number.isFinite(ms)).sort((a, b) => a - b);
  const median = known[Math.floor((known.length - 1) / 2)];
  return median === undefined ? wallMs : Math.min(median, wallMs);
}

/** The clock as services report it (health bodies, start-up logs): its mode, and the pinned instant. */
export function describeClock(clock: ClockSetting): { mode: ClockMode; asOf?: string } {
  return clock.mode === 'as-of' ? { mode: clock.mode, asOf: new Date(clock.asOfMs).toISOString() } : { mode: clock.mode };
}
