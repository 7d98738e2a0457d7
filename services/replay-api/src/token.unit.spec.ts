import { createHmac } from 'node:crypto';
import { TOKEN_VERSION, TokenSecretError, createTokenCodec } from './token.js';

const SECRET = 'a-test-secret-of-some-length';
const codec = createTokenCodec([SECRET]);

function forge(version: number, position: bigint, secret: string): string {
  const body = Buffer.alloc(9);
  body.writeUInt8(version, 0);
  body.writeBigUInt64BE(position, 1);
  const mac = createHmac('sha256', secret).update(body).digest().subarray(0, 12);
  return Buffer.concat([body, mac]).toString('base64url');
}

describe('resume tokens', () => {
  it.each([0, 1, 123, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])('round-trips position %d', (position) => {
    const token = codec.encode(position);
    expect(token).toMatch(/^[A-Za-z0-9_-]{28}$/);
    expect(codec.decode(token)).toEqual({ ok: true, position });
  });

  it('is the documented layout: version 1, the position big-endian, a 12-byte HMAC-SHA256', () => {
    expect(codec.encode(77)).toBe(forge(1, 77n, SECRET));
    expect(TOKEN_VERSION).toBe(1);
  });

  it('refuses to encode what is not a position', () => {
    expect(() => codec.encode(-1)).toThrow('cannot encode position -1');
    expect(() => codec.encode(1.5)).toThrow('cannot encode position 1.5');
  });

  it('needs a secret', () => {
    expect(() => createTokenCodec([])).toThrow(TokenSecretError);
  });

  it.each([
    ['', 'after is empty'],
    ['abc+def/', 'after is not a resume token: it must be base64url'],
    ['abc=', 'after is not a resume token: it must be base64url'],
    ['AQAAAAAAAAB7', 'after is not a resume token: it decodes to 9 bytes, a version 1 token has 21'],
  ])('names the problem of %j', (token, problem) => {
    const result = codec.decode(token);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(problem);
  });

  it('refuses a token with a byte changed (forged position)', () => {
    const bytes = Buffer.from(codec.encode(100), 'base64url');
    bytes.writeUInt8(bytes.readUInt8(8) + 1, 8);
    expect(codec.decode(bytes.toString('base64url'))).toEqual({
      ok: false,
      problem: 'resume token signature does not match: it was altered, or issued by another deployment',
    });
  });

  it('refuses a token signed with another secret', () => {
    expect(codec.decode(forge(1, 5n, 'another-secret-entirely')).ok).toBe(false);
  });

  it('refuses an unknown version, naming it', () => {
    expect(codec.decode(forge(2, 5n, SECRET))).toEqual({ ok: false, problem: 'resume token version 2 is not supported: this server reads version 1' });
  });

  it('refuses a position beyond what a number holds', () => {
    const result = codec.decode(forge(1, 2n ** 60n, SECRET));
    expect(result).toEqual({ ok: false, problem: `resume token position ${2n ** 60n} is out of range` });
  });

  it('refuses stray characters after a token (they decode to no byte)', () => {
    expect(codec.decode(`${codec.encode(9)}A`)).toEqual({ ok: false, problem: 'after is not a resume token: 29 characters, a version 1 token has 28' });
  });

  it('verifies with every configured secret and signs with the first (rotation)', () => {
    const rotated = createTokenCodec(['the-new-secret-0123', SECRET]);
    const old = codec.encode(42);
    expect(rotated.decode(old)).toEqual({ ok: true, position: 42 });
    expect(rotated.encode(42)).toBe(forge(1, 42n, 'the-new-secret-0123'));
    expect(codec.decode(rotated.encode(42)).ok).toBe(false);
  });
});
