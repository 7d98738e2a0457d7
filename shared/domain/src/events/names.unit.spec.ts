import { EVENT_TYPE_NAMES } from './schemas.js';
import { closestEventType, editDistance, isUnitId, parseEventTypes } from './names.js';

describe('event type names and unit ids typed by people', () => {
  it('measures the edit distance', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('vn.dvc.dossier.recieved', 'vn.dvc.dossier.received')).toBe(2);
  });

  it('suggests by edit distance', () => {
    expect(closestEventType('vn.dvc.payment.complete')).toBe('vn.dvc.payment.completed');
    expect(closestEventType('report.submitted')).toBe('vn.dvc.report.submitted');
  });

  it('splits a comma list, trims it and removes repeats in order', () => {
    expect(parseEventTypes(' vn.dvc.report.submitted,vn.dvc.dossier.received , vn.dvc.report.submitted', 'types')).toEqual({
      ok: true,
      types: ['vn.dvc.report.submitted', 'vn.dvc.dossier.received'],
    });
  });

  it('names each unknown type with the closest valid one, and an empty entry', () => {
    expect(parseEventTypes('vn.dvc.dossier.recieved,vn.dvc.nope', '--types')).toEqual({
      ok: false,
      problems: [
        `--types: unknown event type 'vn.dvc.dossier.recieved' (did you mean 'vn.dvc.dossier.received'?); valid types: ${EVENT_TYPE_NAMES.join(', ')}`,
        `--types: unknown event type 'vn.dvc.nope' (did you mean '${closestEventType('vn.dvc.nope')}'?); valid types: ${EVENT_TYPE_NAMES.join(', ')}`,
      ],
    });
    expect(parseEventTypes('vn.dvc.report.submitted,', 'types')).toEqual({
      ok: false,
      problems: ["types has an empty entry in 'vn.dvc.report.submitted,': give event types separated by commas"],
    });
  });

  it('checks the shape of a unit id', () => {
    expect(isUnitId('xa-tan-thanh')).toBe(true);
    expect(isUnitId('u1.a_b')).toBe(true);
    expect(isUnitId('')).toBe(false);
    expect(isUnitId('-x')).toBe(false);
    expect(isUnitId('Xa')).toBe(false);
    expect(isUnitId('a'.repeat(65))).toBe(false);
  });
});
