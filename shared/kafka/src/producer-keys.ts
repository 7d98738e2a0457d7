import { Counter, type Registry } from 'prom-client';
import { str, type Logger } from '@dvc/config';
import { DEFAULT_KEYS_FILE, KEYS_RELOADS_HELP, serviceKeysFile } from '@dvc/keys';
import { producerGate, type ProducerGate } from './producers.js';

/** The value of PRODUCER_KEYS_FILE that turns the check off. */
export const PRODUCER_KEYS_OFF = 'off';

/**
 * The setting of every consumer of the events topic that checks who wrote each message. Its
 * default is the keys file the ingest reads by default (INGEST_KEYS_FILE, `DEFAULT_KEYS_FILE` of
 * @dvc/keys), so the producer keys that may post to the ingest are the ones that may write the topic.
 */
export const producerKeysSpec = {
  PRODUCER_KEYS_FILE: str(
    `keys file (the @dvc/keys store, managed with \`dvc keys\`) whose keys of the role producer may write the events topic: a message without a known producer key id in its header dvc-producer-key is dead-lettered \`unauthenticated\`, one outside the key's units or types \`forbidden\`; reloaded when it changes; the service does not start when it is missing or invalid. \`${PRODUCER_KEYS_OFF}\`: producers are not checked (a warning at start)`,
    DEFAULT_KEYS_FILE,
  ),
};

/**
 * The producer gate of PRODUCER_KEYS_FILE, or undefined when it is `off` (logged as a warning: any
 * producer that reaches the topic is accepted). The file is reloaded when it changes (checked at
 * most once a second); an invalid change keeps the previous keys (`dvc_producer_keys_reloads_total`).
 */
export function producerGateFromFile(file: string, options: { logger: Logger; registry: Registry; now: () => number }): ProducerGate | undefined {
  if (file === PRODUCER_KEYS_OFF) {
    options.logger.warn(
      `PRODUCER_KEYS_FILE=${PRODUCER_KEYS_OFF}: the producers of the events topic are not checked; any system that can write the topic is accepted`,
    );
    return undefined;
  }
  const reloads = new Counter({ name: 'dvc_producer_keys_reloads_total', help: KEYS_RELOADS_HELP, labelNames: ['outcome'], registers: [options.registry] });
  const keys = serviceKeysFile('PRODUCER_KEYS_FILE', file, {
    logger: options.logger,
    now: options.now,
    reloaded: (outcome) => reloads.inc({ outcome }),
    hint: `create a producer key with \`dvc keys create --role producer\`, or set PRODUCER_KEYS_FILE=${PRODUCER_KEYS_OFF} to accept every producer`,
  });
  options.logger.info({ file, keys: keys.current().size }, 'producers checked against the keys file');
  return producerGate((id) => keys.current().byId(id));
}
