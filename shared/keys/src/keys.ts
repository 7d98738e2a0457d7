import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stackRunDir } from '@dvc/config';
import { DvcError, EVENT_TYPE_NAMES, isUnitId, parseEventTypes, type EventType, type UnitDirectory } from '@dvc/domain';

/**
 * API keys. The keys file holds only SHA-256 hashes: keys are 256 random bits, so a fast hash
 * is enough (a slow one like scrypt protects low-entropy passwords, not random keys) and lets a
 * request be checked against every entry with a constant-time compare.
 */
/** The keys file under the stack's run folder (STACK_RUN_DIR, default <repo>/.run). */
export const DEFAULT_KEYS_FILE = join(stackRunDir(process.env), 'replay', 'keys.json');
export const KEY_PREFIX = 'dvcr_';
export const KEYS_FILE_VERSION = 1;
export const MAX_RATE_PER_MINUTE = 100_000;
const HASH = /^sha256:[0-9a-f]{64}$/;
const KEY_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * What a key is for. Each service accepts keys of its own role only: the replay API takes
 * `replay` keys, the ops board (services/board) `board` keys, the ingest `producer` keys (and the
 * projector and archiver accept on the events topic the messages naming a `producer` key's id),
 * the notifier's `/v1/notices` `operator` keys.
 */
export const KEY_ROLES = ['replay', 'producer', 'operator', 'board'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];
/** The role of a key whose record has none: every key written before roles existed. */
export const DEFAULT_KEY_ROLE: KeyRole = 'replay';

/**
 * A units scope entry naming a unit and everything under it in the unit directory
 * (`tree:bp.dongxoai`): unit ids never contain `:`, so it cannot be mistaken for a unit. Only
 * producer keys take such entries (the ingest expands them with the directory it admits with).
 */
export const UNIT_TREE_PREFIX = 'tree:';

/** Why a units scope entry is malformed, or undefined: a unit id, or `tree:` and a unit id. */
function unitEntryProblem(entry: string): string | undefined {
  if (!entry.startsWith(UNIT_TREE_PREFIX)) return isUnitId(entry) ? undefined : `'${entry}' is not a unit id`;
  return isUnitId(entry.slice(UNIT_TREE_PREFIX.length)) ? undefined : `'${entry}' is not ${UNIT_TREE_PREFIX}<unit id>`;
}

const hasTreeEntry = (units: '*' | readonly string[]): boolean => units !== '*' && units.some((u) => u.startsWith(UNIT_TREE_PREFIX));

/**
 * Whether a units scope covers a unit: '*', the unit listed, or a `tree:<id>` entry whose unit
 * is the unit itself or one of its ancestors through the directory's `parent` links. A unit the
 * directory does not know is covered only by '*' or by being listed.
 */
export function unitInScope(units: '*' | readonly string[], unit: string, directory: Pick<UnitDirectory, 'record'>): boolean {
  if (units === '*' || units.includes(unit)) return true;
  const trees = new Set(units.filter((u) => u.startsWith(UNIT_TREE_PREFIX)).map((u) => u.slice(UNIT_TREE_PREFIX.length)));
  if (trees.size === 0) return false;
  const seen = new Set<string>();
  for (let at: string | undefined = unit; at !== undefined && !seen.has(at); at = directory.record(at)?.parent) {
    if (trees.has(at)) return true;
    seen.add(at);
  }
  return false;
}

/** Whether a types scope covers an event type. */
export function typeInScope(types: '*' | readonly EventType[], type: EventType): boolean {
  return types === '*' || types.includes(type);
}

/** What a key may read or write: units and event types (each a list or '*' for all), and how often. */
export interface KeyScope {
  units: '*' | readonly string[];
  types: '*' | readonly EventType[];
  ratePerMinute: number;
}

export interface ApiKeyRecord extends KeyScope {
  id: string;
  /** `sha256:<hex>` of the whole key text. */
  hash: string;
  /** Absent means DEFAULT_KEY_ROLE (read it with `keyRole`); written only when given. */
  role?: KeyRole;
  createdAt: string;
}

/** A key's role: its record's, or DEFAULT_KEY_ROLE when the record has none. */
export function keyRole(record: Pick<ApiKeyRecord, 'role'>): KeyRole {
  return record.role ?? DEFAULT_KEY_ROLE;
}

function isKeyRole(value: unknown): value is KeyRole {
  return typeof value === 'string' && (KEY_ROLES as readonly string[]).includes(value);
}

export interface KeysFile {
  version: typeof KEYS_FILE_VERSION;
  keys: ApiKeyRecord[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** A new key: the prefix (so leaked keys are recognisable) and 32 random bytes. */
export function generateApiKey(random: (size: number) => Buffer = randomBytes): string {
  return `${KEY_PREFIX}${random(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Parses a units scope: '*' or a comma list of unit ids (or `tree:<unit id>` entries). */
export function parseUnitsScope(raw: string): Parsed<'*' | string[]> {
  if (raw.trim() === '*') return { ok: true, value: '*' };
  const units = raw.split(',').map((s) => s.trim());
  const problems = units.flatMap((u) => unitEntryProblem(u) ?? []);
  if (problems.length > 0) return { ok: false, problems: problems.map((p) => `units: ${p}`) };
  return { ok: true, value: [...new Set(units)] };
}

/** Parses `--under a,b`: each unit and everything under it, as `tree:` entries of a units scope. */
export function parseUnderScope(raw: string): Parsed<string[]> {
  const units = raw.split(',').map((s) => s.trim());
  const bad = units.filter((u) => !isUnitId(u));
  if (bad.length > 0) return { ok: false, problems: bad.map((u) => `under: '${u}' is not a unit id`) };
  return { ok: true, value: [...new Set(units.map((u) => `${UNIT_TREE_PREFIX}${u}`))] };
}

/** Parses a types scope: '*' or a comma list of event types. */
export function parseTypesScope(raw: string): Parsed<'*' | EventType[]> {
  if (raw.trim() === '*') return { ok: true, value: '*' };
  const parsed = parseEventTypes(raw, 'types');
  return parsed.ok ? { ok: true, value: parsed.types } : parsed;
}

function scopeList(value: unknown, where: string, check: (item: string) => string | undefined, problems: string[]): '*' | string[] | undefined {
  if (value === '*') return '*';
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    problems.push(`${where} must be "*" or a non-empty list of strings`);
    return undefined;
  }
  const items = value as string[];
  for (const item of items) {
    const problem = check(item);
    if (problem !== undefined) problems.push(`${where}: ${problem}`);
  }
  return items;
}

/** Validates the text of a keys file; every problem names the entry and field. */
export function parseKeysFile(text: string): Parsed<KeysFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not JSON: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problems: ['must be an object { "version": 1, "keys": [...] }'] };
  const file = raw as { version?: unknown; keys?: unknown };
  if (file.version !== KEYS_FILE_VERSION) problems.push(`version must be ${KEYS_FILE_VERSION}, got ${JSON.stringify(file.version)}`);
  if (!Array.isArray(file.keys)) return { ok: false, problems: [...problems, 'keys must be a list'] };
  const known = new Set<string>(EVENT_TYPE_NAMES);
  const ids = new Set<string>();
  const hashes = new Set<string>();
  const keys: ApiKeyRecord[] = [];
  file.keys.forEach((entry: unknown, index) => {
    const at = `keys[${index}]`;
    if (entry === null || typeof entry !== 'object') {
      problems.push(`${at} must be an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const before = problems.length;
    const id = typeof e.id === 'string' && KEY_ID.test(e.id) ? e.id : undefined;
    if (id === undefined) problems.push(`${at}.id must match ${KEY_ID.source}`);
    else if (ids.has(id)) problems.push(`${at}.id '${id}' is used twice`);
    const name = id === undefined ? at : `${at} (${id})`;
    if (id !== undefined) ids.add(id);
    if (typeof e.hash !== 'string' || !HASH.test(e.hash)) problems.push(`${name}.hash must be sha256:<64 lowercase hex digits>`);
    else if (hashes.has(e.hash)) problems.push(`${name}.hash is the same as another key's`);
    else hashes.add(e.hash);
    const units = scopeList(e.units, `${name}.units`, unitEntryProblem, problems);
    const types = scopeList(e.types, `${name}.types`, (t) => (known.has(t) ? undefined : `'${t}' is not an event type`), problems);
    const rate = e.ratePerMinute;
    if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1 || rate > MAX_RATE_PER_MINUTE) {
      problems.push(`${name}.ratePerMinute must be an integer from 1 to ${MAX_RATE_PER_MINUTE}`);
    }
    if (e.role !== undefined && !isKeyRole(e.role)) problems.push(`${name}.role must be one of ${KEY_ROLES.join(', ')} (or absent for ${DEFAULT_KEY_ROLE})`);
    else if (units !== undefined && hasTreeEntry(units) && e.role !== 'producer')
      problems.push(`${name}.units: ${UNIT_TREE_PREFIX} entries are taken by producer keys only`);
    if (typeof e.createdAt !== 'string') problems.push(`${name}.createdAt must be a string`);
    if (problems.length === before && id !== undefined && units !== undefined && types !== undefined) {
      keys.push({
        id,
        hash: e.hash as string,
        units,
        types: types as '*' | EventType[],
        ratePerMinute: rate as number,
        ...(isKeyRole(e.role) ? { role: e.role } : {}),
        createdAt: e.createdAt as string,
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { version: KEYS_FILE_VERSION, keys } };
}

export function serializeKeysFile(file: KeysFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Thrown when a keys file cannot be read or is invalid; the message names the file and each problem. */
export class KeysFileError extends DvcError {
  readonly code = 'DVC_KEYS_FILE';

  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`keys file ${file}: ${problems.join('; ')}`);
  }
}

/** Reads and validates a keys file; a missing file is an empty one when `missingIsEmpty`. */
export function readKeysFile(file: string, missingIsEmpty = false): KeysFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (missingIsEmpty) return { version: KEYS_FILE_VERSION, keys: [] };
      throw new KeysFileError(file, ['does not exist; create a key with `dvc keys create`']);
    }
    throw new KeysFileError(file, [(error as Error).message]);
  }
  const parsed = parseKeysFile(text);
  if (!parsed.ok) throw new KeysFileError(file, parsed.problems);
  return parsed.value;
}

/** Writes a keys file atomically (temporary file, then rename), readable by its owner only. */
export function writeKeysFile(file: string, keys: KeysFile): void {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, serializeKeysFile(keys), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

export interface NewKey {
  id: string;
  units: '*' | readonly string[];
  types: '*' | readonly EventType[];
  ratePerMinute: number;
  /** Stored only when given; absent means DEFAULT_KEY_ROLE. */
  role?: KeyRole;
}

/** Adds a key to a keys file's content: the key text (to show once) and the new content (hash only). */
export function addKey(file: KeysFile, spec: NewKey, now: Date, random?: (size: number) => Buffer): Parsed<{ key: string; file: KeysFile }> {
  const problems: string[] = [];
  if (!KEY_ID.test(spec.id)) problems.push(`id '${spec.id}' must match ${KEY_ID.source}`);
  if (file.keys.some((k) => k.id === spec.id)) problems.push(`id '${spec.id}' already exists; revoke it first or pick another id`);
  if (!Number.isInteger(spec.ratePerMinute) || spec.ratePerMinute < 1 || spec.ratePerMinute > MAX_RATE_PER_MINUTE) {
    problems.push(`rate must be an integer from 1 to ${MAX_RATE_PER_MINUTE} requests per minute, got ${spec.ratePerMinute}`);
  }
  if (spec.role !== undefined && !isKeyRole(spec.role)) problems.push(`role '${String(spec.role)}' must be one of ${KEY_ROLES.join(', ')}`);
  else if (hasTreeEntry(spec.units) && spec.role !== 'producer')
    problems.push(`a unit and everything under it (${UNIT_TREE_PREFIX}) is a scope of producer keys only (--role producer)`);
  if (problems.length > 0) return { ok: false, problems };
  const key = generateApiKey(random);
  const record: ApiKeyRecord = {
    id: spec.id,
    hash: hashApiKey(key),
    units: spec.units === '*' ? '*' : [...spec.units],
    types: spec.types === '*' ? '*' : [...spec.types],
    ratePerMinute: spec.ratePerMinute,
    ...(spec.role === undefined ? {} : { role: spec.role }),
    createdAt: now.toISOString(),
  };
  return { ok: true, value: { key, file: { version: KEYS_FILE_VERSION, keys: [...file.keys, record] } } };
}

/** The keys a request can authenticate with. */
export class KeyRing {
  readonly #entries: { record: ApiKeyRecord; hash: Buffer }[];
  readonly #byId: Map<string, ApiKeyRecord>;

  constructor(records: readonly ApiKeyRecord[]) {
    this.#entries = records.map((record) => ({ record, hash: Buffer.from(record.hash.slice('sha256:'.length), 'hex') }));
    this.#byId = new Map(records.map((record) => [record.id, record]));
  }

  /** The record of a key id (not a secret: what a producer names in the Kafka header dvc-producer-key), or undefined. */
  byId(id: string): ApiKeyRecord | undefined {
    return this.#byId.get(id);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The key's record, or undefined; every entry is compared in constant time, none skipped. */
  verify(presented: string): ApiKeyRecord | undefined {
    const hash = createHash('sha256').update(presented, 'utf8').digest();
    let found: ApiKeyRecord | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.hash, hash) && found === undefined) found = entry.record;
    }
    return found;
  }
}

export interface KeysSource {
  /** The current keys; reloads the file when it changed (checked at most once per interval). */
  current(): KeyRing;
}

/**
 * Keys from a file that `dvc keys create` may change while the service runs: a changed file is
 * reloaded; an invalid change is reported through onError and the previous keys stay in force.
 */
export function watchedKeysFile(
  file: string,
  options: { now: () => number; checkIntervalMs: number; onReload: (count: number) => void; onError: (error: KeysFileError) => void },
): KeysSource {
  const stamp = (): string => {
    try {
      const s = statSync(file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  };
  let seen = stamp();
  let ring = new KeyRing(readKeysFile(file).keys);
  let checkedAt = options.now();
  return {
    current() {
      const now = options.now();
      if (now - checkedAt < options.checkIntervalMs) return ring;
      checkedAt = now;
      const latest = stamp();
      if (latest === seen) return ring;
      seen = latest;
      try {
        ring = new KeyRing(readKeysFile(file).keys);
        options.onReload(ring.size);
      } catch (error) {
        options.onError(error instanceof KeysFileError ? error : new KeysFileError(file, [String(error)]));
      }
      return ring;
    },
  };
}
