import { createDayIndexer, createUnitDirectory, validateEvent, type AdmissionLimits, type DvcEvent } from '@dvc/domain';
import { testEvent } from '@dvc/testing';
import { judgeMessage, misrouting, refusalLetter } from './consumer.js';
import { eventMessage } from './event-message.js';
import { PRODUCER_KEY_HEADER, producerGate } from './producers.js';

const T = '2022-06-20T08:00:00+07:00';
const contract = (raw: unknown): DvcEvent => {
  const result = validateEvent(raw);
  if (!result.ok) throw new Error(`test built an invalid event: ${JSON.stringify(result.problems)}`);
  return result.event;
};
const payment = (dossierId?: string) =>
  contract(
    testEvent(
      'vn.dvc.payment.completed',
      'PAY-1',
      { id: `pay-${dossierId ?? 'none'}`, unit: 'u1', time: T },
      { paymentId: 'PAY-1', kind: 'fee', channel: 'online', amountVnd: 50_000, paidAt: T, ...(dossierId === undefined ? {} : { dossierId }) },
    ),
  );
const digitized = contract(testEvent('vn.dvc.dossier.digitized', 'HS-9', { id: 'dig-1', unit: 'u1', time: T }, { dossierId: 'HS-9', at: T }));

const limits: AdmissionLimits = {
  maxFutureSkewMs: 300_000,
  historyStartMs: Date.parse('2022-01-01T00:00:00+07:00'),
  maxDueHorizonDays: 366,
  units: createUnitDirectory([{ id: 'u1', name: 'Đơn vị 1', level: 'commune', kind: 'commune_desk' }], 'v1'),
  acceptUnknownUnits: false,
  days: createDayIndexer('Asia/Ho_Chi_Minh'),
};
const wallMs = Date.parse('2022-06-21T08:00:00+07:00');
const message = (key: string | null, event: DvcEvent, producerKey?: string) => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(JSON.stringify(event)),
  offset: '3',
  ...(producerKey === undefined ? {} : { headers: { [PRODUCER_KEY_HEADER]: producerKey } }),
});

describe('eventMessage', () => {
  it('keys a payment that names its dossier by the dossier, every other event by its subject', () => {
    expect(eventMessage(payment('HS-9')).key).toBe('HS-9');
    expect(eventMessage(payment()).key).toBe('PAY-1');
    expect(eventMessage(digitized, 'portal').key).toBe('HS-9');
  });
});

describe('misrouting', () => {
  it('accepts the routing key, byte for byte', () => {
    expect(misrouting(Buffer.from('HS-9'), payment('HS-9'))).toBeUndefined();
    expect(misrouting(Buffer.from('PAY-1'), payment())).toBeUndefined();
    expect(misrouting(Buffer.from('HS-9'), digitized)).toBeUndefined();
  });

  it('compares bytes with the UTF-8 encoding of the routing key, non-ASCII keys included', () => {
    const hoSo = (id: string) => contract(testEvent('vn.dvc.dossier.digitized', id, { id: `dig-${id}`, unit: 'u1', time: T }, { dossierId: id, at: T }));
    expect(misrouting(Buffer.from('HS-Đ1'), hoSo('HS-Đ1'))).toBeUndefined();
    // Same number of bytes as characters, one byte off; and a Latin-1 byte where UTF-8 has two.
    expect(misrouting(Buffer.from('HS-8'), digitized)).toContain('Kafka key "HS-8" is not');
    expect(misrouting(Buffer.from([0x48, 0x53, 0x2d, 0xc8]), hoSo('HS-È'))).toContain(`is not the event's routing key "HS-È"`);
    expect(misrouting(Buffer.from([0x48, 0x53, 0x2d, 0xc8, 0x31]), hoSo('HS-È1'))).toContain(`is not the event's routing key "HS-È1"`);
  });

  it('names the key found and the key expected', () => {
    expect(misrouting(Buffer.from('PAY-1'), payment('HS-9'))).toBe(
      `Kafka key "PAY-1" is not the event's routing key "HS-9" (a payment is keyed by the dossier it pays for); re-drive it with dvc dlq redrive`,
    );
    expect(misrouting(Buffer.from('HS-9 '), digitized)).toBe(
      `Kafka key "HS-9 " is not the event's routing key "HS-9" (an event is keyed by its subject); re-drive it with dvc dlq redrive`,
    );
    expect(misrouting(null, payment('HS-9'))).toBe(
      `The message has no Kafka key, not the event's routing key "HS-9" (a payment is keyed by the dossier it pays for); re-drive it with dvc dlq redrive`,
    );
    expect(misrouting(Buffer.from(`x\n${'y'.repeat(100)}`), digitized)).toBe(
      `Kafka key ${JSON.stringify(`x\n${'y'.repeat(62)}…`)} is not the event's routing key "HS-9" (an event is keyed by its subject); re-drive it with dvc dlq redrive`,
    );
  });
});

describe('judgeMessage on the routing key', () => {
  it('refuses a misrouted or unkeyed event as misrouted, at the admission stage, and keeps its original key in the letter', () => {
    const judged = judgeMessage(message('PAY-1', payment('HS-9')), limits, wallMs);
    expect(judged.ok).toBe(false);
    if (judged.ok) return;
    expect(judged.refused.code).toBe('misrouted');
    expect(refusalLetter('events', 2, judged.refused)).toMatchObject({ key: Buffer.from('PAY-1'), code: 'misrouted', stage: 'admission', sourceOffset: '3' });
    const unkeyed = judgeMessage(message(null, digitized), limits, wallMs);
    expect(!unkeyed.ok && unkeyed.refused.code).toBe('misrouted');
  });

  it('admits an event on its routing key', () => {
    const judged = judgeMessage(message('HS-9', payment('HS-9')), limits, wallMs);
    expect(judged.ok && judged.admitted.event.id).toBe('pay-HS-9');
  });

  it('checks the routing key last: an invalid, inadmissible or forbidden message keeps that code', () => {
    const gate = producerGate((id) => (id === 'portal-u1' ? { id, role: 'producer', units: ['u1'], types: ['vn.dvc.dossier.digitized'] } : undefined));
    const forbidden = judgeMessage(message('PAY-1', payment('HS-9'), 'portal-u1'), limits, wallMs, gate);
    expect(!forbidden.ok && forbidden.refused.code).toBe('forbidden');
    const invalid = judgeMessage({ ...message('PAY-1', payment('HS-9')), value: Buffer.from('{') }, limits, wallMs);
    expect(!invalid.ok && invalid.refused.code).toBe('invalid');
    const other = contract(testEvent('vn.dvc.dossier.digitized', 'HS-8', { id: 'dig-2', unit: 'u9', time: T }, { dossierId: 'HS-8', at: T }));
    const unknownUnit = judgeMessage(message('wrong', other), limits, wallMs);
    expect(!unknownUnit.ok && unknownUnit.refused.code).toBe('unknown-unit');
    const misrouted = judgeMessage(message('HS-1', digitized, 'portal-u1'), limits, wallMs, gate);
    expect(!misrouted.ok && misrouted.refused.code).toBe('misrouted');
  });
});
