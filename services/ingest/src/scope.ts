import type { DvcEvent, EventType, UnitDirectory } from '@dvc/domain';
import { typeInScope, unitInScope, type KeyScope } from '@dvc/keys';
import { MAX_LISTED_INVALID } from './parse.js';

/** An event a producer key may not write: its unit, its type, or both, outside the key's scope. */
export interface OutsideEvent {
  index: number;
  id: string;
  unit?: string;
  type?: EventType;
}

/** The events of a batch outside a key's scope (the first MAX_LISTED_INVALID, and how many in all), and a sentence naming the first unit and type. */
export function eventsOutsideScope(
  keyId: string,
  scope: Pick<KeyScope, 'units' | 'types'>,
  events: readonly DvcEvent[],
  directory: Pick<UnitDirectory, 'record'>,
): { outside: OutsideEvent[]; outsideCount: number; message: string } | undefined {
  const outside: OutsideEvent[] = [];
  let outsideCount = 0;
  let firstUnit: string | undefined;
  let firstType: string | undefined;
  events.forEach((event, index) => {
    const unitOut = !unitInScope(scope.units, event.unitid, directory);
    const typeOut = !typeInScope(scope.types, event.type);
    if (!unitOut && !typeOut) return;
    outsideCount += 1;
    if (unitOut) firstUnit ??= event.unitid;
    if (typeOut) firstType ??= event.type;
    if (outside.length < MAX_LISTED_INVALID) {
      outside.push({ index, id: event.id, ...(unitOut ? { unit: event.unitid } : {}), ...(typeOut ? { type: event.type } : {}) });
    }
  });
  if (outsideCount === 0) return undefined;
  const what = [
    firstUnit === undefined ? undefined : `unit '${firstUnit}' (its units: ${scopeText(scope.units)})`,
    firstType === undefined ? undefined : `type '${firstType}' (its types: ${scopeText(scope.types)})`,
  ].filter((s) => s !== undefined);
  const message = `key '${keyId}' may not write ${outsideCount} of the ${events.length} events, e.g. ${what.join(' and ')}; nothing was accepted`;
  return { outside, outsideCount, message };
}

function scopeText(scope: '*' | readonly string[]): string {
  return scope === '*' ? '*' : scope.join(', ');
}
