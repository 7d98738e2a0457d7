import { DvcError } from '@dvc/domain';
import type { ProgressBar } from './progress.js';

/** URL or URL/v1/events → the ingest's events endpoint. */
export function eventsEndpoint(ingest: string): string {
  return /\/v1\/events\/?$/.test(ingest) ? ingest : `${ingest.replace(/\/$/, '')}/v1/events`;
}

/** Thrown when the ingest refuses a batch: its status and the start of its answer. */
export class IngestRefusedError extends DvcError {
  readonly code = 'DVC_INGEST_REFUSED';
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`ingest answered ${status}: ${body.slice(0, 2000)}`);
  }
}

/** Where the sample and the demo take their producer key from: the environment, never a flag (command lines are visible to every user of the machine). */
export const PRODUCER_KEY_VARIABLE = 'INGEST_KEY';

/**
 * POSTs events to the ingest as application/cloudevents-batch+json in batches of `batchSize`,
 * with the producer key (`Authorization: Bearer <key>`), halving a batch the ingest finds too
 * large (413); resolves once every event was accepted (202).
 */
export async function postEvents(ingest: string, key: string, events: readonly unknown[], batchSize: number, bar?: ProgressBar): Promise<void> {
  const url = eventsEndpoint(ingest);
  const headers = { 'content-type': 'application/cloudevents-batch+json', authorization: `Bearer ${key}` };
  const post = async (slice: readonly unknown[]): Promise<void> => {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(slice) });
    if (res.status === 413 && slice.length > 1) {
      const half = Math.ceil(slice.length / 2);
      await post(slice.slice(0, half));
      await post(slice.slice(half));
      return;
    }
    if (res.status !== 202) throw new IngestRefusedError(res.status, await res.text());
    bar?.tick(slice.length);
  };
  for (let i = 0; i < events.length; i += batchSize) await post(events.slice(i, i + batchSize));
}
