import { uniqueName } from '@dvc/testing';
import { startService, type ServiceProcess } from '../stack.js';
import { SCALE, createScenario, dropScenario, expectExact, faultRng, faultPoints, killAll, postStream, privateBroker, waitForAccepted, type PostStats, type PrivateBroker, type Scenario } from './harness.js';

/**
 * The Kafka broker restarted mid-stream (a private broker of this test: the shared one is never
 * touched) while clients post through the ingest and retry on 503: the ingest, the projector
 * and the clients come through it, and every number on the exporter is exactly the reference's.
 */
describe('fault suite: Kafka broker restarted mid-stream', () => {
  const id = uniqueName('sysb');
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000_000);
  const processes: ServiceProcess[] = [];
  let broker: PrivateBroker | undefined;
  let s: Scenario | undefined;
  let exporter: ServiceProcess;

  beforeAll(async () => {
    broker = await privateBroker(id);
    await broker.start();
    s = await createScenario(id, { seed, dossiers: 6_000 * SCALE }, broker.brokers);
    exporter = await startService('exporter', s.env, 'EXPORTER_PORT');
    processes.push(exporter, await startService('projector', s.env, 'PROJECTOR_PORT'));
  });

  afterAll(async () => {
    await killAll(processes);
    if (s !== undefined) await dropScenario(s);
    await broker?.remove();
  });

  it('keeps every number exact through a broker stop and start', async () => {
    const scenario = s as Scenario;
    const rand = faultRng(seed);
    const ingest = await startService('ingest', scenario.env, 'INGEST_PORT');
    processes.push(ingest);
    const stats: PostStats = { batches: 0, retries: 0, accepted: 0 };
    const points = faultPoints(scenario.history.events.length, SCALE, rand);
    console.log(`${id}: seed ${seed}, broker ${broker?.brokers}, ${scenario.history.events.length} events (${scenario.history.unique} distinct), restart after ${points.join(', ')} accepted`);
    const clients = postStream(scenario, () => ingest.url, { clients: 2, batch: 250, stats });
    for (const point of points) {
      await waitForAccepted(scenario, stats, point);
      const before = stats.retries;
      await (broker as PrivateBroker).stop();
      // Clients are refused (503) while the broker is away; then it comes back on the same data.
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.floor(rand() * 1000)));
      await (broker as PrivateBroker).start();
      console.log(`${id}: broker restarted, ${stats.retries - before} attempts retried meanwhile`);
    }
    await clients;
    expect(stats.retries).toBeGreaterThan(0);
    const done = await expectExact(scenario, exporter);
    console.log(`${id}: ${stats.batches} batches, ${stats.retries} retried; applied ${done.applied}, duplicates ${done.duplicates} (${scenario.history.resent} resent by the stream, ${done.duplicates - scenario.history.resent} through retries and redelivery)`);
  });
});
