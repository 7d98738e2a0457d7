import { EVENT_TYPE_NAMES, UNIT_ID_PATTERN, type EventType } from './schemas.js';

/**
 * Event type names and unit ids as people type them (query strings, CLI flags, key scopes):
 * a comma list of types is split and checked, and a misspelt type is answered with the
 * closest known one.
 */

const UNIT_ID = new RegExp(UNIT_ID_PATTERN);

/** Levenshtein distance, used only to suggest the intended type for a misspelt one. */
export function editDistance(a: string, b: string): number {
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

/** The known event type closest to a misspelt one (the first of the closest, in contract order). */
export function closestEventType(name: string): EventType {
  let best = EVENT_TYPE_NAMES[0] as EventType;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of EVENT_TYPE_NAMES) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Splits a comma list of event types (repeats removed, order kept); `what` names the input in
 * the problems, which name each unknown type with the closest valid one.
 */
export function parseEventTypes(raw: string, what: string): { ok: true; types: EventType[] } | { ok: false; problems: string[] } {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) return { ok: false, problems: [`${what} has an empty entry in '${raw}': give event types separated by commas`] };
  const known = new Set<string>(EVENT_TYPE_NAMES);
  const unknown = items.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    return {
      ok: false,
      problems: unknown.map((t) => `${what}: unknown event type '${t}' (did you mean '${closestEventType(t)}'?); valid types: ${EVENT_TYPE_NAMES.join(', ')}`),
    };
  }
  return { ok: true, types: [...new Set(items)] as EventType[] };
}

/** Whether a unit id has the contract's shape (UNIT_ID_PATTERN). */
export function isUnitId(value: string): boolean {
  return UNIT_ID.test(value);
}
