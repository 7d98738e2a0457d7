import { ZONE, readDataFile } from '@dvc/config';
import { DvcError, createDayIndexer, validOn, type UnitDirectory } from '@dvc/domain';

/** Who receives notices for one unit, one level, or the fallback (province operations team). */
export interface RecipientEntry {
  name: string;
  emails: string[];
  webhooks: string[];
}

export interface RecipientBook {
  fallback: RecipientEntry;
  levels: Record<string, RecipientEntry>;
  units: Record<string, RecipientEntry>;
}

export interface Recipient {
  channel: 'email' | 'webhook';
  target: string;
}

/** Thrown when the recipients file is missing or malformed; names the file and each problem. */
export class RecipientsFileError extends DvcError {
  readonly code = 'DVC_RECIPIENTS_FILE';
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

function parseEntry(raw: unknown, where: string, problems: string[]): RecipientEntry {
  const entry: RecipientEntry = { name: '', emails: [], webhooks: [] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${where} must be an object { name, emails, webhooks }`);
    return entry;
  }
  const r = raw as Record<string, unknown>;
  entry.name = typeof r.name === 'string' ? r.name : '';
  for (const [field, check] of [
    ['emails', (s: string) => EMAIL.test(s)],
    ['webhooks', (s: string) => /^https?:\/\//.test(s) && URL.canParse(s)],
  ] as const) {
    const list = r[field] ?? [];
    if (!Array.isArray(list)) {
      problems.push(`${where}.${field} must be a list`);
      continue;
    }
    list.forEach((item: unknown, i) => {
      if (typeof item !== 'string' || !check(item))
        problems.push(`${where}.${field}[${i}] is not a valid ${field === 'emails' ? 'email address' : 'http(s) URL'}: ${JSON.stringify(item)}`);
      else entry[field].push(item);
    });
  }
  return entry;
}

export function parseRecipients(raw: unknown): { ok: true; book: RecipientBook } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null) return { ok: false, problems: ['must be a JSON object'] };
  const r = raw as Record<string, unknown>;
  const fallback = parseEntry(r.fallback, 'fallback', problems);
  if (problems.length === 0 && fallback.emails.length + fallback.webhooks.length === 0) problems.push('fallback must have at least one email or webhook');
  const section = (name: 'levels' | 'units') => {
    const out: Record<string, RecipientEntry> = {};
    const v = r[name] ?? {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problems.push(`${name} must be an object keyed by ${name === 'levels' ? 'level' : 'unit id'}`);
      return out;
    }
    for (const [key, entry] of Object.entries(v)) out[key] = parseEntry(entry, `${name}.${key}`, problems);
    return out;
  };
  const levels = section('levels');
  const units = section('units');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, book: { fallback, levels, units } };
}

/** The recipients file and its version (its `"version"` field, else a digest of its bytes); throws naming the file. */
export function loadRecipients(file: string): { book: RecipientBook; version: string } {
  let read: { json: unknown; version: string };
  try {
    read = readDataFile(file);
  } catch (error) {
    throw new RecipientsFileError(`cannot read recipients file ${file}: ${(error as Error).message}`);
  }
  const parsed = parseRecipients(read.json);
  if (!parsed.ok) throw new RecipientsFileError(`recipients file ${file} is invalid:\n  - ${parsed.problems.join('\n  - ')}`);
  return { book: parsed.book, version: read.version };
}

/**
 * Recipients of a notice about these label sets: the union of each unit's entry and each
 * level's entry; the fallback (province operations team) when nothing matches.
 */
export function resolveRecipients(book: RecipientBook, labelSets: readonly Record<string, string>[]): Recipient[] {
  const emails = new Set<string>();
  const webhooks = new Set<string>();
  const add = (e: RecipientEntry | undefined) => {
    if (e === undefined) return;
    e.emails.forEach((x) => emails.add(x));
    e.webhooks.forEach((x) => webhooks.add(x));
  };
  for (const labels of labelSets) {
    if (labels.unit !== undefined) add(book.units[labels.unit]);
    if (labels.level !== undefined) add(book.levels[labels.level]);
  }
  if (emails.size + webhooks.size === 0) add(book.fallback);
  return [
    ...[...emails].sort().map((target) => ({ channel: 'email' as const, target })),
    ...[...webhooks].sort().map((target) => ({ channel: 'webhook' as const, target })),
  ];
}

/** Who of the unit directory the book reaches by name, on one local date. */
export interface RecipientCoverage {
  /** Unit entries the directory does not list: a misspelt unit, whose head is never told. */
  unlisted: string[];
  /** Units valid on the date with an entry of their own. */
  headed: string[];
  /** Units valid on the date without one: their notices reach only their level's entry (or the fallback). */
  unheaded: string[];
}

const DAYS = createDayIndexer(ZONE);

/** The local date (Asia/Ho_Chi_Minh) of an instant, YYYY-MM-DD: what unit validity is compared with. */
export const localDateOf = (ms: number): string => DAYS.isoDate(DAYS.dayOf(ms));

/** The unit entries of a book the directory does not list (a misspelt unit, whose head is never told), sorted. */
export function unlistedRecipientUnits(book: RecipientBook, directory: UnitDirectory): string[] {
  return Object.keys(book.units)
    .filter((unit) => !directory.has(unit))
    .sort();
}

/** Which units of the directory valid on `date` (YYYY-MM-DD) the book names, and which unit entries it cannot place. */
export function recipientCoverage(book: RecipientBook, directory: UnitDirectory, date: string): RecipientCoverage {
  const coverage: RecipientCoverage = { unlisted: unlistedRecipientUnits(book, directory), headed: [], unheaded: [] };
  for (const unit of directory.ids()) {
    const record = directory.record(unit);
    if (record !== undefined && validOn(record, date)) (Object.hasOwn(book.units, unit) ? coverage.headed : coverage.unheaded).push(unit);
  }
  return coverage;
}
