import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createLogger } from '@dvc/config';
import { KeysFileError, addKey, readKeysFile, watchedKeysFile, writeKeysFile, type KeysFile } from './keys.js';
import { serviceKeysFile } from './service-keys.js';

describe('keys file on disk', () => {
  let dir: string;
  let file: string;
  const now = new Date('2026-01-01T00:00:00Z');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-keys-'));
    file = join(dir, 'sub', 'keys.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function withKey(base: KeysFile, id: string): { key: string; file: KeysFile } {
    const added = addKey(base, { id, units: '*', types: '*', ratePerMinute: 10 }, now);
    if (!added.ok) throw new Error(added.problems.join('; '));
    return added.value;
  }

  it('writes atomically, owner-only, and reads back what it wrote', () => {
    const { file: content } = withKey({ version: 1, keys: [] }, 'a');
    writeKeysFile(file, content);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readKeysFile(file)).toEqual(content);
  });

  it('a missing file is an error naming it, or empty when allowed', () => {
    expect(() => readKeysFile(file)).toThrow(`keys file ${file}: does not exist; create a key with \`dvc keys create\``);
    expect(readKeysFile(file, true)).toEqual({ version: 1, keys: [] });
  });

  it('an invalid file is an error naming each problem', () => {
    writeKeysFile(file, { version: 1, keys: [] });
    writeFileSync(file, '{"version":1,"keys":[{"id":"x"}]}');
    expect(() => readKeysFile(file)).toThrow(KeysFileError);
    expect(() => readKeysFile(file)).toThrow(/keys\[0\] \(x\)\.hash must be sha256/);
  });

  it('a watched file is reloaded when it changes; an invalid change keeps the previous keys', () => {
    let clock = 0;
    const first = withKey({ version: 1, keys: [] }, 'a');
    writeKeysFile(file, first.file);
    const reloads: number[] = [];
    const errors: string[] = [];
    const source = watchedKeysFile(file, { now: () => clock, checkIntervalMs: 1000, onReload: (n) => reloads.push(n), onError: (e) => errors.push(e.message) });
    expect(source.current().verify(first.key)?.id).toBe('a');

    const second = withKey(first.file, 'b');
    writeKeysFile(file, second.file);
    // Not checked again before the interval has passed.
    clock = 999;
    expect(source.current().verify(second.key)).toBeUndefined();
    clock = 1000;
    expect(source.current().verify(second.key)?.id).toBe('b');
    expect(reloads).toEqual([2]);

    writeFileSync(file, `${readFileSync(file, 'utf8')}garbage`);
    clock = 2000;
    expect(source.current().verify(second.key)?.id).toBe('b');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('not JSON');
    // The same broken file is reported once, not on every request.
    clock = 3000;
    source.current();
    expect(errors).toHaveLength(1);
  });

  it("a service's keys file: invalid at start is a configuration error naming the variable; each reload is reported by outcome", () => {
    let clock = 0;
    const outcomes: string[] = [];
    const options = { logger: createLogger('keys-test', 'silent'), now: () => clock, reloaded: (outcome: string) => outcomes.push(outcome) };
    const first = withKey({ version: 1, keys: [] }, 'a');
    writeKeysFile(file, first.file);
    writeFileSync(file, 'garbage');
    expect(() => serviceKeysFile('BOARD_KEYS_FILE', file, options)).toThrow(ConfigError);
    expect(() => serviceKeysFile('BOARD_KEYS_FILE', file, options)).toThrow(`BOARD_KEYS_FILE: keys file ${file}`);

    writeKeysFile(file, first.file);
    const source = serviceKeysFile('BOARD_KEYS_FILE', file, options);
    expect(source.current().verify(first.key)?.id).toBe('a');
    const second = withKey(first.file, 'b');
    writeKeysFile(file, second.file);
    clock = 1000;
    expect(source.current().verify(second.key)?.id).toBe('b');
    writeFileSync(file, 'garbage');
    clock = 2000;
    expect(source.current().verify(second.key)?.id).toBe('b');
    expect(outcomes).toEqual(['ok', 'invalid']);
  });
});
