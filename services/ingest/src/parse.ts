import {
  ADMISSION_CODES,
  jsonBytesProblem,
  parseJson,
  validateEvent,
  type AdmissionCode,
  type AdmissionResult,
  type DvcEvent,
  type Problem,
} from '@dvc/domain';

export const CONTENT_TYPES = {
  single: 'application/cloudevents+json',
  batch: 'application/cloudevents-batch+json',
  ndjson: 'application/x-ndjson',
} as const;

const NDJSON_ALIASES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl']);

export type BodyKind = 'single' | 'batch' | 'ndjson';

/** The body kind for a Content-Type header, or why it is refused (415). */
export function bodyKindOf(contentType: string | undefined): { ok: true; kind: BodyKind } | { ok: false; message: string } {
  const accepted = `${CONTENT_TYPES.single}, ${CONTENT_TYPES.batch} or ${CONTENT_TYPES.ndjson}`;
  if (contentType === undefined) return { ok: false, message: `Content-Type is required: ${accepted}` };
  const [mediaType = '', ...params] = contentType.split(';').map((s) => s.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return { ok: false, message: `charset ${charset} is not supported; send UTF-8` };
  }
  if (mediaType === CONTENT_TYPES.single) return { ok: true, kind: 'single' };
  if (mediaType === CONTENT_TYPES.batch) return { ok: true, kind: 'batch' };
  if (NDJSON_ALIASES.has(mediaType)) return { ok: true, kind: 'ndjson' };
  return { ok: false, message: `Content-Type ${mediaType || '(empty)'} is not accepted; send ${accepted}` };
}

export interface InvalidEvent {
  /** Position of the event in the batch (NDJSON: among the non-blank lines). */
  index: number;
  /** NDJSON only: the 1-based line number. */
  line?: number;
  id?: string;
  /** Validation problems (path, message), or admission problems (path, message, code). */
  problems: Problem[];
}

/** Why a request was refused, as a metric label: a fixed set, never input text. */
export type RejectReason = 'encoding' | 'malformed_json' | 'not_a_batch' | 'empty' | 'too_many_events' | 'invalid_events';

export type ParsedBody =
  | { ok: true; events: DvcEvent[] }
  | {
      ok: false;
      status: 400 | 413;
      /** Why, as a metric label: a RejectReason, or the first admission code when admission alone refused the request. */
      reason: RejectReason | AdmissionCode;
      /** Every admission code among the refused events, in ADMISSION_CODES order (empty when admission refused none). */
      codes: AdmissionCode[];
      message: string;
      /** The first MAX_LISTED_INVALID invalid events; invalidCount says how many there were. */
      invalid: InvalidEvent[];
      invalidCount: number;
      /** Events in the request as far as they could be told apart (1 when the body is unreadable). */
      eventCount: number;
    };

/** Enough for a client to fix a batch; a 10,000-line body of garbage must not produce a 100 MB answer. */
export const MAX_LISTED_INVALID = 100;

const refuse = (status: 400 | 413, reason: RejectReason, message: string, eventCount = 1): ParsedBody => ({
  ok: false,
  status,
  reason,
  message,
  invalid: [],
  invalidCount: 0,
  codes: [],
  eventCount,
});

/** A JSON value parsed from one part of the body, or the problems of that part. */
type Item = { ok: true; value: unknown; line?: number } | { ok: false; problems: Problem[]; line: number };

function ndjsonItems(text: string): Item[] {
  const items: Item[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const parsed = parseJson(line);
    items.push(parsed.ok ? { ok: true, value: parsed.value, line: i + 1 } : { ok: false, problems: parsed.problems, line: i + 1 });
  });
  return items;
}

/**
 * Turns a request body into valid (and, with `admit`, admitted) events, or every reason it
 * cannot be: all events are checked so the caller can fix a whole batch in one go. Never throws,
 * whatever the bytes.
 */
export function parseBody(body: Buffer, kind: BodyKind, maxEvents: number, admit?: (event: DvcEvent) => AdmissionResult): ParsedBody {
  const bytesProblem = jsonBytesProblem(body);
  if (bytesProblem !== undefined) {
    return refuse(400, bytesProblem.message.startsWith('empty') ? 'empty' : 'encoding', `body ${bytesProblem.message}`);
  }
  const text = body.toString('utf8');
  let items: Item[];
  if (kind === 'ndjson') {
    items = ndjsonItems(text);
  } else {
    const parsed = parseJson(text);
    if (!parsed.ok) return refuse(400, 'malformed_json', parsed.problems[0]?.message ?? 'malformed JSON');
    if (kind === 'batch') {
      if (!Array.isArray(parsed.value)) return refuse(400, 'not_a_batch', `${CONTENT_TYPES.batch} must be a JSON array of events`);
      items = parsed.value.map((value: unknown) => ({ ok: true, value }));
    } else {
      if (Array.isArray(parsed.value)) return refuse(400, 'not_a_batch', `send arrays as ${CONTENT_TYPES.batch}`, parsed.value.length);
      items = [{ ok: true, value: parsed.value }];
    }
  }
  if (items.length === 0) return refuse(400, 'empty', 'the batch holds no events', 0);
  if (items.length > maxEvents) {
    return refuse(413, 'too_many_events', `the batch holds ${items.length} events; the limit is ${maxEvents}`, items.length);
  }
  const events: DvcEvent[] = [];
  const invalid: InvalidEvent[] = [];
  let invalidCount = 0;
  let unparsable = 0;
  let inadmissible = 0;
  const codes = new Set<AdmissionCode>();
  items.forEach((item, index) => {
    const line = item.line === undefined ? {} : { line: item.line };
    if (!item.ok) {
      invalidCount += 1;
      unparsable += 1;
      if (invalid.length < MAX_LISTED_INVALID) invalid.push({ index, ...line, problems: item.problems });
      return;
    }
    const result = validateEvent(item.value);
    let problems: Problem[];
    if (result.ok) {
      const admitted = admit?.(result.event) ?? { ok: true };
      if (admitted.ok) {
        events.push(result.event);
        return;
      }
      inadmissible += 1;
      for (const p of admitted.problems) codes.add(p.code);
      problems = admitted.problems;
    } else {
      problems = result.problems;
    }
    invalidCount += 1;
    if (invalid.length >= MAX_LISTED_INVALID) return;
    const id = (item.value as { id?: unknown } | null)?.id;
    invalid.push({ index, ...line, ...(typeof id === 'string' ? { id: id.slice(0, 256) } : {}), problems });
  });
  if (invalidCount > 0) {
    const listed = invalidCount > invalid.length ? ` (the first ${invalid.length} are listed)` : '';
    const found = ADMISSION_CODES.filter((c) => codes.has(c));
    const first = found[0];
    const reason = first !== undefined && inadmissible === invalidCount ? first : unparsable === invalidCount ? 'malformed_json' : 'invalid_events';
    const what = inadmissible === 0 ? 'are invalid' : `are refused (${invalidCount - inadmissible} invalid, ${inadmissible} not admitted: ${found.join(', ')})`;
    return {
      ok: false,
      status: 400,
      reason,
      codes: found,
      message: `${invalidCount} of ${items.length} events ${what}; nothing was accepted${listed}`,
      invalid,
      invalidCount,
      eventCount: items.length,
    };
  }
  return { ok: true, events };
}
