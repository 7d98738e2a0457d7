import { FormatRegistry, type TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { EVENT_TYPE_NAMES, EVENT_TYPES, envelopeSchema, type DvcEvent, type EventType } from './schemas.js';
import { parseTimestamp } from './timestamp.js';

/** One thing wrong with an event: a JSON Pointer into it and a sentence saying what. */
export interface Problem {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; event: DvcEvent } | { ok: false; problems: Problem[] };

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (value) => parseTimestamp(value).ok);

const checkers = new Map<EventType, TypeCheck<TObject>>(
  EVENT_TYPE_NAMES.map((type) => [type, TypeCompiler.Compile(envelopeSchema(type))]),
);

function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_TYPES, value);
}

/** Levenshtein distance, used only to suggest the intended type for a misspelled one. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function unknownTypeProblem(type: unknown): Problem {
  if (typeof type !== 'string') {
    return { path: '/type', message: type === undefined ? 'is required' : 'must be a string naming an event type' };
  }
  const shown = type.length > 80 ? `${type.slice(0, 80)}…` : type;
  const nearest = EVENT_TYPE_NAMES.map((name) => ({ name, d: distance(type.slice(0, 80), name) })).sort((x, y) => x.d - y.d)[0];
  const hint = nearest !== undefined && nearest.d <= 4 ? ` (did you mean '${nearest.name}'?)` : '';
  return { path: '/type', message: `unknown event type '${shown}'${hint}` };
}

function semanticProblems(event: DvcEvent): Problem[] {
  const problems: Problem[] = [];
  const subjectField = EVENT_TYPES[event.type].subjectField;
  const subjectValue = (event.data as Record<string, unknown>)[subjectField];
  if (subjectValue !== event.subject) {
    problems.push({ path: '/subject', message: `must equal data.${subjectField} ('${String(subjectValue)}')` });
  }
  if (event.unitid !== event.data.unitId) {
    problems.push({ path: '/unitid', message: `must equal data.unitId ('${event.data.unitId}')` });
  }
  if (event.type === 'vn.dvc.dossier.received' && event.data.dueAt !== undefined) {
    const received = parseTimestamp(event.data.receivedAt);
    const due = parseTimestamp(event.data.dueAt);
    if (received.ok && due.ok && due.ms < received.ms) {
      problems.push({ path: '/data/dueAt', message: 'must not be earlier than receivedAt' });
    }
  }
  return problems;
}

const MAX_PROBLEMS = 20;

/**
 * Validates one parsed JSON value against the contract. Every problem is named with its
 * path; nothing is thrown for bad input.
 */
export function validateEvent(value: unknown): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ path: '', message: 'an event must be a JSON object' }] };
  }
  const type = (value as { type?: unknown }).type;
  if (!isEventType(type)) return { ok: false, problems: [unknownTypeProblem(type)] };
  const checker = checkers.get(type);
  if (checker === undefined) throw new Error(`no checker compiled for ${type}`);
  if (!checker.Check(value)) {
    const problems: Problem[] = [];
    for (const error of checker.Errors(value)) {
      const message =
        error.schema.format === 'date-time' && typeof error.value === 'string'
          ? (() => {
              const parsed = parseTimestamp(error.value);
              return parsed.ok ? error.message : parsed.reason;
            })()
          : error.message.toLowerCase();
      if (!problems.some((p) => p.path === error.path)) problems.push({ path: error.path, message });
      if (problems.length >= MAX_PROBLEMS) break;
    }
    return { ok: false, problems };
  }
  const event = value as unknown as DvcEvent;
  const problems = semanticProblems(event);
  return problems.length === 0 ? { ok: true, event } : { ok: false, problems };
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

/** JSON.parse with the syntax error turned into a problem instead of an exception. */
export function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `malformed JSON: ${(error as Error).message}` }] };
  }
}

/** All published JSON Schemas, keyed by event type, for integrators. */
export function eventJsonSchemas(): Record<EventType, TObject> {
  return Object.fromEntries(EVENT_TYPE_NAMES.map((type) => [type, envelopeSchema(type)])) as Record<EventType, TObject>;
}
