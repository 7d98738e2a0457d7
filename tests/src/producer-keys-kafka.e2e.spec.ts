import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { KEYS_FILE_CHECK_MS, addKey, readKeysFile, writeKeysFile } from '@dvc/keys';
import { PRODUCER_KEY_HEADER } from '@dvc/kafka';
import { testKafka } from '@dvc/kafka/testing';
import { ev, scrapeMetrics, uniqueName, waitFor } from '@dvc/testing';
import {
  REPO_ROOT,
  RUN_DIR,
  UNKNOWN_UNITS_ACCEPTED,
  serviceEnv,
  stackEnv,
  startService,
  unlinkPrefix,
  waitForZeroLag,
  writeRoleKeys,
  type ServiceProcess,
} from './stack.js';

const run = promisify(execFile);

interface Listed {
  key: string | null;
  stage: string;
  code: string | null;
  reason: string;
}

/**
 * The Kafka path of "who may write": a projector and an archiver with PRODUCER_KEYS_FILE read
 * messages written straight to the events topic. Only the event carrying the id of a producer
 * key whose scope covers it is applied and archived; the others are dead-lettered with
 * `unauthenticated` (no header, an unknown id, a key of another role, a revoked key) or
 * `forbidden` (another unit), counted by code, listed and selectable by `dvc dlq`.
 */
describe('producer keys on the Kafka path (projector and archiver with PRODUCER_KEYS_FILE)', () => {
  const id = uniqueName('pk').replace(/[^a-z0-9]/g, '');
  const keysFile = join(RUN_DIR, 'tests', id, 'keys.json');
  const unit = `e2e.${id}.a`;
  const other = `e2e.${id}.b`;
  const env: Record<string, string> = { ...serviceEnv(id), ...UNKNOWN_UNITS_ACCEPTED, PRODUCER_KEYS_FILE: keysFile };
  const events = env.EVENTS_TOPIC ?? '';
  const kafka = testKafka(id, stackEnv().kafkaBrokers.split(','));
  const redis = new Redis(stackEnv().redisUrl);
  const portal = `${id}-portal`;
  const services: ServiceProcess[] = [];
  const cli = async (...args: string[]) =>
    run(process.execPath, [join(REPO_ROOT, 'services', 'cli', 'dist', 'main.js'), ...args], { env: { ...process.env, NODE_OPTIONS: '', ...env } });
  const list = async () => JSON.parse((await cli('dlq', 'list', '--json')).stdout) as Listed[];
  const dossier = (n: string, u = unit) =>
    JSON.stringify(ev.received(u, `HS-${id}-${n}`, '2022-06-20T08:00:00+07:00', 'online', { dueAt: '2022-06-30T17:00:00+07:00' }));
  const send = async (messages: { key: string; value: string; headers?: Record<string, string> }[]) => {
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: events, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  };
  const settled = async () => {
    await waitForZeroLag(kafka, env.PROJECTOR_GROUP ?? '', events);
    await waitForZeroLag(kafka, env.ARCHIVER_GROUP ?? '', events);
  };

  beforeAll(async () => {
    // A producer key for one unit (every type), and a reader's key of the same store.
    writeRoleKeys(keysFile, id, ['replay']);
    const added = addKey(readKeysFile(keysFile), { id: portal, units: [unit], types: '*', ratePerMinute: 6000, role: 'producer' }, new Date());
    if (!added.ok) throw new Error(added.problems.join('; '));
    writeKeysFile(keysFile, added.value.file);
    services.push(await startService('projector', env, 'PROJECTOR_PORT'));
    services.push(await startService('archiver', env, 'ARCHIVER_PORT'));
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [events, env.DLQ_TOPIC ?? ''] }).finally(() => admin.disconnect());
    await unlinkPrefix(redis, `${id}:`);
    redis.disconnect();
    rmSync(join(RUN_DIR, 'tests', id), { recursive: true, force: true });
  });

  it('applies and archives only the event of a known producer key in its scope; dead-letters the others unauthenticated or forbidden', async () => {
    await send([
      { key: `HS-${id}-ok`, value: dossier('ok'), headers: { [PRODUCER_KEY_HEADER]: portal } },
      { key: 'none', value: dossier('none') },
      { key: 'unknown', value: dossier('unknown'), headers: { [PRODUCER_KEY_HEADER]: `${id}-nobody` } },
      { key: 'reader', value: dossier('reader'), headers: { [PRODUCER_KEY_HEADER]: `${id}-replay` } },
      { key: 'other-unit', value: dossier('other', other), headers: { [PRODUCER_KEY_HEADER]: portal } },
    ]);
    await settled();
    const letters = await waitFor(
      async () => {
        const entries = await list();
        return entries.length === 4 ? entries : undefined;
      },
      { description: 'four dead letters' },
    );
    expect(letters.map((l) => [l.key, l.stage, l.code]).sort()).toEqual(
      [
        ['none', 'producer', 'unauthenticated'],
        ['other-unit', 'producer', 'forbidden'],
        ['reader', 'producer', 'unauthenticated'],
        ['unknown', 'producer', 'unauthenticated'],
      ].sort(),
    );
    expect(letters.find((l) => l.key === 'other-unit')?.reason).toBe(`producer key '${portal}' may not write for unit '${other}' (its units: ${unit})`);
    expect(letters.find((l) => l.key === 'none')?.reason).toBe(`no producer key id: the header ${PRODUCER_KEY_HEADER} is missing or empty`);

    const [projector, archiver] = services;
    const p = await scrapeMetrics(projector!.url);
    expect(p.get('dvc_projector_events_rejected_total{stage="producer",code="unauthenticated"}')).toBe(3);
    expect(p.get('dvc_projector_events_rejected_total{stage="producer",code="forbidden"}')).toBe(1);
    expect(p.get('dvc_projector_events_applied_total{type="vn.dvc.dossier.received"}')).toBe(1);
    const a = await scrapeMetrics(archiver!.url);
    expect(a.get('dvc_archiver_events_skipped_total{reason="unauthenticated"}')).toBe(3);
    expect(a.get('dvc_archiver_events_skipped_total{reason="forbidden"}')).toBe(1);
    expect(a.get('dvc_archiver_events_appended_total{type="vn.dvc.dossier.received"}')).toBe(1);

    const { stdout } = await cli('dlq', 'redrive', '--code', 'unauthenticated', '--dry-run');
    expect(stdout).toContain('dry run: 3 of 4 dead letters selected');
  });

  it('dead-letters the events of a revoked producer key as unauthenticated once the keys file is reloaded', async () => {
    const file = readKeysFile(keysFile);
    const writtenAt = Date.now();
    writeKeysFile(keysFile, { ...file, keys: file.keys.filter((k) => k.id !== portal) });
    // The file is looked at when a message is judged, at most once per check interval. Both
    // services last looked before the write, so a message judged an interval after it finds the
    // key gone (one sent at once may be judged with the keys of a look just before the write).
    await waitFor(async () => (Date.now() - writtenAt >= KEYS_FILE_CHECK_MS ? true : undefined), {
      description: 'one keys-file check interval after the change',
    });
    await send([{ key: 'revoked', value: dossier('revoked'), headers: { [PRODUCER_KEY_HEADER]: portal } }]);
    await settled();
    const letter = await waitFor(async () => (await list()).find((l) => l.key === 'revoked'), { description: 'the revoked key event dead-lettered' });
    expect(letter).toMatchObject({
      stage: 'producer',
      code: 'unauthenticated',
      reason: `${PRODUCER_KEY_HEADER} "${portal}" is no key of the keys store (unknown or revoked)`,
    });
    const [projector, archiver] = services;
    expect((await scrapeMetrics(projector!.url)).get('dvc_producer_keys_reloads_total{outcome="ok"}')).toBe(1);
    const a = await scrapeMetrics(archiver!.url);
    expect(a.get('dvc_producer_keys_reloads_total{outcome="ok"}')).toBe(1);
    expect(a.get('dvc_archiver_events_appended_total{type="vn.dvc.dossier.received"}')).toBe(1);
    expect(a.get('dvc_archiver_events_skipped_total{reason="unauthenticated"}')).toBe(4);
  });
});
