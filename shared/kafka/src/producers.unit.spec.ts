import { createDayIndexer, createUnitDirectory, type AdmissionLimits } from '@dvc/domain';
import { KeyRing, addKey, type KeysFile } from '@dvc/keys';
import { testEvent } from '@dvc/testing';
import { judgeMessage, refusalLetter } from './consumer.js';
import { PRODUCER_KEY_HEADER, headerText, producerGate, type ProducerKey } from './producers.js';

const event = (unit: string, type: 'vn.dvc.dossier.digitized' | 'vn.dvc.dossier.withdrawn' = 'vn.dvc.dossier.digitized') =>
  type === 'vn.dvc.dossier.digitized'
    ? testEvent(
        type,
        'D1',
        { id: `e-${unit}`, source: 'portal', unit, time: '2022-06-20T08:00:00+07:00' },
        { dossierId: 'D1', at: '2022-06-20T08:00:00+07:00' },
      )
    : testEvent(
        type,
        'D1',
        { id: `w-${unit}`, source: 'portal', unit, time: '2022-06-20T08:00:00+07:00' },
        { dossierId: 'D1', at: '2022-06-20T08:00:00+07:00' },
      );

const KEYS: ProducerKey[] = [
  { id: 'portal-u1', role: 'producer', units: ['u1'], types: ['vn.dvc.dossier.digitized'] },
  { id: 'portal-all', role: 'producer', units: '*', types: '*' },
  { id: 'reader', role: 'replay', units: '*', types: '*' },
  { id: 'legacy', units: '*', types: '*' },
];
const gate = producerGate((id) => KEYS.find((k) => k.id === id));

const limits: AdmissionLimits = {
  maxFutureSkewMs: 300_000,
  historyStartMs: Date.parse('2022-01-01T00:00:00+07:00'),
  maxDueHorizonDays: 366,
  units: createUnitDirectory(
    [
      { id: 'u1', name: 'Đơn vị 1', level: 'commune', kind: 'commune_desk' },
      { id: 'u2', name: 'Đơn vị 2', level: 'commune', kind: 'commune_desk' },
    ],
    'v1',
  ),
  acceptUnknownUnits: false,
  days: createDayIndexer('Asia/Ho_Chi_Minh'),
};
const wallMs = Date.parse('2022-06-21T08:00:00+07:00');
const message = (value: unknown, producerKey?: string | Buffer) => ({
  key: Buffer.from('D1'),
  value: Buffer.from(JSON.stringify(value)),
  offset: '7',
  ...(producerKey === undefined ? {} : { headers: { [PRODUCER_KEY_HEADER]: producerKey } }),
});

describe('producer gate', () => {
  it('knows only producer keys of the store, by id', () => {
    expect(gate.identify('portal-u1')).toEqual({ ok: true, key: KEYS[0] });
    expect(gate.identify(undefined)).toEqual({
      ok: false,
      code: 'unauthenticated',
      reason: 'no producer key id: the header dvc-producer-key is missing or empty',
    });
    expect(gate.identify('')).toMatchObject({ ok: false, code: 'unauthenticated' });
    expect(gate.identify('revoked-one')).toEqual({
      ok: false,
      code: 'unauthenticated',
      reason: 'dvc-producer-key "revoked-one" is no key of the keys store (unknown or revoked)',
    });
    expect(gate.identify('reader')).toEqual({
      ok: false,
      code: 'unauthenticated',
      reason: `dvc-producer-key "reader" names a key of the role 'replay', not 'producer'`,
    });
    expect(gate.identify('legacy')).toEqual({
      ok: false,
      code: 'unauthenticated',
      reason: `dvc-producer-key "legacy" names a key of the role 'replay', not 'producer'`,
    });
    expect(gate.identify(`x"\n${'y'.repeat(100)}`)).toEqual({
      ok: false,
      code: 'unauthenticated',
      reason: `dvc-producer-key ${JSON.stringify(`x"\n${'y'.repeat(61)}…`)} is no key of the keys store (unknown or revoked)`,
    });
  });

  it('reads a header as text, the last of repeated values', () => {
    expect(headerText({ a: Buffer.from('k1') }, 'a')).toBe('k1');
    expect(headerText({ a: [Buffer.from('k1'), Buffer.from('k2')] }, 'a')).toBe('k2');
    expect(headerText({ a: 'k3' }, 'a')).toBe('k3');
    expect(headerText({}, 'a')).toBeUndefined();
    expect(headerText(undefined, 'a')).toBeUndefined();
  });
});

describe('judgeMessage with producers', () => {
  it('admits an event of a known producer key inside its scope, keeping the key id', () => {
    const judged = judgeMessage(message(event('u1'), Buffer.from('portal-u1')), limits, wallMs, gate);
    expect(judged.ok && judged.admitted.producerKey).toBe('portal-u1');
    expect(judged.ok && judged.admitted.event.id).toBe('e-u1');
  });

  it('refuses a message without a known producer key id as unauthenticated, before decoding it', () => {
    const none = judgeMessage({ ...message(event('u1')), value: Buffer.from('not json') }, limits, wallMs, gate);
    expect(none).toEqual({ ok: false, refused: expect.objectContaining({ code: 'unauthenticated', offset: '7' }) });
    expect(!none.ok && none.refused.producerKey).toBeUndefined();
    const unknown = judgeMessage(message(event('u1'), 'gone'), limits, wallMs, gate);
    expect(!unknown.ok && unknown.refused).toMatchObject({ code: 'unauthenticated', producerKey: 'gone' });
    const letter = refusalLetter('t', 2, !unknown.ok ? unknown.refused : (undefined as never));
    expect(letter).toMatchObject({ code: 'unauthenticated', stage: 'producer', producerKey: 'gone', sourceTopic: 't', sourcePartition: 2, sourceOffset: '7' });
  });

  it('refuses an event outside its key units or types as forbidden, naming the unit or type', () => {
    const otherUnit = judgeMessage(message(event('u2'), 'portal-u1'), limits, wallMs, gate);
    expect(!otherUnit.ok && otherUnit.refused).toMatchObject({
      code: 'forbidden',
      reason: "producer key 'portal-u1' may not write for unit 'u2' (its units: u1)",
      producerKey: 'portal-u1',
    });
    const otherType = judgeMessage(message(event('u1', 'vn.dvc.dossier.withdrawn'), 'portal-u1'), limits, wallMs, gate);
    expect(!otherType.ok && otherType.refused).toMatchObject({
      code: 'forbidden',
      reason: "producer key 'portal-u1' may not write events of type 'vn.dvc.dossier.withdrawn' (its types: vn.dvc.dossier.digitized)",
    });
    expect(judgeMessage(message(event('u2'), 'portal-all'), limits, wallMs, gate).ok).toBe(true);
    expect(refusalLetter('t', 0, !otherUnit.ok ? otherUnit.refused : (undefined as never)).stage).toBe('producer');
  });

  it('lets a tree: entry cover its unit and every unit under it in the admitting directory, and nothing else', () => {
    const tree: ProducerKey = { id: 'district', role: 'producer', units: ['tree:d1'], types: '*' };
    const treeGate = producerGate((id) => (id === tree.id ? tree : undefined));
    const directory = createUnitDirectory(
      [
        { id: 'd1', name: 'Huyện 1', level: 'district', kind: 'district_desk' },
        { id: 'd1.c1', name: 'Xã 1', level: 'commune', kind: 'commune_desk', parent: 'd1' },
        { id: 'd1.c1.b', name: 'Điểm 1', level: 'commune', kind: 'branch', parent: 'd1.c1' },
        { id: 'd2', name: 'Huyện 2', level: 'district', kind: 'district_desk' },
        { id: 'd2.c1', name: 'Xã 2', level: 'commune', kind: 'commune_desk', parent: 'd2' },
      ],
      'v2',
    );
    const treeLimits: AdmissionLimits = { ...limits, units: directory };
    const judged = ['d1', 'd1.c1', 'd1.c1.b', 'd2', 'd2.c1'].map((unit) => {
      const verdict = judgeMessage(message(event(unit), 'district'), treeLimits, wallMs, treeGate);
      return verdict.ok ? 'ok' : `${verdict.refused.code}: ${verdict.refused.reason}`;
    });
    expect(judged).toEqual([
      'ok',
      'ok',
      'ok',
      "forbidden: producer key 'district' may not write for unit 'd2' (its units: tree:d1)",
      "forbidden: producer key 'district' may not write for unit 'd2.c1' (its units: tree:d1)",
    ]);
    // A unit the directory does not know (admitted in pilot mode) is under no tree.
    const pilot = judgeMessage(message(event('d1.new'), 'district'), { ...treeLimits, acceptUnknownUnits: true }, wallMs, treeGate);
    expect(!pilot.ok && pilot.refused.code).toBe('forbidden');
  });

  it('treats a revoked key (removed from the store by `dvc keys revoke`) as unknown', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const empty: KeysFile = { version: 1, keys: [] };
    const created = addKey(empty, { id: 'portal', role: 'producer', units: '*', types: '*', ratePerMinute: 60 }, now);
    if (!created.ok) throw new Error(created.problems.join('; '));
    let ring = new KeyRing(created.value.file.keys);
    const ringGate = producerGate((id) => ring.byId(id));
    expect(judgeMessage(message(event('u1'), 'portal'), limits, wallMs, ringGate).ok).toBe(true);
    // What `dvc keys revoke --id portal` writes: the file without the key's record.
    ring = new KeyRing(created.value.file.keys.filter((k) => k.id !== 'portal'));
    const revoked = judgeMessage(message(event('u1'), 'portal'), limits, wallMs, ringGate);
    expect(!revoked.ok && revoked.refused).toMatchObject({
      code: 'unauthenticated',
      reason: 'dvc-producer-key "portal" is no key of the keys store (unknown or revoked)',
      producerKey: 'portal',
    });
  });

  it('keeps validation and admission codes for a known producer, and accepts anyone without a gate', () => {
    const invalid = judgeMessage({ ...message(event('u1'), 'portal-all'), value: Buffer.from('{') }, limits, wallMs, gate);
    expect(!invalid.ok && invalid.refused.code).toBe('invalid');
    const unknownUnit = judgeMessage(message(event('u9'), 'portal-all'), limits, wallMs, gate);
    expect(!unknownUnit.ok && unknownUnit.refused.code).toBe('unknown-unit');
    expect(judgeMessage(message(event('u1')), limits, wallMs).ok).toBe(true);
    expect(judgeMessage(message(event('u2'), 'portal-u1'), limits, wallMs).ok).toBe(true);
  });
});
