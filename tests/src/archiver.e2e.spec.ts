import { openEventStore, type EventStore } from '@dvc/eventstore';
import { ev, type TestEvent, waitFor } from '@dvc/testing';
import { createTestTopics } from '@dvc/kafka/testing';
import {
  STORE_KINDS,
  UNKNOWN_UNITS_ACCEPTED,
  eventStoreUrl,
  produceAll,
  scrapeMetrics,
  startService,
  testStack,
  waitForZeroLag,
  type ServiceProcess,
} from './stack.js';

const EVENTS = 30_000;
const CHUNK = 500;
/** Pause between produced chunks, so that the stream is still flowing while archivers die. */
const CHUNK_GAP_MS = 200;
const PARTITIONS = 3;

/** A stream of distinct events (unique ids) of four types over five units. */
function buildStream(prefix: string): TestEvent[] {
  const iso = (ms: number) => new Date(ms + 7 * 3_600_000).toISOString().replace('Z', '+07:00').replace('.000', '');
  const start = Date.parse('2022-06-10T08:00:00+07:00');
  const events: TestEvent[] = [];
  for (let i = 0; events.length < EVENTS; i++) {
    const unit = `${prefix}.u${i % 5}`;
    const at = start + i * 60_000;
    const dossier = `${prefix}-D${i}`;
    events.push(ev.received(unit, dossier, iso(at), i % 3 === 0 ? 'online' : 'direct'));
    if (i % 2 === 0) events.push(ev.resolved(unit, dossier, iso(at + 86_400_000), i % 4 === 0));
    if (i % 5 === 0) events.push(ev.payment(unit, `${prefix}-P${i}`, iso(at + 3_600_000), 'fee', 'online', 1000 + i));
    if (i % 7 === 0) events.push(ev.report(unit, `${prefix}-R${i}`, iso(at + 7_200_000), 'online'));
  }
  return events.slice(0, EVENTS);
}

const sumOf = (metrics: Map<string, number>, name: string) =>
  [...metrics].filter(([series]) => series === name || series.startsWith(`${name}{`)).reduce((sum, [, value]) => sum + value, 0);

/**
 * On each store the archiver writes to: the embedded SQLite file, and PostgreSQL, where the
 * archivers that finish the stream are two at once, sharing the partitions and the database.
 */
describe.each(STORE_KINDS)('archiver on $name: every event stored exactly once through SIGKILLs', ({ kind }) => {
  const finishers = kind === 'postgres' ? 2 : 1;
  // A killed archiver holds its partitions until its session expires; keep that short here.
  const stack = testStack('arche2e', (name) => ({
    ...UNKNOWN_UNITS_ACCEPTED,
    EVENTSTORE_URL: eventStoreUrl(kind, name),
    TOPIC_PARTITIONS: String(PARTITIONS),
    ARCHIVER_SESSION_TIMEOUT_MS: '6000',
  }));
  const { id, env, topic, dlq, kafka } = stack;
  const group = stack.setting('ARCHIVER_GROUP');
  const storeUrl = stack.setting('EVENTSTORE_URL');
  const stream = buildStream(`ae.${id}`);
  const archivers: ServiceProcess[] = [];
  let store: EventStore;

  /** The stream's messages (invalid ones included: the cast only types the routing key's reading). */
  const produce = (events: readonly unknown[], gapMs: number) => produceAll(topic, events as TestEvent[], { chunk: CHUNK, gapMs });

  beforeAll(async () => {
    await createTestTopics(kafka, { [topic]: PARTITIONS, [dlq]: 1 });
    store = openEventStore(storeUrl);
  });

  afterAll(async () => {
    await Promise.all(archivers.map((a) => a.kill('SIGKILL')));
    await store?.close();
    await stack.cleanUp();
  });

  it('stores a stream produced while the archiver is SIGKILLed twice exactly once, gapless, and its metrics agree', async () => {
    let produced = false;
    const production = produce(stream, CHUNK_GAP_MS).then(() => {
      produced = true;
    });
    const kills: { head: number; streamStillFlowing: boolean }[] = [];
    for (const killAt of [0.2, 0.5]) {
      const archiver = await startService('archiver', env, 'ARCHIVER_PORT');
      archivers.push(archiver);
      const head = await waitFor(
        async () => {
          const h = await store.head();
          return h >= EVENTS * killAt ? h : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 10, description: `${killAt * 100}% archived` },
      );
      kills.push({ head, streamStillFlowing: !produced });
      await archiver.kill('SIGKILL');
    }
    await production;
    expect(kills[0]!.head).toBeLessThan(kills[1]!.head);
    expect(kills[1]!.head).toBeLessThan(EVENTS);

    // No archiver runs now: the head is stable, and the last ones must append exactly the rest.
    const headBeforeLast = await store.head();
    const last = await Promise.all(Array.from({ length: finishers }, () => startService('archiver', env, 'ARCHIVER_PORT')));
    archivers.push(...last);
    await waitForZeroLag(kafka, group, topic, 90_000);
    /** The finishing archivers' metrics, summed series by series. */
    const scrapeAll = async () => {
      const sum = new Map<string, number>();
      for (const archiver of last) for (const [series, value] of await scrapeMetrics(archiver.url)) sum.set(series, (sum.get(series) ?? 0) + value);
      return sum;
    };

    const stored = await store.read();
    expect(stored).toHaveLength(EVENTS);
    expect(stored.map((s) => s.position)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    const byId = new Map(stored.map((s) => [s.event.id, s.event]));
    expect(byId.size).toBe(EVENTS);
    const mismatched = stream.filter((e) => JSON.stringify(byId.get(e.id)) !== JSON.stringify(e)).map((e) => e.id);
    expect(mismatched).toEqual([]);

    const metrics = await waitFor(
      async () => {
        const m = await scrapeAll();
        const lags = [...m].filter(([series]) => series.startsWith('dvc_consumer_lag{') && series.includes(`group="${group}"`));
        return lags.length === PARTITIONS && lags.every(([, v]) => v === 0) ? m : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'dvc_consumer_lag 0 on every partition' },
    );
    const lastPositions = await Promise.all(last.map(async (a) => (await scrapeMetrics(a.url)).get('dvc_archiver_last_position')));
    expect(Math.max(...lastPositions.map((p) => p ?? 0))).toBe(EVENTS);
    expect(sumOf(metrics, 'dvc_archiver_events_appended_total')).toBe(EVENTS - headBeforeLast);
    expect(sumOf(metrics, 'dvc_archiver_events_skipped_total')).toBe(0);
    expect(sumOf(metrics, 'dvc_archiver_events_dead_lettered_total')).toBe(0);

    // The whole stream delivered again (plus three invalid messages): nothing new stored, each counted once.
    const duplicatesBefore = sumOf(metrics, 'dvc_archiver_events_duplicate_total');
    await produce([...stream, '{"id": ', { id: 'no-type' }, { ...stream[0]!, unitid: 'someone-else' }], 0);
    await waitForZeroLag(kafka, group, topic, 90_000);
    const after = await scrapeAll();
    expect(sumOf(after, 'dvc_archiver_events_duplicate_total') - duplicatesBefore).toBe(EVENTS);
    expect(sumOf(after, 'dvc_archiver_events_skipped_total')).toBe(3);
    expect(sumOf(after, 'dvc_archiver_events_appended_total')).toBe(EVENTS - headBeforeLast);
    expect(await store.head()).toBe(EVENTS);
    for (const archiver of last) {
      const ready = await fetch(`${archiver.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', store: true, head: EVENTS, consumer: true });
    }
    // A graceful stop leaves the group and closes the store cleanly.
    for (const archiver of last) expect(await archiver.kill('SIGTERM')).toBe(0);
    // Each kill landed while the stream was still being produced (recorded, for the report on failure).
    expect(kills.map((k) => k.streamStillFlowing)).toEqual([true, true]);
  });
});
