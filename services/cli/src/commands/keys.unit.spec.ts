import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, addKey, readKeysFile, writeKeysFile } from '@dvc/keys';
import { UsageError } from '../args.js';
import type { CliIo } from '../io.js';
import { KEYS_HELP, keysCommand } from './keys.js';

// Hermetic: each test works on a keys file in its own temporary folder.
function harness(env: Record<string, string | undefined> = {}, now = Date.parse('2026-03-04T05:06:07Z')) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    now: () => now,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

describe('dvc keys', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-keys-'));
    file = join(dir, 'nested', 'keys.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('create prints the key once on stdout and stores only its hash and scope', async () => {
    const h = harness();
    const code = await keysCommand(
      ['create', '--id', 'auditor', '--units', 'u1,u2', '--types', 'vn.dvc.dossier.received', '--rate', '30', '--file', file],
      h.io,
    );
    expect(code).toBe(0);
    const key = h.out().trim();
    expect(key).toMatch(/^dvcr_[A-Za-z0-9_-]{43}$/);
    expect(h.err()).toContain("created key 'auditor' (units u1,u2; types vn.dvc.dossier.received; 30/min)");
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).toContain(`sha256:${createHash('sha256').update(key).digest('hex')}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readKeysFile(file);
    expect(stored.keys).toEqual([
      {
        id: 'auditor',
        hash: expect.stringMatching(/^sha256:/),
        units: ['u1', 'u2'],
        types: ['vn.dvc.dossier.received'],
        ratePerMinute: 30,
        createdAt: '2026-03-04T05:06:07.000Z',
      },
    ]);
    expect(new KeyRing(stored.keys).verify(key)?.id).toBe('auditor');
  });

  it('uses REPLAY_KEYS_FILE when --file is absent, and 60 per minute by default', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['create', '--id', 'all', '--units', '*', '--types', '*'], h.io)).toBe(0);
    expect(readKeysFile(file).keys[0]).toMatchObject({ id: 'all', units: '*', types: '*', ratePerMinute: 60 });
  });

  it('list shows ids and scopes, never keys or hashes', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    await keysCommand(['create', '--id', 'a', '--units', '*', '--types', '*'], h.io);
    await keysCommand(['create', '--id', 'b', '--units', 'u1', '--types', 'vn.dvc.report.submitted,vn.dvc.payment.completed', '--rate', '5'], h.io);
    const keys = h.out();
    const list = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['list'], list.io)).toBe(0);
    expect(list.out()).toBe(
      [
        'ID  UNITS  TYPES                                             RATE/MIN  CREATED',
        'a   *      *                                                 60        2026-03-04T05:06:07.000Z',
        'b   u1     vn.dvc.report.submitted,vn.dvc.payment.completed  5         2026-03-04T05:06:07.000Z',
        '',
      ].join('\n'),
    );
    const json = harness({ REPLAY_KEYS_FILE: file });
    await keysCommand(['list', '--json'], json.io);
    expect(JSON.parse(json.out())).toEqual([
      { id: 'a', units: '*', types: '*', ratePerMinute: 60, createdAt: '2026-03-04T05:06:07.000Z' },
      { id: 'b', units: ['u1'], types: ['vn.dvc.report.submitted', 'vn.dvc.payment.completed'], ratePerMinute: 5, createdAt: '2026-03-04T05:06:07.000Z' },
    ]);
    for (const output of [list.out(), json.out()]) {
      expect(output).not.toContain('sha256');
      for (const key of keys.trim().split('\n')) expect(output).not.toContain(key);
    }
  });

  it('create writes no role (a replay key); list --json shows a role the file gives', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    await keysCommand(['create', '--id', 'a', '--units', '*', '--types', '*'], h.io);
    expect(readKeysFile(file).keys[0]).not.toHaveProperty('role');
    const board = addKey(readKeysFile(file), { id: 'wall', units: ['u1'], types: '*', ratePerMinute: 5, role: 'board' }, new Date('2026-03-04T05:06:07Z'));
    if (!board.ok) throw new Error(board.problems.join('; '));
    writeKeysFile(file, board.value.file);
    const json = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['list', '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out())).toEqual([
      { id: 'a', units: '*', types: '*', ratePerMinute: 60, createdAt: '2026-03-04T05:06:07.000Z' },
      { id: 'wall', units: ['u1'], types: '*', ratePerMinute: 5, role: 'board', createdAt: '2026-03-04T05:06:07.000Z' },
    ]);
  });

  it('create --role board writes the role; an unknown role is a usage error', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['create', '--id', 'ops', '--units', 'u1', '--types', '*', '--role', 'board'], h.io)).toBe(0);
    expect(readKeysFile(file).keys[0]).toMatchObject({ id: 'ops', units: ['u1'], role: 'board' });
    expect(h.err()).toContain('with the role board');
    await expect(
      keysCommand(['create', '--id', 'x', '--units', '*', '--types', '*', '--role', 'admin'], harness({ REPLAY_KEYS_FILE: file }).io),
    ).rejects.toThrow('--role must be one of replay, producer, operator, board');
  });

  it('create names the units the unit directory does not list (a misspelt unit reads nothing), and still makes the key', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['create', '--id', 'head', '--role', 'board', '--units', 'dn.dongxoai,dn.dongxaoi', '--types', '*'], h.io)).toBe(0);
    expect(readKeysFile(file).keys[0]).toMatchObject({ id: 'head', units: ['dn.dongxoai', 'dn.dongxaoi'] });
    expect(h.err()).toMatch(
      /\nwarning: not in the unit directory \(.+\/units\.json, version [^)]+\): dn\.dongxaoi \(did you mean dn\.dongxoai\?\); the key reads nothing of it until it is projected \(ACCEPT_UNKNOWN_UNITS\) or listed: check the spelling\n$/,
    );
    // Trees are checked by their unit; a scope the directory lists says nothing more.
    const listed = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['create', '--id', 'portal', '--role', 'producer', '--under', 'dn', '--units', 'dn.stc', '--types', '*'], listed.io)).toBe(0);
    expect(listed.err()).not.toContain('warning');
    const tree = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['create', '--id', 'portal2', '--role', 'producer', '--under', 'bp.nowhere', '--types', '*'], tree.io)).toBe(0);
    expect(tree.err()).toContain('): bp.nowhere; the key reads nothing of it');
    // A directory that cannot be read is said, and the key is made.
    const broken = harness({ REPLAY_KEYS_FILE: file, DATA_DIR: join(dir, 'no-such-data') });
    expect(await keysCommand(['create', '--id', 'other', '--units', 'u1', '--types', '*'], broken.io)).toBe(0);
    expect(broken.err()).toContain(`warning: the units were not checked against the unit directory (${join(dir, 'no-such-data')}): `);
  });

  it('create names the units that ended before today with their validity and successor (a pre-reform district serves only its history), and still makes the key', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    expect(
      await keysCommand(['create', '--id', 'portal', '--role', 'producer', '--under', 'bp.dongxoai', '--units', 'dn.dongxoai,bp.stnmt', '--types', '*'], h.io),
    ).toBe(0);
    expect(readKeysFile(file).keys[0]).toMatchObject({ id: 'portal', units: ['dn.dongxoai', 'bp.stnmt', 'tree:bp.dongxoai'] });
    expect(h.err()).toMatch(
      /\nwarning: ended before today \(2026-03-04\) in the unit directory \(.+\/units\.json, version [^)]+\): bp\.stnmt \(valid 2020-01-01–2025-06-30, successor dn\.snnmt\), bp\.dongxoai \(valid 2020-01-01–2025-06-30, successor dn\); events dated after their end are refused, so the key serves only their history: for today's work name the units that took them over\n$/,
    );
    // Today is Vietnam's date: 30 June 2025 17:00 UTC is already 1 July there.
    const atEnd = harness({ REPLAY_KEYS_FILE: file }, Date.parse('2025-06-30T16:59:59Z'));
    expect(await keysCommand(['create', '--id', 'head', '--role', 'board', '--units', 'bp.dongxoai', '--types', '*'], atEnd.io)).toBe(0);
    expect(atEnd.err()).not.toContain('warning');
    const after = harness({ REPLAY_KEYS_FILE: file }, Date.parse('2025-06-30T17:00:00Z'));
    expect(await keysCommand(['create', '--id', 'head2', '--role', 'board', '--units', 'bp.dongxoai', '--types', '*'], after.io)).toBe(0);
    expect(after.err()).toContain('warning: ended before today (2025-07-01) in the unit directory');
    expect(after.err()).toContain(
      "): bp.dongxoai (valid 2020-01-01–2025-06-30, successor dn); events dated after its end are refused, so the key serves only its history: for today's work name the unit that took it over\n",
    );
  });

  it('create --role producer --under stores the unit trees; list shows roles and scopes', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    const argv = [
      'create',
      '--id',
      'portal-dx',
      '--role',
      'producer',
      '--under',
      'bp.dongxoai',
      '--units',
      'bp.stnmt',
      '--types',
      'vn.dvc.dossier.received',
      '--rate',
      '600',
    ];
    expect(await keysCommand(argv, h.io)).toBe(0);
    expect(readKeysFile(file).keys[0]).toMatchObject({
      id: 'portal-dx',
      role: 'producer',
      units: ['bp.stnmt', 'tree:bp.dongxoai'],
      types: ['vn.dvc.dossier.received'],
      ratePerMinute: 600,
    });
    expect(h.err()).toContain("created key 'portal-dx' (units bp.stnmt,tree:bp.dongxoai; types vn.dvc.dossier.received; 600/min)");
    await keysCommand(['create', '--id', 'reader', '--units', '*', '--types', '*'], h.io);
    const list = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['list'], list.io)).toBe(0);
    expect(list.out()).toBe(
      [
        'ID         ROLE      UNITS                      TYPES                    RATE/MIN  CREATED',
        'portal-dx  producer  bp.stnmt,tree:bp.dongxoai  vn.dvc.dossier.received  600       2026-03-04T05:06:07.000Z',
        'reader     replay    *                          *                        60        2026-03-04T05:06:07.000Z',
        '',
      ].join('\n'),
    );
  });

  it('--under is for producer keys, needs unit ids, and cannot widen --units *', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    await expect(keysCommand(['create', '--id', 'r', '--under', 'bp', '--types', '*'], h.io)).rejects.toThrow(
      'a unit and everything under it (tree:) is a scope of producer keys only (--role producer)',
    );
    await expect(keysCommand(['create', '--id', 'p', '--under', 'BP!', '--types', '*', '--role', 'producer'], h.io)).rejects.toThrow(
      "under: 'BP!' is not a unit id",
    );
    await expect(keysCommand(['create', '--id', 'p', '--units', '*', '--under', 'bp', '--types', '*', '--role', 'producer'], h.io)).rejects.toThrow(
      '--units * already names every unit; drop --under',
    );
    await expect(keysCommand(['create', '--id', 'p', '--types', '*', '--role', 'producer'], h.io)).rejects.toThrow('keys create needs --units');
  });

  it('list of a missing file says there are no keys', async () => {
    const h = harness();
    expect(await keysCommand(['list', '--file', file], h.io)).toBe(0);
    expect(h.err()).toBe(`no keys in ${file}\n`);
  });

  it('revoke removes a key; an unknown id is exit 1', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    await keysCommand(['create', '--id', 'a', '--units', '*', '--types', '*'], h.io);
    await keysCommand(['create', '--id', 'b', '--units', '*', '--types', '*'], h.io);
    expect(await keysCommand(['revoke', '--id', 'a'], h.io)).toBe(0);
    expect(readKeysFile(file).keys.map((k) => k.id)).toEqual(['b']);
    const again = harness({ REPLAY_KEYS_FILE: file });
    expect(await keysCommand(['revoke', '--id', 'a'], again.io)).toBe(1);
    expect(again.err()).toBe(`dvc keys revoke: no key 'a' in ${file}\n`);
  });

  it.each([
    [['create', '--units', '*', '--types', '*'], 'keys create needs --id'],
    [['create', '--id', 'x', '--types', '*'], 'keys create needs --units'],
    [['create', '--id', 'x', '--units', '*'], 'keys create needs --types'],
    [['create', '--id', 'x', '--units', 'Bad Unit', '--types', '*'], "units: 'Bad Unit' is not a unit id"],
    [['create', '--id', 'x', '--units', '*', '--types', 'vn.dvc.dossier.recieved'], "did you mean 'vn.dvc.dossier.received'?"],
    [['create', '--id', 'x', '--units', '*', '--types', '*', '--rate', '0'], '--rate must be between 1 and 100000, got 0'],
    [['create', '--id', 'Not An Id', '--units', '*', '--types', '*'], "id 'Not An Id' must match"],
    [['list', '--id', 'x'], 'keys list does not take --id'],
    [['rotate'], "unknown action 'rotate'; actions: create, list, revoke"],
    [['create', '--nope'], '--nope'],
  ])('%j is a usage error: %s', async (argv, message) => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    await expect(keysCommand(argv, h.io)).rejects.toThrow(UsageError);
    await expect(keysCommand(argv, h.io)).rejects.toThrow(message);
  });

  it('refuses a second key with the same id and leaves the file as it was', async () => {
    const h = harness({ REPLAY_KEYS_FILE: file });
    await keysCommand(['create', '--id', 'a', '--units', '*', '--types', '*'], h.io);
    const before = readFileSync(file, 'utf8');
    await expect(keysCommand(['create', '--id', 'a', '--units', '*', '--types', '*'], h.io)).rejects.toThrow("id 'a' already exists");
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('an invalid keys file is named, never overwritten', async () => {
    writeFileSync(file.replace('nested/', ''), '{"version":1,"keys":"nope"}');
    const h = harness({ REPLAY_KEYS_FILE: file.replace('nested/', '') });
    await expect(keysCommand(['create', '--id', 'a', '--units', '*', '--types', '*'], h.io)).rejects.toThrow(/keys file .*keys\.json: keys must be a list/);
    expect(readFileSync(file.replace('nested/', ''), 'utf8')).toBe('{"version":1,"keys":"nope"}');
  });

  it('--help and no action', async () => {
    const help = harness();
    expect(await keysCommand(['--help'], help.io)).toBe(0);
    expect(help.out()).toBe(KEYS_HELP);
    const none = harness();
    expect(await keysCommand([], none.io)).toBe(2);
    expect(none.err()).toBe(KEYS_HELP);
    const sub = harness();
    expect(await keysCommand(['create', '--help'], sub.io)).toBe(0);
  });
});
