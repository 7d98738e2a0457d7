import { startService } from '../stack.js';
import { SCALE, expectExact, faultFixture, faultPoints, produceStream, progress, type Fault } from './harness.js';

/**
 * The projector SIGKILLed again and again at random points of a long stream, restarted each
 * time: every number on the exporter is still exactly the reference's.
 */
describe('fault suite: projector SIGKILLed repeatedly mid-stream', () => {
  const { id, seed, processes, ready } = faultFixture('sysk', { dossiers: 12_000 * SCALE, projector: false });

  it('keeps every number exact through repeated SIGKILLs and restarts', async () => {
    const { scenario, exporter, rand } = ready();
    const points = faultPoints(scenario.history.events.length, 4 + SCALE, rand);
    console.log(`${id}: seed ${seed}, ${scenario.history.events.length} events (${scenario.history.unique} distinct), SIGKILL after ${points.join(', ')} sent`);
    let projector = await startService('projector', scenario.env, 'PROJECTOR_PORT');
    processes.push(projector);
    const faults: Fault[] = points.map((at) => ({
      at,
      run: async () => {
        await projector.kill('SIGKILL');
        // Killed mid-stream: whatever it had not committed goes to the next instance again.
        expect((await progress(scenario)).applied).toBeLessThan(scenario.history.unique);
        projector = await startService('projector', scenario.env, 'PROJECTOR_PORT');
        processes.push(projector);
      },
    }));
    const outstanding = await produceStream(scenario, { chunk: 2000, faults, rand });
    console.log(`${id}: records not yet committed at each kill: ${outstanding.join(', ')}`);
    expect(outstanding.length).toBe(points.length);
    expect(outstanding.some((n) => n > 0)).toBe(true);
    const done = await expectExact(scenario, exporter);
    // Duplicates beyond the stream's own resends: batches written but not committed before a kill.
    console.log(
      `${id}: applied ${done.applied}, duplicates ${done.duplicates} (${scenario.history.resent} resent by the stream, ${done.duplicates - scenario.history.resent} redelivered after the kills)`,
    );
  });
});
