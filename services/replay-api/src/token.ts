import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Position } from '@dvc/eventstore';
import { DvcError } from '@dvc/domain';

/**
 * Resume tokens: opaque to clients, base64url (no padding) of 21 bytes:
 *   [0]      version (1)
 *   [1..8]   position, unsigned 64-bit big-endian (at most Number.MAX_SAFE_INTEGER)
 *   [9..20]  first 12 bytes of HMAC-SHA256(secret, bytes 0..8)
 * The MAC makes a forged or altered token a clear 400 instead of a silent jump in the history;
 * several secrets verify (rotation), the first one signs.
 */
export const TOKEN_VERSION = 1;
const BODY_BYTES = 9;
const MAC_BYTES = 12;
const TOKEN_BYTES = BODY_BYTES + MAC_BYTES;
const TOKEN_CHARS = Math.ceil((TOKEN_BYTES * 8) / 6);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type TokenResult = { ok: true; position: Position } | { ok: false; problem: string };

export interface TokenCodec {
  encode(position: Position): string;
  decode(token: string): TokenResult;
}

/** Thrown when the codec is built without a usable secret (a configuration bug). */
export class TokenSecretError extends DvcError {
  readonly code = 'DVC_TOKEN_SECRET';
}

export function createTokenCodec(secrets: readonly string[]): TokenCodec {
  if (secrets.length === 0) throw new TokenSecretError('at least one token secret is needed');
  const mac = (secret: string, body: Buffer): Buffer => createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
  const signer = secrets[0] as string;
  return {
    encode(position) {
      if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`cannot encode position ${position}`);
      const body = Buffer.alloc(BODY_BYTES);
      body.writeUInt8(TOKEN_VERSION, 0);
      body.writeBigUInt64BE(BigInt(position), 1);
      return Buffer.concat([body, mac(signer, body)]).toString('base64url');
    },
    decode(token) {
      if (token === '') return { ok: false, problem: 'after is empty: pass a token from a previous response, or leave after out to start at the beginning' };
      if (!BASE64URL.test(token)) return { ok: false, problem: 'after is not a resume token: it must be base64url (A-Z, a-z, 0-9, - and _ only)' };
      const bytes = Buffer.from(token, 'base64url');
      if (bytes.length !== TOKEN_BYTES) {
        return {
          ok: false,
          problem: `after is not a resume token: it decodes to ${bytes.length} bytes, a version ${TOKEN_VERSION} token has ${TOKEN_BYTES} (was it cut short?)`,
        };
      }
      // Re-encoding must give the same text: stray trailing characters decode to nothing.
      if (bytes.toString('base64url') !== token) {
        return { ok: false, problem: `after is not a resume token: ${token.length} characters, a version ${TOKEN_VERSION} token has ${TOKEN_CHARS}` };
      }
      const version = bytes.readUInt8(0);
      if (version !== TOKEN_VERSION) {
        return { ok: false, problem: `resume token version ${version} is not supported: this server reads version ${TOKEN_VERSION}` };
      }
      const body = bytes.subarray(0, BODY_BYTES);
      const given = bytes.subarray(BODY_BYTES);
      if (!secrets.some((secret) => timingSafeEqual(mac(secret, body), given))) {
        return { ok: false, problem: 'resume token signature does not match: it was altered, or issued by another deployment' };
      }
      const position = bytes.readBigUInt64BE(1);
      if (position > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, problem: `resume token position ${position} is out of range` };
      return { ok: true, position: Number(position) };
    },
  };
}
