import { HOLIDAYS, statutoryDaysOff, type DayIndexer, type HolidayId } from '@dvc/domain';

/** What `dvc calendar check` found in one year's file. */
export interface CalendarFileCheck {
  /** Everything that makes the file unfit to deploy; empty when it is valid. */
  problems: string[];
  /** The file's year, when it has one. */
  year?: number;
  /** The differences from the Labour Code fallback rules, one line each (informational). */
  differences: string[];
  daysOff: number;
  workingSaturdays: number;
}

const TOP_FIELDS = new Set(['year', 'zone', 'daysOff', 'workingSaturdays', 'sources', 'unconfirmed']);
const ENTRY_FIELDS = new Set(['date', 'name']);
/** The holidays whose date the Labour Code itself fixes; the Prime Minister picks the exact Tết days. */
const FIXED_BY_LAW: ReadonlySet<HolidayId> = new Set(['new_year', 'hung_kings', 'reunification', 'labour_day', 'national_day']);
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const weekdayOf = (day: number): number => new Date(day * 86_400_000).getUTCDay();
const holidayName = (id: HolidayId): string => `${HOLIDAYS[id].vi} (${HOLIDAYS[id].en})`;

interface Entry {
  date: string;
  day: number;
  name: string;
}

/**
 * Checks one year's calendar file (its text) before it is deployed: the JSON shape, the zone,
 * the year (and that a file named YYYY.json holds that year), dates that exist and fall inside
 * the year (a day off may also be in the last days of December before), weekdays in `daysOff`,
 * Saturdays in `workingSaturdays`, no date twice, names (Vietnamese with the English in
 * parentheses), at least one source. Then compares the days off with the Labour Code fallback
 * rules: a weekday holiday whose date the law fixes and the file leaves out is a problem; every
 * other difference (Tết days, compensatory days, adjacent days, swaps) is listed as information.
 */
export function checkCalendarFile(text: string, fileName: string, days: DayIndexer): CalendarFileCheck {
  const problems: string[] = [];
  const result: CalendarFileCheck = { problems, differences: [], daysOff: 0, workingSaturdays: 0 };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push(`not valid JSON: ${(error as Error).message}`);
    return result;
  }
  if (!isObject(json)) {
    problems.push('the file must hold one JSON object { "year", "zone", "daysOff", "workingSaturdays", "sources" }');
    return result;
  }
  for (const key of Object.keys(json)) if (!TOP_FIELDS.has(key)) problems.push(`unknown field "${key}" (fields: ${[...TOP_FIELDS].join(', ')})`);

  const year = json.year;
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 1970 || year > 2199) {
    problems.push(`year must be a whole number from 1970 to 2199, got ${JSON.stringify(year)}`);
  } else {
    result.year = year;
    const named = /^(\d{4})\.json$/.exec(fileName);
    if (named !== null && Number(named[1]) !== year) problems.push(`the file is named ${fileName} but holds year ${year}: the services read it as ${named[1]}`);
  }
  if (json.zone !== days.zone) problems.push(`zone must be "${days.zone}", got ${JSON.stringify(json.zone)}`);
  for (const key of ['sources', 'unconfirmed'] as const) {
    const list = json[key];
    if (list === undefined && key === 'unconfirmed') continue;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s.trim() !== '')) {
      problems.push(`${key} must be an array of non-empty strings`);
    } else if (key === 'sources' && list.length === 0) {
      problems.push('sources must name at least one source (the government notice the dates come from)');
    }
  }

  const seen = new Map<string, string>();
  const entries = (key: 'daysOff' | 'workingSaturdays'): Entry[] => {
    const list = json[key];
    if (!Array.isArray(list)) {
      problems.push(`${key} must be an array of { "date": "YYYY-MM-DD", "name": "…" }`);
      return [];
    }
    const out: Entry[] = [];
    list.forEach((item: unknown, i) => {
      const where = `${key}[${i}]`;
      if (!isObject(item)) {
        problems.push(`${where} must be an object { "date", "name" }`);
        return;
      }
      for (const k of Object.keys(item)) if (!ENTRY_FIELDS.has(k)) problems.push(`${where}: unknown field "${k}"`);
      const { date, name } = item;
      if (typeof name !== 'string' || name.trim() === '') problems.push(`${where}: name is missing`);
      else if (!/\(.+\)/.test(name))
        problems.push(`${where}: name "${name}" must be Vietnamese with the English in parentheses, e.g. "Tết Dương lịch (New Year's Day)"`);
      if (typeof date !== 'string') {
        problems.push(`${where}: date is missing`);
        return;
      }
      let day: number;
      try {
        day = days.dayFromIso(date);
      } catch {
        problems.push(`${where}: "${date}" is not a YYYY-MM-DD date`);
        return;
      }
      const before = seen.get(date);
      if (before !== undefined) problems.push(`${where}: ${date} is listed twice (also ${before})`);
      seen.set(date, where);
      if (result.year !== undefined) {
        const inside = date.startsWith(`${result.year}-`) || (key === 'daysOff' && date.startsWith(`${result.year - 1}-12-`));
        if (!inside)
          problems.push(`${where}: ${date} is outside ${result.year}${key === 'daysOff' ? ` (a day off may also be in December ${result.year - 1})` : ''}`);
      }
      const weekday = weekdayOf(day);
      if (key === 'daysOff' && (weekday === 0 || weekday === 6)) {
        problems.push(`${where}: ${date} is a ${WEEKDAYS[weekday]}, a day off anyway: list the compensatory weekday instead`);
      }
      if (key === 'workingSaturdays' && weekday !== 6) problems.push(`${where}: ${date} is a ${WEEKDAYS[weekday]}, not a Saturday`);
      out.push({ date, day, name: typeof name === 'string' ? name : '' });
    });
    return out;
  };
  const daysOff = entries('daysOff');
  const saturdays = entries('workingSaturdays');
  result.daysOff = daysOff.length;
  result.workingSaturdays = saturdays.length;
  if (result.year !== undefined) compareWithFallback(result.year, daysOff, saturdays, days, result);
  return result;
}

/** Fills `differences` (and `problems` for a holiday fixed by law that the file leaves a working day). */
function compareWithFallback(year: number, daysOff: Entry[], saturdays: Entry[], days: DayIndexer, result: CalendarFileCheck): void {
  const fallback = statutoryDaysOff(year);
  const fileDays = new Set(daysOff.map((e) => e.day));
  const fallbackDays = new Set(fallback.map((d) => d.day));
  const byHoliday = new Map<HolidayId | 'other', { missing: string[]; adds: string[] }>();
  const note = (id: HolidayId | 'other') => {
    let n = byHoliday.get(id);
    if (n === undefined) {
      n = { missing: [], adds: [] };
      byHoliday.set(id, n);
    }
    return n;
  };
  for (const d of fallback) {
    if (fileDays.has(d.day)) continue;
    const date = days.isoDate(d.day);
    note(d.holiday).missing.push(d.compensatory ? `${date} (compensatory day)` : date);
    if (!d.compensatory && FIXED_BY_LAW.has(d.holiday)) {
      result.problems.push(`${date} ${holidayName(d.holiday)} is a day off by law (Labour Code 2019, Art. 112) and a weekday, but the file does not list it`);
    }
  }
  for (const e of daysOff) {
    if (fallbackDays.has(e.day)) continue;
    const id = (Object.keys(HOLIDAYS) as HolidayId[]).find((h) => e.name.includes(HOLIDAYS[h].vi)) ?? 'other';
    note(id).adds.push(`${e.date} "${e.name}"`);
  }
  for (const id of [...(Object.keys(HOLIDAYS) as HolidayId[]), 'other' as const]) {
    const n = byHoliday.get(id);
    if (n === undefined) continue;
    const parts = [n.missing.length > 0 ? `missing ${n.missing.join(', ')}` : '', n.adds.length > 0 ? `adds ${n.adds.join(', ')}` : ''].filter((p) => p !== '');
    const label = id === 'other' ? 'other days off' : id === 'tet' ? `${holidayName(id)}: the days differ from the fallback` : holidayName(id);
    result.differences.push(`${label}: ${parts.join('; ')}`);
  }
  for (const s of saturdays) result.differences.push(`make-up working Saturday (not in the fallback): ${s.date} "${s.name}"`);
}
