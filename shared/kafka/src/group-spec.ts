import { int, str, type VarSpec } from '@dvc/config';
import { kafkaSpec } from './client.js';
import { producerKeysSpec } from './producer-keys.js';

/** The variables of a consumer group's instances: `<NAME>_GROUP`, `<NAME>_SESSION_TIMEOUT_MS` and `<NAME>_CONCURRENCY`. */
export type ConsumerGroupSpec<N extends string> = Record<`${Uppercase<N>}_GROUP`, VarSpec<string>> &
  Record<`${Uppercase<N>}_SESSION_TIMEOUT_MS`, VarSpec<number>> &
  Record<`${Uppercase<N>}_CONCURRENCY`, VarSpec<number>>;

/** The consumer group settings of the service `name` (the group `dvc-<name>` by default), for createBatchConsumer. */
export function consumerGroupSpec<N extends string>(name: N): ConsumerGroupSpec<N> {
  const prefix = name.toUpperCase();
  return {
    [`${prefix}_GROUP`]: str(`Kafka consumer group of the ${name} instances`, `dvc-${name}`),
    [`${prefix}_SESSION_TIMEOUT_MS`]: int('consumer session timeout: how long a dead instance holds its partitions', 30_000, 6000, 300_000),
    [`${prefix}_CONCURRENCY`]: int('partitions processed concurrently by one instance', 2, 1, 64),
  } as ConsumerGroupSpec<N>;
}

/** The settings of a service `name` that consumes the event topic: brokers and topics, the producer key check, and its consumer group. */
export function eventConsumerSpec<N extends string>(name: N): typeof kafkaSpec & typeof producerKeysSpec & ConsumerGroupSpec<N> {
  return { ...kafkaSpec, ...producerKeysSpec, ...consumerGroupSpec(name) };
}
