import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '@dvc/config';
import { routingKeyOf, type DvcEvent } from '@dvc/domain';
import { openEventStore } from '@dvc/eventstore';
import { DeadLetterPublisher, PRODUCER_KEY_HEADER, createKafka, ensureTopics, readTopicToEnd, type TopicMessage } from '@dvc/kafka';
import { otherNodeOnPath, uniqueName } from '@dvc/testing';
import { run } from './cli.js';
import { REDRIVEN_FROM_HEADER, type DeadLetterEntry } from './commands/dlq.js';
import { history } from './fixtures.js';
import type { CliIo } from './io.js';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const CLI_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function bufferIo(env: Record<string, string>): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env,
    now: Date.now,
    stdout: { write: (c: string) => out.push(c) },
    stderr: { write: (c: string) => err.push(c) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('dvc dlq and dvc replay on a real Kafka', () => {
  const id = uniqueName('clik').replace(/[^a-z0-9-]/g, '');
  const logger = createLogger('test', 'silent');
  const settings = {
    KAFKA_BROKERS: [brokers],
    KAFKA_SSL: false,
    KAFKA_SASL_MECHANISM: 'none' as const,
    KAFKA_SASL_USERNAME: '',
    KAFKA_SASL_PASSWORD: '',
    EVENTS_TOPIC: `${id}.events`,
    DLQ_TOPIC: `${id}.dlq`,
    TOPIC_PARTITIONS: 2,
  };
  const kafka = createKafka(settings, 'cli-test', logger);
  const replayTopic = `${id}.replay`;
  const dir = mkdtempSync(join(tmpdir(), 'dvc-cli-kafka-'));
  const env = {
    KAFKA_BROKERS: brokers,
    EVENTS_TOPIC: settings.EVENTS_TOPIC,
    DLQ_TOPIC: settings.DLQ_TOPIC,
    EVENTSTORE_URL: `sqlite:${join(dir, 'events.sqlite')}`,
  };

  const read = async (topic: string) => {
    const messages: { partition: number; message: TopicMessage }[] = [];
    await readTopicToEnd(kafka, topic, (partition, message) => messages.push({ partition, message }));
    return messages;
  };

  beforeAll(async () => {
    await ensureTopics(kafka, [settings.EVENTS_TOPIC, settings.DLQ_TOPIC, replayTopic], 2);
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [settings.EVENTS_TOPIC, settings.DLQ_TOPIC, replayTopic] }).finally(() => admin.disconnect());
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists dead letters with their origin and re-drives the selected ones with the redriven-from header and their producer key id', async () => {
    const publisher = new DeadLetterPublisher(kafka, settings.DLQ_TOPIC);
    const letter = (n: number, reason: string) => ({
      key: Buffer.from(`k${n}`),
      value: Buffer.from(n === 2 ? 'x'.repeat(300) : `{"bad":${n}}`),
      reason,
      sourceTopic: settings.EVENTS_TOPIC,
      sourcePartition: n % 2,
      sourceOffset: String(100 + n),
      stage: 'validation' as const,
      code: 'invalid' as const,
      // The first was written with a producer key id; the others without one.
      ...(n === 1 ? { producerKey: 'portal-u1' } : {}),
    });
    await publisher.publish(
      [letter(1, 'data.dueAt: must be a date-time'), letter(2, 'not JSON'), letter(3, 'data.channel: unknown')],
      new Date('2026-11-30T07:00:00Z'),
    );
    await publisher.close();

    const listed = bufferIo(env);
    expect(await run(['dlq', 'list', '--json'], listed)).toBe(0);
    const entries = JSON.parse(listed.out()) as DeadLetterEntry[];
    expect(entries.map((e) => e.reason).sort()).toEqual(['data.channel: unknown', 'data.dueAt: must be a date-time', 'not JSON']);
    const two = entries.find((e) => e.reason === 'not JSON');
    expect(two).toMatchObject({
      stage: 'validation',
      code: 'invalid',
      sourceTopic: settings.EVENTS_TOPIC,
      sourcePartition: 0,
      sourceOffset: '102',
      rejectedAt: '2026-11-30T07:00:00.000Z',
      key: 'k2',
      valueBytes: 300,
    });
    expect(two?.valuePreview).toBe('x'.repeat(120));

    const text = bufferIo(env);
    expect(await run(['dlq', 'list', '--limit', '1'], text)).toBe(0);
    expect(text.out()).toContain(`1 of 3 dead letters in ${settings.DLQ_TOPIC} (by code: invalid 3)`);
    expect(text.out()).toContain('  validation  invalid  2026-11-30T07:00:00.000Z  from');

    const dry = bufferIo(env);
    expect(await run(['dlq', 'redrive', '--reason', '^data\\.', '--dry-run'], dry)).toBe(0);
    expect(dry.out()).toContain(`dry run: 2 of 3 dead letters selected (2 to ${settings.EVENTS_TOPIC})`);
    expect(await read(settings.EVENTS_TOPIC)).toHaveLength(0);

    const position = (e: DeadLetterEntry | undefined) => `${e?.partition}:${e?.offset}`;
    const chosen = entries.filter((e) => e.reason !== 'not JSON');
    const redrive = bufferIo(env);
    expect(await run(['dlq', 'redrive', '--offsets', chosen.map(position).join(',')], redrive)).toBe(0);
    expect(redrive.out()).toContain(`re-drove 2 of 3 dead letters (2 to ${settings.EVENTS_TOPIC})`);
    const arrived = await read(settings.EVENTS_TOPIC);
    expect(
      arrived.map(({ message }) => [message.key?.toString(), message.value?.toString(), message.headers?.[REDRIVEN_FROM_HEADER]?.toString()]).sort(),
    ).toEqual(chosen.map((e) => [e.key, e.valuePreview, `${settings.DLQ_TOPIC}:${position(e)}`]).sort());
    // The producer key id the dead letter kept goes back on the message (none when it had none).
    expect(arrived.map(({ message }) => [message.key?.toString(), message.headers?.[PRODUCER_KEY_HEADER]?.toString()]).sort()).toEqual([
      ['k1', 'portal-u1'],
      ['k3', undefined],
    ]);

    const missing = bufferIo(env);
    expect(await run(['dlq', 'redrive', '--offsets', '0:999'], missing)).toBe(1);
    expect(missing.err()).toContain(`not in ${settings.DLQ_TOPIC}: 0:999`);
    expect(await run(['dlq', 'redrive', '--all', '--reason', 'x'], missing)).toBe(2);
  });

  it('selects dead letters by code, alone or with a reason, and refuses an unknown code', async () => {
    const dlq = `${id}.dlq-codes`;
    await ensureTopics(kafka, [dlq], 1);
    try {
      const publisher = new DeadLetterPublisher(kafka, dlq);
      const letter = (n: number, code: 'invalid' | 'unknown-unit' | 'future-time', reason: string) => ({
        key: Buffer.from(`c${n}`),
        value: Buffer.from(`{"n":${n}}`),
        reason,
        code,
        sourceTopic: settings.EVENTS_TOPIC,
        sourcePartition: 0,
        sourceOffset: String(n),
        stage: code === 'invalid' ? ('validation' as const) : ('admission' as const),
      });
      await publisher.publish(
        [
          letter(1, 'unknown-unit', "/unitid unit 'dn.a' is not in the unit directory (unit directory version v1)"),
          letter(2, 'future-time', '/time 2099-01-01T00:00:00+07:00 is 26,326 days ahead of the clock'),
          letter(3, 'unknown-unit', "/unitid unit 'dn.b' is not in the unit directory (unit directory version v1)"),
          letter(4, 'invalid', 'malformed JSON'),
        ],
        new Date('2026-12-03T01:00:00Z'),
      );
      await publisher.close();
      const codeEnv = { ...env, DLQ_TOPIC: dlq };

      const listed = bufferIo(codeEnv);
      expect(await run(['dlq', 'list', '--json'], listed)).toBe(0);
      expect((JSON.parse(listed.out()) as DeadLetterEntry[]).map((e) => [e.key, e.stage, e.code])).toEqual([
        ['c1', 'admission', 'unknown-unit'],
        ['c2', 'admission', 'future-time'],
        ['c3', 'admission', 'unknown-unit'],
        ['c4', 'validation', 'invalid'],
      ]);
      const text = bufferIo(codeEnv);
      expect(await run(['dlq', 'list'], text)).toBe(0);
      expect(text.out()).toContain(`4 of 4 dead letters in ${dlq} (by code: future-time 1, invalid 1, unknown-unit 2)`);

      const byCode = bufferIo(codeEnv);
      expect(await run(['dlq', 'redrive', '--code', 'unknown-unit', '--dry-run'], byCode)).toBe(0);
      expect(byCode.out()).toBe(
        `would re-drive ${dlq}:0:0 -> ${settings.EVENTS_TOPIC}\nwould re-drive ${dlq}:0:2 -> ${settings.EVENTS_TOPIC}\n` +
          `dry run: 2 of 4 dead letters selected (2 to ${settings.EVENTS_TOPIC})\n`,
      );
      const both = bufferIo(codeEnv);
      expect(await run(['dlq', 'redrive', '--code', 'unknown-unit', '--reason', "'dn\\.b'", '--dry-run'], both)).toBe(0);
      expect(both.out()).toContain('dry run: 1 of 4 dead letters selected');
      const bad = bufferIo(codeEnv);
      expect(await run(['dlq', 'redrive', '--code', 'unknown_unit'], bad)).toBe(2);
      expect(bad.err()).toContain(
        "--code must be one of invalid, future-time, before-history-start, due-too-far, unknown-unit, conflict, unauthenticated, forbidden, misrouted, got 'unknown_unit'",
      );
      expect(await run(['dlq', 'redrive', '--all', '--code', 'invalid'], bad)).toBe(2);
    } finally {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [dlq] }).finally(() => admin.disconnect());
    }
  });

  it('replays a filtered range of the store to a topic, keyed by routing key, resumable by position', async () => {
    const unit = `${id}-u1`;
    // One payment names its dossier: it is keyed by the dossier, the other payments by their own id.
    const linked = `${unit}-D0`;
    const events = history([unit, `${id}-u2`], 30).map((e) =>
      e.type === 'vn.dvc.payment.completed' && e.subject === `${linked}-P` ? { ...e, data: { ...e.data, dossierId: linked } } : e,
    );
    const store = openEventStore(env.EVENTSTORE_URL);
    // Every third event was accepted with a producer key; the replay carries it in dvc-producer-key.
    const producerKeyOf = (i: number) => (i % 3 === 0 ? `portal-${i % 2}` : undefined);
    await store.append(events, { producerKeys: events.map((_, i) => producerKeyOf(i)) });
    await store.close();
    const keyById = new Map(events.map((e, i) => [e.id, producerKeyOf(i)]));
    const expected = events.filter((e) => e.unitid === unit && (e.type === 'vn.dvc.dossier.resolved' || e.type === 'vn.dvc.payment.completed'));

    const first = bufferIo(env);
    expect(await run(['replay', '--to', replayTopic, '--types', 'resolved,payment.completed', '--unit', unit, '--limit', '5', '--batch', '2'], first)).toBe(0);
    const resume = /resume with --after (\d+)/.exec(first.out())?.[1];
    expect(first.out()).toContain(`replayed 5 events to ${replayTopic}`);
    // The history's unit is in no directory (a pilot's): replayed, with a warning that names it.
    expect(first.err()).toContain(
      `): ${unit}; the history holds events of unlisted units only if they were taken in pilot mode (ACCEPT_UNKNOWN_UNITS): check the spelling\n`,
    );
    const rest = bufferIo(env);
    expect(await run(['replay', '--to', replayTopic, '--types', 'resolved,payment.completed', '--unit', unit, '--after', resume ?? 'x'], rest)).toBe(0);
    expect(rest.out()).toContain(`replayed ${expected.length - 5} events`);

    const messages = await read(replayTopic);
    const ids = messages.map(({ message }) => (JSON.parse(message.value?.toString() ?? '{}') as { id: string }).id);
    expect(ids.sort()).toEqual(expected.map((e) => e.id).sort());
    const keyOf = new Map(messages.map(({ message }) => [(JSON.parse(message.value?.toString() ?? '{}') as { id: string }).id, message.key?.toString()]));
    expect(keyOf.get(`${linked}-pay`)).toBe(linked);
    expect(keyOf.get(`${unit}-D4-pay`)).toBe(`${unit}-D4-P`);
    for (const { message } of messages) {
      const event = JSON.parse(message.value?.toString() ?? '{}') as DvcEvent;
      expect(message.key?.toString()).toBe(routingKeyOf(event));
      expect(message.headers?.ce_id?.toString()).toBe(event.id);
      expect(message.headers?.['dvc-producer-key']?.toString()).toBe(keyById.get(event.id));
    }
    expect(messages.some(({ message }) => message.headers?.['dvc-producer-key'] !== undefined)).toBe(true);

    const missing = bufferIo(env);
    expect(await run(['replay', '--to', `${id}.nowhere`], missing)).toBe(1);
    expect(missing.err()).toBe(`dvc replay: topic ${id}.nowhere does not exist (the broker does not create topics); add --create to create it\n`);
  });

  it('creates a missing destination topic with --create, with the partitions of TOPIC_PARTITIONS, and replays into it', async () => {
    const unit = `${id}-u7`;
    const events = history([unit], 4);
    const store = openEventStore(env.EVENTSTORE_URL);
    await store.append(events);
    await store.close();
    const topic = `${id}.created`;
    const io = bufferIo({ ...env, TOPIC_PARTITIONS: '3' });
    expect(await run(['replay', '--to', topic, '--create', '--unit', unit], io)).toBe(0);
    expect(io.err()).toContain(`created topic ${topic} (3 partitions, TOPIC_PARTITIONS)\n`);
    expect(io.out()).toContain(`replayed ${events.length} events to ${topic}`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [described] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(described?.partitions).toHaveLength(3);
      expect((await read(topic)).map(({ message }) => (JSON.parse(message.value?.toString() ?? '{}') as { id: string }).id).sort()).toEqual(
        events.map((e) => e.id).sort(),
      );
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });

  it('runs on the pinned Node.js when started by the node an operator has on PATH (its SQLite store crashed Node.js 20 without a word)', async () => {
    const unit = `${id}-u9`;
    const store = openEventStore(env.EVENTSTORE_URL);
    await store.append(history([unit], 3));
    await store.close();
    // Where the machine's node is the pinned major, this runs the CLI on it as it is.
    const node = otherNodeOnPath() ?? process.execPath;
    const { stdout } = await promisify(execFile)(node, [CLI_MAIN, 'replay', '--to', replayTopic, '--unit', unit, '--limit', '2'], { env });
    expect(stdout).toMatch(new RegExp(`^replayed 2 events to ${replayTopic} \\(store positions 1\\.\\.\\d+; resume with --after \\d+\\)\\n$`));
  });
});
