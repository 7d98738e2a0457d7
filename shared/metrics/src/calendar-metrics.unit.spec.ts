import { Registry } from 'prom-client';
import { sampleLines } from '@dvc/testing';
import { createDayIndexer, createWorkCalendar, type CalendarYear } from '@dvc/domain';
import { CalendarMetrics } from './calendar-metrics.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const year = (y: number): CalendarYear => ({ year: y, zone: days.zone, daysOff: [], workingSaturdays: [] });

async function lines(registry: Registry): Promise<string[]> {
  return sampleLines(await registry.metrics());
}

/** The `dvc_calendar_year_info` lines of these years, all from one source. */
const yearInfo = (source: 'official' | 'fallback', ...years: number[]) => years.map((y) => `dvc_calendar_year_info{year="${y}",source="${source}"} 1`);

describe('CalendarMetrics', () => {
  it('files 2022–2026, clock on 3 December 2026: ends at the end of 31/12/2026, 2027 is fallback', async () => {
    const registry = new Registry();
    const metrics = new CalendarMetrics(registry);
    metrics.update(createWorkCalendar([2022, 2023, 2024, 2025, 2026].map(year), days), days, Date.parse('2026-12-03T09:00:00+07:00'));
    expect(await lines(registry)).toEqual([
      'dvc_calendar_end_timestamp_seconds 1798736400', // 2027-01-01T00:00:00+07:00
      ...yearInfo('official', 2022, 2023, 2024, 2025, 2026),
      ...yearInfo('fallback', 2027),
    ]);
  });

  it('follows the clock: a 2022 demo lists 2022–2023 only; the local year turns at midnight UTC+7', async () => {
    const registry = new Registry();
    const metrics = new CalendarMetrics(registry);
    const calendar = createWorkCalendar([2022, 2023, 2024, 2025, 2026].map(year), days);
    metrics.update(calendar, days, Date.parse('2022-06-22T17:00:00+07:00'));
    expect((await lines(registry)).filter((l) => l.startsWith('dvc_calendar_year_info'))).toEqual([...yearInfo('official', 2022, 2023)]);
    // 2026-12-31T17:30Z is already 1 January 2027 in Vietnam: 2028 appears, nothing stays behind.
    metrics.update(calendar, days, Date.parse('2026-12-31T17:30:00Z'));
    const info = (await lines(registry)).filter((l) => l.startsWith('dvc_calendar_year_info'));
    expect(info).toHaveLength(7);
    expect(info.slice(-2)).toEqual(yearInfo('fallback', 2027, 2028));
  });

  it('a gap ends the official data; a clock before the first file lists its own year as fallback; no file at all ends at 0', async () => {
    const registry = new Registry();
    const metrics = new CalendarMetrics(registry);
    metrics.update(createWorkCalendar([year(2022), year(2024)], days), days, Date.parse('2024-03-01T00:00:00+07:00'));
    expect(await lines(registry)).toEqual([
      'dvc_calendar_end_timestamp_seconds 1672506000', // 2023-01-01T00:00:00+07:00
      ...yearInfo('official', 2022),
      ...yearInfo('fallback', 2023),
      ...yearInfo('official', 2024),
      ...yearInfo('fallback', 2025),
    ]);
    metrics.update(createWorkCalendar([year(2022)], days), days, Date.parse('2021-05-01T00:00:00+07:00'));
    expect((await lines(registry)).filter((l) => l.startsWith('dvc_calendar_year_info'))).toEqual([
      ...yearInfo('fallback', 2021),
      ...yearInfo('official', 2022),
    ]);
    metrics.update(createWorkCalendar([], days), days, Date.parse('2027-01-05T00:00:00+07:00'));
    expect(await lines(registry)).toEqual(['dvc_calendar_end_timestamp_seconds 0', ...yearInfo('fallback', 2027, 2028)]);
  });
});
