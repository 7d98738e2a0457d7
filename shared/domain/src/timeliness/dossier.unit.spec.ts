import {
  DUE_SOON_MS,
  daysOverdueAt,
  effectiveDueMs,
  emptyDossier,
  isDueSoonAt,
  isOverdueAt,
  isPaused,
  openMembership,
  resolutionTimeliness,
  type DossierState,
} from './dossier.js';

const H = 3_600_000;
const RECEIVED = Date.UTC(2022, 5, 22, 1, 0); // 2022-06-22T08:00+07:00
const DUE = RECEIVED + 72 * H;

const dossier = (patch: Partial<DossierState> = {}): DossierState => ({
  ...emptyDossier(),
  receivedAt: RECEIVED,
  channel: 'online',
  dueAt: DUE,
  ...patch,
});
const resolvedAt = (at: number, patch: Partial<DossierState> = {}) => resolutionTimeliness({ ...dossier(patch), resolvedAt: at });

describe('emptyDossier', () => {
  it('starts with no ids, no pause and no supplement request', () => {
    expect(emptyDossier()).toEqual({ kind: 'dossier', ids: [], pausedMs: 0, supplementRequests: 0 });
    expect(emptyDossier()).not.toBe(emptyDossier());
  });
});

describe('resolutionTimeliness', () => {
  it('resolved exactly at the due time is on time; one millisecond later is overdue', () => {
    expect(resolvedAt(DUE)).toBe('on_time');
    expect(resolvedAt(DUE + 1)).toBe('overdue');
    expect(resolvedAt(RECEIVED)).toBe('on_time');
  });

  it('a closed supplement pause extends the due time by exactly the paused time', () => {
    const t1 = RECEIVED + 10 * H; // supplement requested
    const t2 = t1 + 30 * H; // supplement received
    const paused = { pausedMs: t2 - t1, supplementRequests: 1 };
    expect(effectiveDueMs(dossier(paused), DUE + 100 * H)).toBe(DUE + 30 * H);
    expect(resolvedAt(DUE + 30 * H, paused)).toBe('on_time');
    expect(resolvedAt(DUE + 30 * H + 1, paused)).toBe('overdue');
  });

  it('a pause still running at resolution counts up to resolvedAt', () => {
    const since = DUE - 2 * H;
    const running = { pausedSince: since, supplementRequests: 1 };
    // However late the resolution, the due time moves with it while paused.
    expect(resolvedAt(DUE + 500 * H, running)).toBe('on_time');
    expect(effectiveDueMs(dossier(running), DUE + 5 * H)).toBe(DUE + 7 * H);
    // A pause starting after the due time does not rescue an already overdue dossier.
    expect(resolvedAt(DUE + 10 * H, { pausedSince: DUE + 1, supplementRequests: 1 })).toBe('overdue');
    // Closed and running pauses add up.
    expect(effectiveDueMs(dossier({ pausedMs: 3 * H, pausedSince: DUE }), DUE + 4 * H)).toBe(DUE + 7 * H);
  });

  it('a running pause counts nothing before it began', () => {
    expect(effectiveDueMs(dossier({ pausedSince: DUE }), DUE - H)).toBe(DUE);
  });

  it('two supplement requests make the dossier overdue even when it is resolved early', () => {
    expect(resolvedAt(RECEIVED + H, { supplementRequests: 2 })).toBe('overdue');
    expect(resolvedAt(RECEIVED + H, { supplementRequests: 1 })).toBe('on_time');
  });

  it('a deadline extension with apology does not make a late resolution on time', () => {
    const extended = { extendedDueAt: DUE + 48 * H };
    expect(effectiveDueMs(dossier(extended), DUE + 24 * H)).toBe(DUE);
    expect(resolvedAt(DUE + 24 * H, extended)).toBe('overdue');
  });

  it('uses the due time of the resolution event when the receipt carried none', () => {
    const { dueAt: _d, ...noDue } = dossier();
    const state: DossierState = { ...noDue, resolvedDueAt: DUE };
    expect(effectiveDueMs(state, DUE)).toBe(DUE);
    expect(resolutionTimeliness({ ...state, resolvedAt: DUE })).toBe('on_time');
    expect(resolutionTimeliness({ ...state, resolvedAt: DUE + 1 })).toBe('overdue');
  });

  it('prefers the receipt due time over the resolution one', () => {
    const state = dossier({ resolvedDueAt: DUE + 10 * H });
    expect(effectiveDueMs(state, 0)).toBe(DUE);
    expect(resolutionTimeliness({ ...state, resolvedAt: DUE + 5 * H })).toBe('overdue');
  });

  it('without any due time, a dossier is on time (unless supplemented twice)', () => {
    const state: DossierState = { ...emptyDossier(), receivedAt: RECEIVED };
    expect(effectiveDueMs(state, RECEIVED + 1000 * H)).toBeUndefined();
    expect(resolutionTimeliness({ ...state, resolvedAt: RECEIVED + 1000 * H })).toBe('on_time');
    expect(resolutionTimeliness({ ...state, supplementRequests: 2, resolvedAt: RECEIVED + H })).toBe('overdue');
  });
});

describe('openMembership', () => {
  it('a received, unresolved, unpaused dossier is open with its effective due time', () => {
    expect(openMembership(dossier())).toEqual({ set: 'open', dueMs: DUE });
    expect(openMembership(dossier({ pausedMs: 5 * H, supplementRequests: 1 }))).toEqual({ set: 'open', dueMs: DUE + 5 * H });
  });

  it('open with an unknown due time when none is known', () => {
    const { dueAt: _d, ...noDue } = dossier();
    expect(openMembership(noDue)).toEqual({ set: 'open', dueMs: undefined });
  });

  it('a dossier waiting for supplements is paused', () => {
    expect(openMembership(dossier({ pausedSince: RECEIVED + H, supplementRequests: 1 }))).toEqual({ set: 'paused' });
  });

  it('withdrawn, resolved, or never received dossiers are in no set', () => {
    expect(openMembership(dossier({ withdrawnAt: RECEIVED + H }))).toEqual({ set: 'none' });
    expect(openMembership(dossier({ resolvedAt: RECEIVED + H }))).toEqual({ set: 'none' });
    expect(openMembership(dossier({ resolvedAt: RECEIVED + H, pausedSince: RECEIVED }))).toEqual({ set: 'none' });
    expect(openMembership(dossier({ withdrawnAt: RECEIVED + H, pausedSince: RECEIVED }))).toEqual({ set: 'none' });
    expect(openMembership({ ...emptyDossier(), submittedAt: RECEIVED })).toEqual({ set: 'none' });
  });
});

describe('isOverdueAt, isDueSoonAt, isPaused, daysOverdueAt: the open dossier at an instant', () => {
  it('overdue only once now is past the effective due time; due exactly now is due soon, not overdue', () => {
    expect(isOverdueAt(dossier(), DUE)).toBe(false);
    expect(isDueSoonAt(dossier(), DUE)).toBe(true);
    expect(isOverdueAt(dossier(), DUE + 1)).toBe(true);
    expect(isDueSoonAt(dossier(), DUE + 1)).toBe(false);
  });

  it('due soon over exactly 24 hours ahead, both ends included', () => {
    expect(DUE_SOON_MS).toBe(24 * H);
    expect(isDueSoonAt(dossier(), DUE - 24 * H)).toBe(true);
    expect(isDueSoonAt(dossier(), DUE - 24 * H - 1)).toBe(false);
    expect(isOverdueAt(dossier(), DUE - 24 * H - 1)).toBe(false);
  });

  it('a closed pause moves the due time; a running one makes the dossier paused, never overdue', () => {
    const closed = dossier({ pausedMs: 5 * H, supplementRequests: 1 });
    expect(isOverdueAt(closed, DUE + 5 * H)).toBe(false);
    expect(isOverdueAt(closed, DUE + 5 * H + 1)).toBe(true);
    // Paused after its due time had passed: still counted as paused, with the lateness it had.
    const late = dossier({ pausedSince: DUE + 50 * H, supplementRequests: 1 });
    expect(isPaused(late)).toBe(true);
    expect(isOverdueAt(late, DUE + 100 * H)).toBe(false);
    expect(isDueSoonAt(late, DUE + 100 * H)).toBe(false);
    expect(daysOverdueAt(late, DUE + 100 * H)).toBe(2);
    expect(daysOverdueAt(late, DUE + 1000 * H)).toBe(2);
    expect(daysOverdueAt(dossier({ pausedSince: DUE - H, supplementRequests: 1 }), DUE + 1000 * H)).toBe(0);
  });

  it('no known due time: never overdue nor due soon; resolved, withdrawn or not received: none of them', () => {
    const { dueAt: _d, ...noDue } = dossier();
    expect(isOverdueAt(noDue, DUE + 1000 * H)).toBe(false);
    expect(isDueSoonAt(noDue, DUE)).toBe(false);
    expect(daysOverdueAt(noDue, DUE + 1000 * H)).toBe(0);
    for (const closed of [
      dossier({ resolvedAt: RECEIVED + H }),
      dossier({ withdrawnAt: RECEIVED + H, pausedSince: RECEIVED }),
      { ...emptyDossier(), dueAt: DUE },
    ]) {
      expect(isOverdueAt(closed, DUE + 1)).toBe(false);
      expect(isDueSoonAt(closed, DUE)).toBe(false);
      expect(isPaused(closed)).toBe(false);
    }
    expect(isPaused(dossier())).toBe(false);
  });

  it('days overdue are whole 24-hour days past the effective due time', () => {
    expect(daysOverdueAt(dossier(), DUE)).toBe(0);
    expect(daysOverdueAt(dossier(), DUE + 24 * H - 1)).toBe(0);
    expect(daysOverdueAt(dossier(), DUE + 24 * H)).toBe(1);
    expect(daysOverdueAt(dossier(), DUE + 73 * H)).toBe(3);
    expect(daysOverdueAt(dossier(), DUE - 24 * H)).toBe(0);
  });
});
