import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { EVENT_TYPE_NAMES, eventJsonSchemas } from '@dvc/domain';
import { DLQ_CODES, DLQ_HEADERS, EVENT_HEADERS, PRODUCER_KEY_HEADER, kafkaSpec, type DeadLetter } from '@dvc/kafka';

/** asyncapi.yaml (ARCHITECTURE.md#kafka-topics) against the code it describes. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILE = join(ROOT, 'asyncapi.yaml');

interface Schema {
  type?: string;
  required?: string[];
  enum?: string[];
  properties?: Record<string, Schema>;
  $ref?: string;
}
interface Message {
  name: string;
  contentType: string;
  payload: Schema;
  headers?: Schema;
  traits?: { $ref: string }[];
  bindings?: { kafka?: { key?: Schema } };
}
interface Channel {
  address: string;
  messages: Record<string, { $ref: string }>;
}
const doc = parse(readFileSync(FILE, 'utf8')) as {
  asyncapi: string;
  channels: Record<string, Channel>;
  operations: Record<string, { action: string; channel: { $ref: string } }>;
  components: { messages: Record<string, Message>; messageTraits: Record<string, { headers?: Schema; bindings: { kafka: { key: Schema } } }> };
};

/** Follows a local `#/…` reference of the document. */
function local<T>(ref: string): T {
  expect(ref.startsWith('#/')).toBe(true);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
  expect(node).toBeDefined();
  return node as T;
}

const messagesOf = (channel: string): Message[] => Object.values(doc.channels[channel]?.messages ?? {}).map((m) => local<Message>(m.$ref));

// Every stage a dead letter can carry: a stage added to DeadLetter without being listed here
// fails the type check of this file.
const STAGES: Record<DeadLetter['stage'], true> = { validation: true, admission: true, producer: true, projection: true, archive: true };

describe('asyncapi.yaml', () => {
  it('is AsyncAPI 3.0 with the two topics at their default names', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels).sort()).toEqual(['deadLetters', 'events']);
    expect(doc.channels.events?.address).toBe(kafkaSpec.EVENTS_TOPIC.default);
    expect(doc.channels.deadLetters?.address).toBe(kafkaSpec.DLQ_TOPIC.default);
    for (const operation of Object.values(doc.operations)) local<Channel>(operation.channel.$ref);
  });

  it('has one message per event type of the contract, and only those', () => {
    expect(
      messagesOf('events')
        .map((m) => m.name)
        .sort(),
    ).toEqual([...EVENT_TYPE_NAMES].sort());
  });

  it("gives each event message its type's published JSON Schema, equal to the domain's", () => {
    const schemas = eventJsonSchemas();
    for (const message of messagesOf('events')) {
      const ref = message.payload.$ref ?? '';
      expect(ref).toBe(`./shared/domain/schemas/${message.name}.json`);
      const published = JSON.parse(readFileSync(join(dirname(FILE), ref), 'utf8')) as Record<string, unknown>;
      const schema = JSON.parse(JSON.stringify(schemas[message.name as keyof typeof schemas])) as Record<string, unknown>;
      expect(published).toEqual({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema });
      expect(message.contentType).toBe('application/json');
    }
  });

  it('keys every event by its routing key, and names the code of a message on another key', () => {
    for (const message of messagesOf('events')) {
      const traits = (message.traits ?? []).map((t) => local<{ bindings: { kafka: { key: Schema & { description: string } } } }>(t.$ref));
      expect(traits.map((t) => t.bindings.kafka.key.type)).toEqual(['string']);
      const description = traits[0]?.bindings.kafka.key.description ?? '';
      expect(description).toMatch(/^the event's routing key \(routingKeyOf of @dvc\/domain\): `data.dossierId` for a vn.dvc.payment.completed/);
      expect(description).toContain('misrouted');
    }
    expect(DLQ_CODES).toContain('misrouted');
  });

  it('names the headers of every event message, the producer key id among them', () => {
    for (const message of messagesOf('events')) {
      const headers = (message.traits ?? []).map((t) => local<{ headers?: Schema }>(t.$ref).headers);
      expect(headers.map((h) => Object.keys(h?.properties ?? {}).sort())).toEqual([Object.values(EVENT_HEADERS).sort()]);
    }
    expect(EVENT_HEADERS.producerKey).toBe('dvc-producer-key');
  });

  it("names the producer key header every event carries, the consumers' check and the codes it refuses with", () => {
    for (const message of messagesOf('events')) {
      const traits = (message.traits ?? []).map((t) =>
        local<{ headers?: { properties?: Record<string, Schema & { description: string; pattern: string }> } }>(t.$ref),
      );
      const header = traits[0]?.headers?.properties?.[PRODUCER_KEY_HEADER];
      expect(header?.type).toBe('string');
      expect(header?.pattern).toBe('^[a-z0-9][a-z0-9._-]{0,63}$');
      expect(header?.description).toContain('PRODUCER_KEYS_FILE');
    }
    expect(DLQ_CODES).toEqual(expect.arrayContaining(['unauthenticated', 'forbidden']));
  });

  it('names every dead-letter header the publisher writes, each required, with its codes and stages', () => {
    const [letter, ...others] = messagesOf('deadLetters');
    expect(others).toEqual([]);
    const headers = letter?.headers;
    // Every header the publisher writes; the producer key id only when the original message had one.
    expect(Object.keys(headers?.properties ?? {}).sort()).toEqual([...Object.values(DLQ_HEADERS), PRODUCER_KEY_HEADER].sort());
    expect([...(headers?.required ?? [])].sort()).toEqual(Object.values(DLQ_HEADERS).sort());
    expect(headers?.properties?.[DLQ_HEADERS.code]?.enum).toEqual([...DLQ_CODES]);
    expect(headers?.properties?.[DLQ_HEADERS.stage]?.enum).toEqual(Object.keys(STAGES));
    expect(letter?.contentType).toBe('application/octet-stream');
  });
});
