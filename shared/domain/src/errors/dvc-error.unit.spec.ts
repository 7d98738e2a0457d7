import { CalendarDataError, DvcError, StateKindMismatchError, UnitDirectoryError } from '../index.js';

class ExampleError extends DvcError {
  readonly code = 'DVC_EXAMPLE';
}

describe('DvcError', () => {
  it('keeps the message and the cause, and names the class', () => {
    const cause = new Error('disk full');
    const error = new ExampleError('could not write units.json', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DvcError);
    expect(error.message).toBe('could not write units.json');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('ExampleError');
    expect(error.code).toBe('DVC_EXAMPLE');
    expect(String(error)).toBe('ExampleError: could not write units.json');
  });

  it("gives the domain's errors their codes", () => {
    expect([new CalendarDataError('x'), new UnitDirectoryError('x'), new StateKindMismatchError('x')].map((e) => [e.name, e.code])).toEqual([
      ['CalendarDataError', 'DVC_CALENDAR_DATA'],
      ['UnitDirectoryError', 'DVC_UNIT_DIRECTORY'],
      ['StateKindMismatchError', 'DVC_STATE_KIND_MISMATCH'],
    ]);
  });
});
