import type { DvcEvent, EventType } from '@dvc/domain';
import type { EventFilter } from '@dvc/eventstore';
import type { KeyScope } from '@dvc/keys';
import type { EventsQuery } from './query.js';

/**
 * How a request is read from the store: the filter the store applies, plus, for a key scoped
 * to several units and a request naming none, the unit set checked here (the store filters on
 * one unit at most).
 */
export interface ReadPlan {
  filter: EventFilter;
  units?: ReadonlySet<string>;
}

export type PlanResult = { ok: true; plan: ReadPlan } | { ok: false; problem: string };

/**
 * Applies a key's scope to a request. Asking for a unit or type outside the scope is refused
 * (403); asking for none means "everything this key may read", never an error.
 */
export function planRead(query: EventsQuery, scope: Pick<KeyScope, 'units' | 'types'>): PlanResult {
  const filter: EventFilter = {};
  let units: ReadonlySet<string> | undefined;

  if (query.unit !== undefined) {
    if (scope.units !== '*' && !scope.units.includes(query.unit)) {
      return { ok: false, problem: `unit '${query.unit}' is outside this key's scope (units: ${scope.units.join(', ')})` };
    }
    filter.unit = query.unit;
  } else if (scope.units !== '*') {
    if (scope.units.length === 1) filter.unit = scope.units[0] as string;
    else units = new Set(scope.units);
  }

  if (query.types !== undefined) {
    const allowed = scope.types;
    if (allowed !== '*') {
      const outside = query.types.filter((t) => !allowed.includes(t));
      if (outside.length > 0) {
        return { ok: false, problem: `event types outside this key's scope: ${outside.join(', ')} (types: ${allowed.join(', ')})` };
      }
    }
    filter.types = query.types;
  } else if (scope.types !== '*') {
    filter.types = [...scope.types] as EventType[];
  }

  if (query.from !== undefined) filter.from = query.from;
  if (query.to !== undefined) filter.to = query.to;
  return { ok: true, plan: units === undefined ? { filter } : { filter, units } };
}

/** Whether an event read with the plan's filter also passes its unit set. */
export function passesPlan(plan: ReadPlan, event: DvcEvent): boolean {
  return plan.units === undefined || plan.units.has(event.unitid);
}
