import fc from 'fast-check';
import { decodeEventBytes } from './decode.js';

const valid = {
  specversion: '1.0',
  id: 'e1',
  source: 'portal',
  type: 'vn.dvc.dossier.digitized',
  time: '2022-06-20T08:00:00+07:00',
  subject: 'D1',
  unitid: 'u1',
  data: { dossierId: 'D1', unitId: 'u1', at: '2022-06-20T08:00:00+07:00' },
};
const json = JSON.stringify(valid);

describe('decodeEventBytes on hostile bytes', () => {
  it.each([
    ['an empty value', Buffer.alloc(0), 'value empty: a JSON value is required'],
    ['UTF-16 with a byte order mark', Buffer.from(`\ufeff${json}`, 'utf16le'), 'value starts with a UTF-16 byte order mark: send UTF-8'],
    ['UTF-16 without one', Buffer.from(json, 'utf16le'), 'value NUL byte at offset 1 (this looks like UTF-16 or UTF-32): send UTF-8 JSON'],
    ['invalid UTF-8 inside a string', Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'value not valid UTF-8 at byte offset 7'],
    ['a truncated event', Buffer.from(json.slice(0, 40)), 'malformed JSON: Unexpected end of JSON input'],
    ['JSON that is not an object', Buffer.from('[1,2]'), '/ an event must be a JSON object'],
    ['a misspelled type', Buffer.from(JSON.stringify({ ...valid, type: 'vn.dvc.dossier.digitised' })), "/type unknown event type 'vn.dvc.dossier.digitised' (did you mean 'vn.dvc.dossier.digitized'?)"],
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
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.string({ unit: 'binary', maxLength: 512 }).map((s) => new TextEncoder().encode(s))), (bytes) => {
        const decoded = decodeEventBytes(Buffer.from(bytes));
        if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on valid events with bytes flipped, cut or inserted', () => {
    const base = Buffer.from(json);
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert'), (at, byte, how) => {
        const mutated =
          how === 'flip'
            ? Buffer.concat([base.subarray(0, at), Buffer.from([byte]), base.subarray(at + 1)])
            : how === 'cut'
              ? base.subarray(0, at)
              : Buffer.concat([base.subarray(0, at), Buffer.from([byte]), base.subarray(at)]);
        const decoded = decodeEventBytes(mutated);
        if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });
});
