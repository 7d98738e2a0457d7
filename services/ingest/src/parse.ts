import { parseJson, validateEvent, type DvcEvent, type Problem } from '@dvc/domain';

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
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return { ok: false, message: `charset ${charset} is not supported; send UTF-8` };
  }
  if (mediaType === CONTENT_TYPES.single) return { ok: true, kind: 'single' };
  if (mediaType === CONTENT_TYPES.batch) return { ok: true, kind: 'batch' };
  if (NDJSON_ALIASES.has(mediaType)) return { ok: true, kind: 'ndjson' };
  return { ok: false, message: `Content-Type ${mediaType || '(empty)'} is not accepted; send ${accepted}` };
}

export interface InvalidEvent {
  index: number;
  id?: string;
  problems: Problem[];
}

export type ParsedBody =
  | { ok: true; events: DvcEvent[] }
  | { ok: false; status: 400 | 413; message: string; invalid: InvalidEvent[] };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a request body into valid events, or every reason it cannot be: all events are
 * checked so the caller can fix a whole batch in one go.
 */
export function parseBody(body: Buffer, kind: BodyKind, maxEvents: number): ParsedBody {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return { ok: false, status: 400, message: 'body is not valid UTF-8', invalid: [] };
  }
  let values: unknown[];
  if (kind === 'ndjson') {
    const lines = text.split('\n').map((l) => l.trim());
    values = [];
    const invalid: InvalidEvent[] = [];
    lines.forEach((line) => {
      if (line === '') return;
      const parsed = parseJson(line);
      if (parsed.ok) values.push(parsed.value);
      else {
        invalid.push({ index: values.length + invalid.length, problems: parsed.problems });
      }
    });
    if (invalid.length > 0) return { ok: false, status: 400, message: 'some lines are not JSON', invalid };
  } else {
    const parsed = parseJson(text);
    if (!parsed.ok) return { ok: false, status: 400, message: parsed.problems[0]?.message ?? 'malformed JSON', invalid: [] };
    if (kind === 'batch') {
      if (!Array.isArray(parsed.value)) {
        return { ok: false, status: 400, message: `${CONTENT_TYPES.batch} must be a JSON array of events`, invalid: [] };
      }
      values = parsed.value;
    } else {
      if (Array.isArray(parsed.value)) {
        return { ok: false, status: 400, message: `send arrays as ${CONTENT_TYPES.batch}`, invalid: [] };
      }
      values = [parsed.value];
    }
  }
  if (values.length === 0) return { ok: false, status: 400, message: 'the batch holds no events', invalid: [] };
  if (values.length > maxEvents) {
    return { ok: false, status: 413, message: `the batch holds ${values.length} events; the limit is ${maxEvents}`, invalid: [] };
  }
  const events: DvcEvent[] = [];
  const invalid: InvalidEvent[] = [];
  values.forEach((value, index) => {
    const result = validateEvent(value);
    if (result.ok) {
      events.push(result.event);
      return;
    }
    const id = (value as { id?: unknown } | null)?.id;
    invalid.push({ index, ...(typeof id === 'string' ? { id: id.slice(0, 256) } : {}), problems: result.problems });
  });
  if (invalid.length > 0) {
    return { ok: false, status: 400, message: `${invalid.length} of ${values.length} events are invalid; nothing was accepted`, invalid };
  }
  return { ok: true, events };
}
