export { createKafka, ensureTopics, kafkaSpec, KafkaConfigError, type KafkaClient, type KafkaProducer, type KafkaSettings } from './client.js';
export { consumerGroupSpec, type ConsumerGroupSpec } from './group-spec.js';
export { TransactionalPublisher, PublishError, requestChunks } from './publisher.js';
export { DeadLetterPublisher, DLQ_HEADERS, DLQ_CODES, type DeadLetter, type DlqCode } from './dead-letter.js';
export { consumerLag, groupReached, topicEnds, watchLag, type LagWatch } from './lag.js';
export { readTopicToEnd, type TopicMessage } from './topic-reader.js';
export {
  createBatchConsumer,
  refusalLetter,
  type AdmittedBatch,
  type AdmittedMessage,
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchHandler,
  type ConsumedMessage,
  type RefusedMessage,
} from './consumer.js';
export { decodeEventBytes, admitMessage, formatProblems, type Admitted, type Decoded } from './decode.js';
