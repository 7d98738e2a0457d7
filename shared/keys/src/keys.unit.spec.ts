import { createHash } from 'node:crypto';
import { createUnitDirectory } from '@dvc/domain';
import {
  KEY_PREFIX,
  KeyRing,
  addKey,
  generateApiKey,
  hashApiKey,
  keyRole,
  parseKeysFile,
  parseTypesScope,
  parseUnderScope,
  parseUnitsScope,
  serializeKeysFile,
  typeInScope,
  unitInScope,
  type ApiKeyRecord,
  type KeysFile,
} from './keys.js';

const fixed = (byte: number) => (size: number) => Buffer.alloc(size, byte);
const empty: KeysFile = { version: 1, keys: [] };
const NOW = new Date('2026-01-02T03:04:05.000Z');

function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id: 'auditor', hash: hashApiKey('k1'), units: '*', types: '*', ratePerMinute: 60, createdAt: NOW.toISOString(), ...overrides };
}

describe('API key hashing', () => {
  it('a key is the prefix and 32 random bytes in base64url', () => {
    expect(generateApiKey(fixed(0xff))).toBe(`${KEY_PREFIX}${'_'.repeat(42)}8`);
    expect(generateApiKey()).toMatch(/^dvcr_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(generateApiKey());
  });

  it('the stored hash is sha256:<hex> of the key text', () => {
    expect(hashApiKey('dvcr_abc')).toBe(`sha256:${createHash('sha256').update('dvcr_abc').digest('hex')}`);
  });

  it('a key ring finds the key a hash belongs to, and nothing for others', () => {
    const ring = new KeyRing([record({ id: 'a', hash: hashApiKey('key-a') }), record({ id: 'b', hash: hashApiKey('key-b') })]);
    expect(ring.size).toBe(2);
    expect(ring.verify('key-a')?.id).toBe('a');
    expect(ring.verify('key-b')?.id).toBe('b');
    expect(ring.verify('key-c')).toBeUndefined();
    expect(ring.verify('')).toBeUndefined();
    expect(ring.verify(hashApiKey('key-a'))).toBeUndefined();
  });

  it('a key ring finds a record by its id (what a producer names in a Kafka header), and nothing for other ids', () => {
    const ring = new KeyRing([record({ id: 'a', hash: hashApiKey('key-a') }), record({ id: 'b', hash: hashApiKey('key-b') })]);
    expect(ring.byId('b')?.hash).toBe(hashApiKey('key-b'));
    expect(ring.byId('c')).toBeUndefined();
    expect(ring.byId('key-a')).toBeUndefined();
  });
});

describe('keys file', () => {
  it('round-trips through its text form', () => {
    const file: KeysFile = {
      version: 1,
      keys: [record(), record({ id: 'x', hash: hashApiKey('k2'), units: ['u1'], types: ['vn.dvc.report.submitted'], ratePerMinute: 5 })],
    };
    expect(parseKeysFile(serializeKeysFile(file))).toEqual({ ok: true, value: file });
  });

  it.each([
    ['not json', /^not JSON/],
    ['[]', /^must be an object/],
    ['{"version":2,"keys":[]}', /^version must be 1, got 2$/],
    ['{"version":1}', /^keys must be a list$/],
  ])('refuses %s', (text, problem) => {
    const parsed = parseKeysFile(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems[0]).toMatch(problem);
  });

  it('names the entry and field of every problem', () => {
    const text = JSON.stringify({
      version: 1,
      keys: [
        { ...record(), id: 'Bad Id' },
        { ...record({ id: 'dup', hash: hashApiKey('dup') }) },
        { ...record({ id: 'dup', hash: hashApiKey('other') }) },
        { ...record({ id: 'h' }), hash: 'md5:abc' },
        { ...record({ id: 'u', hash: hashApiKey('u') }), units: ['OK?'] },
        { ...record({ id: 't', hash: hashApiKey('t') }), types: ['vn.dvc.nope'] },
        { ...record({ id: 'e', hash: hashApiKey('e') }), units: [] },
        { ...record({ id: 'r', hash: hashApiKey('r') }), ratePerMinute: 0 },
        { ...record({ id: 's', hash: hashApiKey('dup') }) },
      ],
    });
    const parsed = parseKeysFile(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      'keys[0].id must match ^[a-z0-9][a-z0-9._-]{0,63}$',
      "keys[2].id 'dup' is used twice",
      'keys[3] (h).hash must be sha256:<64 lowercase hex digits>',
      "keys[4] (u).units: 'OK?' is not a unit id",
      "keys[5] (t).types: 'vn.dvc.nope' is not an event type",
      'keys[6] (e).units must be "*" or a non-empty list of strings',
      'keys[7] (r).ratePerMinute must be an integer from 1 to 100000',
      "keys[8] (s).hash is the same as another key's",
    ]);
  });

  it('adds a key: the key text once, only its hash stored', () => {
    const added = addKey(empty, { id: 'auditor', units: ['u1', 'u2'], types: '*', ratePerMinute: 30 }, NOW, fixed(1));
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    const { key, file } = added.value;
    expect(key).toBe(generateApiKey(fixed(1)));
    expect(file.keys).toEqual([
      { id: 'auditor', hash: hashApiKey(key), units: ['u1', 'u2'], types: '*', ratePerMinute: 30, createdAt: '2026-01-02T03:04:05.000Z' },
    ]);
    expect(serializeKeysFile(file)).not.toContain(key);
    expect(new KeyRing(file.keys).verify(key)?.id).toBe('auditor');
  });

  it('refuses a second key with the same id, a bad id or a bad rate', () => {
    const first = addKey(empty, { id: 'a', units: '*', types: '*', ratePerMinute: 1 }, NOW);
    if (!first.ok) throw new Error('first key refused');
    const again = addKey(first.value.file, { id: 'a', units: '*', types: '*', ratePerMinute: 0 }, NOW);
    expect(again).toEqual({
      ok: false,
      problems: ["id 'a' already exists; revoke it first or pick another id", 'rate must be an integer from 1 to 100000 requests per minute, got 0'],
    });
    expect(addKey(empty, { id: '-x', units: '*', types: '*', ratePerMinute: 1 }, NOW).ok).toBe(false);
  });

  it('parses scopes from the command line', () => {
    expect(parseUnitsScope('*')).toEqual({ ok: true, value: '*' });
    expect(parseUnitsScope('u1, u2,u1')).toEqual({ ok: true, value: ['u1', 'u2'] });
    expect(parseUnitsScope('u1,,')).toEqual({ ok: false, problems: ["units: '' is not a unit id", "units: '' is not a unit id"] });
    expect(parseTypesScope('*')).toEqual({ ok: true, value: '*' });
    expect(parseTypesScope('vn.dvc.report.submitted')).toEqual({ ok: true, value: ['vn.dvc.report.submitted'] });
    const bad = parseTypesScope('vn.dvc.report.submited');
    expect(!bad.ok && bad.problems[0]).toContain("did you mean 'vn.dvc.report.submitted'?");
  });
});

describe('key roles', () => {
  it('a record without a role is a replay key, and stays without one through the file', () => {
    const file: KeysFile = { version: 1, keys: [record()] };
    const text = serializeKeysFile(file);
    expect(text).not.toContain('role');
    const parsed = parseKeysFile(text);
    expect(parsed).toEqual({ ok: true, value: file });
    expect(parsed.ok && keyRole(parsed.value.keys[0]!)).toBe('replay');
  });

  it('reads and writes each known role', () => {
    const file: KeysFile = {
      version: 1,
      keys: (['replay', 'producer', 'operator', 'board'] as const).map((role) => record({ id: role, hash: hashApiKey(role), role })),
    };
    const parsed = parseKeysFile(serializeKeysFile(file));
    expect(parsed).toEqual({ ok: true, value: file });
    expect(parsed.ok && parsed.value.keys.map(keyRole)).toEqual(['replay', 'producer', 'operator', 'board']);
  });

  it('names an unknown or mistyped role', () => {
    const text = JSON.stringify({
      version: 1,
      keys: [
        { ...record({ id: 'a', hash: hashApiKey('a') }), role: 'admin' },
        { ...record({ id: 'b', hash: hashApiKey('b') }), role: null },
      ],
    });
    expect(parseKeysFile(text)).toEqual({
      ok: false,
      problems: [
        'keys[0] (a).role must be one of replay, producer, operator, board (or absent for replay)',
        'keys[1] (b).role must be one of replay, producer, operator, board (or absent for replay)',
      ],
    });
  });

  it('adds a key with a role only when one is given', () => {
    const plain = addKey(empty, { id: 'a', units: '*', types: '*', ratePerMinute: 1 }, NOW, fixed(2));
    expect(plain.ok && Object.keys(plain.value.file.keys[0]!)).toEqual(['id', 'hash', 'units', 'types', 'ratePerMinute', 'createdAt']);
    const board = addKey(empty, { id: 'b', units: '*', types: '*', ratePerMinute: 1, role: 'board' }, NOW, fixed(3));
    expect(board.ok && board.value.file.keys[0]).toEqual({
      id: 'b',
      hash: hashApiKey(generateApiKey(fixed(3))),
      units: '*',
      types: '*',
      ratePerMinute: 1,
      role: 'board',
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    const wrong = addKey(empty, { id: 'c', units: '*', types: '*', ratePerMinute: 1, role: 'root' as never }, NOW);
    expect(wrong).toEqual({ ok: false, problems: ["role 'root' must be one of replay, producer, operator, board"] });
  });
});

describe('producer scopes over the unit directory', () => {
  // A province, a district with a commune and a branch under it, and a second district.
  const directory = createUnitDirectory(
    [
      { id: 'p', name: 'P', level: 'province', kind: 'province' },
      { id: 'p.d1', name: 'D1', level: 'district', kind: 'district_desk', parent: 'p' },
      { id: 'p.d1.c1', name: 'C1', level: 'commune', kind: 'commune_desk', parent: 'p.d1' },
      { id: 'p.d1.c1.b', name: 'B', level: 'commune', kind: 'branch', parent: 'p.d1.c1' },
      { id: 'p.d2', name: 'D2', level: 'district', kind: 'district_desk', parent: 'p' },
      { id: 'p.d2.c2', name: 'C2', level: 'commune', kind: 'commune_desk', parent: 'p.d2' },
    ],
    'test',
  );

  it('a tree entry covers its unit and every unit under it, at any depth, and nothing else', () => {
    const scope = ['tree:p.d1'];
    expect(['p.d1', 'p.d1.c1', 'p.d1.c1.b'].filter((u) => unitInScope(scope, u, directory))).toEqual(['p.d1', 'p.d1.c1', 'p.d1.c1.b']);
    expect(['p', 'p.d2', 'p.d2.c2', 'p.d1x', 'nowhere'].filter((u) => unitInScope(scope, u, directory))).toEqual([]);
    expect(unitInScope(['tree:p'], 'p.d2.c2', directory)).toBe(true);
  });

  it('a listed unit covers only itself; "*" covers units the directory does not know', () => {
    expect(unitInScope(['p.d1'], 'p.d1', directory)).toBe(true);
    expect(unitInScope(['p.d1'], 'p.d1.c1', directory)).toBe(false);
    expect(unitInScope(['p.d1', 'tree:p.d2'], 'p.d2.c2', directory)).toBe(true);
    expect(unitInScope('*', 'nowhere', directory)).toBe(true);
    expect(unitInScope(['nowhere'], 'nowhere', directory)).toBe(true);
    expect(unitInScope(['tree:nowhere'], 'nowhere', directory)).toBe(true);
    expect(unitInScope(['tree:p'], 'nowhere', directory)).toBe(false);
  });

  it('a parent cycle in the data ends the walk instead of looping', () => {
    const cyclic = { record: (id: string) => ({ id, name: id, level: 'x', kind: 'x', parent: id === 'a' ? 'b' : 'a' }) };
    expect(unitInScope(['tree:z'], 'a', cyclic)).toBe(false);
    expect(unitInScope(['tree:b'], 'a', cyclic)).toBe(true);
  });

  it('a types scope covers its types only', () => {
    expect(typeInScope('*', 'vn.dvc.report.submitted')).toBe(true);
    expect(typeInScope(['vn.dvc.dossier.received'], 'vn.dvc.dossier.received')).toBe(true);
    expect(typeInScope(['vn.dvc.dossier.received'], 'vn.dvc.report.submitted')).toBe(false);
  });

  it('reads --under and tree: entries from the command line, and names a bad one', () => {
    expect(parseUnderScope('p.d1, p.d2,p.d1')).toEqual({ ok: true, value: ['tree:p.d1', 'tree:p.d2'] });
    expect(parseUnderScope('P!')).toEqual({ ok: false, problems: ["under: 'P!' is not a unit id"] });
    expect(parseUnitsScope('p.d1,tree:p.d2')).toEqual({ ok: true, value: ['p.d1', 'tree:p.d2'] });
    expect(parseUnitsScope('tree:')).toEqual({ ok: false, problems: ["units: 'tree:' is not tree:<unit id>"] });
  });

  it('tree entries belong to producer keys only, in the file and when adding', () => {
    const producer = record({ id: 'portal', hash: hashApiKey('portal'), units: ['tree:p.d1'], role: 'producer' });
    expect(parseKeysFile(serializeKeysFile({ version: 1, keys: [producer] }))).toEqual({ ok: true, value: { version: 1, keys: [producer] } });
    const reader = { ...producer, role: 'replay' };
    expect(parseKeysFile(JSON.stringify({ version: 1, keys: [reader] }))).toEqual({
      ok: false,
      problems: ['keys[0] (portal).units: tree: entries are taken by producer keys only'],
    });
    expect(addKey(empty, { id: 'r', units: ['tree:p'], types: '*', ratePerMinute: 1 }, NOW)).toEqual({
      ok: false,
      problems: ['a unit and everything under it (tree:) is a scope of producer keys only (--role producer)'],
    });
    expect(addKey(empty, { id: 'w', units: ['tree:p'], types: '*', ratePerMinute: 1, role: 'producer' }, NOW).ok).toBe(true);
  });
});
