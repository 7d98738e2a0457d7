import { admissionSpec, clockSetting, clockSpec, dataSpec, loadConfig, projectionSpec, str, type Spec } from '@dvc/config';
import { eventStoreSpec } from '@dvc/eventstore';
import { kafkaSpec } from '@dvc/kafka';
import { createLiveView, type LiveView, type RedisClient } from '@dvc/read-model';
import { redisSpec } from '@dvc/redis';
import type { CliIo } from './io.js';

/** Every setting the CLI reads from the environment: the services' own shared specs. */
export const cliSpec = {
  ...kafkaSpec,
  ...redisSpec,
  ...eventStoreSpec,
  ...dataSpec,
  ...projectionSpec,
  ...clockSpec,
  ...admissionSpec,
  ARCHIVER_GROUP: str('Kafka consumer group of the archiver (a rebuild waits for it to reach the topic end after switching)', 'dvc-archiver'),
} satisfies Spec;

export type CliConfig = ReturnType<typeof loadConfig<typeof cliSpec>>;

/**
 * The configuration from the environment with flags laid over it: a flag given on the command
 * line wins over the variable of the same setting. Throws ConfigError naming every bad value
 * (and CLOCK_AS_OF with CLOCK=event).
 */
export function cliConfig(env: Record<string, string | undefined>, overrides: Partial<Record<keyof typeof cliSpec, string | undefined>> = {}): CliConfig {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) merged[name] = value;
  const config = loadConfig(cliSpec, merged);
  clockSetting(config);
  return config;
}

/**
 * What every command reads "live" and "now" from, as the exporter and notifier do: the namespace
 * `<REDIS_NAMESPACE>:active` names and the clock of CLOCK / CLOCK_AS_OF.
 */
export function cliLiveView(config: CliConfig, redis: RedisClient, io: CliIo): LiveView {
  return createLiveView({ redis, base: config.REDIS_NAMESPACE, clock: clockSetting(config), wall: io.now });
}
