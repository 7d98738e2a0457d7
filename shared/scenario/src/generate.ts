// The Bình Phước 2022 scenario: a realistic event history for the province's units whose
// figures for the report period 1 May – 22 June 2022 are exactly those of the June 2022
// meeting (docs: ../../../shared/seed/README.md; here: FIGURES below).
//
// How the figures are met: every dossier is given a fate first (carried over / received in
// the period × resolved in May or June, on time or overdue / withdrawn / still open: paused,
// in time or overdue), with the counts of each fate fixed in PLAN; then its times are built
// to satisfy that fate under the timeliness rules (effective due = dueAt or receivedAt +
// processingDays working days, plus supplement pauses; >1 supplement request = overdue;
// extensions change nothing). Afterwards reference.mjs recomputes everything from the events
// alone and generateBinhPhuoc2022 throws if a single number differs. Working days are the
// domain's calendar (createWorkCalendar), the same the projector counts due times with.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATA_DIR, ZONE } from '@dvc/config';
import { createDayIndexer, createWorkCalendar, type CalendarYear, type UnitRecord } from '@dvc/domain';
import { createRng, type Rng } from './rng.js';
import { countFigures, type Amount, type Figures } from './reference.js';
import type { ScenarioEvent } from './event.js';

export type { ScenarioEvent };

/** The expected figures: the recount, with the scenario's name, seed, period and the ratios of the meeting. */
export interface ExpectedFigures extends Figures {
  scenario: 'binh-phuoc-2022';
  seed: number;
  window: string;
  period: { from: string; to: string };
  units: Record<GroupName, number>;
  overdueRatio: number;
  overdueRatioRounded: number;
  overdueRatioBeforeJune: number;
  processedOnlineShareMay: number;
  feeOnline: Amount;
  landObligationOnline: Amount;
  provinceUtilization: { onlineCapable: number; withOnlineDossiers: number; ratio: number };
}

export interface GenerateOptions {
  /** PRNG seed (default 2022): same seed, same events and ids. */
  seed?: number;
  /** The unit directory (default: the repository's units.json). */
  units?: readonly UnitRecord[] | { units: readonly UnitRecord[] };
  /** The official calendar years (default: the repository's calendar/YYYY.json). */
  calendarYears?: readonly CalendarYear[];
}

type GroupName = 'dept' | 'district' | 'land' | 'commune';
type Origin = 'new' | 'carried' | 'history';
type Channel = 'online' | 'direct' | 'postal';

interface Procedure {
  id: string;
  days: number;
  onlineCapable: boolean;
  obligation: boolean;
  weight: number;
  noOnline: boolean;
}

interface Catalogs {
  dept: Map<string, Procedure[]>;
  district: Procedure[];
  land: Procedure[];
  commune: Procedure[];
  mustReceiveOnline: { unitId: string; p: Procedure }[];
}

/** A dossier while its fate and times are built: R received, D0 base due, T resolved, W withdrawn (ms). */
interface Dossier {
  origin: Origin;
  group: GroupName;
  unit: UnitRecord;
  channel: Channel;
  proc: Procedure;
  R: number;
  id: string;
  dueMode: 'dueAt' | 'days';
  dueAtMs: number;
  D0: number;
  /** Supplement pauses: [requested, received (undefined while paused)]. */
  supp: [number, number | undefined][];
  /** A deadline extension: [at, new due]. */
  ext: [number, number] | undefined;
  T: number | undefined;
  W: number | undefined;
  fate: 'resolved' | 'withdrawn' | 'open' | undefined;
  overdue: boolean;
  closing?: boolean;
  processedOnline?: boolean;
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const VN = 7 * HOUR; // Asia/Ho_Chi_Minh: UTC+7, no daylight saving time

export const PERIOD = Object.freeze({ id: 'bp-2022-report', from: '2022-05-01', to: '2022-06-22' });
/** The instant the figures are computed at: the latest event of the scenario, exactly. The demo pins CLOCK_AS_OF to it. */
export const CLOCK = '2022-06-22T17:00:00+07:00';

/** The figures of the June 2022 meeting, for PERIOD at CLOCK (the seed README). */
export const FIGURES = Object.freeze({
  received: 40_689,
  carriedOver: 52_379,
  resolved: 43_645,
  resolvedOverdue: 1_265,
  open: 49_392,
  openOverdue: 21,
  withdrawn: 31,
  feeOnline: { count: 113, vnd: 17_000_000 },
  landObligationOnline: { count: 4_889, vnd: 75_362_418_000 },
  reportsOnline: 13,
  teams: { commune: { teams: 111, members: 1_080 }, village: { teams: 844, members: 5_520 } },
  provinceOnlineCapable: 271,
  provinceWithOnlineDossiers: 259,
});

/** How the figures split over fates (choices of this scenario, also checked). */
export const PLAN = Object.freeze({
  // 3.78% overdue among dossiers resolved before 1 June (the article), 2.90% at 22 June.
  resolvedMay: 24_000,
  resolvedMayOverdue: 907,
  // Processed online (resolved through the electronic workflow): the article's "from 90.18% when
  // the campaign started to 100% by 22 June". The campaign's 22 days and nights began on 1 June,
  // so 90.18% of the dossiers resolved in May (21,643 / 24,000) and every dossier resolved from
  // 1 June on.
  processedOnlineMay: 21_643,
  new: { resolvedMay: 9_000, resolvedMayOverdue: 307, resolvedJune: 17_670, resolvedJuneOverdue: 208, withdrawn: 19, open: 14_000, openOverdue: 12 },
  carried: { resolvedMay: 15_000, resolvedMayOverdue: 600, resolvedJune: 1_975, resolvedJuneOverdue: 150, withdrawn: 12, open: 35_392, openOverdue: 9 },
  // Dossiers received and closed before the period: history the carried-over count must exclude.
  history: { resolved: 18_000, resolvedOverdueShare: 0.035, withdrawn: 25 },
  feeOffline: { period: 2_600, before: 1_400 },
  landObligationOffline: { period: 5_200, before: 2_600 },
  landObligationOnlineBefore: 900,
  feeOnlineBefore: 40,
  reports: { offline: 31, onlineBefore: 6, offlineBefore: 44 },
});

const DOSSIER_STEPS = [
  'submitted',
  'received',
  'supplement_requested',
  'supplement_received',
  'deadline_extended',
  'resolved',
  'result_returned',
  'withdrawn',
  'digitized',
] as const;
type DossierStep = (typeof DOSSIER_STEPS)[number];
const DOSSIER_TYPE = Object.fromEntries(DOSSIER_STEPS.map((k) => [k, `vn.dvc.dossier.${k}`])) as Record<DossierStep, string>;
const SOURCE = {
  portal: 'https://dichvucong.binhphuoc.gov.vn',
  catalog: 'https://dichvucong.binhphuoc.gov.vn/thu-tuc-hanh-chinh',
  payment: 'urn:vn:dvc:binhphuoc:payment-platform',
  gris: 'urn:vn:gov:gris',
  community: 'https://dichvucong.binhphuoc.gov.vn/to-cong-nghe-cong-dong',
};

// ---- time ------------------------------------------------------------------------------

const at = (isoLocal: string): number => Date.parse(`${isoLocal}+07:00`);
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const isoDates = new Map<number, string>();
/** RFC 3339 local time with the +07:00 offset, whole seconds (the format of every scenario time). */
export const iso = (ms: number): string => {
  const local = ms + VN;
  const day = Math.floor(local / DAY);
  let date = isoDates.get(day);
  if (date === undefined) isoDates.set(day, (date = new Date(day * DAY).toISOString().slice(0, 10)));
  const s = Math.floor((local - day * DAY) / SEC);
  return `${date}T${TWO[Math.floor(s / 3600)]}:${TWO[Math.floor(s / 60) % 60]}:${TWO[s % 60]}+07:00`;
};
const yymmdd = (ms: number): string => new Date(ms + VN).toISOString().slice(2, 10).replace(/-/g, '');

const CLOCK_MS = Date.parse(CLOCK);
const PERIOD_START = at(`${PERIOD.from}T00:00:00`);
const MAY_END = at('2022-05-31T17:00:00');
const JUNE_START = at('2022-06-01T00:00:00');
const LAST = CLOCK_MS - MIN; // every event but the closing one is at most this late
const MARGIN = 30 * MIN; // distance kept from every timeliness boundary

function loadJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The unit directory (default: the repository's infra/data/units.json). */
export function loadUnits(file: string = join(DEFAULT_DATA_DIR, 'units.json')): UnitRecord[] {
  return (loadJson(file) as { units: UnitRecord[] }).units;
}

/** The official calendar years (default: the repository's infra/data/calendar/YYYY.json). */
export function loadCalendarYears(dir: string = join(DEFAULT_DATA_DIR, 'calendar')): CalendarYear[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}\.json$/.test(f))
    .sort()
    .map((f) => loadJson(join(dir, f)) as CalendarYear);
}

// ---- procedure catalogs ----------------------------------------------------------------

// Land registration branch procedures: [English gist, processing working days, online-capable,
// carries a land-use financial obligation, popularity].
const LAND_PROCEDURES: readonly [string, number, boolean, boolean, number][] = [
  ['mortgage registration (đăng ký thế chấp)', 1, true, false, 14],
  ['mortgage deregistration (xóa đăng ký thế chấp)', 1, true, false, 8],
  ['transfer of land-use rights (chuyển nhượng)', 10, true, true, 16],
  ['donation of land-use rights (tặng cho)', 10, true, true, 6],
  ['inheritance of land-use rights (thừa kế)', 10, true, true, 4],
  ['certificate exchange (cấp đổi GCN)', 7, true, false, 6],
  ['certificate reissue after loss (cấp lại GCN)', 10, true, false, 2],
  ['registration of changes (đăng ký biến động)', 10, true, false, 5],
  ['parcel split or merger (tách thửa, hợp thửa)', 15, true, false, 8],
  ['first registration and certificate (cấp GCN lần đầu)', 30, false, true, 8],
  ['land-use purpose change (chuyển mục đích sử dụng đất)', 15, false, true, 5],
  ['certificate correction (đính chính GCN)', 10, true, false, 2],
  ['land information extract (cung cấp thông tin đất đai)', 3, true, false, 5],
  ['extension of land use (gia hạn sử dụng đất)', 7, true, true, 1],
  ['registration of attached assets (đăng ký tài sản gắn liền)', 15, true, true, 3],
  ['exchange of agricultural land (chuyển đổi QSDĐ nông nghiệp)', 10, true, true, 1],
  ['confirmation of continued agricultural use', 7, true, false, 1],
  ['registration of land lease (đăng ký cho thuê)', 10, false, false, 1],
  ['capital contribution with land-use rights (góp vốn)', 10, false, true, 1],
  ['sale of assets on leased land', 30, false, true, 0.5],
];

function buildCatalogs(rng: Rng, groups: Record<GroupName, UnitRecord[]>): Catalogs {
  let code = 0;
  const nextCode = (prefix: string): string => {
    code += 1;
    return `${prefix}.00${String(2000 + code).padStart(4, '0')}.000.00.00.H10`;
  };
  const pickDays = rng.weighted([1, 3, 5, 7, 10, 12, 15, 20, 30], [1, 3, 4, 3, 5, 2, 4, 3, 2]);
  const proc = (id: string, days: number, onlineCapable: boolean, obligation: boolean, weight: number): Procedure => ({
    id,
    days,
    onlineCapable,
    obligation,
    weight,
    noOnline: false,
  });

  // Province level: every department its own procedures; 271 online-capable in all.
  const deptWeights = groups.dept.map(() => rng.logNormal(0, 0.6));
  const capableCounts = largestRemainder(FIGURES.provinceOnlineCapable, deptWeights, 1);
  const dept = new Map<string, Procedure[]>();
  groups.dept.forEach((unit, i) => {
    const list: Procedure[] = [];
    const capable = capableCounts[i] as number;
    const other = Math.round(capable * (0.5 + rng.next())) + rng.int(1, 4);
    for (let k = 0; k < capable + other; k++) list.push(proc(nextCode('1'), pickDays(), k < capable, false, rng.logNormal(0, 1)));
    dept.set(unit.id, list);
  });
  // The online-capable province procedures that received no online dossier in the period.
  const allCapable = [...dept.entries()].flatMap(([unitId, list]) => list.filter((p) => p.onlineCapable).map((p) => ({ unitId, p })));
  rng.shuffle(allCapable);
  const idle = FIGURES.provinceOnlineCapable - FIGURES.provinceWithOnlineDossiers;
  allCapable.slice(0, idle).forEach(({ p }) => (p.noOnline = true));
  const mustReceiveOnline = allCapable.slice(idle).map(({ unitId, p }) => ({ unitId, p }));

  const shared = (prefix: string, n: number, capable: number, daysPicker: () => number): Procedure[] =>
    Array.from({ length: n }, (_, k) => proc(nextCode(prefix), daysPicker(), k < capable, false, rng.logNormal(0, 1)));
  const district = shared('2', 44, 26, rng.weighted([1, 2, 3, 5, 7, 10, 15, 20], [2, 2, 3, 4, 3, 4, 3, 2]));
  const commune = shared('2', 32, 18, rng.weighted([0, 1, 2, 3, 5, 7, 10, 15], [3, 4, 3, 3, 3, 2, 2, 1]));
  const land = LAND_PROCEDURES.map(([, days, online, obligation, weight]) => proc(nextCode('1'), days, online, obligation, weight));
  return { dept, district, land, commune, mustReceiveOnline };
}

/** Splits total into integer parts proportional to weights, each at least min. */
function largestRemainder(total: number, weights: readonly number[], min = 0): number[] {
  const rest = total - min * weights.length;
  if (rest < 0) throw new Error(`cannot split ${total} into ${weights.length} parts of at least ${min}`);
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (rest * w) / sum);
  const parts = exact.map((x) => Math.floor(x));
  let left = rest - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i): [number, number] => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) (parts[(order[k % order.length] as [number, number])[1]] as number) += 1;
  return parts.map((p) => p + min);
}

/** Adjusts values (multiples of step in [lo, hi]) by random ±step moves until they sum to total. */
function exactSum(rng: Rng, values: number[], total: number, lo: number, hi: number, step = 1): number[] {
  const n = values.length;
  let diff = total - values.reduce((a, b) => a + b, 0);
  if (diff % step !== 0) throw new Error(`total ${total} is not a multiple of ${step}`);
  for (let guard = 0; diff !== 0; guard++) {
    if (guard > 10_000_000) throw new Error(`cannot reach ${total} with ${n} values in [${lo}, ${hi}]`);
    const i = rng.int(0, n - 1);
    const v = values[i] as number;
    if (diff > 0 && v + step <= hi) {
      values[i] = v + step;
      diff -= step;
    } else if (diff < 0 && v - step >= lo) {
      values[i] = v - step;
      diff += step;
    }
  }
  return values;
}

// ---- the generator -----------------------------------------------------------------------

/** The scenario's events (in time order) and its expected figures, recounted and checked; throws on any mismatch. */
export function generateBinhPhuoc2022(options: GenerateOptions = {}): { events: ScenarioEvent[]; expected: ExpectedFigures } {
  const seed = options.seed ?? 2022;
  const given = options.units;
  const unitRecords: readonly UnitRecord[] = given === undefined ? loadUnits() : 'units' in given ? given.units : given;
  const calendarYears = options.calendarYears ?? loadCalendarYears();
  const rng = createRng(seed);
  const days = createDayIndexer(ZONE);
  const cal = createWorkCalendar(calendarYears, days);
  const dayOf = days.dayOf;
  const dayStart = days.startOfDayMs;
  const dayFromIso = days.dayFromIso;

  // Working days of 2022 (the scenario's year), for sampling times in office hours.
  const workingDays: number[] = [];
  for (let d = dayFromIso('2022-01-01'); d <= dayFromIso('2022-12-31'); d++) if (cal.isWorkingDay(d)) workingDays.push(d);
  const firstIndexAtOrAfter = (day: number): number => {
    let lo = 0;
    let hi = workingDays.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((workingDays[mid] as number) < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** Seconds into a day at office hours: 07:30–11:30 and 13:30–17:00. */
  const officeOffset = (): number => {
    const m = rng.int(0, 449);
    const minute = m < 240 ? 450 + m : 810 + (m - 240);
    return (minute * 60 + rng.int(0, 59)) * SEC;
  };
  const uniformSec = (a: number, b: number): number | undefined => {
    const lo = Math.ceil(a / SEC);
    const hi = Math.floor(b / SEC);
    if (hi < lo) return undefined;
    return (lo + rng.int(0, hi - lo)) * SEC;
  };
  /** A whole-second instant in [a, b], in office hours of a working day when possible. */
  const officeBetween = (a: number, b: number): number | undefined => {
    if (!(b >= a)) return undefined;
    const i0 = firstIndexAtOrAfter(dayOf(a));
    const i1 = firstIndexAtOrAfter(dayOf(b) + 1) - 1;
    if (i1 >= i0) {
      for (let tries = 0; tries < 16; tries++) {
        const t = dayStart(workingDays[rng.int(i0, i1)] as number) + officeOffset();
        if (t >= a && t <= b) return t;
      }
    }
    return uniformSec(a, b);
  };
  const must = (t: number | undefined, what: string): number => {
    if (t === undefined) throw new Error(`scenario construction failed: no instant for ${what}`);
    return t;
  };
  /** A working day from [from, to] (local dates) with weights by position, at office hours. */
  const dayPicker = (from: string, to: string, weightAt: (x: number) => number): (() => number) => {
    const days = workingDays.filter((d) => d >= dayFromIso(from) && d <= dayFromIso(to));
    return rng.weighted(
      days,
      days.map((_, i) => weightAt(days.length === 1 ? 1 : i / (days.length - 1))),
    );
  };

  // ---- units -----------------------------------------------------------------------------
  const valid = (u: UnitRecord): boolean =>
    (u.id === 'bp' || u.id.startsWith('bp.')) && (u.validFrom ?? '0000') <= '2022-01-01' && (u.validTo ?? '9999') >= PERIOD.to;
  const live = unitRecords.filter(valid).sort((a, b) => (a.id < b.id ? -1 : 1));
  const groups: Record<GroupName, UnitRecord[]> = {
    dept: live.filter((u) => u.level === 'province' && u.kind === 'department'),
    district: live.filter((u) => u.kind === 'district_desk'),
    land: live.filter((u) => u.kind === 'land_registration_branch'),
    commune: live.filter((u) => u.kind === 'commune_desk'),
  };
  for (const [name, list] of Object.entries(groups)) {
    if (list.length === 0) throw new Error(`unit directory has no Bình Phước ${name} units valid in 2022`);
  }
  const catalogs = buildCatalogs(rng, groups);
  const catalogOf = (group: GroupName, unit: UnitRecord): Procedure[] => (group === 'dept' ? (catalogs.dept.get(unit.id) as Procedure[]) : catalogs[group]);
  const pickerCache = new Map<string, (() => Procedure) | null>();
  const procedurePicker = (group: GroupName, unit: UnitRecord, online: boolean): (() => Procedure) | null => {
    const key = `${group === 'dept' ? unit.id : group}\n${online}`;
    let picker = pickerCache.get(key);
    if (picker === undefined) {
      const list = catalogOf(group, unit).filter((p) => !online || (p.onlineCapable && !p.noOnline));
      picker =
        list.length === 0
          ? null
          : rng.weighted(
              list,
              list.map((p) => p.weight),
            );
      pickerCache.set(key, picker);
    }
    return picker;
  };
  const unitPickers = Object.fromEntries(
    Object.entries(groups).map(([name, list]) => [
      name,
      rng.weighted(
        list,
        list.map(() => rng.logNormal(0, 0.5)),
      ),
    ]),
  );
  // Per group: share of dossiers by origin, channel mix, digitization, fee-bearing share.
  const G: Record<GroupName, { shares: Record<Origin, number>; online: number; postal: number; digitized: number }> = {
    dept: { shares: { new: 0.18, carried: 0.11, history: 0.2 }, online: 0.58, postal: 0.04, digitized: 0.92 },
    district: { shares: { new: 0.12, carried: 0.09, history: 0.12 }, online: 0.36, postal: 0.02, digitized: 0.78 },
    land: { shares: { new: 0.4, carried: 0.66, history: 0.38 }, online: 0.27, postal: 0.01, digitized: 0.74 },
    commune: { shares: { new: 0.3, carried: 0.14, history: 0.3 }, online: 0.21, postal: 0, digitized: 0.48 },
  };
  const groupNames = Object.keys(G) as GroupName[];
  const groupPicker = Object.fromEntries(
    (['new', 'carried', 'history'] as const).map((origin) => [
      origin,
      rng.weighted(
        groupNames,
        groupNames.map((g) => G[g].shares[origin]),
      ),
    ]),
  );
  const receiptDay = {
    new: dayPicker('2022-05-01', '2022-06-22', (x) => 1 + 0.25 * x),
    carried: dayPicker('2022-01-04', '2022-04-29', (x) => 0.2 + 1.6 * x * x),
    history: dayPicker('2022-01-04', '2022-04-28', (x) => 1 - 0.5 * x),
  };

  // ---- dossiers --------------------------------------------------------------------------
  const seqByUnitDay = new Map<string, number>();
  const dossierId = (unit: UnitRecord, R: number): string => {
    const key = `${unit.id}-${yymmdd(R)}`;
    const n = (seqByUnitDay.get(key) ?? 0) + 1;
    seqByUnitDay.set(key, n);
    return `${key}-${String(n).padStart(4, '0')}`;
  };
  const dueFor = (d: Dossier): void => {
    if (d.dueMode === 'dueAt') {
      d.dueAtMs = dayStart(cal.addWorkingDays(dayOf(d.R), d.proc.days)) + 17 * HOUR;
      d.D0 = d.dueAtMs;
    } else {
      d.D0 = dayStart(cal.addWorkingDays(dayOf(d.R), d.proc.days) + 1) - 1; // end of the due day
    }
  };
  const mustReceiveOnline = [...catalogs.mustReceiveOnline];
  const makeDossier = (origin: Origin, fixed: { group?: GroupName; unit?: UnitRecord; channel?: Channel; proc?: Procedure; R?: number } = {}): Dossier => {
    const group = fixed.group ?? (groupPicker[origin] as () => GroupName)();
    let unit = fixed.unit ?? (unitPickers[group] as () => UnitRecord)();
    let channel: Channel =
      fixed.channel ?? (rng.chance(G[group].online) ? 'online' : rng.chance(G[group].postal / (1 - G[group].online)) ? 'postal' : 'direct');
    let proc: Procedure;
    if (channel === 'online' && origin === 'new' && group === 'dept' && mustReceiveOnline.length > 0 && fixed.proc === undefined) {
      const forced = mustReceiveOnline.pop() as { unitId: string; p: Procedure };
      unit = groups.dept.find((u) => u.id === forced.unitId) as UnitRecord;
      proc = forced.p;
    } else if (fixed.proc !== undefined) {
      proc = fixed.proc;
    } else {
      const picker = procedurePicker(group, unit, channel === 'online');
      if (picker === null) channel = 'direct';
      proc = (picker ?? (procedurePicker(group, unit, false) as () => Procedure))();
    }
    let R = fixed.R;
    if (R === undefined) {
      const day = receiptDay[origin]();
      do R = dayStart(day) + officeOffset();
      while (R > at('2022-06-22T16:30:00'));
    }
    const received: number = R;
    const d: Dossier = {
      origin,
      group,
      unit,
      channel,
      proc,
      R: received,
      id: dossierId(unit, received),
      dueMode: proc.days === 0 ? (received - dayStart(dayOf(received)) <= 15 * HOUR ? 'dueAt' : 'days') : rng.chance(0.25) ? 'days' : 'dueAt',
      dueAtMs: 0,
      D0: 0,
      supp: [],
      ext: undefined,
      T: undefined,
      W: undefined,
      fate: undefined,
      overdue: false,
    };
    dueFor(d);
    return d;
  };

  // ---- fate builders: each makes its dossier's times satisfy the fate ---------------------
  const closedPause = (d: Dossier, lo: number, hi: number): void => {
    if (hi - lo < 2 * HOUR) return;
    const S = must(officeBetween(lo, hi - HOUR), 'pause start');
    const X = must(officeBetween(S + 30 * MIN, hi), 'pause end');
    d.supp.push([S, X]);
  };
  const resolveOnTime = (d: Dossier, tLo: number, tHi: number): void => {
    tLo = Math.max(tLo, d.R + 30 * MIN);
    const beforeDue = Math.min(tHi, d.D0 - MARGIN);
    if (beforeDue > tLo) {
      d.T = must(officeBetween(tLo, beforeDue), 'on-time resolution');
      if (rng.chance(0.07)) closedPause(d, d.R + 10 * MIN, d.T - 10 * MIN);
    } else {
      // Resolved after the due time on the slip but on time: the supplement pause covers it.
      d.T = must(officeBetween(tLo, tHi), 'on-time resolution after a pause');
      const need = d.T - d.D0 + MARGIN;
      const S = must(officeBetween(d.R + 10 * MIN, Math.min(d.D0, d.T) - MARGIN - HOUR), 'pause start (on time)');
      d.supp.push([S, must(officeBetween(S + need, d.T - 10 * MIN), 'pause end (on time)')]);
    }
    d.fate = 'resolved';
  };
  const resolveOverdue = (d: Dossier, tLo: number, tHi: number): void => {
    tLo = Math.max(tLo, d.R + 30 * MIN);
    const lateLo = Math.max(tLo, d.D0 + MARGIN + MIN);
    if (lateLo + HOUR < tHi && !rng.chance(0.12)) {
      // Late: resolved after the effective due time, mostly by a few days.
      const spread = (1 + 20 * rng.next() ** 2) * DAY;
      const late = must(officeBetween(lateLo, Math.min(tHi, lateLo + spread)), 'late resolution');
      d.T = late;
      const slack = late - d.D0 - MARGIN;
      if (rng.chance(0.2) && slack > 2 * HOUR) {
        const P = Math.max(30 * MIN, Math.floor((slack * 0.8 * rng.next()) / SEC) * SEC);
        const S = officeBetween(d.R + 10 * MIN, late - P - 10 * MIN);
        if (S !== undefined) d.supp.push([S, S + P]);
      }
      if (rng.chance(0.3)) {
        // An apology letter with a new appointment: it does not make the dossier on time.
        const x = officeBetween(d.R + HOUR, Math.min(d.D0, late) - MIN);
        const first = d.supp[0];
        // (an open pause's end is undefined: the comparison is false, as in the JavaScript original)
        const pausedBefore = first !== undefined && first[0] < (x ?? 0) && (x ?? 0) < (first[1] as number);
        if (x !== undefined && !pausedBefore) d.ext = [x, dayStart(cal.addWorkingDays(dayOf(late), 1)) + 17 * HOUR];
      }
    } else {
      // Decision 766: more than one supplement request makes it overdue whatever the times.
      const T = must(officeBetween(Math.max(tLo, d.R + 5 * HOUR), tHi), '766 resolution');
      d.T = T;
      let times: number[];
      do times = [0, 1, 2, 3].map(() => must(officeBetween(d.R + 10 * MIN, T - 10 * MIN), 'supplement times')).sort((a, b) => a - b);
      while (new Set(times).size < 4);
      const [s1, x1, s2, x2] = times as [number, number, number, number];
      d.supp.push([s1, x1], [s2, x2]);
    }
    d.fate = 'resolved';
    d.overdue = true;
  };
  const withdraw = (d: Dossier, wLo: number, wHi: number): void => {
    d.W = must(officeBetween(Math.max(wLo, d.R + HOUR), wHi), 'withdrawal');
    if (rng.chance(0.5)) d.supp.push([must(officeBetween(d.R + 10 * MIN, d.W - 10 * MIN), 'request before withdrawal'), undefined]);
    d.fate = 'withdrawn';
  };
  const openPaused = (d: Dossier): void => {
    const S = must(officeBetween(d.R + 10 * MIN, Math.min(d.R + 60 * DAY, LAST - 5 * MIN)), 'open pause');
    d.supp.push([S, undefined]);
    d.fate = 'open';
  };
  const openInTime = (d: Dossier): void => {
    d.fate = 'open';
    if (d.D0 > CLOCK_MS + HOUR) {
      if (rng.chance(0.1)) closedPause(d, d.R + 10 * MIN, LAST - 10 * MIN);
      return;
    }
    const sHi = Math.min(d.D0, CLOCK_MS) - MARGIN - HOUR;
    if (sHi <= d.R + 10 * MIN) return openPaused(d);
    const need = CLOCK_MS - d.D0 + HOUR;
    const S = must(officeBetween(d.R + 10 * MIN, sHi), 'pause start (open)');
    d.supp.push([S, must(officeBetween(S + need, LAST - 10 * MIN), 'pause end (open)')]);
  };
  const openOverdue = (d: Dossier): void => {
    d.fate = 'open';
    d.overdue = true;
    const slack = CLOCK_MS - d.D0 - 2 * HOUR;
    if (slack <= 0) throw new Error('open overdue dossier not past due');
    if (rng.chance(0.3) && slack > 4 * HOUR) {
      const P = Math.max(30 * MIN, Math.floor((slack * 0.5 * rng.next()) / SEC) * SEC);
      const S = officeBetween(d.R + 10 * MIN, LAST - P - 10 * MIN);
      if (S !== undefined) d.supp.push([S, S + P]);
    }
    if (rng.chance(0.5) && d.supp.length === 0) {
      const x = officeBetween(d.R + HOUR, Math.min(d.D0, LAST) - MIN);
      if (x !== undefined) d.ext = [x, dayStart(cal.addWorkingDays(dayOf(CLOCK_MS), rng.int(2, 8))) + 17 * HOUR];
    }
  };

  /** Takes n dossiers from pool (removing them) that satisfy ok, in pool order. */
  const take = (pool: Dossier[], n: number, ok: (d: Dossier) => boolean = () => true, what = 'dossiers'): Dossier[] => {
    const out: Dossier[] = [];
    const rest: Dossier[] = [];
    for (const d of pool) (out.length < n && ok(d) ? out : rest).push(d);
    if (out.length < n) throw new Error(`scenario construction failed: only ${out.length} of ${n} ${what}`);
    pool.length = 0;
    pool.push(...rest);
    return out;
  };
  const jitter = (d: Dossier, spread: number): number => d.D0 + rng.gauss() * spread * DAY;
  const byKey = (pool: Dossier[], key: (d: Dossier) => number): void => {
    const keyed = pool.map((d): [number, Dossier] => [key(d), d]).sort((a, b) => a[0] - b[0]);
    pool.length = 0;
    pool.push(...keyed.map(([, d]) => d));
  };

  // History closed before the period: not carried over.
  const history = Array.from({ length: PLAN.history.resolved + PLAN.history.withdrawn }, () => makeDossier('history'));
  {
    const H = PLAN.history;
    const pool = [...history];
    const tHi = at('2022-04-29T17:00:00');
    for (const d of take(pool, H.withdrawn, (x) => x.R < tHi - 2 * HOUR)) withdraw(d, d.R, tHi);
    const overdueN = Math.round(H.resolved * H.resolvedOverdueShare);
    for (const d of take(pool, overdueN, (x) => x.D0 + 3 * HOUR < tHi)) resolveOverdue(d, d.R, tHi);
    for (const d of pool) resolveOnTime(d, d.R, tHi);
  }

  // Carried over: received before 1 May, still being processed on 1 May.
  const carried = Array.from({ length: FIGURES.carriedOver }, () => makeDossier('carried'));
  {
    const C = PLAN.carried;
    const pool = rng.shuffle([...carried]);
    for (const d of take(pool, C.withdrawn)) withdraw(d, PERIOD_START, LAST);
    for (const d of take(pool, C.openOverdue, (x) => x.D0 < CLOCK_MS - 3 * HOUR)) openOverdue(d);
    for (const d of take(pool, C.resolvedMayOverdue, (x) => x.D0 + 3 * HOUR < MAY_END)) resolveOverdue(d, PERIOD_START, MAY_END);
    for (const d of take(pool, C.resolvedJuneOverdue)) resolveOverdue(d, JUNE_START, LAST - 5 * MIN);
    // Those due in May are resolved in May, mostly on time; the stuck backlog stays open.
    byKey(pool, (d) => (d.D0 >= PERIOD_START + DAY ? 0 : 1) * 1e15 + jitter(d, 5));
    for (const d of take(pool, C.resolvedMay - C.resolvedMayOverdue)) resolveOnTime(d, PERIOD_START, MAY_END);
    for (const d of take(pool, C.resolvedJune - C.resolvedJuneOverdue)) resolveOnTime(d, JUNE_START, LAST - 5 * MIN);
    for (const d of pool) {
      if (d.D0 > CLOCK_MS + HOUR) rng.chance(0.15) ? openPaused(d) : openInTime(d);
      else rng.chance(0.7) ? openPaused(d) : openInTime(d);
    }
  }

  // Received in the period. One commune dossier is resolved at the clock instant itself.
  const closing = makeDossier('new', {
    group: 'commune',
    channel: 'direct',
    R: at('2022-06-22T15:12:00'),
    proc: catalogs.commune.find((p) => p.days >= 1) as Procedure,
  });
  closing.dueMode = 'dueAt';
  dueFor(closing);
  closing.T = CLOCK_MS;
  closing.fate = 'resolved';
  closing.closing = true;
  const fresh = Array.from({ length: FIGURES.received - 1 }, () => makeDossier('new'));
  if (mustReceiveOnline.length > 0) throw new Error(`${mustReceiveOnline.length} province procedures got no online dossier`);
  {
    const N = PLAN.new;
    const pool = rng.shuffle([...fresh]);
    const mayOk = (x: Dossier): boolean => x.R < at('2022-05-31T12:00:00');
    for (const d of take(pool, N.resolvedMayOverdue, (x) => mayOk(x) && x.D0 + 3 * HOUR < MAY_END)) resolveOverdue(d, PERIOD_START, MAY_END);
    for (const d of take(pool, N.resolvedMay - N.resolvedMayOverdue, mayOk)) resolveOnTime(d, PERIOD_START, MAY_END);
    for (const d of take(pool, N.withdrawn, (x) => x.R < LAST - 3 * HOUR)) withdraw(d, d.R, LAST);
    for (const d of take(pool, N.openOverdue, (x) => x.D0 < CLOCK_MS - 3 * HOUR)) openOverdue(d);
    for (const d of take(pool, N.resolvedJuneOverdue, (x) => x.R < LAST - 6 * HOUR)) resolveOverdue(d, JUNE_START, LAST - 5 * MIN);
    // The earliest due are resolved in June; the rest are in progress at the clock.
    byKey(pool, (d) => jitter(d, 4));
    for (const d of take(pool, N.resolvedJune - N.resolvedJuneOverdue - 1, (x) => x.R < LAST - HOUR)) resolveOnTime(d, JUNE_START, LAST - 5 * MIN);
    for (const d of pool) {
      if (d.D0 > CLOCK_MS + HOUR) rng.chance(0.15) ? openPaused(d) : openInTime(d);
      else rng.chance(0.6) ? openPaused(d) : openInTime(d);
    }
  }
  fresh.push(closing);
  const all = [...history, ...carried, ...fresh];

  // processedOnline: exactly PLAN.processedOnlineMay of the dossiers resolved in May, favouring
  // online submissions and units with electronic workflows; every dossier resolved in June.
  const resolvedInPeriod = all.filter((d) => d.T !== undefined && d.T >= PERIOD_START);
  const bias: Record<GroupName, number> = { dept: 0.3, district: 0.2, land: 0.1, commune: 0 };
  const ranked = resolvedInPeriod
    .map((d): [number, Dossier] => [rng.next() + bias[d.group] + (d.channel === 'online' ? 0.5 : 0), d])
    .sort((a, b) => b[0] - a[0]);
  let onlineInMay = 0;
  for (const [, d] of ranked) {
    if ((d.T as number) >= JUNE_START) d.processedOnline = true;
    else d.processedOnline = onlineInMay++ < PLAN.processedOnlineMay;
  }
  for (const d of all) d.processedOnline ??= rng.chance(0.85);

  // ---- events ------------------------------------------------------------------------------
  const emitted: ScenarioEvent[] = [];
  const times: number[] = [];
  /** Appends one event; data already carries unitId (last, as upstream systems send it). */
  const emit = (
    type: string,
    subject: string,
    unitId: string,
    ms: number,
    time: string,
    data: ScenarioEvent['data'],
    source: string,
    idSuffix: string,
  ): void => {
    if (ms > CLOCK_MS) throw new Error(`event ${type} of ${subject} after the clock`);
    emitted.push({ specversion: '1.0', id: `${subject}:${idSuffix}`, source, type, time, subject, unitid: unitId, data });
    times.push(ms);
  };

  for (const d of all) {
    const u = d.unit.id;
    const steps: [number, DossierStep, string, ScenarioEvent['data'], string][] = [];
    const moment = (ms: number, kind: DossierStep, suffix: string): void => {
      const t = iso(ms);
      steps.push([ms, kind, t, { dossierId: d.id, at: t, unitId: u }, suffix]);
    };
    if (d.channel === 'online') {
      const sub = d.R - must(uniformSec(5 * MIN, 18 * HOUR), 'submission');
      const t = iso(sub);
      steps.push([sub, 'submitted', t, { dossierId: d.id, procedureId: d.proc.id, submittedAt: t, unitId: u }, 'submitted']);
    }
    const receivedAt = iso(d.R);
    const received =
      d.dueMode === 'dueAt'
        ? { dossierId: d.id, procedureId: d.proc.id, channel: d.channel, receivedAt, dueAt: iso(d.dueAtMs), processingDays: d.proc.days, unitId: u }
        : { dossierId: d.id, procedureId: d.proc.id, channel: d.channel, receivedAt, processingDays: d.proc.days, unitId: u };
    steps.push([d.R, 'received', receivedAt, received, 'received']);
    if (rng.chance(G[d.group].digitized)) moment(d.R + must(uniformSec(MIN, 9 * MIN), 'digitization'), 'digitized', 'digitized');
    d.supp.forEach(([S, X], i) => {
      moment(S, 'supplement_requested', `supplement-requested-${i + 1}`);
      if (X !== undefined) moment(X, 'supplement_received', `supplement-received-${i + 1}`);
    });
    if (d.ext !== undefined) {
      const t = iso(d.ext[0]);
      steps.push([d.ext[0], 'deadline_extended', t, { dossierId: d.id, at: t, newDueAt: iso(d.ext[1]), unitId: u }, 'deadline-extended']);
    }
    if (d.T !== undefined) {
      const outcome = rng.chance(0.04) ? 'rejected' : 'approved';
      const t = iso(d.T);
      steps.push([d.T, 'resolved', t, { dossierId: d.id, resolvedAt: t, outcome, processedOnline: d.processedOnline, unitId: u }, 'resolved']);
      if (!d.closing && rng.chance(0.93)) {
        const r = officeBetween(d.T + 10 * MIN, d.T + 5 * DAY);
        if (r !== undefined && r <= LAST) moment(r, 'result_returned', 'result-returned');
      }
    }
    if (d.W !== undefined) moment(d.W, 'withdrawn', 'withdrawn');
    steps.sort((x, y) => x[0] - y[0]);
    for (const [ms, kind, t, data, suffix] of steps) emit(DOSSIER_TYPE[kind], d.id, u, ms, t, data, SOURCE.portal, suffix);
  }

  // ---- payments ------------------------------------------------------------------------------
  let paySeq = 0;
  const payment = (d: Dossier, kind: 'fee' | 'land_obligation', channel: 'online' | 'offline', amountVnd: number, paidAt: number): void => {
    paySeq += 1;
    const paymentId = `BP-TT-${yymmdd(paidAt)}-${String(paySeq).padStart(6, '0')}`;
    const t = iso(paidAt);
    emit(
      'vn.dvc.payment.completed',
      paymentId,
      d.unit.id,
      paidAt,
      t,
      { paymentId, dossierId: d.id, kind, amountVnd, channel, paidAt: t, unitId: d.unit.id },
      SOURCE.payment,
      'completed',
    );
  };
  const endOf = (d: Dossier): number => Math.min(d.T ?? d.W ?? LAST, LAST);
  const feeTable = [10_000, 15_000, 20_000, 30_000, 50_000, 100_000, 150_000, 200_000, 300_000, 500_000, 1_000_000];
  const feeAmount = rng.weighted(feeTable, [3, 2, 4, 3, 5, 6, 4, 4, 3, 2, 1]);
  const landAmount = () => Math.max(500, Math.round(rng.logNormal(Math.log(9_000), 1.1))) * 1000;

  // Land-use obligations at land registration branches, paid while the dossier is processed.
  {
    const obligated = rng.shuffle(all.filter((d) => d.group === 'land' && d.proc.obligation));
    const inPeriodWindow = (d: Dossier): [number, number] => [Math.max(d.R + HOUR, PERIOD_START), endOf(d) - MIN];
    const beforeWindow = (d: Dossier): [number, number] => [d.R + HOUR, Math.min(endOf(d), PERIOD_START) - MIN];
    const usable = (w: [number, number]): boolean => w[1] - w[0] >= HOUR;
    const online = take(obligated, FIGURES.landObligationOnline.count, (d) => usable(inPeriodWindow(d)), 'land dossiers for online obligations');
    // Amounts: log-normal, scaled to the exact total, whole thousands.
    const raw = online.map(() => landAmount());
    const scale = FIGURES.landObligationOnline.vnd / raw.reduce((a, b) => a + b, 0);
    const amounts = raw.map((a) => Math.max(1000, Math.round((a * scale) / 1000) * 1000));
    const residual = FIGURES.landObligationOnline.vnd - amounts.reduce((a, b) => a + b, 0);
    const largest = amounts.indexOf(Math.max(...amounts));
    amounts[largest] = (amounts[largest] as number) + residual;
    online.forEach((d, i) => {
      const [lo, hi] = inPeriodWindow(d);
      payment(d, 'land_obligation', 'online', amounts[i] as number, must(uniformSec(lo, hi), 'online obligation'));
    });
    for (const d of take(obligated, PLAN.landObligationOffline.period, (x) => usable(inPeriodWindow(x)), 'land dossiers for offline obligations')) {
      const [lo, hi] = inPeriodWindow(d);
      payment(d, 'land_obligation', 'offline', landAmount(), must(officeBetween(lo, hi), 'offline obligation'));
    }
    const before = take(
      obligated,
      PLAN.landObligationOffline.before + PLAN.landObligationOnlineBefore,
      (x) => usable(beforeWindow(x)),
      'land dossiers paid before the period',
    );
    before.forEach((d, i) => {
      const [lo, hi] = beforeWindow(d);
      const channel = i < PLAN.landObligationOnlineBefore ? 'online' : 'offline';
      payment(d, 'land_obligation', channel, landAmount(), must(channel === 'online' ? uniformSec(lo, hi) : officeBetween(lo, hi), 'obligation before'));
    });
  }
  // Fees at departments, district and commune desks (not at land branches).
  {
    const feeUnits = rng.shuffle(all.filter((d) => d.group !== 'land'));
    const windowAfterReceipt = (d: Dossier): [number, number] => [d.R + 5 * MIN, Math.min(d.R + 2 * HOUR, endOf(d) - MIN)];
    const onlineFee = take(
      feeUnits,
      FIGURES.feeOnline.count,
      (d) => d.channel === 'online' && d.R >= PERIOD_START && windowAfterReceipt(d)[1] > windowAfterReceipt(d)[0] + 5 * MIN,
      'online dossiers for fees',
    );
    // Fees from the fee schedule; the last one takes the remainder (still a plausible fee).
    let amounts: number[];
    do {
      amounts = onlineFee.slice(1).map(() => feeAmount());
      amounts.push(FIGURES.feeOnline.vnd - amounts.reduce((a, b) => a + b, 0));
    } while ((amounts.at(-1) as number) < 10_000 || (amounts.at(-1) as number) > 1_000_000);
    onlineFee.forEach((d, i) => {
      const [lo, hi] = windowAfterReceipt(d);
      payment(d, 'fee', 'online', amounts[i] as number, must(uniformSec(lo, hi), 'online fee'));
    });
    const direct = (d: Dossier): boolean => d.channel !== 'online' && windowAfterReceipt(d)[1] > windowAfterReceipt(d)[0] + 5 * MIN;
    for (const d of take(feeUnits, PLAN.feeOffline.period, (x) => x.R >= PERIOD_START && direct(x), 'dossiers for offline fees')) {
      const [lo] = windowAfterReceipt(d);
      payment(d, 'fee', 'offline', feeAmount(), must(uniformSec(lo, Math.min(lo + 20 * MIN, endOf(d) - MIN)), 'offline fee'));
    }
    for (const d of take(feeUnits, PLAN.feeOffline.before, (x) => x.R < PERIOD_START - DAY && direct(x), 'dossiers for fees before')) {
      const [lo] = windowAfterReceipt(d);
      payment(d, 'fee', 'offline', feeAmount(), must(uniformSec(lo, Math.min(lo + 20 * MIN, endOf(d) - MIN)), 'offline fee before'));
    }
    for (const d of take(feeUnits, PLAN.feeOnlineBefore, (x) => x.channel === 'online' && x.R < PERIOD_START - DAY, 'online dossiers for fees before')) {
      const [lo, hi] = windowAfterReceipt(d);
      payment(d, 'fee', 'online', feeAmount(), must(uniformSec(lo, hi), 'online fee before'));
    }
  }

  // ---- reports to GRIS and on paper ------------------------------------------------------------
  {
    const reporters = [...groups.dept, ...groups.district, ...rng.shuffle([...groups.commune]).slice(0, 12)];
    const report = (channel: 'online' | 'offline', lo: number, hi: number, n: number): void => {
      for (let i = 0; i < n; i++) {
        const t = must(officeBetween(lo, hi), 'report');
        const unit = rng.pick(reporters);
        const reportId = `BC-${yymmdd(t)}-${unit.id}-${String(emitted.length).padStart(7, '0')}`;
        emit('vn.dvc.report.submitted', reportId, unit.id, t, iso(t), { reportId, channel, submittedAt: iso(t), unitId: unit.id }, SOURCE.gris, 'submitted');
      }
    };
    report('online', at('2022-05-04T07:30:00'), LAST - HOUR, FIGURES.reportsOnline);
    report('offline', at('2022-05-04T07:30:00'), LAST - HOUR, PLAN.reports.offline);
    report('online', at('2022-01-04T07:30:00'), at('2022-04-29T17:00:00'), PLAN.reports.onlineBefore);
    report('offline', at('2022-01-04T07:30:00'), at('2022-04-29T17:00:00'), PLAN.reports.offlineBefore);
  }

  // ---- procedure catalog (published in the first working week of 2022: Tuesday 4 – Friday 7
  // January, inside the deployment's history, which starts on 1 January 2022) ---------------------
  {
    const publish = (unit: UnitRecord, p: Procedure): void => {
      const t = at('2022-01-04T08:00:00') + rng.int(0, 3) * DAY + rng.int(0, 8 * 3600) * SEC;
      emit(
        'vn.dvc.procedure.published',
        p.id,
        unit.id,
        t,
        iso(t),
        { procedureId: p.id, onlineCapable: p.onlineCapable, unitId: unit.id },
        SOURCE.catalog,
        `${unit.id}:published`,
      );
    };
    for (const unit of groups.dept) for (const p of catalogs.dept.get(unit.id) as Procedure[]) publish(unit, p);
    for (const name of ['district', 'land', 'commune'] as const) for (const unit of groups[name]) for (const p of catalogs[name]) publish(unit, p);
  }

  // ---- community technology teams -------------------------------------------------------------
  {
    const T = FIGURES.teams;
    const communes = groups.commune;
    const register = (unit: UnitRecord, teamId: string, teamLevel: 'commune' | 'village', members: number): void => {
      const t = must(officeBetween(at('2022-03-01T07:30:00'), at('2022-06-20T17:00:00')), 'team registration');
      emit(
        'vn.dvc.community_team.registered',
        teamId,
        unit.id,
        t,
        iso(t),
        { teamId, teamLevel, members, unitId: unit.id },
        SOURCE.community,
        `${unit.id}:registered`,
      );
    };
    const communeMembers = exactSum(
      rng,
      Array.from({ length: T.commune.teams }, () => rng.int(6, 14)),
      T.commune.members,
      5,
      15,
    );
    for (let i = 0; i < T.commune.teams; i++) {
      const unit = communes[i % communes.length] as UnitRecord;
      register(unit, `TCNCD-${unit.id}-${String(Math.floor(i / communes.length) + 1).padStart(2, '0')}`, 'commune', communeMembers[i] as number);
    }
    const villagesPer = largestRemainder(
      T.village.teams,
      communes.map(() => rng.logNormal(0, 0.35)),
      Math.min(1, Math.floor(T.village.teams / communes.length)),
    );
    const villageMembers = exactSum(
      rng,
      Array.from({ length: T.village.teams }, () => rng.int(4, 10)),
      T.village.members,
      3,
      12,
    );
    let v = 0;
    communes.forEach((unit, ci) => {
      for (let k = 1; k <= (villagesPer[ci] as number); k++)
        register(unit, `TCNCD-${unit.id}-ap${String(k).padStart(3, '0')}`, 'village', villageMembers[v++] as number);
    });
  }

  // Time order (stable: a dossier's events keep their causal order at equal times).
  const order = Array.from({ length: emitted.length }, (_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const events = order.map((i) => emitted[i] as ScenarioEvent);

  // ---- self-check: recount from the events alone -----------------------------------------------
  const { problems, figures } = countFigures(events, { units: unitRecords, calendarYears, period: PERIOD, clock: CLOCK });
  const mismatches = [...problems];
  const expect = (name: string, actual: unknown, wanted: unknown): void => {
    if (actual !== wanted) mismatches.push(`${name}: counted ${actual}, wanted ${wanted}`);
  };
  const pay = (key: string): Amount => figures.payments[key] ?? { count: 0, vnd: 0 };
  expect('received', figures.received, FIGURES.received);
  expect('carriedOver', figures.carriedOver, FIGURES.carriedOver);
  expect('resolved', figures.resolved, FIGURES.resolved);
  expect('resolvedOverdue', figures.resolvedOverdue, FIGURES.resolvedOverdue);
  expect('open', figures.open, FIGURES.open);
  expect('openOverdue', figures.openOverdue, FIGURES.openOverdue);
  expect('withdrawn', figures.withdrawn, FIGURES.withdrawn);
  expect('balance', figures.balance.carriedPlusReceived, figures.balance.resolvedPlusOpenPlusWithdrawn);
  expect('fee online count', pay('fee:online').count, FIGURES.feeOnline.count);
  expect('fee online vnd', pay('fee:online').vnd, FIGURES.feeOnline.vnd);
  expect('land obligation online count', pay('land_obligation:online').count, FIGURES.landObligationOnline.count);
  expect('land obligation online vnd', pay('land_obligation:online').vnd, FIGURES.landObligationOnline.vnd);
  expect('reports online', figures.reports.online, FIGURES.reportsOnline);
  expect('commune teams', figures.teams.commune.teams, FIGURES.teams.commune.teams);
  expect('commune team members', figures.teams.commune.members, FIGURES.teams.commune.members);
  expect('village teams', figures.teams.village.teams, FIGURES.teams.village.teams);
  expect('village team members', figures.teams.village.members, FIGURES.teams.village.members);
  expect('province online-capable procedures', figures.procedures.onlineCapable.province ?? 0, FIGURES.provinceOnlineCapable);
  expect('province procedures with online dossiers', figures.procedures.withOnlineDossiers.province ?? 0, FIGURES.provinceWithOnlineDossiers);
  expect('resolved in May', figures.resolvedByMonth['2022-05']?.resolved, PLAN.resolvedMay);
  expect('resolved overdue in May', figures.resolvedByMonth['2022-05']?.overdue, PLAN.resolvedMayOverdue);
  expect('processed online in May', figures.resolvedByMonth['2022-05']?.processedOnline, PLAN.processedOnlineMay);
  expect('processed online in June', figures.resolvedByMonth['2022-06']?.processedOnline, figures.resolvedByMonth['2022-06']?.resolved);
  expect('clock', figures.clock, CLOCK);
  if (mismatches.length > 0) {
    throw new Error(`Bình Phước 2022 scenario self-check failed (seed ${seed}):\n  ${mismatches.join('\n  ')}`);
  }

  const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
  // Key order is part of the output (the expected figures are written as JSON): clock comes
  // before units, the other recounted figures after them.
  const { clock: countedClock, ...counted } = figures;
  const expected: ExpectedFigures = {
    scenario: 'binh-phuoc-2022',
    seed,
    window: PERIOD.id,
    period: { from: PERIOD.from, to: PERIOD.to },
    clock: countedClock,
    units: Object.fromEntries(Object.entries(groups).map(([k, list]) => [k, list.length])) as Record<GroupName, number>,
    ...counted,
    overdueRatio: FIGURES.resolvedOverdue / FIGURES.resolved,
    overdueRatioRounded: round4(FIGURES.resolvedOverdue / FIGURES.resolved),
    overdueRatioBeforeJune: round4(PLAN.resolvedMayOverdue / PLAN.resolvedMay),
    processedOnlineShareMay: round4(PLAN.processedOnlineMay / PLAN.resolvedMay),
    feeOnline: pay('fee:online'),
    landObligationOnline: pay('land_obligation:online'),
    provinceUtilization: {
      onlineCapable: FIGURES.provinceOnlineCapable,
      withOnlineDossiers: FIGURES.provinceWithOnlineDossiers,
      ratio: round4(FIGURES.provinceWithOnlineDossiers / FIGURES.provinceOnlineCapable),
    },
  };
  return { events, expected };
}
