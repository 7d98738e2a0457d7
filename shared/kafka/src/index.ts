export { createKafka, ensureTopics, kafkaSpec, KafkaConfigError, type KafkaSettings } from './client.js';
export { TransactionalPublisher, PublishError, requestChunks } from './publisher.js';
export { DeadLetterPublisher, DLQ_HEADERS, type DeadLetter } from './dead-letter.js';
export { consumerLag, watchLag, type LagWatch } from './lag.js';
export { decodeEventBytes, formatProblems, type Decoded } from './decode.js';
