import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createDayIndexer } from '@dvc/domain';
import { checkCalendarFile } from './calendar-file.js';
import { run } from './cli.js';
import type { CliIo } from './io.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');

function calendarDir(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'infra', 'data', 'calendar');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`infra/data/calendar not found above ${process.cwd()}`);
  }
}
const official = (year: number) => readFileSync(join(calendarDir(), `${year}.json`), 'utf8');

/** A 2027 file as a notice could read: 1/1, Tết moved a day earlier, Hùng Kings, 30/4, 3/5, 2/9 + 3/9. */
const NOTICE_2027 = {
  year: 2027,
  zone: 'Asia/Ho_Chi_Minh',
  daysOff: [
    { date: '2027-01-01', name: "Tết Dương lịch (New Year's Day)" },
    ...['2027-02-04', '2027-02-05', '2027-02-08', '2027-02-09', '2027-02-10'].map((date) => ({ date, name: 'Tết Nguyên đán (Lunar New Year)' })),
    { date: '2027-04-16', name: "Giỗ Tổ Hùng Vương (Hùng Kings' Commemoration Day)" },
    { date: '2027-04-30', name: 'Ngày Giải phóng miền Nam, thống nhất đất nước (Reunification Day)' },
    { date: '2027-05-03', name: 'Nghỉ bù Ngày Quốc tế Lao động (International Labour Day, compensatory day off)' },
    { date: '2027-09-02', name: 'Quốc khánh (National Day)' },
    { date: '2027-09-03', name: 'Nghỉ liền kề Quốc khánh (National Day, adjacent day off)' },
  ],
  workingSaturdays: [],
  sources: ['a test notice, not a real one'],
};

describe('checkCalendarFile', () => {
  it.each([2022, 2023, 2024, 2025, 2026])('the official %d file is valid', (year) => {
    const result = checkCalendarFile(official(year), `${year}.json`, days);
    expect(result.problems).toEqual([]);
    expect(result.year).toBe(year);
  });

  it('lists how the official 2023 file differs from the fallback: Tết moved, the adjacent day', () => {
    expect(checkCalendarFile(official(2023), '2023.json', days).differences).toEqual([
      'Tết Nguyên đán (Lunar New Year): the days differ from the fallback: missing 2023-01-27 (compensatory day); adds 2023-01-20 "Tết Nguyên đán (Lunar New Year)"',
      'Quốc khánh (National Day): adds 2023-09-01 "Nghỉ liền kề Quốc khánh (National Day, adjacent day off)"',
    ]);
  });

  it('a plausible 2027 notice: valid, with its Tết days and adjacent day listed against the fallback', () => {
    const result = checkCalendarFile(JSON.stringify(NOTICE_2027), '2027.json', days);
    expect(result).toEqual({
      problems: [],
      year: 2027,
      daysOff: 11,
      workingSaturdays: 0,
      differences: [
        'Tết Nguyên đán (Lunar New Year): the days differ from the fallback: missing 2027-02-11 (compensatory day); adds 2027-02-04 "Tết Nguyên đán (Lunar New Year)"',
        'Quốc khánh (National Day): adds 2027-09-03 "Nghỉ liền kề Quốc khánh (National Day, adjacent day off)"',
      ],
    });
  });

  it('1/1 left out is a problem; a compensatory day left out is only a difference', () => {
    const withoutNewYear = { ...NOTICE_2027, daysOff: NOTICE_2027.daysOff.filter((d) => d.date !== '2027-01-01' && d.date !== '2027-05-03') };
    const result = checkCalendarFile(JSON.stringify(withoutNewYear), '2027.json', days);
    expect(result.problems).toEqual([
      "2027-01-01 Tết Dương lịch (New Year's Day) is a day off by law (Labour Code 2019, Art. 112) and a weekday, but the file does not list it",
    ]);
    expect(result.differences.slice(0, 1)).toEqual(["Tết Dương lịch (New Year's Day): missing 2027-01-01"]);
    expect(result.differences).toContain('Ngày Quốc tế Lao động (International Labour Day): missing 2027-05-03 (compensatory day)');
  });

  it('names every problem of a broken file', () => {
    const broken = {
      year: 2027,
      zone: 'Asia/Bangkok',
      daysOff: [
        { date: '2027-01-01', name: "Tết Dương lịch (New Year's Day)" },
        { date: '2027-01-02', name: 'Thứ Bảy (Saturday)' },
        { date: '2027-02-30', name: 'x (y)' },
        { date: '2028-01-03', name: 'sau (after)' },
        { date: '2027-04-16', name: '' },
        { date: '2027-04-16', name: 'Giỗ Tổ Hùng Vương' },
        { name: 'không ngày (no date)' },
        'text',
      ],
      workingSaturdays: [{ date: '2027-02-07', name: 'Làm bù (make-up)', note: 1 }],
      source: ['typo'],
    };
    expect(checkCalendarFile(JSON.stringify(broken), '2026.json', days).problems).toEqual([
      'unknown field "source" (fields: year, zone, daysOff, workingSaturdays, sources, unconfirmed)',
      'the file is named 2026.json but holds year 2027: the services read it as 2026',
      'zone must be "Asia/Ho_Chi_Minh", got "Asia/Bangkok"',
      'sources must be an array of non-empty strings',
      'daysOff[1]: 2027-01-02 is a Saturday, a day off anyway: list the compensatory weekday instead',
      'daysOff[2]: "2027-02-30" is not a YYYY-MM-DD date',
      'daysOff[3]: 2028-01-03 is outside 2027 (a day off may also be in December 2026)',
      'daysOff[4]: name is missing',
      'daysOff[5]: name "Giỗ Tổ Hùng Vương" must be Vietnamese with the English in parentheses, e.g. "Tết Dương lịch (New Year\'s Day)"',
      'daysOff[5]: 2027-04-16 is listed twice (also daysOff[4])',
      'daysOff[6]: date is missing',
      'daysOff[7] must be an object { "date", "name" }',
      'workingSaturdays[0]: unknown field "note"',
      'workingSaturdays[0]: 2027-02-07 is a Sunday, not a Saturday',
      '2027-04-30 Ngày Giải phóng miền Nam, thống nhất đất nước (Reunification Day) is a day off by law (Labour Code 2019, Art. 112) and a weekday, but the file does not list it',
      '2027-09-02 Quốc khánh (National Day) is a day off by law (Labour Code 2019, Art. 112) and a weekday, but the file does not list it',
    ]);
  });

  it('JSON that does not parse, or is no object, or has no year: one clear problem, no comparison', () => {
    expect(checkCalendarFile('{"year": 2027,', '2027.json', days)).toMatchObject({ problems: [expect.stringMatching(/^not valid JSON: /)], differences: [] });
    expect(checkCalendarFile('[]', '2027.json', days).problems).toEqual([
      'the file must hold one JSON object { "year", "zone", "daysOff", "workingSaturdays", "sources" }',
    ]);
    const noYear = checkCalendarFile(JSON.stringify({ ...NOTICE_2027, year: '2027' }), 'notice.json', days);
    expect(noYear.problems).toEqual(['year must be a whole number from 1970 to 2199, got "2027"']);
    expect(noYear.differences).toEqual([]);
  });
});

describe('dvc calendar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvc-calendar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function bufferIo(env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
    const out: string[] = [];
    const err: string[] = [];
    return {
      env,
      now: () => Date.parse('2026-12-03T09:00:00+07:00'),
      stdout: { write: (c: string) => out.push(c) },
      stderr: { write: (c: string) => err.push(c) },
      out: () => out.join(''),
      err: () => err.join(''),
    };
  }

  it('check: a valid file, exit 0, with the differences and what to do next', async () => {
    const file = join(dir, '2027.json');
    writeFileSync(file, JSON.stringify(NOTICE_2027));
    const io = bufferIo();
    expect(await run(['calendar', 'check', file], io)).toBe(0);
    expect(io.out()).toBe(
      [
        `${file}: year 2027, 11 weekdays off, 0 make-up working Saturdays`,
        'against the Labour Code fallback (days off the law fixes by date, with their compensatory days):',
        '  Tết Nguyên đán (Lunar New Year): the days differ from the fallback: missing 2027-02-11 (compensatory day); adds 2027-02-04 "Tết Nguyên đán (Lunar New Year)"',
        '  Quốc khánh (National Day): adds 2027-09-03 "Nghỉ liền kề Quốc khánh (National Day, adjacent day off)"',
        'valid: deploy it as DATA_DIR/calendar/2027.json, then run dvc rebuild (see infra/data/README.md)',
        '',
      ].join('\n'),
    );
  });

  it('check: every problem listed, exit 1; an unreadable file, exit 1; no file, exit 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...NOTICE_2027, daysOff: NOTICE_2027.daysOff.slice(1), zone: 'UTC' }));
    const io = bufferIo();
    expect(await run(['calendar', 'check', file], io)).toBe(1);
    expect(io.out()).toContain("  Tết Dương lịch (New Year's Day): missing 2027-01-01\n");
    expect(io.out()).toContain(
      '2 problems:\n  - zone must be "Asia/Ho_Chi_Minh", got "UTC"\n  - 2027-01-01 Tết Dương lịch (New Year\'s Day) is a day off by law (Labour Code 2019, Art. 112) and a weekday, but the file does not list it\n',
    );
    const missing = bufferIo();
    expect(await run(['calendar', 'check', join(dir, 'none.json')], missing)).toBe(1);
    expect(missing.out()).toMatch(/none\.json: cannot read: ENOENT/);
    const usage = bufferIo();
    expect(await run(['calendar', 'check'], usage)).toBe(2);
    expect(usage.err()).toContain('check needs the file to check');
    expect(await run(['calendar', 'check', 'a.json', 'b.json'], usage)).toBe(2);
    expect(await run(['calendar', 'list'], usage)).toBe(2);
    expect(usage.err()).toContain("unknown calendar action 'list' (check <file> or show)");
  });

  it('show: the fallback year 2027 from the repository data, and the official 2026 with its unconfirmed notes', async () => {
    const io = bufferIo();
    expect(await run(['calendar', 'show', '--year', '2027'], io)).toBe(0);
    const lines = io.out().split('\n');
    expect(lines[0]).toMatch(/^2027: fallback \(Labour Code 2019 rules; no file .*calendar\/2027\.json\)$/);
    expect(lines[1]).toBe('official data: 2022, 2023, 2024, 2025, 2026; unbroken up to 31/12/2026');
    expect(lines.slice(2, 4)).toEqual(['weekdays off:', "  2027-01-01 Fri  Tết Dương lịch (New Year's Day)"]);
    expect(lines).toContain('  2027-05-03 Mon  Nghỉ bù Ngày Quốc tế Lao động (International Labour Day, compensatory day off)');
    expect(lines).toContain('make-up working Saturdays: none');
    expect(lines).toContain('not in the fallback:');
    // Without --year: this year in Vietnam (the injected clock, 3 December 2026).
    const now = bufferIo();
    expect(await run(['calendar', 'show'], now)).toBe(0);
    expect(now.out()).toMatch(/^2026: official \(.*calendar\/2026\.json\)\n/);
    expect(now.out()).toContain('make-up working Saturdays:\n  2026-01-10 Sat  Làm bù');
    expect(now.out()).toContain('unconfirmed:\n  - Quốc khánh 2026');
  });

  it('show: reads DATA_DIR (or --data-dir); a bad --year is a usage error', async () => {
    const io = bufferIo({ DATA_DIR: join(dir, 'nowhere') });
    expect(await run(['calendar', 'show'], io)).toBe(1);
    expect(io.err()).toContain(`cannot list calendar folder ${join(dir, 'nowhere', 'calendar')}`);
    const bad = bufferIo();
    expect(await run(['calendar', 'show', '--year', '27'], bad)).toBe(2);
    expect(bad.err()).toContain('--year must be between 1970 and 2199, got 27');
  });

  it('prints its help with --help and dvc help calendar', async () => {
    for (const argv of [
      ['calendar', '--help'],
      ['calendar', 'check', '--help'],
      ['calendar', 'show', '--help'],
      ['help', 'calendar'],
    ]) {
      const io = bufferIo();
      expect(await run(argv, io)).toBe(0);
      expect(io.out()).toContain('Usage:\n  dvc calendar check <file>\n  dvc calendar show [--year YYYY] [--data-dir DIR]');
    }
  });
});
