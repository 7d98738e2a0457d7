// produceAll's producer (./stack.ts), run as a worker thread: node loads it itself (type
// stripping), outside jest's VM context, where kafkajs's encoding (BigInt and Buffer, global
// lookups for every record) costs several times its CPU.
import { setTimeout as delay } from 'node:timers/promises';
import { workerData } from 'node:worker_threads';
import { testKafka } from '@dvc/kafka/testing';

/** What produceAll hands over: the messages as keys and JSON values, in order. */
export interface ProduceJob {
  brokers: string[];
  clientId: string;
  topic: string;
  keys: string[];
  values: string[];
  headers: Record<string, string>;
  /** Messages a request. */
  chunk: number;
  /** Pause after each request, in ms (0: none). */
  gapMs: number;
}

const { brokers, clientId, topic, keys, values, headers, chunk, gapMs } = workerData as ProduceJob;
const producer = testKafka(clientId, brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
try {
  for (let i = 0; i < keys.length; i += chunk) {
    await producer.send({
      topic,
      acks: -1,
      messages: keys.slice(i, i + chunk).map((key, j) => ({ key, value: values[i + j]!, headers })),
    });
    if (gapMs > 0) await delay(gapMs);
  }
} finally {
  await producer.disconnect();
}
