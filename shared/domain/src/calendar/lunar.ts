/**
 * The Vietnamese lunar calendar (âm lịch), computed from astronomy, on local day numbers (days
 * since 1970-01-01, the numbering of the DayIndexer):
 *
 * - a lunar month begins on the civil day (UTC+7) that holds the astronomical new moon;
 * - the month that holds the December solstice (apparent solar longitude 270°) is month 11;
 * - when 13 months run from one month 11 to the next, the first of them after month 11 that
 *   holds no major solar term (a multiple of 30° of solar longitude) is a leap month and repeats
 *   the number of the month before it.
 *
 * New moons follow J. Meeus, Astronomical Algorithms (2nd ed.), ch. 49 (mean lunation with the
 * periodic and planetary corrections, a few seconds of error over these centuries); the solar
 * longitude follows ch. 25's low-accuracy formula (about 0.01°, i.e. a quarter of an hour).
 * ΔT (dynamical minus universal time) is approximated by the Espenak–Meeus polynomials, within
 * about a minute from 1950 to 2150. A new moon or solar term that falls within minutes of a local
 * midnight could land on the wrong day; the official years 2022–2026 are checked in the tests.
 */

const RAD = Math.PI / 180;
const DAY_MS = 86_400_000;
/** Julian Day of 1970-01-01T00:00Z, where day number 0 starts in UTC. */
const JD_UNIX_EPOCH = 2_440_587.5;
/** Vietnam's civil time (UTC+7) in days: the lunar calendar is defined for it, not for UTC+8. */
const ZONE_OFFSET_DAYS = 7 / 24;
const MEAN_LUNATION = 29.530588861;
/** JDE of the mean new moon of 2000-01-06, lunation k = 0 (Meeus 49.1). */
const K0_JDE = 2_451_550.09766;

const sin = (degrees: number): number => Math.sin(degrees * RAD);

/** ΔT in seconds for a (fractional) year: Espenak–Meeus polynomials, long-term parabola outside 1950–2150. */
function deltaTSeconds(year: number): number {
  if (year >= 1950 && year < 2050) {
    const t = year - 2000;
    return 62.92 + 0.32217 * t + 0.005589 * t * t;
  }
  const u = (year - 1820) / 100;
  if (year >= 2050 && year < 2150) return -20 + 32 * u * u - 0.5628 * (2150 - year);
  return -20 + 32 * u * u;
}

const deltaTDays = (jd: number): number => deltaTSeconds(2000 + (jd - 2_451_545) / 365.25) / 86_400;

/** Periodic terms of a new moon (Meeus table 49.A): coefficient, power of E, multiples of M, M', F, Ω. */
const NEW_MOON_TERMS: readonly (readonly [number, number, number, number, number, number])[] = [
  [-0.4072, 0, 0, 1, 0, 0],
  [0.17241, 1, 1, 0, 0, 0],
  [0.01608, 0, 0, 2, 0, 0],
  [0.01039, 0, 0, 0, 2, 0],
  [0.00739, 1, -1, 1, 0, 0],
  [-0.00514, 1, 1, 1, 0, 0],
  [0.00208, 2, 2, 0, 0, 0],
  [-0.00111, 0, 0, 1, -2, 0],
  [-0.00057, 0, 0, 1, 2, 0],
  [0.00056, 1, 1, 2, 0, 0],
  [-0.00042, 0, 0, 3, 0, 0],
  [0.00042, 1, 1, 0, 2, 0],
  [0.00038, 1, 1, 0, -2, 0],
  [-0.00024, 1, -1, 2, 0, 0],
  [-0.00017, 0, 0, 0, 0, 1],
  [-0.00007, 0, 2, 1, 0, 0],
  [0.00004, 0, 0, 2, -2, 0],
  [0.00004, 0, 3, 0, 0, 0],
  [0.00003, 0, 1, 1, -2, 0],
  [0.00003, 0, 0, 2, 2, 0],
  [-0.00003, 0, 1, 1, 2, 0],
  [0.00003, 0, -1, 1, 2, 0],
  [-0.00002, 0, -1, 1, -2, 0],
  [-0.00002, 0, 1, 3, 0, 0],
  [0.00002, 0, 0, 4, 0, 0],
];

/** Planetary arguments of a new moon (Meeus 49): coefficient, A at k = 0, A per lunation. */
const PLANETARY_TERMS: readonly (readonly [number, number, number])[] = [
  [0.000325, 299.77, 0.107408],
  [0.000165, 251.88, 0.016321],
  [0.000164, 251.83, 26.651886],
  [0.000126, 349.42, 36.412478],
  [0.00011, 84.66, 18.206239],
  [0.000062, 141.74, 53.303771],
  [0.00006, 207.14, 2.453732],
  [0.000056, 154.84, 7.30686],
  [0.000047, 34.52, 27.261239],
  [0.000042, 207.19, 0.121824],
  [0.00004, 291.34, 1.844379],
  [0.000037, 161.72, 24.198154],
  [0.000035, 239.56, 25.513099],
  [0.000023, 331.55, 3.592518],
];

/** Julian Ephemeris Day of the true new moon of lunation k (k = 0: 2000-01-06). */
export function newMoonJde(k: number): number {
  const t = k / 1236.85;
  const t2 = t * t;
  const t3 = t2 * t;
  const t4 = t3 * t;
  const mean = K0_JDE + MEAN_LUNATION * k + 0.00015437 * t2 - 0.00000015 * t3 + 0.00000000073 * t4;
  const e = 1 - 0.002516 * t - 0.0000074 * t2;
  const m = 2.5534 + 29.1053567 * k - 0.0000014 * t2 - 0.00000011 * t3;
  const mPrime = 201.5643 + 385.81693528 * k + 0.0107582 * t2 + 0.00001238 * t3 - 0.000000058 * t4;
  const f = 160.7108 + 390.67050284 * k - 0.0016118 * t2 - 0.00000227 * t3 + 0.000000011 * t4;
  const omega = 124.7746 - 1.56375588 * k + 0.0020672 * t2 + 0.00000215 * t3;
  let correction = 0;
  for (const [coefficient, ePower, nM, nMPrime, nF, nOmega] of NEW_MOON_TERMS) {
    correction += coefficient * e ** ePower * sin(nM * m + nMPrime * mPrime + nF * f + nOmega * omega);
  }
  const planetary = PLANETARY_TERMS.reduce((sum, [coefficient, a0, perK], i) => {
    const a = a0 + perK * k + (i === 0 ? -0.009173 * t2 : 0);
    return sum + coefficient * sin(a);
  }, 0);
  return mean + correction + planetary;
}

/** Apparent geometric longitude of the Sun in degrees [0, 360) at a Julian Ephemeris Day (Meeus 25). */
export function sunLongitude(jde: number): number {
  const t = (jde - 2_451_545) / 36_525;
  const l0 = 280.46646 + 36_000.76983 * t + 0.0003032 * t * t;
  const m = 357.52911 + 35_999.05029 * t - 0.0001537 * t * t;
  const center = (1.914602 - 0.004817 * t - 0.000014 * t * t) * sin(m) + (0.019993 - 0.000101 * t) * sin(2 * m) + 0.000289 * sin(3 * m);
  const omega = 125.04 - 1934.136 * t;
  const apparent = l0 + center - 0.00569 - 0.00478 * sin(omega);
  return ((apparent % 360) + 360) % 360;
}

/** The local (UTC+7) day number on which lunation k's new moon falls. */
function newMoonDay(k: number): number {
  const jdUt = newMoonJde(k) - deltaTDays(K0_JDE + MEAN_LUNATION * k);
  return Math.floor(jdUt - JD_UNIX_EPOCH + ZONE_OFFSET_DAYS);
}

/** The solar longitude at the local (UTC+7) midnight that starts a day. */
function sunLongitudeAtStartOf(day: number): number {
  const jdUt = JD_UNIX_EPOCH + day - ZONE_OFFSET_DAYS;
  return sunLongitude(jdUt + deltaTDays(jdUt));
}

/** The lunation whose month holds the December solstice of a Gregorian year: month 11. */
function month11Lunation(year: number): number {
  const lastDay = Date.UTC(year, 11, 31) / DAY_MS;
  let k = Math.floor((lastDay + JD_UNIX_EPOCH - K0_JDE) / MEAN_LUNATION);
  while (newMoonDay(k + 1) <= lastDay) k += 1;
  while (newMoonDay(k) > lastDay) k -= 1;
  // A month that starts after the solstice (longitude already past 270°) does not hold it.
  if (sunLongitudeAtStartOf(newMoonDay(k)) >= 270) k -= 1;
  return k;
}

export interface LunarMonth {
  /** 1–12; a leap month repeats the number of the month before it. */
  month: number;
  leap: boolean;
  /** Local day number of its first day (mùng 1). */
  firstDay: number;
  /** 29 or 30. */
  length: number;
}

/**
 * The months from the month 11 that holds the December solstice of `year - 1` up to, not
 * including, the one of `year`: 11, 12, 1, 2, … 10, with a leap month among them when 13 fit.
 */
function monthsFromSolsticeTo(year: number): LunarMonth[] {
  const first = month11Lunation(year - 1);
  const count = month11Lunation(year) - first;
  const majorTermSector = (k: number): number => Math.floor(sunLongitudeAtStartOf(newMoonDay(k)) / 30);
  let leapOffset = Number.POSITIVE_INFINITY;
  if (count === 13) {
    for (let i = 1; i < 13; i++) {
      if (majorTermSector(first + i) === majorTermSector(first + i + 1)) {
        leapOffset = i;
        break;
      }
    }
  }
  return Array.from({ length: count }, (_, i) => {
    const numbered = i < leapOffset ? i : i - 1;
    const firstDay = newMoonDay(first + i);
    return { month: ((10 + numbered) % 12) + 1, leap: i === leapOffset, firstDay, length: newMoonDay(first + i + 1) - firstDay };
  });
}

/**
 * The local day number of a Vietnamese lunar date. `lunarYear` is the year that begins at Tết in
 * January or February of the same Gregorian year; its months 11 and 12 run into the next one.
 * Throws a RangeError for a month or day that the year does not have.
 */
export function lunarToSolarDay(lunarYear: number, month: number, day: number, leap = false): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`lunar month ${month} is not 1–12`);
  // Months 11 and 12 of the year open the span that ends at the next year's month 11.
  const found = monthsFromSolsticeTo(month >= 11 ? lunarYear + 1 : lunarYear).find((m) => m.month === month && m.leap === leap);
  if (found === undefined) throw new RangeError(`lunar year ${lunarYear} has no leap month ${month}`);
  if (!Number.isInteger(day) || day < 1 || day > found.length) {
    throw new RangeError(`lunar month ${month}${leap ? ' (leap)' : ''} of ${lunarYear} has ${found.length} days, not day ${day}`);
  }
  return found.firstDay + day - 1;
}

/** Tết Nguyên đán: the local day number of the first day of the first lunar month of a year. */
export function lunarNewYearDay(year: number): number {
  return lunarToSolarDay(year, 1, 1);
}
