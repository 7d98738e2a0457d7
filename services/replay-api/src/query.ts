import { UNIT_ID_PATTERN, closestUnitId, isUnitId, parseEventTypes, parseTimestamp, type EventType, type UnitDirectory } from '@dvc/domain';
import type { Position } from '@dvc/eventstore';
import { queryProblems, wholeNumber } from '@dvc/service';
import type { TokenCodec } from './token.js';

/** Every query parameter GET /v1/events accepts; anything else is a 400 (and openapi.json lists exactly these). */
export const QUERY_PARAMETERS = ['after', 'types', 'unit', 'from', 'to', 'limit', 'follow'] as const;
export type QueryParameter = (typeof QUERY_PARAMETERS)[number];

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;

/** A validated request for events; the token already decoded, times in epoch ms. */
export interface EventsQuery {
  /** Events after this position (exclusive); 0 from the beginning. */
  after: Position;
  types?: EventType[];
  unit?: string;
  from?: number;
  to?: number;
  /** At most this many events; undefined only for a follow without a limit (unbounded tail). */
  limit?: number;
  follow: boolean;
}

/** Which units a `unit=` filter may name: those the directory lists, or any in pilot mode. */
export interface UnitCheck {
  directory: Pick<UnitDirectory, 'has' | 'ids' | 'version'>;
  /** ACCEPT_UNKNOWN_UNITS: the ingest admits units the directory does not list, so the history may hold them. */
  acceptUnknownUnits: boolean;
}

export type QueryResult = { ok: true; query: EventsQuery } | { ok: false; problems: string[] };

/**
 * Validates the query string of GET /v1/events, reporting every problem at once. A unit the
 * directory does not list is refused outside pilot mode: the history holds no event of it, and a
 * misspelt unit would otherwise read as a unit without events.
 */
export function parseEventsQuery(params: URLSearchParams, tokens: TokenCodec, units: UnitCheck): QueryResult {
  const problems = queryProblems(params, QUERY_PARAMETERS);
  // The parameters given once: a repeated one is a problem above and is not read.
  const single = new Map<QueryParameter, string>();
  for (const name of QUERY_PARAMETERS) {
    const values = params.getAll(name);
    if (values.length === 1) single.set(name, values[0] ?? '');
  }

  const query: EventsQuery = { after: 0, follow: false };

  const follow = single.get('follow');
  if (follow !== undefined) {
    if (follow === 'true') query.follow = true;
    else if (follow !== 'false') problems.push(`follow must be true or false, got '${follow}'`);
  }

  const after = single.get('after');
  if (after !== undefined) {
    const decoded = tokens.decode(after);
    if (decoded.ok) query.after = decoded.position;
    else problems.push(decoded.problem);
  }

  const types = single.get('types');
  if (types !== undefined) {
    const parsed = parseEventTypes(types, 'types');
    if (parsed.ok) query.types = parsed.types;
    else problems.push(...parsed.problems);
  }

  const unit = single.get('unit');
  if (unit !== undefined) {
    if (!isUnitId(unit)) problems.push(`unit '${unit}' is not a unit id (${UNIT_ID_PATTERN})`);
    else if (units.acceptUnknownUnits || units.directory.has(unit)) query.unit = unit;
    else problems.push(unlistedUnitProblem(unit, units.directory));
  }

  for (const name of ['from', 'to'] as const) {
    const raw = single.get(name);
    if (raw === undefined) continue;
    const parsed = parseTimestamp(raw);
    if (parsed.ok) query[name] = parsed.ms;
    else problems.push(`${name} '${raw}' ${parsed.reason}`);
  }
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
    problems.push(`from (${single.get('from')}) must be before to (${single.get('to')})`);
  }

  const limit = single.get('limit');
  if (limit !== undefined) {
    const n = wholeNumber(limit, 1, MAX_LIMIT);
    if (n !== undefined) query.limit = n;
    else problems.push(`limit must be an integer from 1 to ${MAX_LIMIT}, got '${limit}'`);
  } else if (!query.follow) {
    query.limit = DEFAULT_LIMIT;
  }

  return problems.length > 0 ? { ok: false, problems } : { ok: true, query };
}

function unlistedUnitProblem(unit: string, directory: UnitCheck['directory']): string {
  const closest = closestUnitId(directory, unit);
  const hint = closest === undefined ? '' : `; did you mean '${closest}'?`;
  return `unit '${unit}' is not in the unit directory (version ${directory.version}${hint}), and the history holds events of unlisted units only in pilot mode (ACCEPT_UNKNOWN_UNITS), which is off`;
}
