export { createKafka, ensureTopics, kafkaSpec, KafkaConfigError, type KafkaClient, type KafkaProducer, type KafkaSettings } from './client.js';
export { consumerGroupSpec, eventConsumerSpec, type ConsumerGroupSpec } from './group-spec.js';
export { TransactionalPublisher, PublishError, requestChunks } from './publisher.js';
export { EVENT_HEADERS, eventMessage } from './event-message.js';
export { DeadLetterPublisher, DLQ_HEADERS, DLQ_CODES, type DeadLetter, type DlqCode } from './dead-letter.js';
export { consumerLag, groupReached, topicEnds, watchLag, type LagWatch } from './lag.js';
export { readTopicToEnd, type TopicMessage } from './topic-reader.js';
export {
  createBatchConsumer,
  judgeMessage,
  refusalLetter,
  refusalStage,
  type AdmittedBatch,
  type AdmittedMessage,
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchHandler,
  type ConsumedMessage,
  type RefusedMessage,
} from './consumer.js';
export { decodeEventBytes, admitMessage, formatProblems, type Admitted, type Decoded } from './decode.js';
export {
  PRODUCER_CODES,
  PRODUCER_KEY_HEADER,
  headerText,
  producerGate,
  type ProducerCode,
  type ProducerGate,
  type ProducerKey,
  type ProducerVerdict,
} from './producers.js';
export { PRODUCER_KEYS_OFF, producerGateFromFile, producerKeysSpec } from './producer-keys.js';
