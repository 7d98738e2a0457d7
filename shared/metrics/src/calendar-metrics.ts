import { Gauge, type Registry } from 'prom-client';
import type { DayIndexer, WorkCalendar } from '@dvc/domain';

/**
 * What the working-day calendar rests on, so a figure computed with a year that has no official
 * data never passes unmarked: where the official data ends, and per year whether its days off
 * come from a data file or from the Labour Code fallback rules.
 */
export class CalendarMetrics {
  private readonly end: Gauge;
  private readonly yearInfo: Gauge;

  constructor(registry: Registry) {
    this.end = new Gauge({
      name: 'dvc_calendar_end_timestamp_seconds',
      help: 'End of the last day with official working-day calendar data (epoch seconds; 0 without any data file)',
      registers: [registry],
    });
    this.yearInfo = new Gauge({
      name: 'dvc_calendar_year_info',
      help: "Source of each year's days off (value 1): official (a data file) or fallback (Labour Code rules), from the first data file's year (or the clock's, when earlier) to the clock's year + 1",
      labelNames: ['year', 'source'],
      registers: [registry],
    });
  }

  /** Sets both metrics for a scrape whose "now" is `nowMs`. */
  update(calendar: WorkCalendar, days: DayIndexer, nowMs: number): void {
    const until = calendar.officialUntilDay;
    this.end.set(until === undefined ? 0 : days.startOfDayMs(until + 1) / 1000);
    const clockYear = Number(days.isoDate(days.dayOf(nowMs)).slice(0, 4));
    const first = Math.min(calendar.years[0] ?? clockYear, clockYear);
    this.yearInfo.reset();
    for (let year = first; year <= clockYear + 1; year++) this.yearInfo.set({ year: String(year), source: calendar.sourceOf(year) }, 1);
  }
}
