import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ev, postBatch, uniqueName } from '@dvc/testing';
import { testKafka } from '@dvc/kafka/testing';
import { REPO_ROOT, RUN_DIR, serviceEnv, stackEnv, startService, unlinkPrefix, type ServiceProcess } from './stack.js';

const run = promisify(execFile);

/**
 * The load-once bookkeeping behind `DEMO=binh-phuoc-2022 npm start` and `npm run demo:reset`
 * (`dvc-scenario demo`, shared/scenario), on the shared stack with this test's own topics, consumer groups,
 * Redis namespace, event store and run folder. A small load through the real ingest, projector
 * and archiver stands in for the case's 455,847 events: the bookkeeping does not depend on how
 * many there are.
 */
describe('the demo is loaded once, reused while complete, and reset on demand', () => {
  const id = uniqueName('demo').replace(/[^a-z0-9]/g, '');
  const runDir = join(RUN_DIR, 'tests', id);
  const env: Record<string, string> = { ...serviceEnv(id), STACK_RUN_DIR: runDir, DEMO_MARK_TIMEOUT_S: '120' };
  const [topic, dlq, projectorGroup, archiverGroup] = ['EVENTS_TOPIC', 'DLQ_TOPIC', 'PROJECTOR_GROUP', 'ARCHIVER_GROUP'].map((v) => env[v] ?? '');
  const markerFile = join(runDir, 'demo', 'binh-phuoc-2022.json');
  const receiptFile = join(runDir, 'demo', 'receipt.json');
  const storeFile = (env.EVENTSTORE_URL ?? '').slice('sqlite:'.length);
  const kafka = testKafka(id, stackEnv().kafkaBrokers.split(','));
  const redis = new Redis(stackEnv().redisUrl);
  const services: ServiceProcess[] = [];
  // Keys beside the demo's: one whose name merely starts like the namespace must survive a reset;
  // one of a namespace rebuilt from it (`<base>.<suffix>`) belongs to the demo and must not.
  const neighbour = `${id}x:units`;
  const rebuilt = `${id}.r20260101T000000:units`;

  /** Runs `dvc-scenario demo <command>` with the test's environment: exit code and what it said. */
  const demo = async (command: string, extra: Record<string, string> = {}) => {
    try {
      const { stderr } = await run(
        process.execPath,
        [join(REPO_ROOT, 'shared', 'scenario', 'dist', 'cli.js'), 'demo', command, ...(command === 'mark' ? ['--receipt', receiptFile] : [])],
        {
          env: { ...process.env, NODE_OPTIONS: '', ...env, ...extra },
        },
      );
      return { code: 0, said: stderr };
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return { code: e.code ?? -1, said: e.stderr ?? '' };
    }
  };
  const topics = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return { topics: await admin.listTopics(), groups: (await admin.listGroups()).groups.map((g) => g.groupId) };
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    services.push(await startService('projector', env, 'PROJECTOR_PORT'));
    services.push(await startService('archiver', env, 'ARCHIVER_PORT'));
    services.push(await startService('ingest', env, 'INGEST_PORT'));
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    for (const prefix of [`${id}:`, `${id}.`, `${id}x:`]) await unlinkPrefix(redis, prefix);
    redis.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const left = (await admin.listTopics()).filter((t) => t === topic || t === dlq);
    if (left.length > 0) await admin.deleteTopics({ topics: left });
    await admin.disconnect();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('before a load, check says it must be loaded', async () => {
    const checked = await demo('check');
    expect(checked.code).toBe(1);
    expect(checked.said).toContain(`not loaded yet in this run folder (no ${markerFile})`);
  });

  it('mark waits for the consumers and records what the load left; check then reuses it', async () => {
    // 10 dossiers received and resolved during the last days, for a unit valid today.
    const now = Date.now();
    const at = (hoursAgo: number) => new Date(now - hoursAgo * 3_600_000).toISOString();
    const events = Array.from({ length: 10 }, (_, i) => [
      ev.received('dn', `${id}-D${i}`, at(72 - i), 'online', { dueAt: at(-48) }),
      ev.resolved('dn', `${id}-D${i}`, at(24 - i), true),
    ]).flat();
    expect((await postBatch(services[2]?.url ?? '', events)).status).toBe(202);
    mkdirSync(join(runDir, 'demo'), { recursive: true });
    writeFileSync(receiptFile, JSON.stringify({ case: 'binh-phuoc-2022', seed: 2022, events: events.length }));

    const marked = await demo('mark');
    expect(marked).toEqual({ code: 0, said: expect.stringContaining('loaded: 20 events sent, 20 applied') as unknown });
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Record<string, unknown>;
    expect(marker).toMatchObject({
      events: 20,
      applied: 20,
      storeHead: 20,
      eventsTopic: topic,
      namespace: id,
      projectorGroup: projectorGroup,
      archiverGroup: archiverGroup,
      seed: 2022,
    });
    expect(marker.topicEnd).toBeGreaterThanOrEqual(20);
    expect(existsSync(receiptFile)).toBe(false);

    const checked = await demo('check');
    expect(checked.code).toBe(0);
    expect(checked.said).toContain('already loaded');
    expect(checked.said).toContain('not sending it again');
  });

  it('check refuses a load made with other settings, naming the setting', async () => {
    const checked = await demo('check', { REDIS_NAMESPACE: `${id}x` });
    expect(checked.code).toBe(1);
    expect(checked.said).toContain(`REDIS_NAMESPACE is "${id}x" now, the case was loaded with "${id}"`);
  });

  it('reset is refused while a consumer of the demo runs, and deletes nothing', async () => {
    const reset = await demo('reset');
    expect(reset.code).toBe(3);
    expect(reset.said).toContain('still consume the demo: stop its services first');
    expect(existsSync(markerFile)).toBe(true);
    expect((await topics()).topics).toEqual(expect.arrayContaining([topic]));
  });

  it('a projection lost after the load (Redis restarted) makes check load the case again', async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await unlinkPrefix(redis, `${id}:`);
    const checked = await demo('check');
    expect(checked.code).toBe(1);
    expect(checked.said).toContain(`the projection ${id} has applied 0 events, it had 20 after the load`);
  });

  it("reset deletes the demo's topics, groups, namespace keys, event store and marker, and nothing else", async () => {
    await redis.set(`${id}:active`, id);
    await redis.sadd(rebuilt, 'dn');
    await redis.sadd(neighbour, 'dn');
    expect((await topics()).groups).toEqual(expect.arrayContaining([projectorGroup, archiverGroup]));
    expect(existsSync(storeFile)).toBe(true);

    const reset = await demo('reset');
    expect(reset.code).toBe(0);
    expect(reset.said).toContain(`consumer groups ${projectorGroup}, ${archiverGroup}`);
    expect(reset.said).toContain(`topics ${topic}, ${dlq}`);
    expect(reset.said).toContain(`2 Redis keys of namespace ${id}`);
    const after = await topics();
    expect(after.topics.filter((t) => t.startsWith(id))).toEqual([]);
    expect(after.groups.filter((g) => g.startsWith(id))).toEqual([]);
    expect(await redis.exists(`${id}:active`, rebuilt)).toBe(0);
    expect(await redis.smembers(neighbour)).toEqual(['dn']);
    expect(existsSync(storeFile)).toBe(false);
    expect(existsSync(markerFile)).toBe(false);

    expect(await demo('check')).toMatchObject({ code: 1, said: expect.stringContaining('not loaded yet') as unknown });
    expect(await demo('reset')).toMatchObject({ code: 0, said: expect.stringContaining('reset: nothing of it was there') as unknown });
  });
});
