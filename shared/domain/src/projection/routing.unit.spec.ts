import { EVENT_TYPE_NAMES, type DvcEvent, type EventType } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { subjectKey, subjectKeysOf } from './project.js';
import { routingKeyOf } from './routing.js';

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

/** A contract event checked by the real validator, subject 'S-1'. */
function eventOf(type: EventType, patch: Record<string, unknown> = {}): DvcEvent {
  const result = validateEvent({
    specversion: '1.0',
    id: `evt-${type}`,
    source: 'test',
    type,
    time: T,
    subject: 'S-1',
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
