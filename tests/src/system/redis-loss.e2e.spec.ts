import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { resolveActiveNamespace } from '@dvc/read-model';
import { epochKey, readEpoch } from '@dvc/redis';
import { ev, postBatch, uniqueName, waitFor } from '@dvc/testing';
import { testKafka } from '@dvc/kafka/testing';
import {
  RUN_DIR,
  UNKNOWN_UNITS_ACCEPTED,
  runCli,
  scrapeMetrics,
  serviceEnv,
  stackEnv,
  startService,
  unlinkPrefix,
  waitForZeroLag,
  type ServiceProcess,
} from '../stack.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** `perUnit` dossiers per unit: received, most resolved, some paid for; `tag` keeps ids apart. */
function dossiers(units: readonly string[], perUnit: number, tag: string): unknown[] {
  const out: unknown[] = [];
  units.forEach((unit, u) => {
    for (let i = 0; i < perUnit; i++) {
      const d = `${unit}-${tag}${i}`;
      const day = 1 + ((i + u) % 20);
      const at = (dd: number, hh: number) => `2022-06-${pad(dd)}T${pad(hh)}:00:00+07:00`;
      out.push(ev.received(unit, d, at(day, 8), i % 2 === 0 ? 'online' : 'direct', { dueAt: at(day + 2, 17) }));
      if (i % 3 !== 0) out.push(ev.resolved(unit, d, at(day + (i % 4), 15), i % 2 === 0));
      if (i % 4 === 0) out.push(ev.payment(unit, `${d}-P`, at(day, 9), 'fee', 'online', 50_000));
    }
  });
  return out;
}

function appliedTotal(metrics: Map<string, number>): number {
  let applied = 0;
  for (const [series, value] of metrics) if (series.startsWith('dvc_projection_events_applied_total')) applied += value;
  return applied;
}

/**
 * Redis loses the projection while the pipeline runs: the projector notices (its namespace's
 * epoch sentinel is gone), stops applying and says so on /readyz and in its metrics, while
 * events keep arriving and the archiver keeps recording them. One command, `dvc rebuild
 * --force`, repairs it from the event store; afterwards every event sent (before, during and
 * after the loss) is counted exactly once, and the projection equals a fresh rebuild.
 */
describe('Redis losing the projection: detected, reported, repaired with one command', () => {
  const id = uniqueName('loss').replace(/[^a-z0-9]/g, '');
  const common = { ...serviceEnv(id), ...UNKNOWN_UNITS_ACCEPTED };
  const env = stackEnv();
  const redis = new Redis(env.redisUrl);
  const kafka = testKafka(id, env.kafkaBrokers.split(','));
  const units = [1, 2, 3, 4].map((k) => `rl.${id}.u${k}`);
  const before = dossiers(units, 120, 'A');
  const during = dossiers(units, 40, 'B');
  const after = dossiers(units, 30, 'C');
  const services: ServiceProcess[] = [];
  let ingest: ServiceProcess;
  let projector: ServiceProcess;
  let exporter: ServiceProcess;

  const post = async (events: unknown[]) => {
    for (let i = 0; i < events.length; i += 400) expect((await postBatch(ingest.url, events.slice(i, i + 400))).status).toBe(202);
  };
  const settled = async () => {
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP ?? '', common.EVENTS_TOPIC ?? '');
    await waitForZeroLag(kafka, common.ARCHIVER_GROUP ?? '', common.EVENTS_TOPIC ?? '');
  };
  const cli = (...args: string[]) => runCli(args, common);

  beforeAll(async () => {
    projector = await startService('projector', common, 'PROJECTOR_PORT');
    services.push(projector);
    services.push(await startService('archiver', common, 'ARCHIVER_PORT'));
    exporter = await startService('exporter', { ...common, CLOCK: 'event' }, 'EXPORTER_PORT');
    services.push(exporter);
    ingest = await startService('ingest', { ...common, INGEST_TRANSACTIONAL_ID: `${id}-ingest` }, 'INGEST_PORT');
    services.push(ingest);
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await unlinkPrefix(redis, `${id}:`);
    await unlinkPrefix(redis, `${id}.`);
    redis.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [common.EVENTS_TOPIC ?? '', common.DLQ_TOPIC ?? ''] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(join(RUN_DIR, 'tests', id), { recursive: true, force: true });
  });

  it('stops applying while the namespace is gone and counts every event exactly once after the rebuild', async () => {
    await post(before);
    await settled();
    expect(appliedTotal(await scrapeMetrics(exporter.url))).toBe(before.length);
    expect(await readEpoch(redis, id)).toEqual(expect.objectContaining({ createdBy: `projector:${common.PROJECTOR_GROUP}` }));
    expect((await fetch(`${projector.url}/readyz`)).status).toBe(200);

    // Redis loses everything of this projection, sentinel included.
    await unlinkPrefix(redis, `${id}:`);
    expect(await redis.exists(epochKey(id))).toBe(0);
    await post(during);

    const refusal = await waitFor(
      async () => {
        const res = await fetch(`${projector.url}/readyz`);
        return res.status === 503 ? ((await res.json()) as { dataLoss?: string; repair?: string }) : undefined;
      },
      { timeoutMs: 60_000, description: 'projector reports the data loss' },
    );
    expect(refusal.dataLoss).toMatch(new RegExp(`^${id}:epoch \\(epoch [0-9a-f-]{36}\\) is gone: Redis lost the projection`));
    expect(refusal.repair).toBe('dvc rebuild --force');
    expect((await scrapeMetrics(projector.url)).get('dvc_projector_data_loss')).toBe(1);
    // Nothing partial was written while the loss stood: the namespace is still empty.
    expect(await redis.scard(`${id}:units`)).toBe(0);
    // The archiver kept recording what arrived meanwhile.
    await waitForZeroLag(kafka, common.ARCHIVER_GROUP ?? '', common.EVENTS_TOPIC ?? '');

    const { stdout } = await cli('rebuild', '--force');
    const active = await resolveActiveNamespace(redis, id);
    expect(active).toMatch(new RegExp(`^${id}\\.r\\d{8}T\\d{6}$`));
    expect(stdout).toContain(`applied ${before.length + during.length} events`);
    expect(stdout).toContain(`switched ${id}: ${id} -> ${active}`);

    await waitFor(async () => ((await fetch(`${projector.url}/readyz`)).ok ? true : undefined), { timeoutMs: 60_000, description: 'projector ready again' });
    expect((await scrapeMetrics(projector.url)).get('dvc_projector_data_loss')).toBe(0);

    await post(after);
    await settled();
    const total = before.length + during.length + after.length;
    const metrics = await waitFor(
      async () => {
        const m = await scrapeMetrics(exporter.url);
        return appliedTotal(m) === total ? m : undefined;
      },
      { timeoutMs: 60_000, description: `all ${total} events applied` },
    );
    expect(metrics.get(`dvc_exporter_namespace_info{namespace="${active}"}`)).toBe(1);
    expect(metrics.get('dvc_projection_units')).toBe(units.length);

    // Exactly what the history rebuilds to: a rebuild without switching finds no difference.
    const check = await cli('rebuild', '--no-switch');
    expect(check.stdout).toMatch(/: 0 differences\n[\s\S]*: 0 differences\n/);
  });
});
