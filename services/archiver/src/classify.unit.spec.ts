import { validateEvent, type DvcEvent } from '@dvc/domain';
import type { AppendResult } from '@dvc/eventstore';
import { classifyResults, conflictLetter, conflictReason, type Archivable } from './classify.js';

function event(id: string, type: 'received' | 'payment' = 'received', procedure = 'P1'): DvcEvent {
  const time = '2022-06-20T08:00:00+07:00';
  const result = validateEvent(
    type === 'received'
      ? {
          specversion: '1.0',
          id,
          source: 'unit-test',
          type: 'vn.dvc.dossier.received',
          time,
          subject: `d-${id}`,
          unitid: 'u1',
          data: { dossierId: `d-${id}`, unitId: 'u1', procedureId: procedure, channel: 'online', receivedAt: time, processingDays: 5 },
        }
      : {
          specversion: '1.0',
          id,
          source: 'unit-test',
          type: 'vn.dvc.payment.completed',
          time,
          subject: `p-${id}`,
          unitid: 'u1',
          data: { paymentId: `p-${id}`, unitId: 'u1', kind: 'fee', amountVnd: 1000, channel: 'online', paidAt: time },
        },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

const item = (e: DvcEvent, offset: string): Archivable => ({ event: e, key: Buffer.from(e.subject), value: Buffer.from(JSON.stringify(e)), offset });

describe('classifyResults', () => {
  it('counts appended events per type and keeps the highest new position', () => {
    const items = [item(event('a'), '10'), item(event('b', 'payment'), '11'), item(event('c'), '12')];
    const results: AppendResult[] = [
      { outcome: 'appended', id: 'a', position: 7 },
      { outcome: 'appended', id: 'b', position: 8 },
      { outcome: 'appended', id: 'c', position: 9 },
    ];
    const outcome = classifyResults(items, results);
    expect([...outcome.appended]).toEqual([
      ['vn.dvc.dossier.received', 2],
      ['vn.dvc.payment.completed', 1],
    ]);
    expect(outcome.duplicates.size).toBe(0);
    expect(outcome.conflicts).toEqual([]);
    expect(outcome.lastPosition).toBe(9);
  });

  it('tells redeliveries (same body) from conflicts (different body) and appends nothing for them', () => {
    const conflicting = item(event('a', 'received', 'P2'), '21');
    const items = [item(event('a'), '20'), conflicting, item(event('b', 'payment'), '22')];
    const results: AppendResult[] = [
      { outcome: 'duplicate', id: 'a', position: 3, sameBody: true },
      { outcome: 'duplicate', id: 'a', position: 3, sameBody: false },
      { outcome: 'duplicate', id: 'b', position: 4, sameBody: true },
    ];
    const outcome = classifyResults(items, results);
    expect(outcome.appended.size).toBe(0);
    expect([...outcome.duplicates]).toEqual([
      ['vn.dvc.dossier.received', 1],
      ['vn.dvc.payment.completed', 1],
    ]);
    expect(outcome.conflicts).toEqual([{ id: 'a', storedAt: 3, offset: '21', key: conflicting.key, value: conflicting.value }]);
    expect(outcome.lastPosition).toBeUndefined();
  });

  it('handles an empty batch (every message invalid)', () => {
    expect(classifyResults([], [])).toEqual({ appended: new Map(), duplicates: new Map(), conflicts: [], lastPosition: undefined });
  });

  it('refuses an answer that does not match the events given', () => {
    const items = [item(event('a'), '1'), item(event('b'), '2')];
    expect(() => classifyResults(items, [{ outcome: 'appended', id: 'a', position: 1 }])).toThrow('event store answered 1 results for 2 events');
    expect(() =>
      classifyResults(items, [
        { outcome: 'appended', id: 'a', position: 1 },
        { outcome: 'appended', id: 'x', position: 2 },
      ]),
    ).toThrow("event store answered for id 'x' at index 1, expected 'b'");
  });
});

describe('conflict dead letters', () => {
  it('names the id and the stored position in the reason', () => {
    expect(conflictReason({ id: 'ev-42', storedAt: 17 })).toBe('event id ev-42 is already stored at position 17 with a different body');
  });

  it('keeps the original bytes and says where they came from, stage archive', () => {
    const copy = item(event('a', 'received', 'P9'), '99');
    expect(conflictLetter({ id: 'a', storedAt: 5, offset: '99', key: copy.key, value: copy.value }, 'dvc.events', 2)).toEqual({
      key: copy.key,
      value: copy.value,
      reason: 'event id a is already stored at position 5 with a different body',
      code: 'conflict',
      sourceTopic: 'dvc.events',
      sourcePartition: 2,
      sourceOffset: '99',
      stage: 'archive',
    });
  });
});
