import { Kafka, logLevel, type KafkaConfig, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import { bool, int, list, oneOf, str, type ConfigOf, type Logger } from '@dvc/config';
import { DvcError } from '@dvc/domain';

/** Kafka connection settings every service shares (TLS and SASL included). */
export const kafkaSpec = {
  KAFKA_BROKERS: list('comma-separated Kafka bootstrap brokers host:port', ['127.0.0.1:19092']),
  KAFKA_SSL: bool('connect to Kafka with TLS', false),
  KAFKA_SASL_MECHANISM: oneOf('SASL mechanism, none to disable', 'none', ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const),
  KAFKA_SASL_USERNAME: str('SASL user name (with KAFKA_SASL_MECHANISM)', ''),
  KAFKA_SASL_PASSWORD: str('SASL password (with KAFKA_SASL_MECHANISM); from the environment only', ''),
  EVENTS_TOPIC: str('topic carrying the CloudEvents', 'dvc.events'),
  DLQ_TOPIC: str('dead-letter topic for rejected events', 'dvc.events.dlq'),
  TOPIC_PARTITIONS: int('partitions when the topics are created', 6, 1, 1000),
};

export type KafkaSettings = ConfigOf<typeof kafkaSpec>;

/** A connection to the cluster (admin, producers, consumers): what createKafka returns and every function here takes. */
export type KafkaClient = Kafka;

/** A producer of a KafkaClient (`kafka.producer()`). */
export type KafkaProducer = Producer;

/** Thrown when SASL is asked for without credentials. */
export class KafkaConfigError extends DvcError {
  readonly code = 'DVC_KAFKA_CONFIG';
}

function toPino(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const record = { kafkajs: extra };
      if (level === logLevel.ERROR) logger.error(record, message);
      else if (level === logLevel.WARN) logger.warn(record, message);
      else logger.debug(record, message);
    };
}

export function createKafka(settings: KafkaSettings, clientId: string, logger: Logger): KafkaClient {
  const config: KafkaConfig = {
    clientId,
    brokers: settings.KAFKA_BROKERS,
    ssl: settings.KAFKA_SSL,
    logLevel: logLevel.WARN,
    logCreator: toPino(logger),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 3000 },
  };
  if (settings.KAFKA_SASL_MECHANISM !== 'none') {
    if (settings.KAFKA_SASL_USERNAME === '' || settings.KAFKA_SASL_PASSWORD === '') {
      throw new KafkaConfigError('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SASL_MECHANISM is set');
    }
    config.sasl = {
      mechanism: settings.KAFKA_SASL_MECHANISM,
      username: settings.KAFKA_SASL_USERNAME,
      password: settings.KAFKA_SASL_PASSWORD,
    } as SASLOptions;
  }
  return new Kafka(config);
}

/** Creates the topics when missing (the broker does not auto-create). */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
