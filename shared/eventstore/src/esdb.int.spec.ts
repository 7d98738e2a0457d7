import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbEventStore } from './esdb.js';
import { openEventStore, redactUrl } from './open.js';
import { EventStoreError } from './port.js';
import { contractEvent, describeEsdbSpecifics, describeEventStoreContract } from './testing/index.js';

/**
 * The contract suite and the adapter's specifics against a real EventStoreDB (23.10 or later),
 * when ESDB_CONNECTION_STRING names one; see the README for starting a throwaway node. Every
 * test writes under stream prefixes of its own (this run's id and a counter), so runs and tests
 * on one node never see each other's events; nothing is deleted (use an in-memory node).
 */
const connectionString = process.env.ESDB_CONNECTION_STRING?.trim() ?? '';
const SKIPPED = 'EventStoreDB contract SKIPPED: set ESDB_CONNECTION_STRING=esdb://host:2113?tls=false to run it';

/** A TCP port nothing listens on (just released by the OS). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('EsdbEventStore without a reachable node', () => {
  it('fails reads and appends with a retriable EventStoreError', async () => {
    const store = openEventStore(`esdb://127.0.0.1:${await closedPort()}?tls=false&defaultDeadline=2000`);
    await expect(store.head()).rejects.toMatchObject({ name: 'EventStoreError', retriable: true });
    const refusal = store.append([contractEvent({ id: 'e1' })]);
    await expect(refusal).rejects.toBeInstanceOf(EventStoreError);
    await expect(refusal).rejects.toMatchObject({ retriable: true });
    await store.close();
  });
});

if (connectionString === '') {
  console.warn(SKIPPED);
  describe('EventStore contract: EventStoreDB', () => {
    it.skip(SKIPPED, () => undefined);
  });
} else {
  const run = `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let tests = 0;
  const connect = () => EventStoreDBClient.connectionString(connectionString);

  describeEventStoreContract(`EventStoreDB at ${redactUrl(connectionString)}`, async () => {
    const streamPrefix = `${run}_${++tests}`;
    return {
      gaplessPositions: false,
      open: async () => new EsdbEventStore({ client: connect(), streamPrefix }),
      dispose: async () => undefined,
    };
  });

  describeEsdbSpecifics(`EventStoreDB at ${redactUrl(connectionString)}`, async () => {
    const test = `${run}_${++tests}`;
    return { client: connect, name: (suffix) => `${test}_${suffix}` };
  });
}
