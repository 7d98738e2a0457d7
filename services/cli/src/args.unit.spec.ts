import { UsageError, instantFlag, intFlag, listFlag, offsetsFlag, parseFlags, regexFlag } from './args.js';

describe('argument parsing', () => {
  it('parses known flags and rejects unknown ones by name', () => {
    const parsed = parseFlags(['--limit', '5', '--json'], { limit: { type: 'string' }, json: { type: 'boolean' } });
    expect(parsed.values).toEqual({ limit: '5', json: true });
    expect(() => parseFlags(['--nope'], { limit: { type: 'string' } })).toThrow(UsageError);
    expect(() => parseFlags(['--nope'], { limit: { type: 'string' } })).toThrow(/--nope/);
    expect(() => parseFlags(['--limit'], { limit: { type: 'string' } })).toThrow(UsageError);
    expect(() => parseFlags(['stray'], {})).toThrow("unexpected argument 'stray'");
    expect(parseFlags(['drop', 'ns'], {}, 2).positionals).toEqual(['drop', 'ns']);
  });

  it('checks whole numbers within bounds', () => {
    expect(intFlag('limit', '10', 1)).toBe(10);
    expect(intFlag('limit', undefined, 1)).toBeUndefined();
    expect(() => intFlag('limit', '0', 1)).toThrow('--limit must be between 1');
    expect(() => intFlag('limit', '1.5', 1)).toThrow('--limit must be a whole number');
  });

  it('reads instants with a zone, and bare dates as UTC midnight', () => {
    expect(instantFlag('from', '2022-06-01T08:00:00+07:00')).toBe(Date.parse('2022-06-01T01:00:00Z'));
    expect(instantFlag('from', '2022-06-01')).toBe(Date.parse('2022-06-01T00:00:00Z'));
    expect(() => instantFlag('from', '2022-06-01T08:00:00')).toThrow(/with a zone/);
    expect(() => instantFlag('from', '2022-13-45')).toThrow(/not a valid date/);
  });

  it('splits lists and partition:offset pairs', () => {
    expect(listFlag('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(offsetsFlag('offsets', '0:5,2:17')).toEqual([
      { partition: 0, offset: '5' },
      { partition: 2, offset: '17' },
    ]);
    expect(() => offsetsFlag('offsets', '0-5')).toThrow("'0-5' is not partition:offset");
    expect(() => offsetsFlag('offsets', ',')).toThrow(/at least one/);
  });

  it('compiles regular expressions and names a bad one', () => {
    expect(regexFlag('reason', 'schema|json')?.test('bad json')).toBe(true);
    expect(() => regexFlag('reason', '(')).toThrow(/--reason is not a valid regular expression/);
  });
});
