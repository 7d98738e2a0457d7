import { emptyDossier, type DossierState } from '@dvc/domain';
import { CorruptStateError, Keys, parseStoredState } from './keys.js';
import { PageRequestError, decodeCursor, encodeCursor, queueItem, queueRange } from './queues.js';

const H = 3_600_000;
const NOW = Date.parse('2022-06-22T17:00:00+07:00');
const stored = (patch: Partial<DossierState>) => `3|${JSON.stringify({ ...emptyDossier(), ...patch })}`;

describe('queueRange: each question as one score range', () => {
  const keys = new Keys('ns');

  it('overdue: the open set scored before now, now itself excluded', () => {
    expect(queueRange(keys, 'u1', 'overdue', NOW)).toEqual({ key: 'ns:{u1}:z:open', min: '-inf', max: `(${NOW}` });
  });

  it('due soon: the open set from now to 24 hours later, both included', () => {
    expect(queueRange(keys, 'u1', 'due-soon', NOW)).toEqual({ key: 'ns:{u1}:z:open', min: String(NOW), max: String(NOW + 24 * H) });
  });

  it('paused: the whole paused set', () => {
    expect(queueRange(keys, 'u1', 'paused', NOW)).toEqual({ key: 'ns:{u1}:z:paused', min: '-inf', max: '+inf' });
  });
});

describe('cursors', () => {
  it('name a score and a member of one list, and nothing else', () => {
    const cursor = encodeCursor('overdue', '1655917199999', 'H01.2022.0001');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('overdue', cursor)).toEqual({ score: '1655917199999', member: 'H01.2022.0001' });
    expect(() => decodeCursor('paused', cursor)).toThrow(PageRequestError);
  });

  it('refuse what they did not issue, naming the list', () => {
    for (const forged of [
      '',
      'not-a-cursor',
      encodeCursor('overdue', 'inf', 'x'),
      encodeCursor('overdue', '1', ''),
      Buffer.from('["overdue",1,"x"]').toString('base64url'),
    ]) {
      expect(() => decodeCursor('overdue', forged)).toThrow(/was not issued for the overdue list/);
    }
    expect(decodeCursor('due-soon', encodeCursor('due-soon', '-1.5e+3', 'x'))).toEqual({ score: '-1.5e+3', member: 'x' });
  });
});

describe('queueItem: ids and times of a stored dossier at now', () => {
  it('takes procedure, receipt, effective due and days overdue from the state', () => {
    const raw = stored({ receivedAt: NOW - 100 * H, procedureId: '1.004227', dueAt: NOW - 49 * H, pausedMs: H, channel: 'online', ids: ['e1'] });
    expect(queueItem('D1', raw, 'k', NOW)).toEqual({
      dossierId: 'D1',
      procedureId: '1.004227',
      receivedAtMs: NOW - 100 * H,
      dueMs: NOW - 48 * H,
      daysOverdue: 2,
    });
  });

  it('counts a running pause up to now in the due time', () => {
    const raw = stored({ receivedAt: NOW - 100 * H, dueAt: NOW - 50 * H, pausedSince: NOW - 10 * H, supplementRequests: 1 });
    expect(queueItem('D2', raw, 'k', NOW)).toEqual({
      dossierId: 'D2',
      procedureId: undefined,
      receivedAtMs: NOW - 100 * H,
      dueMs: NOW - 40 * H,
      daysOverdue: 1,
      pausedSinceMs: NOW - 10 * H,
    });
  });

  it('refuses a missing, foreign or unreceived state, naming its key', () => {
    expect(() => queueItem('D3', null, 'ns:{u}:s:dossier:D3', NOW)).toThrow(
      new CorruptStateError("state ns:{u}:s:dossier:D3 is missing, yet its dossier is in the unit's lists"),
    );
    expect(() => queueItem('D3', '1|{"kind":"payment"}', 'k3', NOW)).toThrow(/state k3 is not a received dossier/);
    expect(() => queueItem('D3', stored({}), 'k3', NOW)).toThrow(CorruptStateError);
  });
});

describe('parseStoredState', () => {
  it('reads <revision>|<JSON>', () => {
    expect(parseStoredState('12|{"kind":"dossier","ids":[]}', 'k')).toEqual({ revision: 12, state: { kind: 'dossier', ids: [] } });
  });

  it('refuses a value another writer left, naming the key', () => {
    expect(() => parseStoredState('{"kind":"dossier"}', 'ns:{u}:s:dossier:D')).toThrow('state ns:{u}:s:dossier:D has no revision');
    expect(() => parseStoredState('3|{broken', 'ns:{u}:s:dossier:D')).toThrow('state ns:{u}:s:dossier:D is not <revision>|<JSON>');
  });
});
