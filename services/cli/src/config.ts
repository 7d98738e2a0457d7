import { admissionSpec, dataSpec, loadConfig, oneOf, projectionSpec, str, type Spec } from '@dvc/config';
import { eventStoreSpec } from '@dvc/eventstore';
import { kafkaSpec } from '@dvc/kafka';
import { redisSpec } from '@dvc/redis';

/** Every setting the CLI reads from the environment: the services' own shared specs. */
export const cliSpec = {
  ...kafkaSpec,
  ...redisSpec,
  ...eventStoreSpec,
  ...dataSpec,
  ...projectionSpec,
  ...admissionSpec,
  ARCHIVER_GROUP: str('Kafka consumer group of the archiver (a rebuild waits for it to reach the topic end after switching)', 'dvc-archiver'),
  CLOCK: oneOf('clock of the series compared by a rebuild: wall (now) or event (latest event time), as the exporter runs', 'wall', ['wall', 'event'] as const),
} satisfies Spec;

export type CliConfig = ReturnType<typeof loadConfig<typeof cliSpec>>;

/**
 * The configuration from the environment with flags laid over it: a flag given on the command
 * line wins over the variable of the same setting. Throws ConfigError naming every bad value.
 */
export function cliConfig(env: Record<string, string | undefined>, overrides: Partial<Record<keyof typeof cliSpec, string | undefined>> = {}): CliConfig {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) merged[name] = value;
  return loadConfig(cliSpec, merged);
}
