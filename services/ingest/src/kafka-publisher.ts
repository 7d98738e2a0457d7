import { eventMessage, type TransactionalPublisher } from '@dvc/kafka';
import type { EventPublisher } from './app.js';

/** Events as Kafka messages (eventMessage of @dvc/kafka), each naming the producer key the request was authenticated with. */
export function kafkaEventPublisher(publisher: TransactionalPublisher): EventPublisher {
  return {
    publish: (events, producerKey) => publisher.publish(events.map((event) => eventMessage(event, producerKey))),
  };
}
