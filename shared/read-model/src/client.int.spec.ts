import type { ChainableCommander } from 'ioredis';
import { redisTargets, uniqueName } from '@dvc/testing';
import { createRedisClient, execGroups, unlinkMatching } from './client.js';

describe.each(redisTargets())('execGroups on $name', ({ url }) => {
  const redis = createRedisClient({ url, connectionName: 'dvc-test' });
  const prefix = uniqueName('groups').replace(/[^a-z0-9-]/g, '');

  afterAll(async () => {
    await unlinkMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it('answers every group in order, each with its own commands, across several pipelines', async () => {
    // 257 groups of 1 to 3 commands: more than one pipeline's worth on one Redis.
    const groups = Array.from({ length: 257 }, (_, g) => (pipeline: ChainableCommander) => {
      const key = `${prefix}:{g${g}}:n`;
      pipeline.incrby(key, g);
      if (g % 3 >= 1) pipeline.incrby(key, 1);
      if (g % 3 === 2) pipeline.get(key);
    });
    const results = await execGroups(redis, groups);
    expect(results).toHaveLength(257);
    results.forEach((result, g) => {
      if (g % 3 === 0) expect(result).toEqual([g]);
      if (g % 3 === 1) expect(result).toEqual([g, g + 1]);
      if (g % 3 === 2) expect(result).toEqual([g, g + 1, String(g + 1)]);
    });
  });

  it('throws the error of a failed command, and the other groups still ran', async () => {
    const groups = Array.from({ length: 150 }, (_, g) => (pipeline: ChainableCommander) => {
      const key = `${prefix}:{e${g}}:s`;
      pipeline.set(key, 'text');
      if (g === 120) pipeline.incr(key);
    });
    await expect(execGroups(redis, groups)).rejects.toThrow(/not an integer/);
    expect(await redis.get(`${prefix}:{e149}:s`)).toBe('text');
    expect(await redis.get(`${prefix}:{e0}:s`)).toBe('text');
  });
});
