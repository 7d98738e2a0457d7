import { history } from '../fixtures.js';
import { redriveKey } from './dlq.js';

const events = history(['u1'], 1);
const payment = events.find((e) => e.type === 'vn.dvc.payment.completed');
const received = events.find((e) => e.type === 'vn.dvc.dossier.received');

describe('redriveKey', () => {
  it('re-keys a payment that names its dossier by the dossier, whatever key the letter had', () => {
    if (payment?.type !== 'vn.dvc.payment.completed') throw new Error('the fixture has no payment');
    const linked = { ...payment, data: { ...payment.data, dossierId: 'u1-D0' } };
    expect(redriveKey({ key: Buffer.from('u1-D0-P'), value: Buffer.from(JSON.stringify(linked)) })).toBe('u1-D0');
    expect(redriveKey({ key: null, value: Buffer.from(JSON.stringify(linked)) })).toBe('u1-D0');
    expect(redriveKey({ key: Buffer.from('u1-D0-P'), value: Buffer.from(JSON.stringify(payment)) })).toBe('u1-D0-P');
  });

  it('keys any other valid event by its subject', () => {
    expect(redriveKey({ key: Buffer.from('elsewhere'), value: Buffer.from(JSON.stringify(received)) })).toBe('u1-D0');
  });

  it('keeps the original key of a value that is no valid event', () => {
    const key = Buffer.from('D-1');
    expect(redriveKey({ key, value: Buffer.from('this is not JSON') })).toBe(key);
    expect(redriveKey({ key, value: Buffer.from(JSON.stringify({ ...received, unitid: '' })) })).toBe(key);
    expect(redriveKey({ key: null, value: null })).toBeNull();
  });
});
