import { waitFor } from '@dvc/testing';
import { refuseForeignStack, startService } from '../stack.js';
import {
  PostGate,
  SCALE,
  expectExact,
  faultFixture,
  faultPoints,
  postStream,
  privateBroker,
  waitForAccepted,
  type PostStats,
  type PrivateBroker,
} from './harness.js';

/**
 * The Kafka broker restarted mid-stream (a private broker of this test: the shared one is never
 * touched) while clients post through the ingest and retry on 503: the ingest, the projector
 * and the clients come through it, and every number on the exporter is exactly the reference's.
 */
describe('fault suite: Kafka broker restarted mid-stream', () => {
  // The private broker is run by this checkout's scripts/stack.sh, in a folder under the run folder
  // and with the Kafka jars of this checkout's .run: only from the checkout that runs the stack.
  refuseForeignStack([]);
  let broker: PrivateBroker | undefined;
  const { id, seed, processes, ready } = faultFixture('sysb', {
    dossiers: 6_000 * SCALE,
    projector: true,
    setUp: async (name: string) => {
      broker = await privateBroker(name);
      await broker.start();
      return broker.brokers;
    },
    tearDown: async () => broker?.remove(),
  });

  it('keeps every number exact through a broker stop and start', async () => {
    const { scenario, exporter, rand } = ready();
    const ingest = await startService('ingest', scenario.env, 'INGEST_PORT');
    processes.push(ingest);
    const stats: PostStats = { batches: 0, retries: 0, accepted: 0 };
    const points = faultPoints(scenario.history.events.length, SCALE, rand);
    console.log(
      `${id}: seed ${seed}, broker ${broker?.brokers}, ${scenario.history.events.length} events (${scenario.history.unique} distinct), restart after ${points.join(', ')} accepted`,
    );
    const gate = new PostGate();
    const clients = postStream(scenario, () => ingest.url, { clients: 2, batch: 250, stats, gate });
    for (const point of points) {
      await waitForAccepted(scenario, stats, point);
      // The clients wait while the broker stops (a controlled shutdown takes seconds, in which fast
      // clients could send every remaining event): the outage then meets a stream still flowing.
      gate.close();
      const before = stats.retries;
      try {
        await (broker as PrivateBroker).stop();
      } finally {
        gate.open();
      }
      // Clients are refused (503) while the broker is away: it stays away until one was (the
      // ingest's producer retries for about 2 s, so a shorter outage may never reach a client),
      // and a little longer; then it comes back on the same data.
      await waitFor(() => (stats.retries > before ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 20,
        description: `a client refused while the broker of ${id} is stopped`,
      });
      // Away longer than kafkajs's own retries (4 attempts, 200 ms growing to 3 s): the projector's
      // consumer crashes. kafkajs restarts it, or gives up (once seen in CI: "Failed to find group
      // coordinator"), and then the batch consumer restarts it (dvc_consumer_restarts_total);
      // before, a consumer kafkajs gave up on consumed nothing more and this spec timed out.
      await new Promise((resolve) => setTimeout(resolve, 15_000 + Math.floor(rand() * 1000)));
      await (broker as PrivateBroker).start();
      console.log(`${id}: broker restarted, ${stats.retries - before} attempts retried meanwhile`);
    }
    await clients;
    expect(stats.retries).toBeGreaterThan(0);
    const done = await expectExact(scenario, exporter);
    const projector = processes.find((p) => p.name === 'projector');
    const restarts =
      projector === undefined
        ? 'no projector'
        : (await (await fetch(`${projector.url}/metrics`)).text()).match(/^dvc_consumer_restarts_total\{[^}]*\} (\d+)/m)?.[1];
    console.log(`${id}: consumer restarts after a crash kafkajs gave up on: ${restarts}`);
    console.log(
      `${id}: ${stats.batches} batches, ${stats.retries} retried; applied ${done.applied}, duplicates ${done.duplicates} (${scenario.history.resent} resent by the stream, ${done.duplicates - scenario.history.resent} through retries and redelivery)`,
    );
  });
});
