import { Counter, type Registry } from 'prom-client';
import { ConfigError, str, type Logger } from '@dvc/config';
import { KeysFileError, watchedKeysFile } from '@dvc/keys';
import { producerGate, type ProducerGate } from './producers.js';

/** The setting of every consumer of the events topic that checks who wrote each message. */
export const producerKeysSpec = {
  PRODUCER_KEYS_FILE: str(
    'keys file (the @dvc/keys store, managed with `dvc keys`) whose keys of the role producer may write the events topic: a message without a known producer key id in its header dvc-producer-key is dead-lettered `unauthenticated`, one outside the key\'s units or types `forbidden`; reloaded when it changes. Empty: producers are not checked',
    '',
  ),
};

/**
 * The producer gate of PRODUCER_KEYS_FILE, or undefined when it is empty (logged as a warning: any
 * producer that reaches the topic is accepted). The file is reloaded when it changes (checked at
 * most once a second); an invalid change keeps the previous keys (`dvc_producer_keys_reloads_total`).
 */
export function producerGateFromFile(file: string, options: { logger: Logger; registry: Registry; now: () => number }): ProducerGate | undefined {
  if (file === '') {
    options.logger.warn('PRODUCER_KEYS_FILE is empty: the producers of the events topic are not checked');
    return undefined;
  }
  const reloads = new Counter({
    name: 'dvc_producer_keys_reloads_total',
    help: 'Reloads of the producer keys file after it changed, by outcome (ok, invalid: previous keys kept)',
    labelNames: ['outcome'],
    registers: [options.registry],
  });
  try {
    const keys = watchedKeysFile(file, {
      now: options.now,
      checkIntervalMs: 1000,
      onReload: (count) => {
        reloads.inc({ outcome: 'ok' });
        options.logger.info({ file, keys: count }, 'producer keys file reloaded');
      },
      onError: (error) => {
        reloads.inc({ outcome: 'invalid' });
        options.logger.error({ file: error.file, problems: error.problems }, 'producer keys file changed but is invalid; previous keys kept');
      },
    });
    options.logger.info({ file, keys: keys.current().size }, 'producers checked against the keys file');
    return producerGate((id) => keys.current().byId(id));
  } catch (error) {
    if (error instanceof KeysFileError) throw new ConfigError([`PRODUCER_KEYS_FILE: ${error.message}`]);
    throw error;
  }
}
