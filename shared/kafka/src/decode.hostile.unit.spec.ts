import fc from 'fast-check';
import { BYTE_MUTATIONS, mutateBytes, testEvent } from '@dvc/testing';
import { decodeEventBytes } from './decode.js';

const valid = testEvent(
  'vn.dvc.dossier.digitized',
  'D1',
  { id: 'e1', source: 'portal', unit: 'u1', time: '2022-06-20T08:00:00+07:00' },
  { dossierId: 'D1', at: '2022-06-20T08:00:00+07:00' },
);
const json = JSON.stringify(valid);

describe('decodeEventBytes on hostile bytes', () => {
  it.each([
    ['an empty value', Buffer.alloc(0), 'value empty: a JSON value is required'],
    ['UTF-16 with a byte order mark', Buffer.from(`\ufeff${json}`, 'utf16le'), 'value starts with a UTF-16 byte order mark: send UTF-8'],
    ['UTF-16 without one', Buffer.from(json, 'utf16le'), 'value NUL byte at offset 1 (this looks like UTF-16 or UTF-32): send UTF-8 JSON'],
    [
      'invalid UTF-8 inside a string',
      Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      'value not valid UTF-8 at byte offset 7',
    ],
    ['a truncated event', Buffer.from(json.slice(0, 40)), 'malformed JSON: Unexpected end of JSON input'],
    ['JSON that is not an object', Buffer.from('[1,2]'), '/ an event must be a JSON object'],
    [
      'a misspelled type',
      Buffer.from(JSON.stringify({ ...valid, type: 'vn.dvc.dossier.digitised' })),
      "/type unknown event type 'vn.dvc.dossier.digitised' (did you mean 'vn.dvc.dossier.digitized'?)",
    ],
  ])('%s is refused: %s', (_name, value, reason) => {
    expect(decodeEventBytes(value)).toEqual({ ok: false, reason });
  });

  it('accepts a UTF-8 byte order mark, and refuses replacement characters it would otherwise invent', () => {
    expect(decodeEventBytes(Buffer.from(`\ufeff${json}`)).ok).toBe(true);
    const withBadByte = Buffer.from(json.replace('"e1"', '"e\u00ff"'), 'latin1');
    expect(decodeEventBytes(withBadByte)).toEqual({ ok: false, reason: 'value not valid UTF-8 at byte offset 28' });
  });

  it('refuses 100,000 levels of nesting without overflowing the stack', () => {
    const deep = Buffer.from(`${json.slice(0, -1)},"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(decodeEventBytes(deep)).toEqual({
      ok: false,
      reason: '/deep an extension attribute must be a string of at most 2048 characters, a 32-bit integer or a boolean',
    });
  });

  it('never throws on arbitrary buffers, and every refusal carries a reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.string({ unit: 'binary', maxLength: 512 }).map((s) => new TextEncoder().encode(s)),
        ),
        (bytes) => {
          const decoded = decodeEventBytes(Buffer.from(bytes));
          if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never throws on valid events with bytes flipped, cut or inserted', () => {
    const base = Buffer.from(json);
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom(...BYTE_MUTATIONS), (at, byte, how) => {
        const mutated = mutateBytes(base, at, byte, how);
        const decoded = decodeEventBytes(mutated);
        if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });
});
