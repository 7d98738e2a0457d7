import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_HEADERS } from '@dvc/kafka';
import { testKafka } from '@dvc/kafka/testing';
import { ev, postBatch, uniqueName, waitFor } from '@dvc/testing';
import { RUN_DIR, removeEventStore, runCli, scrapeMetrics, serviceEnv, stackEnv, startService, type ServiceProcess } from './stack.js';

/**
 * Who may write, on the real stack: the ingest as a process with its keys file made by `dvc
 * keys`, publishing to the real Kafka. A request without a key is refused with 401; a portal's
 * key scoped to the district of Đồng Xoài (`--under bp.dongxoai`) is refused with 403 for a unit
 * of Lộc Ninh and accepted for Đồng Xoài's communes; every accepted event's Kafka message
 * carries the key id in `dvc-producer-key` and nothing of a refused batch reaches the topic; the
 * key revoked with `dvc keys revoke` gets 401 within seconds, without a restart; the ingest
 * counts events by key id, unknown keys under one fixed label. The archiver (a process reading
 * the same keys file as PRODUCER_KEYS_FILE) stores each accepted event with its key id, and the
 * replay API's lines name it.
 */
describe('producer keys at the ingest (real Kafka)', () => {
  const id = uniqueName('pk').replace(/[^a-z0-9]/g, '');
  // One partition: the topic's order is the order of acceptance, so a last marker batch proves nothing else came before it.
  const env: Record<string, string> = { ...serviceEnv(id), TOPIC_PARTITIONS: '1' };
  const topic = env.EVENTS_TOPIC as string;
  const keysFile = join(RUN_DIR, 'tests', id, 'keys.json');
  const kafka = testKafka(id, stackEnv().kafkaBrokers.split(','));
  const at = '2022-06-20T08:00:00+07:00';
  let ingest: ServiceProcess;
  let archiver: ServiceProcess | undefined;
  let replayApi: ServiceProcess | undefined;
  let portalKey: string;
  let provinceKey: string;

  const create = async (args: string[]) =>
    (await runCli(['keys', 'create', '--role', 'producer', '--types', '*', '--rate', '600', '--file', keysFile, ...args], env)).stdout.trim();

  beforeAll(async () => {
    portalKey = await create(['--id', 'portal-dongxoai', '--under', 'bp.dongxoai']);
    provinceKey = await create(['--id', 'province', '--units', '*']);
    ingest = await startService('ingest', { ...env, INGEST_KEYS_FILE: keysFile, INGEST_TRANSACTIONAL_ID: `${id}-ingest` }, 'INGEST_PORT');
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
  });

  afterAll(async () => {
    await ingest?.kill('SIGTERM');
    await archiver?.kill('SIGTERM');
    await replayApi?.kill('SIGTERM');
    await removeEventStore(env.EVENTSTORE_URL as string);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, env.DLQ_TOPIC as string] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(join(RUN_DIR, 'tests', id), { recursive: true, force: true });
  });

  /** Every message of the topic up to and including the one whose event id is `lastId`. */
  const readUntil = async (lastId: string) => {
    const messages: { id: string; unit: string; key: string | undefined }[] = [];
    const consumer = kafka.consumer({ groupId: `${id}.reader`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const event = JSON.parse(message.value?.toString() ?? '{}') as { id: string; unitid: string };
          messages.push({ id: event.id, unit: event.unitid, key: message.headers?.[EVENT_HEADERS.producerKey]?.toString() });
        },
      });
      await waitFor(() => (messages.some((m) => m.id === lastId) ? true : undefined), { timeoutMs: 60_000, description: `event ${lastId} on ${topic}` });
    } finally {
      await consumer.disconnect();
    }
    return messages;
  };

  it('refuses a request without a key with 401, and one from a district key for another district with 403 naming the unit; accepts its own communes', async () => {
    const own = [
      ev.received('bp.dongxoai.tanbinh', `${id}-A`, at, 'online'),
      ev.received('bp.dongxoai.tanphu', `${id}-B`, at, 'online'),
      ev.received('bp.dongxoai', `${id}-C`, at, 'online'),
    ];

    const anonymous = await postBatch(ingest.url, own, '');
    const none = await fetch(`${ingest.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(own),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="dvc-ingest"');
    expect(anonymous.status).toBe(401);

    const mixed = [ev.received('bp.dongxoai.tanxuan', `${id}-M1`, at, 'online'), ev.received('bp.locninh.locan', `${id}-M2`, at, 'online')] as const;
    const foreign = await postBatch(ingest.url, [...mixed], portalKey);
    expect(foreign.status).toBe(403);
    const refusal = (await foreign.json()) as { error: string; outside: unknown[] };
    expect(refusal.error).toBe(
      "key 'portal-dongxoai' may not write 1 of the 2 events, e.g. unit 'bp.locninh.locan' (its units: tree:bp.dongxoai); nothing was accepted",
    );
    expect(refusal.outside).toEqual([{ index: 1, id: mixed[1].id, unit: 'bp.locninh.locan' }]);

    expect(await (await postBatch(ingest.url, own, portalKey)).json()).toEqual({ accepted: 3 });
    const marker = ev.received('bp.locninh.locan', `${id}-Z`, at, 'online');
    expect((await postBatch(ingest.url, [marker], provinceKey)).status).toBe(202);

    // Exactly the accepted events, in order, each naming its key; nothing of the refused batches.
    expect(await readUntil(marker.id)).toEqual([
      ...own.map((e) => ({ id: e.id, unit: e.unitid, key: 'portal-dongxoai' })),
      { id: marker.id, unit: 'bp.locninh.locan', key: 'province' },
    ]);

    // Archived with the key id of each (the archiver checks them against the same keys file), and so replayed.
    archiver = await startService('archiver', { ...env, PRODUCER_KEYS_FILE: keysFile }, 'ARCHIVER_PORT');
    const readerKey = (
      await runCli(['keys', 'create', '--id', 'reader', '--units', '*', '--types', '*', '--rate', '600', '--file', keysFile], env)
    ).stdout.trim();
    replayApi = await startService(
      'replay-api',
      { EVENTSTORE_URL: env.EVENTSTORE_URL as string, REPLAY_KEYS_FILE: keysFile, REPLAY_TOKEN_SECRETS: `${id}-secret` },
      'REPLAY_PORT',
    );
    const replayed = await waitFor(
      async () => {
        const response = await fetch(`${replayApi?.url}/v1/events?limit=100`, { headers: { authorization: `Bearer ${readerKey}` } });
        if (!response.ok) return undefined;
        const lines = (await response.text())
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as { event?: { id: string }; producerKey?: string });
        const events = lines.filter((l) => l.event !== undefined);
        return events.length === 4 ? events.map((l) => ({ id: l.event?.id, key: l.producerKey })) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'the 4 accepted events archived and replayed' },
    );
    expect(replayed).toEqual([...own.map((e) => ({ id: e.id, key: 'portal-dongxoai' })), { id: marker.id, key: 'province' }]);
    const archived = await scrapeMetrics(archiver.url);
    expect(archived.get('dvc_archiver_events_appended_total{type="vn.dvc.dossier.received"}')).toBe(4);
    expect(archived.get('dvc_archiver_events_skipped_total{reason="unauthenticated"}') ?? 0).toBe(0);

    const metrics = await scrapeMetrics(ingest.url);
    expect(metrics.get('dvc_ingest_key_events_total{key="portal-dongxoai",outcome="accepted"}')).toBe(3);
    expect(metrics.get('dvc_ingest_key_events_total{key="portal-dongxoai",outcome="refused"}')).toBe(2);
    expect(metrics.get('dvc_ingest_key_events_total{key="province",outcome="accepted"}')).toBe(1);
    expect(metrics.get('dvc_ingest_key_requests_total{key="(unknown)",status="401"}')).toBe(2);
  });

  it('refuses a revoked key with 401 within seconds, without a restart', async () => {
    const event = ev.received('bp.dongxoai.tanbinh', `${id}-R`, at, 'online');
    expect((await postBatch(ingest.url, [event], portalKey)).status).toBe(202);
    await runCli(['keys', 'revoke', '--id', 'portal-dongxoai', '--file', keysFile], env);
    const revokedAt = Date.now();
    await waitFor(async () => ((await postBatch(ingest.url, [event], portalKey)).status === 401 ? true : undefined), {
      timeoutMs: 5000,
      intervalMs: 100,
      description: 'the revoked key refused',
    });
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    const answer = await postBatch(ingest.url, [event], portalKey);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({ error: 'unknown or revoked producer key' });
    // The other keys are untouched.
    expect((await postBatch(ingest.url, [event], provinceKey)).status).toBe(202);
  });
});
