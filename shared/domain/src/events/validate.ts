import { FormatRegistry, Type, type TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import {
  EVENT_TYPE_NAMES,
  EVENT_TYPES,
  MAX_ENVELOPE_ATTRIBUTES,
  NO_CONTROL_PATTERN,
  UNIT_ID_PATTERN,
  envelopeSchema,
  type DvcEvent,
  type EventType,
} from './schemas.js';
import { editDistance } from './names.js';
import { parseTimestamp, validTimestampMs } from './timestamp.js';

/** One thing wrong with an event: a JSON Pointer into it and a sentence saying what. */
export interface Problem {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; event: DvcEvent } | { ok: false; problems: Problem[] };

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (value) => validTimestampMs(value) !== undefined);

const checkers = new Map<EventType, TypeCheck<TObject>>(EVENT_TYPE_NAMES.map((type) => [type, TypeCompiler.Compile(envelopeSchema(type))]));

/**
 * The envelope of an event whose type is missing or not the contract's: every other attribute
 * checked as for any type, `data` only as an object, so that a careless client learns all that
 * is wrong with its envelope at once instead of one problem per attempt.
 */
const untypedEnvelope = (() => {
  const schema = envelopeSchema(EVENT_TYPE_NAMES[0]!);
  return TypeCompiler.Compile(
    Type.Object(
      { ...schema.properties, type: Type.Unknown(), data: Type.Object({}) },
      { additionalProperties: schema.additionalProperties, maxProperties: MAX_ENVELOPE_ATTRIBUTES },
    ),
  );
})();

function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_TYPES, value);
}

function unknownTypeProblem(type: unknown): Problem {
  if (typeof type !== 'string') {
    return { path: '/type', message: type === undefined ? 'is required' : 'must be a string naming an event type' };
  }
  const shown = type.length > 80 ? `${type.slice(0, 80)}…` : type;
  const nearest = EVENT_TYPE_NAMES.map((name) => ({ name, d: editDistance(type.slice(0, 80), name) })).sort((x, y) => x.d - y.d)[0];
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
    const received = validTimestampMs(event.data.receivedAt);
    const due = validTimestampMs(event.data.dueAt);
    if (received !== undefined && due !== undefined && due < received) {
      problems.push({ path: '/data/dueAt', message: 'must not be earlier than receivedAt' });
    }
  }
  return problems;
}

const MAX_PROBLEMS = 20;

/** A sentence for one schema error: the checker's own words, except where they would show a regex. */
function schemaMessage(error: ValueError): string {
  if (error.schema.format === 'date-time' && typeof error.value === 'string') {
    const parsed = parseTimestamp(error.value);
    if (!parsed.ok) return parsed.reason;
  }
  if (error.type === ValueErrorType.StringPattern) {
    if (error.schema.pattern === UNIT_ID_PATTERN) {
      return "must be a unit id: 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit";
    }
    if (error.schema.pattern === NO_CONTROL_PATTERN) return 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)';
  }
  // The only unions at the top level are extension attributes (specversion and type are literals).
  if (error.type === ValueErrorType.Union && error.path.lastIndexOf('/') === 0) {
    return 'an extension attribute must be a string of at most 2048 characters, a 32-bit integer or a boolean';
  }
  return error.message.toLowerCase();
}

/** `first`, then the checker's problems of `value` (one per path, those paths excepted), at most MAX_PROBLEMS in all. */
function schemaProblems(checker: TypeCheck<TObject>, value: unknown, first: Problem[]): Problem[] {
  const problems = [...first];
  for (const error of checker.Errors(value)) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (!problems.some((p) => p.path === error.path)) problems.push({ path: error.path, message: schemaMessage(error) });
  }
  return problems;
}

/**
 * Validates one parsed JSON value against the contract. Every problem is named with its
 * path; nothing is thrown for bad input.
 */
export function validateEvent(value: unknown): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ path: '', message: 'an event must be a JSON object' }] };
  }
  const type = (value as { type?: unknown }).type;
  if (!isEventType(type)) return { ok: false, problems: schemaProblems(untypedEnvelope, value, [unknownTypeProblem(type)]) };
  const checker = checkers.get(type);
  if (checker === undefined) throw new Error(`no checker compiled for ${type}`);
  if (!checker.Check(value)) return { ok: false, problems: schemaProblems(checker, value, []) };
  const event = value as unknown as DvcEvent;
  const problems = semanticProblems(event);
  return problems.length === 0 ? { ok: true, event } : { ok: false, problems };
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

/**
 * JSON.parse with the syntax error turned into a problem instead of an exception. A leading
 * byte order mark is ignored, as RFC 8259 allows.
 */
export function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `malformed JSON: ${(error as Error).message}` }] };
  }
}

/** Offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points above U+10FFFF included), or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let continuation: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuation = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= continuation; k++) {
      const byte = bytes[i + k];
      if (byte === undefined) return i;
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (byte < min || byte > max) return i;
    }
    i += continuation + 1;
  }
  return -1;
}

/**
 * Why a byte sequence cannot be JSON text as the contract requires it (UTF-8, RFC 8259), or
 * undefined when it can be decoded: empty bodies, UTF-16/UTF-32, NUL bytes and invalid UTF-8
 * are named with the offset of the first offending byte.
 */
export function jsonBytesProblem(bytes: Uint8Array): Problem | undefined {
  if (bytes.length === 0) return { path: '', message: 'empty: a JSON value is required' };
  const [b0, b1] = [bytes[0], bytes[1]];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    return { path: '', message: 'starts with a UTF-16 byte order mark: send UTF-8' };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const utf16 = b0 === 0 || b1 === 0;
    return { path: '', message: `NUL byte at offset ${nul}${utf16 ? ' (this looks like UTF-16 or UTF-32)' : ''}: send UTF-8 JSON` };
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid >= 0) return { path: '', message: `not valid UTF-8 at byte offset ${invalid}` };
  return undefined;
}

/** All published JSON Schemas, keyed by event type, for integrators. */
export function eventJsonSchemas(): Record<EventType, TObject> {
  return Object.fromEntries(EVENT_TYPE_NAMES.map((type) => [type, envelopeSchema(type)])) as Record<EventType, TObject>;
}
