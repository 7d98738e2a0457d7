export { createKafka, ensureTopics, kafkaSpec, KafkaConfigError, type KafkaSettings } from './client.js';
export { TransactionalPublisher, PublishError, requestChunks } from './publisher.js';
export { DeadLetterPublisher, DLQ_HEADERS, DLQ_CODES, type DeadLetter, type DlqCode } from './dead-letter.js';
export { consumerLag, watchLag, type LagWatch } from './lag.js';
export { decodeEventBytes, admitMessage, formatProblems, type Admitted, type Decoded } from './decode.js';
