import type { DvcEvent } from '@dvc/domain';
import type { EventsQuery } from './query.js';
import { passesPlan, planRead } from './scope.js';

const base: EventsQuery = { after: 0, follow: false, limit: 10 };
const all = { units: '*', types: '*' } as const;
const twoUnits = { units: ['u1', 'u2'], types: ['vn.dvc.dossier.received', 'vn.dvc.dossier.resolved'] } as const;
const event = (unitid: string) => ({ unitid }) as DvcEvent;

describe('key scopes', () => {
  it('an unscoped key reads what it asks for', () => {
    expect(planRead({ ...base, unit: 'u9', types: ['vn.dvc.report.submitted'], from: 1, to: 2 }, all)).toEqual({
      ok: true,
      plan: { filter: { unit: 'u9', types: ['vn.dvc.report.submitted'], from: 1, to: 2 } },
    });
    expect(planRead(base, all)).toEqual({ ok: true, plan: { filter: {} } });
  });

  it('a unit outside the scope is refused, naming it and the scope', () => {
    expect(planRead({ ...base, unit: 'u3' }, twoUnits)).toEqual({ ok: false, problem: "unit 'u3' is outside this key's scope (units: u1, u2)" });
  });

  it('types outside the scope are refused, naming each', () => {
    expect(planRead({ ...base, types: ['vn.dvc.dossier.received', 'vn.dvc.payment.completed', 'vn.dvc.report.submitted'] }, twoUnits)).toEqual({
      ok: false,
      problem:
        "event types outside this key's scope: vn.dvc.payment.completed, vn.dvc.report.submitted (types: vn.dvc.dossier.received, vn.dvc.dossier.resolved)",
    });
  });

  it('a request inside the scope keeps its own narrower filter', () => {
    expect(planRead({ ...base, unit: 'u2', types: ['vn.dvc.dossier.resolved'] }, twoUnits)).toEqual({
      ok: true,
      plan: { filter: { unit: 'u2', types: ['vn.dvc.dossier.resolved'] } },
    });
  });

  it('no unit and no types asked: the scope is the filter (several units checked per event)', () => {
    const result = planRead(base, twoUnits);
    expect(result).toEqual({ ok: true, plan: { filter: { types: ['vn.dvc.dossier.received', 'vn.dvc.dossier.resolved'] }, units: new Set(['u1', 'u2']) } });
    if (!result.ok) return;
    expect(passesPlan(result.plan, event('u1'))).toBe(true);
    expect(passesPlan(result.plan, event('u2'))).toBe(true);
    expect(passesPlan(result.plan, event('u3'))).toBe(false);
  });

  it('a key of one unit filters in the store', () => {
    expect(planRead(base, { units: ['u1'], types: '*' })).toEqual({ ok: true, plan: { filter: { unit: 'u1' } } });
  });

  it('every event passes a plan without a unit set', () => {
    expect(passesPlan({ filter: {} }, event('anything'))).toBe(true);
  });
});
