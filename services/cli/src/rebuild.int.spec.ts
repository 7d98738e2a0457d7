import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { admissionLimits, admissionSpec, createLogger, loadConfig, loadReferenceData, projectionRules } from '@dvc/config';
import { openEventStore } from '@dvc/eventstore';
import { createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { deleteTestTopics } from '@dvc/kafka/testing';
import { activeKey, createLiveView, listNamespaces, resolveActiveNamespace, unlinkMatching } from '@dvc/read-model';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import type { DvcEvent } from '@dvc/domain';
import { uniqueName } from '@dvc/testing';
import { run } from './cli.js';
import { diffProjections, diffSeries } from './compare.js';
import { history } from './fixtures.js';
import type { CliIo } from './io.js';
import { applyHistory, namespaceSeries } from './rebuild.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';

function bufferIo(env: Record<string, string>, now: () => number = Date.now): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env,
    now,
    stdout: { write: (c: string) => out.push(c) },
    stderr: { write: (c: string) => err.push(c) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('rebuild and compare on a real Redis and SQLite store', () => {
  const redis = new Redis(redisUrl);
  const base = uniqueName('rb').replace(/[^a-z0-9-]/g, '');
  const dir = mkdtempSync(join(tmpdir(), 'dvc-cli-'));
  const storeUrl = `sqlite:${join(dir, 'events.sqlite')}`;
  const reference = loadReferenceData();
  const rules = projectionRules(reference, { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 });
  // The fixtures' units are not in the directory: pilot mode, here and in the CLI's environment.
  const admission = admissionLimits(loadConfig(admissionSpec, { ACCEPT_UNKNOWN_UNITS: 'true' }), reference);
  const logger = createLogger('test', 'silent');
  const events = history([`${base}-u1`, `${base}-u2`, `${base}-u3`], 40);
  const wallMs = Date.parse('2022-06-25T03:00:00Z');
  const kafka = createKafka(loadConfig(kafkaSpec, { KAFKA_BROKERS: brokers }), 'cli-test', logger);
  const env = {
    REDIS_URL: redisUrl,
    KAFKA_BROKERS: brokers,
    REDIS_NAMESPACE: base,
    EVENTSTORE_URL: storeUrl,
    EVENTS_TOPIC: `${base}.events`,
    ARCHIVER_GROUP: `${base}.archiver`,
    TOPIC_PARTITIONS: '1',
    ACCEPT_UNKNOWN_UNITS: 'true',
  };

  beforeAll(async () => {
    const store = openEventStore(storeUrl);
    await store.append(events);
    await store.close();
    // The live projection as the projector builds it: other batch boundaries, some events twice.
    const live = new ProjectionStore(redis, base);
    for (let i = 0; i < events.length; i += 7) await applyEvents(live, events.slice(i, i + 7), rules.ctxAt(wallMs), () => wallMs, rules.expireAt);
    await applyEvents(live, events.slice(0, 20), rules.ctxAt(wallMs), () => wallMs + 1, rules.expireAt);
  });

  afterAll(async () => {
    // The test's namespaces: <base>:… and <base>.<suffix>:…
    await unlinkMatching(redis, `${base}[:.]*`);
    redis.disconnect();
    await deleteTestTopics(kafka, [env.EVENTS_TOPIC]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds an identical projection from the store, series by series and key by key', async () => {
    const store = openEventStore(storeUrl);
    const target = new ProjectionStore(redis, `${base}.same`);
    const batches: number[] = [];
    try {
      // The rebuild runs after the fixtures' last event (30 June): none is ahead of its clock.
      const built = await applyHistory({
        events: store,
        projection: target,
        rules,
        admission,
        now: () => Date.parse('2022-07-01T00:00:00Z'),
        after: 0,
        batchSize: 50,
        sole: true,
        onBatch: (_, n) => batches.push(n),
      });
      expect(built).toEqual({ position: events.length, events: events.length, skipped: {} });
      expect(batches).toEqual([50, 100, 150, 200, events.length]);
    } finally {
      await store.close();
    }
    const at = await createLiveView({ redis, base, clock: { mode: 'wall' }, wall: () => wallMs }).resolve();
    const series = (namespace: string) => namespaceSeries({ redis, reference, namespace, at });
    const live = await series(base);
    const rebuilt = await series(`${base}.same`);
    expect(live.get(`dvc_dossiers_received{unit="${base}-u1",level="unknown",window="14d",channel="online"}`)).toBeGreaterThan(0);
    expect(diffSeries(live, rebuilt)).toEqual([]);
    expect(await diffProjections(redis, base, `${base}.same`)).toEqual([]);
  });

  it('names each difference: a lost bucket, a changed state, a missing set member, an extra unit', async () => {
    const copy = new ProjectionStore(redis, `${base}.damaged`);
    await applyEvents(copy, events, rules.ctxAt(wallMs), () => wallMs, rules.expireAt);
    const unit = `${base}-u2`;
    await redis.del(copy.keys.bucket(unit, '2022-06-03'));
    await redis.set(copy.keys.state(unit, `dossier:${unit}-D0`), '{"kind":"dossier"}');
    await redis.zrem(copy.keys.set(unit, 'open'), `${unit}-D2`);
    await redis.sadd(copy.keys.units(), 'ghost');
    const projection = await diffProjections(redis, base, `${base}.damaged`);
    const where = projection.map((d) => d.where);
    expect(where).toContain(`{${unit}}:s:dossier:${unit}-D0`);
    expect(where.filter((w) => w.startsWith(`{${unit}}:b:2022-06-03 `)).length).toBeGreaterThan(0);
    expect(projection.find((d) => d.where.startsWith(`{${unit}}:b:2022-06-03 `))?.rebuilt).toBe('absent');
    expect(projection.find((d) => d.where.startsWith(`{${unit}}:z:open`))?.live).toMatch(new RegExp(`^${unit}-D2=`));
    expect(projection.find((d) => d.where.startsWith('units'))).toEqual({ where: 'units (1 members)', live: 'none', rebuilt: 'ghost' });
    const at = await createLiveView({ redis, base, clock: { mode: 'wall' }, wall: () => wallMs }).resolve();
    const series = diffSeries(
      await namespaceSeries({ redis, reference, namespace: base, at }),
      await namespaceSeries({ redis, reference, namespace: `${base}.damaged`, at }),
    );
    // D2 (due 2022-06-05) is overdue at the wall clock of 2022-06-25; the damaged copy lost it.
    expect(series.find((d) => d.where === `dvc_dossiers_open{unit="${unit}",level="unknown",state="overdue"}`)).toBeDefined();
    expect(series.map((d) => d.where)).toContain('dvc_projection_units');
  });

  it('ignores the bucket fields earlier versions wrote and no reader reads (flow_in of days, flows of periods), and only those', async () => {
    const old = new ProjectionStore(redis, `${base}.old`);
    await applyEvents(old, events, rules.ctxAt(wallMs), () => wallMs, rules.expireAt);
    const unit = `${base}-u1`;
    await redis.hincrby(old.keys.bucket(unit, '2022-06-03'), 'flow_in', 4);
    await redis.hincrby(old.keys.bucket(unit, 'p:bp-2022-report'), 'flow_in', 9);
    await redis.hincrby(old.keys.bucket(unit, 'p:bp-2022-report'), 'flow_out', 7);
    expect(await diffProjections(redis, base, `${base}.old`)).toEqual([]);
    // The fields still written are compared: the current bucket's entries and a day's exits.
    await redis.hincrby(old.keys.bucket(unit, 'current'), 'flow_in', 1);
    await redis.hincrby(old.keys.bucket(unit, '2022-06-03'), 'flow_out', 1);
    expect((await diffProjections(redis, base, `${base}.old`)).map((d) => d.where).sort()).toEqual([
      `{${unit}}:b:2022-06-03 flow_out`,
      `{${unit}}:b:current flow_in`,
    ]);
  });

  it('dvc rebuild --switch builds, finds no difference, switches and catches up; drop refuses the live namespace', async () => {
    await ensureTopics(kafka, [env.EVENTS_TOPIC], 1);
    // Pinned at the instant the live projection was written: both sides are computed at it.
    const io = bufferIo({ ...env, CLOCK_AS_OF: '2022-06-25T10:00:00+07:00' });
    expect(await run(['rebuild', '--switch', '--batch', '64'], io)).toBe(0);
    const active = await resolveActiveNamespace(redis, base);
    expect(active).toMatch(new RegExp(`^${base}\\.r\\d{8}T\\d{6}$`));
    expect(io.out()).toContain(`applied ${events.length} events (last position ${events.length})`);
    expect(io.out()).toContain('comparing at 2022-06-25T03:00:00.000Z (clock as-of)\n');
    expect(io.out()).toContain('series (');
    expect(io.out()).toMatch(/: 0 differences\n[\s\S]*projection \(states, buckets, sets, counters\): 0 differences/);
    expect(io.out()).toContain(`switched ${base}: ${base} -> ${active}`);
    expect(io.out()).toContain(`store applied up to position ${events.length}`);
    expect(io.err()).toContain(`${events.length}/${events.length} 100.0%`);
    const listed = await listNamespaces(redis, base, active);
    expect(listed.find((n) => n.active)?.namespace).toBe(active);
    expect(listed.map((n) => n.namespace)).toContain(base);
    const namespaces = bufferIo({ ...env, CLOCK_AS_OF: '2022-06-22T17:00:00+07:00' });
    expect(await run(['namespaces'], namespaces)).toBe(0);
    expect(namespaces.out()).toContain(`* ${active.padEnd(40)} 3 units  (live)\n`);
    expect(namespaces.out()).toMatch(/\nnow: 2022-06-22T10:00:00\.000Z \(clock as-of\)\n$/);

    const drop = bufferIo(env);
    expect(await run(['rebuild', 'drop', active], drop)).toBe(1);
    expect(drop.err()).toContain('is the live namespace');
    expect(await run(['rebuild', 'drop', base], drop)).toBe(0);
    expect(await redis.exists(`${base}:units`)).toBe(0);
    expect(await redis.get(activeKey(base))).toBe(active);
  });

  it("a rebuild in the same second as the last one waits for the next second's name instead of refusing", async () => {
    const active = await resolveActiveNamespace(redis, base);
    const [, y, mo, d, h, mi, se] = /\.r(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(active)!.map(Number);
    const second = Date.UTC(y!, mo! - 1, d, h, mi, se);
    // Two readings in the second the live namespace was named in, then the next second's.
    const readings = [second + 100, second + 600];
    const started = Date.now();
    const io = bufferIo(env, () => readings.shift() ?? second + 1000 + (Date.now() - started));
    expect(await run(['rebuild', '--no-switch'], io)).toBe(0);
    const next = new Date(second + 1000).toISOString().replace(/[-:]/g, '').slice(0, 15);
    expect(io.out()).toContain(`into ${base}.r${next} (live: ${active})`);
    expect(io.err()).not.toContain('already holds a projection');
  });

  it('without --force a rebuild that differs exits 1 and leaves the live namespace', async () => {
    const active = await resolveActiveNamespace(redis, base);
    await redis.srem(`${active}:units`, `${base}-u3`);
    const io = bufferIo(
      env,
      (() => {
        let t = Date.now() + 2000;
        return () => t++;
      })(),
    );
    expect(await run(['rebuild', '--switch'], io)).toBe(1);
    expect(io.out()).toContain(`not switched:`);
    expect(io.out()).toContain(`units (1 members): live none, rebuilt ${base}-u3`);
    expect(await resolveActiveNamespace(redis, base)).toBe(active);
  });

  it('skips the events admission refuses today, counts them by code and says so', async () => {
    const dirty = `${base}-dirty`;
    const dirtyUrl = `sqlite:${join(dir, 'dirty.sqlite')}`;
    const clean = history([`${dirty}-u1`], 10);
    const withTime = (e: DvcEvent, id: string, time: string): DvcEvent => {
      const copy = JSON.parse(JSON.stringify(e)) as DvcEvent & { data: Record<string, unknown> };
      return { ...copy, id, time, data: { ...copy.data, receivedAt: time } } as DvcEvent;
    };
    const first = clean[0] as DvcEvent;
    // Archived before admission existed: the 2099 and 1990 events.
    const inadmissible = [withTime(first, 'from-2099', '2099-01-01T00:00:00+07:00'), withTime(first, 'from-1990', '1990-01-01T08:00:00+07:00')];
    const store = openEventStore(dirtyUrl);
    await store.append([...clean.slice(0, 5), ...inadmissible, ...clean.slice(5)]);
    const built = new ProjectionStore(redis, `${dirty}.built`);
    const expected = new ProjectionStore(redis, `${dirty}.expected`);
    try {
      const result = await applyHistory({ events: store, projection: built, rules, admission, now: () => wallMs, after: 0, batchSize: 4, sole: true });
      expect(result).toEqual({ position: clean.length + 2, events: clean.length + 2, skipped: { 'future-time': 1, 'before-history-start': 1 } });
      await applyEvents(expected, clean, rules.ctxAt(wallMs), () => wallMs, rules.expireAt);
      expect(await diffProjections(redis, `${dirty}.expected`, `${dirty}.built`)).toEqual([]);
    } finally {
      await store.close();
    }
    const io = bufferIo({ ...env, REDIS_NAMESPACE: `${dirty}.expected`, EVENTSTORE_URL: dirtyUrl });
    expect(await run(['rebuild', '--no-switch'], io)).toBe(0);
    expect(io.out()).toContain(`applied ${clean.length} events (last position ${clean.length + 2})`);
    expect(io.out()).toContain('inadmissible events skipped (not applied): 2 (future-time 1, before-history-start 1)\n');
    await unlinkMatching(redis, `${dirty}.*`);
  });
});
