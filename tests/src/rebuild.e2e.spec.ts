import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisClient, rebuildNamespace, resolveActiveNamespace } from '@dvc/read-model';
import { ev, postBatch, redisTargets, uniqueName, waitFor } from '@dvc/testing';
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
} from './stack.js';

/** Series a rebuild must reproduce: every dvc_ series but the wall-clock and exporter-internal ones. */
function projectionSeries(metrics: Map<string, number>): Map<string, number> {
  const wallClock =
    /^dvc_(projection_last_applied_timestamp_seconds|projection_freshness_seconds|exporter_scrape_seconds|exporter_namespace_info|exporter_units_recomputed)/;
  return new Map([...metrics].filter(([series]) => series.startsWith('dvc_') && !wallClock.test(series)));
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Per unit, dossiers received over June 2022 (online/direct), most resolved (some past their
 * due time), some paused for supplements, some withdrawn or digitized, with payments and reports.
 */
function history(units: readonly string[], perUnit: number): unknown[] {
  const out: unknown[] = [];
  units.forEach((unit, u) => {
    for (let i = 0; i < perUnit; i++) {
      const d = `${unit}-D${i}`;
      const day = 1 + ((i + u) % 28);
      const at = (dd: number, hh: number) => `2022-06-${pad(Math.min(30, dd))}T${pad(hh)}:00:00+07:00`;
      out.push(ev.received(unit, d, at(day, 8), i % 3 === 0 ? 'direct' : 'online', { dueAt: at(day + 3, 17) }));
      if (i % 7 === 3) {
        out.push(ev.supplementRequested(unit, d, at(day, 10)));
        if (i % 2 === 0) out.push(ev.supplementReceived(unit, d, at(day + 1, 9)));
      }
      if (i % 11 === 5) out.push(ev.withdrawn(unit, d, at(day + 1, 11)));
      else if (i % 4 !== 1) out.push(ev.resolved(unit, d, at(day + (i % 6), 15), i % 2 === 0));
      if (i % 5 === 0) out.push(ev.digitized(unit, d, at(day, 9)));
      if (i % 3 === 1)
        out.push(ev.payment(unit, `${d}-P`, at(day, 9), i % 2 === 0 ? 'fee' : 'land_obligation', i % 2 === 0 ? 'online' : 'offline', 10_000 * (1 + (i % 9))));
      if (i % 10 === 0) out.push(ev.report(unit, `${d}-R`, at(day, 14), i % 20 === 0 ? 'online' : 'offline'));
    }
  });
  return out;
}

/**
 * The acceptance test of `dvc rebuild`: the real ingest, projector, archiver and exporter fill
 * the projection and the event store; the live namespace is then wiped (Redis lost its data),
 * `dvc rebuild --force` runs as a process, and every series the exporter serves afterwards is
 * exactly what it served before. On the single Redis and on the Redis Cluster (REDIS_CLUSTER_URL).
 */
describe.each(redisTargets())('dvc rebuild restores every series from the event store, on $name', ({ url }) => {
  const id = uniqueName('rebuild').replace(/[^a-z0-9]/g, '');
  // A replay of a June 2022 history: every reader (exporter, dvc rebuild's compare) pinned at its end.
  const common: Record<string, string> = { ...serviceEnv(id), REDIS_URL: url, ...UNKNOWN_UNITS_ACCEPTED, CLOCK_AS_OF: '2022-06-30T17:00:00+07:00' };
  const env = stackEnv();
  const redis = createRedisClient({ url, connectionName: `dvc-test-${id}` });
  const kafka = testKafka(id, env.kafkaBrokers.split(','));
  const units = [1, 2, 3, 4, 5, 6].map((k) => `rb.${id}.u${k}`);
  const events = history(units, 220);
  const services: ServiceProcess[] = [];
  let ingest: ServiceProcess;
  let exporter: ServiceProcess;

  beforeAll(async () => {
    services.push(await startService('projector', common, 'PROJECTOR_PORT'));
    services.push(await startService('archiver', common, 'ARCHIVER_PORT'));
    exporter = await startService('exporter', common, 'EXPORTER_PORT');
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
    rmSync(join(RUN_DIR, 'tests', id), { recursive: true, force: true });
  });

  it('serves exactly the same series after the live namespace is wiped and rebuilt', async () => {
    expect(events.length).toBeGreaterThan(2500);
    for (let i = 0; i < events.length; i += 500) {
      const res = await postBatch(ingest.url, events.slice(i, i + 500));
      expect(res.status).toBe(202);
    }
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP ?? '', common.EVENTS_TOPIC ?? '');
    await waitForZeroLag(kafka, common.ARCHIVER_GROUP ?? '', common.EVENTS_TOPIC ?? '');
    const before = await waitFor(
      async () => {
        const metrics = await scrapeMetrics(exporter.url);
        let applied = 0;
        for (const [series, value] of metrics) if (series.startsWith('dvc_projection_events_applied_total')) applied += value;
        return applied === events.length ? projectionSeries(metrics) : undefined;
      },
      { description: `all ${events.length} events applied` },
    );
    expect(before.get('dvc_projection_units')).toBe(units.length);
    // 611 series for six units, 343 of them non-zero: the comparison below is not of empty maps.
    expect([...before.values()].filter((v) => v !== 0).length).toBeGreaterThan(300);
    expect(before.get(`dvc_exporter_namespace_info{namespace="${id}"}`)).toBeUndefined();
    expect([...before.keys()].filter((s) => s.startsWith('dvc_dossiers_resolved{')).length).toBeGreaterThan(0);
    expect([...before.keys()].some((s) => s.startsWith('dvc_payments{'))).toBe(true);

    // Redis loses the projection.
    await unlinkPrefix(redis, `${id}:`);
    expect(projectionSeries(await scrapeMetrics(exporter.url)).get('dvc_projection_units')).toBe(0);

    const { stdout, stderr } = await runCli(['rebuild', '--force'], common);
    const active = await resolveActiveNamespace(redis, id);
    expect(active).toMatch(new RegExp(`^${id}\\.r\\d{8}T\\d{6}$`));
    expect(stdout).toContain(`applied ${events.length} events`);
    expect(stdout).toContain(`switched ${id}: ${id} -> ${active} (forced, with the differences above)`);
    expect(stdout).toContain('caught up');
    expect(stderr).toContain(`${events.length}/${events.length} 100.0%`);

    const after = await scrapeMetrics(exporter.url);
    expect(after.get(`dvc_exporter_namespace_info{namespace="${active}"}`)).toBe(1);
    expect(projectionSeries(after)).toEqual(before);
  });

  it('loses no event that arrives while a rebuild switches, and the result equals a rebuild from the store', async () => {
    const previous = await resolveActiveNamespace(redis, id);
    const liveUnit = `rb.${id}.live`;
    let sent = 0;
    let stop = false;
    // Live traffic for as long as the rebuild runs: batches of ten (a received and a resolved
    // dossier each), paced so the topic keeps moving while the rebuild reads, switches and catches up.
    const traffic = (async () => {
      for (let batch = 0; !stop; batch++) {
        const events = [];
        for (let i = 0; i < 5; i++) {
          const d = `${liveUnit}-L${batch}-${i}`;
          events.push(ev.received(liveUnit, d, '2022-06-20T08:00:00+07:00', 'online', { dueAt: '2022-06-23T17:00:00+07:00' }));
          events.push(ev.resolved(liveUnit, d, '2022-06-21T08:00:00+07:00', true));
        }
        const res = await postBatch(ingest.url, events);
        expect(res.status).toBe(202);
        sent += events.length;
        await sleep(20);
      }
    })();
    await waitFor(() => (sent > 0 ? true : undefined), { description: 'live traffic started' });
    // Passing the previous run's second: the new namespace's name must differ from it.
    await waitFor(() => (rebuildNamespace(id, Date.now()) !== previous ? true : undefined), { description: 'next second' });
    const { stdout } = await runCli(['rebuild', '--force'], common);
    const sentDuringRebuild = sent;
    stop = true;
    await traffic;
    expect(sentDuringRebuild).toBeGreaterThan(100);
    const active = await resolveActiveNamespace(redis, id);
    expect(active).not.toBe(previous);
    expect(stdout).toContain(`switched ${id}: ${previous} -> ${active}`);

    await waitForZeroLag(kafka, common.PROJECTOR_GROUP ?? '', common.EVENTS_TOPIC ?? '');
    await waitForZeroLag(kafka, common.ARCHIVER_GROUP ?? '', common.EVENTS_TOPIC ?? '');
    const metrics = await scrapeMetrics(exporter.url);
    let applied = 0;
    for (const [series, value] of metrics) if (series.startsWith('dvc_projection_events_applied_total')) applied += value;
    expect(applied).toBe(events.length + sent);

    // The switched namespace, fed by the rebuild, its catch-up and the projector, is exactly what
    // the store rebuilds to: dvc rebuild without a switch finds no difference (exit 0).
    const check = await runCli(['rebuild', '--no-switch'], common);
    expect(check.stdout).toMatch(/: 0 differences\n[\s\S]*: 0 differences\n/);
    expect(await resolveActiveNamespace(redis, id)).toBe(active);
  });
});
