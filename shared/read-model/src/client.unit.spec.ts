import { ConfigError, loadConfig } from '@dvc/config';
import { bySlotGroup, parseRedisTarget, redisDurabilitySpec, redisSpec, replicasToWait, slotGroup } from './client.js';

describe('REDIS_URL: one Redis or a cluster seed list', () => {
  it('reads one Redis as the URL it is', () => {
    expect(parseRedisTarget('redis://127.0.0.1:6379')).toEqual({ ok: true, target: { kind: 'single', url: 'redis://127.0.0.1:6379' } });
    expect(parseRedisTarget(' rediss://u:p@h:6380/2 ')).toEqual({ ok: true, target: { kind: 'single', url: 'rediss://u:p@h:6380/2' } });
  });

  it('reads a cluster seed list with TLS and an ACL user (percent-decoded)', () => {
    expect(parseRedisTarget('redis-cluster://127.0.0.1:7001,127.0.0.1:7002, [::1]:7003')).toEqual({
      ok: true,
      target: {
        kind: 'cluster',
        tls: false,
        username: undefined,
        password: undefined,
        seeds: [
          { host: '127.0.0.1', port: 7001 },
          { host: '127.0.0.1', port: 7002 },
          { host: '::1', port: 7003 },
        ],
      },
    });
    expect(parseRedisTarget('rediss-cluster://dvc:p%40ss@r1.example:6380')).toEqual({
      ok: true,
      target: { kind: 'cluster', tls: true, username: 'dvc', password: 'p@ss', seeds: [{ host: 'r1.example', port: 6380 }] },
    });
    expect(parseRedisTarget('redis-cluster://:secret@h:7001')).toMatchObject({ ok: true, target: { username: undefined, password: 'secret' } });
  });

  it('names every mistake of a seed list at once', () => {
    expect(parseRedisTarget('redis-cluster://h1:7001,,h2,h3:99999,h1:7001,h4:x/0')).toEqual({
      ok: false,
      reasons: [
        "has '/0' after its seed list: a cluster URL has no path, database, query or fragment (a cluster has database 0 only)",
        'seed node 2 is empty (two commas, or a comma at an end)',
        "seed node 3 ('h2') has no port (each seed is host:port; a cluster has no default port)",
        "seed node 4 ('h3:99999') has port '99999', not a number from 1 to 65535",
        'lists seed node h1:7001 twice',
        "seed node 6 ('h4:x') has port 'x', not a number from 1 to 65535",
      ],
    });
    expect(parseRedisTarget('redis-cluster://')).toEqual({ ok: false, reasons: ['lists no seed node (redis-cluster://host:port,host:port,…)'] });
    expect(parseRedisTarget('redis-cluster://u:%E0%A4%A@h:1')).toEqual({ ok: false, reasons: ['its password is not valid percent-encoding'] });
    expect(parseRedisTarget('http://h:1')).toEqual({ ok: false, reasons: ["must use redis:, rediss:, redis-cluster: or rediss-cluster:, got 'http:'"] });
    expect(parseRedisTarget('h1:7001,h2:7002')).toEqual({ ok: false, reasons: ["must use redis:, rediss:, redis-cluster: or rediss-cluster:, got 'h1:'"] });
    expect(parseRedisTarget('not a url')).toEqual({
      ok: false,
      reasons: ["must be a URL (redis://host:port, or redis-cluster://host:port,host:port,… for a cluster), got 'not a url'"],
    });
  });

  it('refuses a bad REDIS_URL at start-up with the variable named', () => {
    let error: unknown;
    try {
      loadConfig(redisSpec, { REDIS_URL: 'redis-cluster://a:1,b' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `REDIS_URL seed node 2 ('b') has no port (each seed is host:port; a cluster has no default port) (${redisSpec.REDIS_URL.doc})`,
    ]);
    expect(loadConfig(redisSpec, { REDIS_URL: 'redis-cluster://a:1,b:2' }).REDIS_URL).toBe('redis-cluster://a:1,b:2');
  });
});

describe('REDIS_WAIT_REPLICAS: how many replicas a write waits for', () => {
  const spec = { ...redisSpec, ...redisDurabilitySpec };
  const waitFor = (env: Record<string, string>) => replicasToWait(loadConfig(spec, env));

  it('waits for one replica on a cluster and none on one Redis by default (auto)', () => {
    expect(waitFor({})).toBe(0);
    expect(waitFor({ REDIS_URL: 'redis://h:6379' })).toBe(0);
    expect(waitFor({ REDIS_URL: 'redis-cluster://h:7001,h:7002' })).toBe(1);
    expect(waitFor({ REDIS_URL: 'rediss-cluster://h:7001', REDIS_WAIT_REPLICAS: 'auto' })).toBe(1);
  });

  it('takes a number as given, 0 on a cluster included', () => {
    expect(waitFor({ REDIS_URL: 'redis-cluster://h:7001', REDIS_WAIT_REPLICAS: '0' })).toBe(0);
    expect(waitFor({ REDIS_WAIT_REPLICAS: '2' })).toBe(2);
  });

  it('names anything else', () => {
    for (const raw of ['-1', '17', 'one', '1.5']) {
      expect(() => loadConfig(spec, { REDIS_WAIT_REPLICAS: raw })).toThrow(ConfigError);
      expect(() => loadConfig(spec, { REDIS_WAIT_REPLICAS: raw })).toThrow(`REDIS_WAIT_REPLICAS must be auto or a whole number from 0 to 16, got '${raw}'`);
    }
  });
});

describe('hash slot groups (Redis Cluster key hash tags)', () => {
  it('groups a unit by its tag and every other key alone', () => {
    expect(slotGroup('dvc:{u1}:meta')).toBe('u1');
    expect(slotGroup('dvc:{u1}:s:dossier:{x}')).toBe('u1');
    expect(slotGroup('dvc:units')).toBe('dvc:units');
    expect(slotGroup('dvc:{}:x')).toBe('dvc:{}:x');
    expect(slotGroup('dvc:{u1')).toBe('dvc:{u1');
    expect(bySlotGroup(['a:{u1}:meta', 'a:units', 'a:{u2}:meta', 'a:{u1}:b:x', 'a:epoch'])).toEqual([
      ['a:{u1}:meta', 'a:{u1}:b:x'],
      ['a:units'],
      ['a:{u2}:meta'],
      ['a:epoch'],
    ]);
  });
});
