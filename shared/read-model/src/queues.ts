import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { RedisClient } from './client.js';
import { DvcError, DUE_SOON_MS, SETS, daysOverdueAt, effectiveDueMs, subjectKey, type DossierState, type SetName } from '@dvc/domain';
import { CorruptStateError, parseStoredState, type Keys } from './keys.js';

const PAGE_LUA = readFileSync(new URL('./page.lua', import.meta.url), 'utf8');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    dvcPage(numKeys: number, ...args: (string | number)[]): Result<unknown[], Context>;
  }
}

/** The units of a namespace (its unit set), sorted. */
export async function listUnits(redis: RedisClient, keys: Keys): Promise<string[]> {
  return (await redis.smembers(keys.units())).sort();
}

/**
 * The lists of a unit's dossiers that readers ask for: open ones by due time or pause, online
 * submissions past their receipt deadline, and resolved dossiers whose result was not handed back
 * by its deadline.
 */
export const QUEUES = ['overdue', 'due-soon', 'paused', 'receipt-overdue', 'result-not-returned'] as const;
export type Queue = (typeof QUEUES)[number];

interface Question {
  set: SetName;
  /** Lowest score, inclusive: '-inf' or a number. */
  min: (nowMs: number) => string;
  /** Highest score in Redis range syntax: '+inf', '<n>' or '(<n>' (exclusive). */
  max: (nowMs: number) => string;
}

/**
 * Each question as one score range of one sorted set of the unit, the same for a count (the
 * exporter's snapshot) and for a list (the notices, the board). The projector scores the open set
 * with the effective due time (`openMembership` of @dvc/domain; +inf when none is known) and the
 * paused set with the pause start, so each range is exactly the domain's rule at `nowMs`.
 */
const QUESTIONS: Record<Queue, Question> = {
  // isOverdueAt(state, now): now > effective due, i.e. score < now; +inf (no due time) never.
  overdue: { set: SETS.open, min: () => '-inf', max: (nowMs) => `(${nowMs}` },
  // isDueSoonAt(state, now): now <= effective due <= now + DUE_SOON_MS, both ends included.
  'due-soon': { set: SETS.open, min: (nowMs) => String(nowMs), max: (nowMs) => String(nowMs + DUE_SOON_MS) },
  // isPaused(state): every member of the paused set, the longest waiting (earliest pause) first.
  paused: { set: SETS.paused, min: () => '-inf', max: () => '+inf' },
  // Not yet received, receipt deadline (the score) before now: what dvc_dossiers_receipt_overdue counts.
  'receipt-overdue': { set: SETS.pendingReceipt, min: () => '-inf', max: (nowMs) => `(${nowMs}` },
  // Resolved, result not returned, return deadline (the score) before now: the result_not_returned signal.
  'result-not-returned': { set: SETS.awaitingResult, min: () => '-inf', max: (nowMs) => `(${nowMs}` },
};

/** A score range of one sorted set, as ZCOUNT and ZRANGE BYSCORE take it. */
export interface ScoreRange {
  key: string;
  min: string;
  max: string;
}

/** Where the answer to `queue` lies for one unit at `nowMs`. */
export function queueRange(keys: Keys, unitId: string, queue: Queue, nowMs: number): ScoreRange {
  const question = QUESTIONS[queue];
  return { key: keys.set(unitId, question.set), min: question.min(nowMs), max: question.max(nowMs) };
}

/** What a list is read at: a namespace and its now (a `LiveState` is one). */
export interface ReadAt {
  keys: Keys;
  nowMs: number;
}

export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  /** Items at most, 1 to MAX_PAGE_SIZE. */
  limit: number;
  /** The `next` of the previous page of the same list; absent for the first page. */
  after?: string | undefined;
}

/** One open dossier of a list: ids and times only. */
export interface QueueItem {
  dossierId: string;
  procedureId: string | undefined;
  receivedAtMs: number;
  /** Effective due time at the list's now (a running pause counted up to it); undefined when none is known. */
  dueMs: number | undefined;
  /** Whole 24-hour days past the effective due time at the list's now (`daysOverdueAt`). */
  daysOverdue: number;
  /** Start of the running supplement pause (a dossier of the paused list); undefined when none runs. */
  pausedSinceMs: number | undefined;
}

/** An item of a list by due time: its due time is known. */
export interface DueItem extends QueueItem {
  dueMs: number;
}

export interface Page<T> {
  items: T[];
  /**
   * Opaque cursor of the next page; undefined when the list ended. It names the last item's
   * score and member, so the next page starts right after it even when items came or went.
   */
  next: string | undefined;
}

/** Thrown for a page the queries refuse: a limit outside 1–MAX_PAGE_SIZE, or a cursor not issued for that list. */
export class PageRequestError extends DvcError {
  readonly code = 'DVC_PAGE_REQUEST';
}

/** A finite score as Redis writes it in replies. */
const SCORE = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/;

export function encodeCursor(queue: Queue, score: string, member: string): string {
  return Buffer.from(JSON.stringify([queue, score, member])).toString('base64url');
}

/** The score and member a cursor of `queue` names; throws PageRequestError for anything else. */
export function decodeCursor(queue: Queue, cursor: string): { score: string; member: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 3 &&
    parsed[0] === queue &&
    typeof parsed[1] === 'string' &&
    SCORE.test(parsed[1]) &&
    typeof parsed[2] === 'string' &&
    parsed[2] !== ''
  ) {
    return { score: parsed[1], member: parsed[2] };
  }
  throw new PageRequestError(`cursor '${cursor.slice(0, 80)}' was not issued for the ${queue} list`);
}

/**
 * The dossier state of a listed member (`<revision>|<JSON>`), refused as corrupt when it is
 * missing or is not what the list holds (`fits`; `refusal` says what it should be and where).
 */
function listedDossier<T extends DossierState>(raw: string | null, key: string, fits: (state: DossierState) => state is T, refusal: string): T {
  if (raw === null) throw new CorruptStateError(`state ${key} is missing, yet its dossier is in the unit's lists`);
  const { state } = parseStoredState(raw, key);
  if (state.kind !== 'dossier' || !fits(state)) throw new CorruptStateError(`state ${key} is not ${refusal}`);
  return state;
}

type Received = DossierState & { receivedAt: number };
type Submitted = DossierState & { submittedAt: number };
type Resolved = DossierState & { resolvedAt: number };

/** Whole 24-hour days from a deadline to `nowMs`, 0 before it. */
const daysPast = (nowMs: number, deadlineMs: number): number => Math.max(0, Math.floor((nowMs - deadlineMs) / 86_400_000));

/** The item of a member from its stored state (`<revision>|<JSON>`), read at `nowMs`. */
export function queueItem(member: string, raw: string | null, key: string, nowMs: number): QueueItem {
  const state = listedDossier(raw, key, (s): s is Received => s.receivedAt !== undefined, "a received dossier, yet it is in the unit's lists");
  return {
    dossierId: member,
    procedureId: state.procedureId,
    receivedAtMs: state.receivedAt,
    dueMs: effectiveDueMs(state, nowMs),
    daysOverdue: daysOverdueAt(state, nowMs),
    pausedSinceMs: state.pausedSince,
  };
}

/** Builds a list's item from its member, its stored state (null when missing), the state's key, the list's now and the member's score. */
type ItemOf<T> = (member: string, raw: string | null, key: string, nowMs: number, score: number) => T;

async function readQueue<T extends { dossierId: string }>(
  redis: RedisClient,
  at: ReadAt,
  unitId: string,
  queue: Queue,
  request: PageRequest,
  itemOf: ItemOf<T>,
): Promise<Page<T>> {
  if (!Number.isSafeInteger(request.limit) || request.limit < 1 || request.limit > MAX_PAGE_SIZE) {
    throw new PageRequestError(`limit ${request.limit} is not a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const cursor = request.after === undefined ? undefined : decodeCursor(queue, request.after);
  if (typeof (redis as Partial<RedisClient>).dvcPage !== 'function') redis.defineCommand('dvcPage', { lua: PAGE_LUA });
  const range = queueRange(at.keys, unitId, queue, at.nowMs);
  const statePrefix = at.keys.state(unitId, subjectKey('dossier', ''));
  const reply = await redis.dvcPage(1, range.key, range.min, range.max, request.limit, cursor?.score ?? '', cursor?.member ?? '', statePrefix);
  const items: T[] = [];
  let lastScore = '';
  for (let i = 1; i + 2 < reply.length; i += 3) {
    const member = String(reply[i]);
    lastScore = String(reply[i + 1]);
    const raw = reply[i + 2];
    items.push(itemOf(member, typeof raw === 'string' ? raw : null, `${statePrefix}${member}`, at.nowMs, Number(lastScore)));
  }
  const last = items[items.length - 1];
  return { items, next: reply[0] === 1 && last !== undefined ? encodeCursor(queue, lastScore, last.dossierId) : undefined };
}

async function readDue(redis: RedisClient, at: ReadAt, unitId: string, queue: 'overdue' | 'due-soon', request: PageRequest): Promise<Page<DueItem>> {
  const page = await readQueue(redis, at, unitId, queue, request, queueItem);
  const items = page.items.map((item): DueItem => {
    if (item.dueMs === undefined) throw new CorruptStateError(`dossier ${item.dossierId} of unit ${unitId} is in the ${queue} list without a due time`);
    return { ...item, dueMs: item.dueMs };
  });
  return { items, next: page.next };
}

/**
 * The unit's open dossiers overdue at `at.nowMs` (`isOverdueAt`), the longest overdue (lowest
 * effective due time) first. One round trip: the page and its states are read by one script.
 */
export function readOverdue(redis: RedisClient, at: ReadAt, unitId: string, request: PageRequest): Promise<Page<DueItem>> {
  return readDue(redis, at, unitId, 'overdue', request);
}

/** The unit's open dossiers due within 24 hours of `at.nowMs`, not overdue (`isDueSoonAt`), the soonest due first. */
export function readDueSoon(redis: RedisClient, at: ReadAt, unitId: string, request: PageRequest): Promise<Page<DueItem>> {
  return readDue(redis, at, unitId, 'due-soon', request);
}

/** The unit's dossiers waiting for a supplement (`isPaused`), the longest waiting (earliest pause start) first. */
export function readPaused(redis: RedisClient, at: ReadAt, unitId: string, request: PageRequest): Promise<Page<QueueItem>> {
  return readQueue(redis, at, unitId, 'paused', request, queueItem);
}

/** An online submission past its receipt deadline and still not officially received. */
export interface ReceiptItem {
  dossierId: string;
  procedureId: string | undefined;
  submittedAtMs: number;
  /** The receipt deadline (the pending-receipt set's score: submission + RECEIPT_WORKING_DAYS working days). */
  deadlineMs: number;
  /** Whole 24-hour days past the receipt deadline at the list's now. */
  daysLate: number;
}

/** The item of a pending-receipt member from its stored state and its score (the receipt deadline), read at `nowMs`. */
export function receiptItem(member: string, raw: string | null, key: string, nowMs: number, deadlineMs: number): ReceiptItem {
  const state = listedDossier(
    raw,
    key,
    (s): s is Submitted => s.submittedAt !== undefined && s.receivedAt === undefined,
    "an online submission waiting for receipt, yet it is in the unit's pending-receipt list",
  );
  return {
    dossierId: member,
    procedureId: state.procedureId,
    submittedAtMs: state.submittedAt,
    deadlineMs,
    daysLate: daysPast(nowMs, deadlineMs),
  };
}

/**
 * The unit's online submissions whose receipt deadline is before `at.nowMs` and that are still
 * not received, the earliest deadline first: the list behind the exporter's
 * `dvc_dossiers_receipt_overdue` (the same range of the pending-receipt set). Paged as the other
 * lists, the states read with the page.
 */
export function readReceiptOverdue(redis: RedisClient, at: ReadAt, unitId: string, request: PageRequest): Promise<Page<ReceiptItem>> {
  return readQueue(redis, at, unitId, 'receipt-overdue', request, receiptItem);
}

/** A resolved dossier whose result was not handed back to the citizen by its return deadline. */
export interface ResultItem {
  dossierId: string;
  procedureId: string | undefined;
  /** Undefined for a dossier received before the history began (known by its resolution only). */
  receivedAtMs: number | undefined;
  resolvedAtMs: number;
  /** The return deadline (the awaiting-result set's score: resolution + the working days the rules give to hand the result back). */
  deadlineMs: number;
  /** Whole 24-hour days past the return deadline at the list's now. */
  daysLate: number;
}

/** The item of an awaiting-result member from its stored state and its score (the return deadline), read at `nowMs`. */
export function resultItem(member: string, raw: string | null, key: string, nowMs: number, deadlineMs: number): ResultItem {
  const state = listedDossier(
    raw,
    key,
    (s): s is Resolved => s.resolvedAt !== undefined && s.returnedAt === undefined,
    "a resolved dossier waiting for its result to be returned, yet it is in the unit's awaiting-result list",
  );
  return {
    dossierId: member,
    procedureId: state.procedureId,
    receivedAtMs: state.receivedAt,
    resolvedAtMs: state.resolvedAt,
    deadlineMs,
    daysLate: daysPast(nowMs, deadlineMs),
  };
}

/**
 * The unit's resolved dossiers whose result was not returned by its deadline (before `at.nowMs`),
 * the earliest deadline first: the dossiers behind the `result_not_returned` integrity signal
 * (the exporter counts the same range of the awaiting-result set). Paged as the other lists.
 */
export function readResultNotReturned(redis: RedisClient, at: ReadAt, unitId: string, request: PageRequest): Promise<Page<ResultItem>> {
  return readQueue(redis, at, unitId, 'result-not-returned', request, resultItem);
}
