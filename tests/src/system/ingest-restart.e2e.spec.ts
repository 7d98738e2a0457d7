import { startService } from '../stack.js';
import { SCALE, expectExact, faultFixture, faultPoints, postStream, waitForAccepted, type PostStats } from './harness.js';

/**
 * The ingest restarted (SIGTERM, then SIGKILL) while portal clients keep posting and retry on
 * 503 or a lost connection: a batch either fully lands or is sent again, and the projection
 * recognises what landed twice, so every number on the exporter is exactly the reference's.
 */
describe('fault suite: ingest restarted while clients post', () => {
  const { id, seed, processes, ready } = faultFixture('sysi', { dossiers: 8_000 * SCALE, projector: true });

  it('keeps every number exact through ingest restarts', async () => {
    const { scenario, exporter, rand } = ready();
    let ingest = await startService('ingest', scenario.env, 'INGEST_PORT');
    processes.push(ingest);
    const stats: PostStats = { batches: 0, retries: 0, accepted: 0 };
    const signals: NodeJS.Signals[] = [];
    for (let r = 0; r < SCALE; r++) signals.push('SIGTERM', 'SIGKILL');
    const points = faultPoints(scenario.history.events.length, signals.length, rand);
    console.log(
      `${id}: seed ${seed}, ${scenario.history.events.length} events (${scenario.history.unique} distinct), ${signals.map((sig, k) => `${sig}@${points[k]}`).join(', ')} accepted`,
    );
    const clients = postStream(scenario, () => ingest.url, { clients: 3, batch: 250, stats });
    for (const [k, signal] of signals.entries()) {
      await waitForAccepted(scenario, stats, points[k] as number);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 200)));
      await ingest.kill(signal);
      ingest = await startService('ingest', scenario.env, 'INGEST_PORT');
      processes.push(ingest);
    }
    await clients;
    console.log(`${id}: ${stats.batches} batches posted, ${stats.retries} attempts retried`);
    // The clients did see the restarts.
    expect(stats.retries).toBeGreaterThan(0);
    const done = await expectExact(scenario, exporter);
    console.log(
      `${id}: applied ${done.applied}, duplicates ${done.duplicates} (${scenario.history.resent} resent by the stream, ${done.duplicates - scenario.history.resent} landed twice through retries)`,
    );
  });
});
