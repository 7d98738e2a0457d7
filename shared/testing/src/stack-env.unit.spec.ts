import { parseStackEnv } from './stack-env.js';

describe('parseStackEnv', () => {
  it('reads the NAME=value lines, trimmed, the value as written (empty, with = or blanks inside)', () => {
    const text = [
      'KAFKA_BROKERS=127.0.0.1:19092,127.0.0.1:19093',
      '  REDIS_URL=redis://127.0.0.1:6379  ',
      'POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres?schema=a=b',
      'EMPTY=',
      'NOTE=two words',
    ].join('\n');
    expect([...parseStackEnv(text)]).toEqual([
      ['KAFKA_BROKERS', '127.0.0.1:19092,127.0.0.1:19093'],
      ['REDIS_URL', 'redis://127.0.0.1:6379'],
      ['POSTGRES_URL', 'postgres://postgres@127.0.0.1:5432/postgres?schema=a=b'],
      ['EMPTY', ''],
      ['NOTE', 'two words'],
    ]);
  });

  it('skips comments, blank lines and lines that are no upper-case assignment; the last of a name wins', () => {
    const text = '# written by scripts/stack.sh\n\nexport A=1\nlower=2\nB = 3\nC2=4\nD=5\r\nD=6\n';
    expect([...parseStackEnv(text)]).toEqual([['D', '6']]);
  });

  it('is empty for an empty file', () => {
    expect(parseStackEnv('').size).toBe(0);
  });
});
