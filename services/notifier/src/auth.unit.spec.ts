import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@dvc/config';
import { bearerCredential, readTokenFile, tokenChecker } from './auth.js';

const TOKEN = 'Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWpr';

describe('notifier auth', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string, mode: number) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  };
  const problems = (file: string): string[] => {
    try {
      readTokenFile(file, 'NOTIFIER_TOKEN_FILE');
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('no error');
  };

  it('reads a token file of mode 0600 without its trailing newline', () => {
    expect(readTokenFile(write('t', `${TOKEN}\n`, 0o600), 'NOTIFIER_TOKEN_FILE')).toBe(TOKEN);
  });

  it('refuses a missing, short, spaced or shared token file, naming the file', () => {
    expect(problems(join(dir, 'none'))).toEqual([expect.stringMatching(/^NOTIFIER_TOKEN_FILE: cannot read the token file .*none: ENOENT/)]);
    const short = write('short', 'abc', 0o600);
    expect(problems(short)).toEqual([`NOTIFIER_TOKEN_FILE: the token in ${short} has 3 characters; at least 32 are needed`]);
    const spaced = write('spaced', `${TOKEN} ${TOKEN}`, 0o600);
    expect(problems(spaced)).toEqual([`NOTIFIER_TOKEN_FILE: ${spaced} must hold one token of printable ASCII characters without spaces`]);
    const shared = write('shared', TOKEN, 0o644);
    expect(problems(shared)).toEqual([`NOTIFIER_TOKEN_FILE: ${shared} is readable or writable by others (mode 644); chmod 600 it`]);
  });

  it('matches only the exact token, and only as a Bearer credential', () => {
    const check = tokenChecker(TOKEN);
    expect(check(TOKEN)).toBe(true);
    expect(check(`${TOKEN}x`)).toBe(false);
    expect(check(TOKEN.slice(1))).toBe(false);
    expect(check('')).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(bearerCredential(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerCredential(`bearer  ${TOKEN} `)).toBe(TOKEN);
    expect(bearerCredential(`Basic ${TOKEN}`)).toBeUndefined();
    expect(bearerCredential(undefined)).toBeUndefined();
  });
});
