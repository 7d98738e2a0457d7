import type { DvcEvent } from '@dvc/domain';
import type { TransactionalPublisher } from '@dvc/kafka';
import type { EventPublisher } from './app.js';

/** Events as Kafka messages: key = subject (per-dossier order), value = the CloudEvent JSON. */
export function kafkaEventPublisher(publisher: TransactionalPublisher): EventPublisher {
  return {
    publish: (events) =>
      publisher.publish(
        events.map((event: DvcEvent) => ({
          key: event.subject,
          value: JSON.stringify(event),
          headers: { 'content-type': 'application/cloudevents+json', ce_type: event.type, ce_id: event.id },
        })),
      ),
  };
}
