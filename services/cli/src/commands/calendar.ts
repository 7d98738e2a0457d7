import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ZONE, loadReferenceData } from '@dvc/config';
import { createDayIndexer } from '@dvc/domain';
import { UsageError, intFlag, parseFlags } from '../args.js';
import { checkCalendarFile } from '../calendar-file.js';
import { cliConfig } from '../config.js';
import type { CliIo } from '../io.js';

export const CALENDAR_HELP = `dvc calendar: check a working-day calendar file before deploying it; show a year as used

Usage:
  dvc calendar check <file>
  dvc calendar show [--year YYYY] [--data-dir DIR]

  check   validates one year's file (infra/data/calendar/<year>.json format): JSON shape, zone,
          year, dates that exist and fall inside the year, weekdays in daysOff, Saturdays in
          workingSaturdays, no date twice, names (Vietnamese with the English in parentheses),
          sources. Then lists how its days off differ from the Labour Code fallback rules (the
          days the law fixes by date and their compensatory days): the Prime Minister's
          decisions (exact Tết days, the National Day adjacent day, swaps) show up there. A
          weekday holiday whose date the law fixes (1/1, Hùng Kings' day, 30/4, 1/5, 2/9) missing
          from the file is a problem.
  show    the year's weekdays off and make-up Saturdays as the services use them, and whether
          they come from a data file (official) or from the fallback rules, from DATA_DIR

  --year YYYY      year to show (default: this year in Vietnam)
  --data-dir DIR   reference data folder (overrides DATA_DIR)

Exit codes: 0 valid (check) or shown, 1 problems listed (check) or unreadable data, 2 bad usage.
After deploying a file run 'dvc rebuild' then 'dvc rebuild --force' so due dates are recomputed.
`;

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const vnDate = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

function check(io: CliIo, file: string | undefined): number {
  if (file === undefined) throw new UsageError('check needs the file to check, e.g. dvc calendar check 2027.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    io.stdout.write(`${file}: cannot read: ${(error as Error).message}\n`);
    return 1;
  }
  const days = createDayIndexer(ZONE);
  const result = checkCalendarFile(text, basename(file), days);
  const saturdays = `${result.workingSaturdays} make-up working Saturday${result.workingSaturdays === 1 ? '' : 's'}`;
  io.stdout.write(`${file}: year ${result.year ?? '?'}, ${result.daysOff} weekday${result.daysOff === 1 ? '' : 's'} off, ${saturdays}\n`);
  if (result.year !== undefined) {
    io.stdout.write('against the Labour Code fallback (days off the law fixes by date, with their compensatory days):\n');
    if (result.differences.length === 0) io.stdout.write('  the same days off\n');
    for (const line of result.differences) io.stdout.write(`  ${line}\n`);
  }
  if (result.problems.length > 0) {
    io.stdout.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:\n`);
    for (const p of result.problems) io.stdout.write(`  - ${p}\n`);
    return 1;
  }
  io.stdout.write(`valid: deploy it as DATA_DIR/calendar/${result.year}.json, then run dvc rebuild (see infra/data/README.md)\n`);
  return 0;
}

function show(io: CliIo, argv: readonly string[]): number {
  const { values } = parseFlags(argv, { year: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (values.help === true) {
    io.stdout.write(CALENDAR_HELP);
    return 0;
  }
  const config = cliConfig(io.env, { DATA_DIR: values['data-dir'] });
  const reference = loadReferenceData(config.DATA_DIR);
  const { calendar, days } = reference;
  const year = intFlag('year', values.year, 1970, 2199) ?? Number(days.isoDate(days.dayOf(io.now())).slice(0, 4));
  const data = calendar.yearData(year);
  const file = join(config.DATA_DIR, 'calendar', `${year}.json`);
  io.stdout.write(`${year}: ${data.source === 'official' ? `official (${file})` : `fallback (Labour Code 2019 rules; no file ${file})`}\n`);
  const until = calendar.officialUntilDay;
  io.stdout.write(
    `official data: ${calendar.years.length === 0 ? 'none' : `${calendar.years.join(', ')}; unbroken up to ${until === undefined ? '?' : vnDate(days.isoDate(until))}`}\n`,
  );
  io.stdout.write('weekdays off:\n');
  for (const d of data.daysOff) io.stdout.write(`  ${d.date} ${WEEKDAY[new Date(days.dayFromIso(d.date) * 86_400_000).getUTCDay()]}  ${d.name}\n`);
  io.stdout.write(`make-up working Saturdays:${data.workingSaturdays.length === 0 ? ' none' : ''}\n`);
  for (const d of data.workingSaturdays) io.stdout.write(`  ${d.date} Sat  ${d.name}\n`);
  if ((data.unconfirmed ?? []).length > 0) {
    io.stdout.write(data.source === 'official' ? 'unconfirmed:\n' : 'not in the fallback:\n');
    for (const u of data.unconfirmed ?? []) io.stdout.write(`  - ${u}\n`);
  }
  return 0;
}

/** `dvc calendar check|show`: argv is what follows `calendar`; returns the exit code. */
export async function calendarCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    (action === undefined ? io.stderr : io.stdout).write(CALENDAR_HELP);
    return action === undefined ? 2 : 0;
  }
  if (action === 'check') {
    const { values, positionals } = parseFlags(rest, {}, 1);
    if (values.help === true) {
      io.stdout.write(CALENDAR_HELP);
      return 0;
    }
    return check(io, positionals[0]);
  }
  if (action === 'show') return show(io, rest);
  throw new UsageError(`unknown calendar action '${action}' (check <file> or show)`);
}
