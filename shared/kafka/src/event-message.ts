import type { Message } from 'kafkajs';
import { routingKeyOf, type DvcEvent } from '@dvc/domain';

/**
 * The headers of a message of the events topic (asyncapi.yaml, trait `keyedByRoutingKey`). The value
 * is the CloudEvent; the headers repeat its type and id for tools that do not parse it, and
 * `dvc-producer-key` names the producer key the ingest authenticated the sender with (the key's
 * id, never the key).
 */
export const EVENT_HEADERS = {
  contentType: 'content-type',
  type: 'ce_type',
  id: 'ce_id',
  producerKey: 'dvc-producer-key',
} as const;

/**
 * One Kafka message per event: key = its routing key (`routingKeyOf`: the dossier it changes, so a
 * dossier's events keep their order on one partition), value = the CloudEvent JSON, the headers of
 * EVENT_HEADERS.
 */
export function eventMessage(event: DvcEvent, producerKey?: string): Message {
  return {
    key: routingKeyOf(event),
    value: JSON.stringify(event),
    headers: {
      [EVENT_HEADERS.contentType]: 'application/cloudevents+json',
      [EVENT_HEADERS.type]: event.type,
      [EVENT_HEADERS.id]: event.id,
      ...(producerKey === undefined ? {} : { [EVENT_HEADERS.producerKey]: producerKey }),
    },
  };
}
