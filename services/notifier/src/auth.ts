import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '@dvc/config';

/**
 * Who may talk to the notifier. Alertmanager proves itself with a shared bearer token read from a
 * file (its own `http_config.authorization.credentials_file`, the same file here); operators read
 * `/v1/notices` with a key of the role `operator` from the keys store (`dvc keys create --role operator`).
 */

/** The shortest token accepted: 32 characters (the stack writes 43, 32 random bytes in base64url). */
export const MIN_TOKEN_LENGTH = 32;
const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/** The credential of an `Authorization: Bearer <credential>` header, or undefined (absent or malformed). */
export function bearerCredential(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/**
 * Reads the token Alertmanager sends: the file's text without surrounding white space. Refused
 * (a ConfigError naming the file) when missing, shorter than MIN_TOKEN_LENGTH, not a single
 * printable word, or readable by anyone but its owner (a token others can read proves nothing).
 */
export function readTokenFile(file: string, variable: string): string {
  let text: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError([`${variable}: cannot read the token file ${file}: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  if ((mode & 0o077) !== 0) problems.push(`${variable}: ${file} is readable or writable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  if (!/^[\x21-\x7e]+$/.test(text)) problems.push(`${variable}: ${file} must hold one token of printable ASCII characters without spaces`);
  else if (text.length < MIN_TOKEN_LENGTH)
    problems.push(`${variable}: the token in ${file} has ${text.length} characters; at least ${MIN_TOKEN_LENGTH} are needed`);
  if (problems.length > 0) throw new ConfigError(problems);
  return text;
}

/** Checks a presented token against the expected one in constant time (both hashed first, so their lengths leak nothing). */
export function tokenChecker(expected: string): (presented: string | undefined) => boolean {
  const want = createHash('sha256').update(expected, 'utf8').digest();
  return (presented) => {
    const got = createHash('sha256')
      .update(presented ?? '', 'utf8')
      .digest();
    return timingSafeEqual(want, got) && presented !== undefined;
  };
}
