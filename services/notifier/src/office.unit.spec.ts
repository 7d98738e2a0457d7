import { loadReferenceData } from '@dvc/config';
import { formatOfficeHours, officeClock, parseOfficeHours, type OfficeHours } from './office.js';

/** The repository's calendar (2022–2026 official, later years by the Labour Code's fallback). */
const REFERENCE = loadReferenceData(new URL('../../../infra/data/', import.meta.url).pathname);
const HOURS: OfficeHours = { open: 7 * 60 + 30, close: 17 * 60 };
const office = officeClock(HOURS, () => REFERENCE);

/** An instant in Vietnam's local time (UTC+7), e.g. '2026-12-07 10:00'. */
const vn = (local: string): number => Date.parse(`${local.replace(' ', 'T')}:00+07:00`);
const local = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');

describe('office hours (NOTIFIER_OFFICE_HOURS)', () => {
  it('reads HH:MM-HH:MM or always, and names each mistake', () => {
    expect(parseOfficeHours('07:30-17:00')).toEqual({ ok: true, value: { open: 450, close: 1020 } });
    expect(parseOfficeHours(' always ')).toEqual({ ok: true, value: 'always' });
    expect(parseOfficeHours('00:00-23:59')).toEqual({ ok: true, value: { open: 0, close: 1439 } });
    expect(formatOfficeHours({ open: 450, close: 1020 })).toBe('07:30-17:00');
    const refused = (raw: string) => {
      const parsed = parseOfficeHours(raw);
      return parsed.ok ? undefined : parsed.reason;
    };
    expect(refused('7:30-17:00')).toBe("must be HH:MM-HH:MM (opening-closing, local time, e.g. 07:30-17:00) or 'always', got '7:30-17:00'");
    expect(refused('')).toBe("must be HH:MM-HH:MM (opening-closing, local time, e.g. 07:30-17:00) or 'always', got ''");
    expect(refused('07:30 - 17:00')).toMatch(/^must be HH:MM-HH:MM/);
    expect(refused('Always')).toMatch(/^must be HH:MM-HH:MM/);
    expect(refused('24:00-25:61')).toBe("the opening time is not a time of day, the closing time is not a time of day in '24:00-25:61'");
    expect(refused('07:30-17:60')).toBe("the closing time is not a time of day in '07:30-17:60'");
    expect(refused('17:00-07:30')).toBe("the office must open before it closes on the same day, got '17:00-07:30'");
    expect(refused('08:00-08:00')).toBe("the office must open before it closes on the same day, got '08:00-08:00'");
  });

  it('is open from the opening to the closing minute of a working day, local time', () => {
    expect(office.nextOpen(vn('2026-12-07 10:00'))).toBe(vn('2026-12-07 10:00'));
    expect(office.nextOpen(vn('2026-12-07 07:30'))).toBe(vn('2026-12-07 07:30'));
    expect(office.nextOpen(vn('2026-12-07 07:30') - 1)).toBe(vn('2026-12-07 07:30'));
    expect(office.nextOpen(vn('2026-12-07 00:16'))).toBe(vn('2026-12-07 07:30'));
    expect(local(office.nextOpen(vn('2026-12-07 17:00')))).toBe('2026-12-08 07:30');
    expect(office.openedAt(vn('2026-12-07 16:59'))).toBe(vn('2026-12-07 07:30'));
    expect(office.openedAt(vn('2026-12-07 17:00'))).toBeUndefined();
    expect(office.openedAt(vn('2026-12-07 07:29'))).toBeUndefined();
  });

  it('skips weekends, holidays and days off, and opens on make-up Saturdays', () => {
    // Friday evening and Saturday → Monday.
    expect(local(office.nextOpen(vn('2026-12-04 17:30')))).toBe('2026-12-07 07:30');
    expect(local(office.nextOpen(vn('2026-12-05 09:00')))).toBe('2026-12-07 07:30');
    expect(office.openedAt(vn('2026-12-05 09:00'))).toBeUndefined();
    // Tết 2026: Monday 16 to Friday 20 February off, so Friday 13 → Monday 23.
    expect(local(office.nextOpen(vn('2026-02-13 17:00')))).toBe('2026-02-23 07:30');
    // New Year 2026: Thursday 1 and Friday 2 January off (swapped), Saturday 10 January worked.
    expect(local(office.nextOpen(vn('2025-12-31 17:00')))).toBe('2026-01-05 07:30');
    expect(local(office.nextOpen(vn('2026-01-09 17:00')))).toBe('2026-01-10 07:30');
    expect(office.openedAt(vn('2026-01-10 09:00'))).toBe(vn('2026-01-10 07:30'));
    // 2027 has no data file: the Labour Code's New Year's Day (a Friday) still counts as off.
    expect(local(office.nextOpen(vn('2026-12-31 17:05')))).toBe('2027-01-04 07:30');
  });

  it('says so when the calendar has no working day for weeks (a wrong file), instead of waiting for ever', () => {
    const closed = officeClock(HOURS, () => ({ ...REFERENCE, calendar: { ...REFERENCE.calendar, isWorkingDay: () => false } }));
    expect(() => closed.nextOpen(vn('2026-12-07 00:16'))).toThrow('no working day in the 60 days after 2026-12-07: the calendar data is wrong');
    expect(closed.openedAt(vn('2026-12-07 10:00'))).toBeUndefined();
  });
});
