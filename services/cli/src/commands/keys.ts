import {
  DEFAULT_KEYS_FILE,
  KEY_PREFIX,
  UNIT_TREE_PREFIX,
  KEY_ROLES,
  MAX_RATE_PER_MINUTE,
  addKey,
  keyRole,
  parseTypesScope,
  parseUnderScope,
  parseUnitsScope,
  readKeysFile,
  writeKeysFile,
  type ApiKeyRecord,
  type KeyRole,
} from '@dvc/keys';
import { validityText } from '@dvc/domain';
import { UsageError, flagSpec, intFlag, parseFlags } from '../args.js';
import type { CliIo } from '../io.js';
import { referenceForWarnings, unlistedUnitText } from '../units.js';

export const KEYS_HELP = `dvc keys: API keys of the replay API, the ops board and the ingest (only their hashes are stored)

Usage:
  dvc keys create --id NAME (--units a,b|* | --under UNIT[,UNIT]) --types t1,t2|* [--rate N] [--role R] [--file F]
  dvc keys list [--json] [--file F]
  dvc keys revoke --id NAME [--file F]

  create   makes a key and prints it once on stdout (nothing else there, so KEY=$(dvc keys create ...) works);
           the file keeps its SHA-256 hash and scope; a running replay API, board or ingest picks it up within a second
  list     ids, scopes, rates, creation times (and roles, when a key has one); never keys or hashes
  revoke   removes a key; requests with it get 401 within a second

  --id NAME     key id, ^[a-z0-9][a-z0-9._-]{0,63}$ (shown in logs, errors and the producer key id of each event instead of the key)
  --units LIST  unit ids the key may read (or, for a producer, write), comma-separated, or * for every unit
  --under LIST  producer keys: each unit and every unit under it in the unit directory (stored as tree:<unit>;
                e.g. --under dn is the province and every unit under it); may be given with --units
  --types LIST  event types the key may read or write, comma-separated, or * for every type
  --rate N      requests per minute (token bucket, bursts up to N), 1-${MAX_RATE_PER_MINUTE}; default 60
  --role R      what the key is for: ${KEY_ROLES.join(', ')}; default replay (the replay API); board for the ops board;
                producer for a system that sends events to the ingest (POST /v1/events)

Giving a portal its key: dvc keys create --role producer --id portal-dongxoai --units dn.dongxoai --types '*' --rate 600
  --file F      keys file (overrides REPLAY_KEYS_FILE; default ${DEFAULT_KEYS_FILE})
  --json        list as one JSON array
`;

function scopeText(scope: '*' | readonly string[]): string {
  return scope === '*' ? '*' : scope.join(',');
}

/**
 * Warnings for the units of a scope, empty when the unit directory (DATA_DIR) lists them all as
 * valid today. A unit it does not list is named: a misspelt unit makes a key that reads nothing
 * (the board shows a unit head no unit); not refused, as pilot mode (ACCEPT_UNKNOWN_UNITS)
 * projects such units. A unit that ended before today (a pre-reform district) is named with its
 * validity and successor: events after its end are refused, so the key serves only its history;
 * not refused either, as a backfill of that history or a demo on a pinned clock needs such keys.
 */
function scopeUnitsWarning(scope: readonly string[], io: CliIo): string {
  const units = scope.map((u) => (u.startsWith(UNIT_TREE_PREFIX) ? u.slice(UNIT_TREE_PREFIX.length) : u));
  const loaded = referenceForWarnings(io);
  if (!loaded.ok) return loaded.warning;
  const { reference, where } = loaded;
  const { units: directory, days } = reference;
  const today = days.isoDate(days.dayOf(io.now()));
  const unlisted = units.filter((u) => !directory.has(u));
  const ended = units.flatMap((u) => {
    const record = directory.record(u);
    return record?.validTo !== undefined && record.validTo < today ? [`${u} (${validityText(record)})`] : [];
  });
  const one = (list: readonly unknown[], singular: string, plural: string): string => (list.length === 1 ? singular : plural);
  return (
    (unlisted.length === 0
      ? ''
      : `warning: not in the unit directory (${where}): ${unlisted.map((u) => unlistedUnitText(directory, u)).join(', ')}; ` +
        `the key reads nothing of ${one(unlisted, 'it', 'them')} until ${one(unlisted, 'it is', 'they are')} projected (ACCEPT_UNKNOWN_UNITS) or listed: check the spelling\n`) +
    (ended.length === 0
      ? ''
      : `warning: ended before today (${today}) in the unit directory (${where}): ${ended.join(', ')}; ` +
        `events dated after ${one(ended, 'its', 'their')} end are refused, so the key serves only ${one(ended, 'its', 'their')} history: for today's work name the ${one(ended, 'unit that took it over', 'units that took them over')}\n`)
  );
}

function publicView(record: ApiKeyRecord): Omit<ApiKeyRecord, 'hash'> {
  const { hash: _hash, ...rest } = record;
  return rest;
}

/** `dvc keys create|list|revoke`: argv is what follows `keys`; returns the exit code. */
export async function keysCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    (action === undefined ? io.stderr : io.stdout).write(KEYS_HELP);
    return action === undefined ? 2 : 0;
  }
  const { values } = parseFlags(rest, flagSpec(['id', 'units', 'under', 'types', 'rate', 'role', 'file'], ['json']));
  if (values.help === true) {
    io.stdout.write(KEYS_HELP);
    return 0;
  }
  const file = values.file ?? io.env.REPLAY_KEYS_FILE ?? DEFAULT_KEYS_FILE;
  const allowed: Record<string, readonly string[]> = {
    create: ['id', 'units', 'under', 'types', 'rate', 'role', 'file'],
    list: ['json', 'file'],
    revoke: ['id', 'file'],
  };
  const flags = allowed[action];
  if (flags === undefined) throw new UsageError(`unknown action '${action}'; actions: create, list, revoke`);
  const stray = Object.keys(values).filter((name) => !flags.includes(name));
  if (stray.length > 0) throw new UsageError(`keys ${action} does not take ${stray.map((s) => `--${s}`).join(', ')}`);

  if (action === 'list') {
    const records = readKeysFile(file, true).keys;
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(records.map(publicView))}\n`);
      return 0;
    }
    if (records.length === 0) {
      io.stderr.write(`no keys in ${file}\n`);
      return 0;
    }
    // The ROLE column appears once a key has a role: a file of replay keys only lists as it always did.
    const roles = records.some((r) => r.role !== undefined);
    const rows = [
      ['ID', ...(roles ? ['ROLE'] : []), 'UNITS', 'TYPES', 'RATE/MIN', 'CREATED'],
      ...records.map((r) => [r.id, ...(roles ? [keyRole(r)] : []), scopeText(r.units), scopeText(r.types), String(r.ratePerMinute), r.createdAt]),
    ];
    const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
    for (const row of rows)
      io.stdout.write(
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      );
    return 0;
  }

  if (values.id === undefined) throw new UsageError(`keys ${action} needs --id`);
  if (action === 'revoke') {
    const current = readKeysFile(file);
    if (!current.keys.some((k) => k.id === values.id)) {
      io.stderr.write(`dvc keys revoke: no key '${values.id}' in ${file}\n`);
      return 1;
    }
    writeKeysFile(file, { ...current, keys: current.keys.filter((k) => k.id !== values.id) });
    io.stderr.write(`revoked key '${values.id}' in ${file}\n`);
    return 0;
  }

  if (values.units === undefined && values.under === undefined)
    throw new UsageError('keys create needs --units (comma-separated unit ids, or * for all) or --under (a unit and everything under it)');
  if (values.types === undefined) throw new UsageError('keys create needs --types (comma-separated event types, or * for all)');
  const listed = values.units === undefined ? ({ ok: true, value: [] } as const) : parseUnitsScope(values.units);
  const under = values.under === undefined ? ({ ok: true, value: [] } as const) : parseUnderScope(values.under);
  const types = parseTypesScope(values.types);
  const problems = [...(listed.ok ? [] : listed.problems), ...(under.ok ? [] : under.problems), ...(types.ok ? [] : types.problems)];
  if (!listed.ok || !under.ok || !types.ok) throw new UsageError(problems.join('; '));
  if (listed.value === '*' && under.value.length > 0) throw new UsageError('--units * already names every unit; drop --under');
  const units = { value: listed.value === '*' ? ('*' as const) : [...new Set([...listed.value, ...under.value])] };
  const ratePerMinute = intFlag('rate', values.rate, 1, MAX_RATE_PER_MINUTE) ?? 60;
  const role = values.role as string | undefined;
  if (role !== undefined && !(KEY_ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${KEY_ROLES.join(', ')}`);
  const added = addKey(
    readKeysFile(file, true),
    { id: values.id, units: units.value, types: types.value, ratePerMinute, ...(role === undefined ? {} : { role: role as KeyRole }) },
    new Date(io.now()),
  );
  if (!added.ok) throw new UsageError(added.problems.join('; '));
  writeKeysFile(file, added.value.file);
  io.stdout.write(`${added.value.key}\n`);
  io.stderr.write(
    `created key '${values.id}' (units ${scopeText(units.value)}; types ${scopeText(types.value)}; ${ratePerMinute}/min) in ${file}${role === undefined ? '' : ` with the role ${role}`}\n` +
      `the key above (${KEY_PREFIX}...) is shown only this once: only its hash is stored\n` +
      (units.value === '*' ? '' : scopeUnitsWarning(units.value, io)),
  );
  return 0;
}
