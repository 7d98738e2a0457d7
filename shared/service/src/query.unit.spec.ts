import { queryProblems, wholeNumber } from './query.js';

describe('queryProblems', () => {
  it('names each unknown parameter once, with what the route accepts, and each repeated one with its count', () => {
    const params = new URLSearchParams('limit=1&page=2&limit=3&page=4&limit=5&x');
    expect(queryProblems(params, ['limit', 'after'])).toEqual([
      'limit is given 3 times; give it once',
      "unknown query parameter 'page'; accepted: limit, after",
      "unknown query parameter 'x'; accepted: limit, after",
    ]);
  });

  it('says a route takes none, echoes at most 80 characters of a name, and finds nothing in a clean query', () => {
    expect(queryProblems(new URLSearchParams(`${'n'.repeat(200)}=1`), [])).toEqual([`unknown query parameter '${'n'.repeat(80)}'; this route takes none`]);
    expect(queryProblems(new URLSearchParams('limit=1&after=x'), ['limit', 'after'])).toEqual([]);
    expect(queryProblems(new URLSearchParams(''), [])).toEqual([]);
  });
});

describe('wholeNumber', () => {
  it('reads digits within the bounds, bounds included', () => {
    expect([wholeNumber('1', 1, 1000), wholeNumber('1000', 1, 1000), wholeNumber('007', 1, 1000)]).toEqual([1, 1000, 7]);
  });

  it('refuses what a careless client writes instead of reading something else', () => {
    for (const text of ['', '0', '1001', '-1', '+5', '1.5', '1e3', '10abc', ' 5', '5 ', '0x10', 'NaN', 'Infinity', '9'.repeat(16)]) {
      expect([text, wholeNumber(text, 1, 1000)]).toEqual([text, undefined]);
    }
  });
});
