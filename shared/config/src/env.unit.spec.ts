import { ConfigError, bool, describeConfig, int, list, loadConfig, oneOf, port, str, url } from './env.js';

const spec = {
  PORT: port('HTTP port', 8080),
  NAME: str('a required name'),
  DEBUG: bool('debug logs', false),
  BATCH: int('batch size', 100, 1, 1000),
  CLOCK: oneOf('clock', 'wall', ['wall', 'event'] as const),
  BROKERS: list('brokers', ['a:1']),
  REDIS: url('redis', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
};

describe('loadConfig', () => {
  it('applies defaults and parses every kind', () => {
    expect(loadConfig(spec, { NAME: 'x', DEBUG: 'yes', BATCH: '1000', BROKERS: 'h1:1, h2:2' })).toEqual({
      PORT: 8080,
      NAME: 'x',
      DEBUG: true,
      BATCH: 1000,
      CLOCK: 'wall',
      BROKERS: ['h1:1', 'h2:2'],
      REDIS: 'redis://127.0.0.1:6379',
    });
  });

  it('names every mistake at once', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: '70000', DEBUG: 'maybe', BATCH: '1001', CLOCK: 'sundial', REDIS: 'http://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT must be between 0 and 65535, got 70000 (HTTP port)',
      'NAME is required (a required name)',
      "DEBUG must be true or false, got 'maybe' (debug logs)",
      'BATCH must be between 1 and 1000, got 1001 (batch size)',
      "CLOCK must be one of wall, event, got 'sundial' (clock)",
      "REDIS must use redis: or rediss:, got 'http:' (redis)",
    ]);
  });

  it('refuses a non-integer where an integer is expected', () => {
    expect(() => loadConfig(spec, { NAME: 'x', BATCH: '1.5' })).toThrow("BATCH must be an integer, got '1.5'");
  });

  it('describes every variable with its default for --help', () => {
    const help = describeConfig('svc: does things', spec);
    expect(help).toContain('PORT');
    expect(help).toContain('HTTP port [default: 8080]');
    expect(help).toContain('a required name [required]');
  });
});
