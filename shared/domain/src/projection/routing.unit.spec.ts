import { EVENT_TYPE_NAMES, type DvcEvent, type EventType } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { subjectKey, subjectKeysOf } from './project.js';
import { laneOf, routingKeyOf } from './routing.js';

const T = '2022-06-22T08:30:00+07:00';
const UNIT = 'so-tu-phap';

/** Valid data for each type whose own id is 'S-1'. */
const DATA: Record<EventType, Record<string, unknown>> = {
  'vn.dvc.dossier.submitted': { dossierId: 'S-1', unitId: UNIT, procedureId: '1.000123', submittedAt: T },
  'vn.dvc.dossier.received': { dossierId: 'S-1', unitId: UNIT, procedureId: '1.000123', channel: 'online', receivedAt: T, dueAt: T, processingDays: 5 },
  'vn.dvc.dossier.supplement_requested': { dossierId: 'S-1', unitId: UNIT, at: T },
  'vn.dvc.dossier.supplement_received': { dossierId: 'S-1', unitId: UNIT, at: T },
  'vn.dvc.dossier.deadline_extended': { dossierId: 'S-1', unitId: UNIT, at: T, newDueAt: T },
  'vn.dvc.dossier.resolved': { dossierId: 'S-1', unitId: UNIT, resolvedAt: T, outcome: 'approved', processedOnline: true, dueAt: T },
  'vn.dvc.dossier.result_returned': { dossierId: 'S-1', unitId: UNIT, at: T },
  'vn.dvc.dossier.withdrawn': { dossierId: 'S-1', unitId: UNIT, at: T },
  'vn.dvc.dossier.digitized': { dossierId: 'S-1', unitId: UNIT, at: T },
  'vn.dvc.dossier.reopened': { dossierId: 'S-1', unitId: UNIT, at: T },
  'vn.dvc.payment.completed': { paymentId: 'S-1', unitId: UNIT, kind: 'fee', amountVnd: 50_000, channel: 'online', paidAt: T },
  'vn.dvc.report.submitted': { reportId: 'S-1', unitId: UNIT, channel: 'online', submittedAt: T },
  'vn.dvc.procedure.published': { procedureId: 'S-1', unitId: UNIT, onlineCapable: true },
  'vn.dvc.community_team.registered': { teamId: 'S-1', unitId: UNIT, teamLevel: 'village', members: 7 },
};

/** A contract event checked by the real validator, subject 'S-1' unless given. */
function eventOf(type: EventType, patch: Record<string, unknown> = {}, subject = 'S-1'): DvcEvent {
  const result = validateEvent({
    specversion: '1.0',
    id: `evt-${type}`,
    source: 'test',
    type,
    time: T,
    subject,
    unitid: UNIT,
    data: { ...DATA[type], ...patch },
  });
  if (!result.ok) throw new Error(`test built an invalid event: ${JSON.stringify(result.problems)}`);
  return result.event;
}

describe('routingKeyOf', () => {
  it('keys a payment that names its dossier by that dossier', () => {
    expect(routingKeyOf(eventOf('vn.dvc.payment.completed', { paymentId: 'S-1', dossierId: 'HS-9' }))).toBe('HS-9');
  });

  it('keys a payment that names no dossier by its subject (the payment id)', () => {
    expect(routingKeyOf(eventOf('vn.dvc.payment.completed'))).toBe('S-1');
  });

  it.each(EVENT_TYPE_NAMES.filter((t) => t !== 'vn.dvc.payment.completed'))('keys %s by its subject', (type) => {
    expect(routingKeyOf(eventOf(type))).toBe('S-1');
  });

  it('keys every event by the dossier among the subjects it changes, so a dossier is changed from one partition only', () => {
    const events = [...EVENT_TYPE_NAMES.map((t) => eventOf(t)), eventOf('vn.dvc.payment.completed', { dossierId: 'HS-9' })];
    for (const event of events) {
      const dossiers = subjectKeysOf(event).filter((k) => k.startsWith('dossier:'));
      expect(dossiers.length).toBeLessThanOrEqual(1);
      if (dossiers.length === 1) expect(dossiers[0]).toBe(subjectKey('dossier', routingKeyOf(event)));
    }
  });
});

describe('laneOf', () => {
  /** The events of dossier `id`: each dossier type, and a payment (its own id) naming the dossier. */
  const dossierEvents = (id: string) => [
    ...EVENT_TYPE_NAMES.filter((t) => t.startsWith('vn.dvc.dossier.')).map((t) => eventOf(t, { dossierId: id }, id)),
    eventOf('vn.dvc.payment.completed', { paymentId: `P-${id}`, dossierId: id }, `P-${id}`),
  ];

  it('puts every event of a dossier in one lane, a payment that names it included, whatever the number of lanes', () => {
    for (const lanes of [1, 2, 4, 7]) {
      for (const id of ['HS-1', 'HS-9', '000.00.12.H10-220622-0001']) {
        const seen = new Set(dossierEvents(id).map((e) => laneOf(e, lanes)));
        expect({ id, lanes, seen: seen.size }).toEqual({ id, lanes, seen: 1 });
        const [lane] = seen;
        expect(lane).toBeGreaterThanOrEqual(0);
        expect(lane).toBeLessThan(lanes);
      }
    }
  });

  it('spreads distinct dossiers over every lane', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) {
      const lane = laneOf(eventOf('vn.dvc.dossier.received', { dossierId: `HS-${i}` }, `HS-${i}`), 4);
      counts[lane] = (counts[lane] ?? 0) + 1;
    }
    // 500 each on average; a hash blind to the key, or a broken one, leaves lanes empty or nearly so.
    expect(counts.every((n) => n > 400 && n < 600)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2000);
  });

  it('has one lane when there is one, and refuses a count that is not a positive integer', () => {
    expect(laneOf(eventOf('vn.dvc.dossier.received'), 1)).toBe(0);
    for (const lanes of [0, -1, 2.5, Number.NaN]) expect(() => laneOf(eventOf('vn.dvc.dossier.received'), lanes)).toThrow(RangeError);
  });
});
