import { startService, type ServiceProcess } from '../stack.js';
import { SCALE, expectExact, faultFixture, faultPoints, produceStream, type Fault } from './harness.js';

/**
 * Three projector instances in one group while members leave (SIGTERM: a clean leave; SIGKILL:
 * the session expires) and join mid-stream, so partitions move while batches are in flight:
 * every number on the exporter is still exactly the reference's.
 */
describe('fault suite: projector group rebalancing mid-stream', () => {
  const { id, seed, processes, ready } = faultFixture('sysr', { dossiers: 12_000 * SCALE, projector: false });

  it('keeps every number exact while members leave and join', async () => {
    const { scenario, exporter, rand } = ready();
    const start = async () => {
      const p = await startService('projector', scenario.env, 'PROJECTOR_PORT');
      processes.push(p);
      return p;
    };
    const members = await Promise.all([start(), start(), start()]);
    // One round: a member leaves cleanly, one joins, one dies, one joins. SOAK repeats it.
    const steps: ('SIGTERM' | 'SIGKILL' | 'join')[] = [];
    for (let r = 0; r < SCALE; r++) steps.push('SIGTERM', 'join', 'SIGKILL', 'join');
    const points = faultPoints(scenario.history.events.length, steps.length, rand);
    console.log(
      `${id}: seed ${seed}, ${scenario.history.events.length} events (${scenario.history.unique} distinct), ${steps.map((step, k) => `${step}@${points[k]}`).join(', ')} sent`,
    );
    const faults: Fault[] = steps.map((step, k) => ({
      at: points[k] as number,
      run: async () => {
        if (step === 'join') {
          members.push(await start());
        } else {
          const leaving = members.splice(Math.floor(rand() * members.length), 1)[0] as ServiceProcess;
          await leaving.kill(step);
        }
      },
    }));
    const outstanding = await produceStream(scenario, { chunk: 2000, faults, rand });
    // The group changed with work outstanding: partitions moved with batches in flight.
    console.log(`${id}: records not yet committed at each change: ${outstanding.join(', ')}`);
    expect(outstanding.length).toBe(steps.length);
    expect(outstanding.some((n) => n > 0)).toBe(true);
    expect(members.length).toBe(3);
    const done = await expectExact(scenario, exporter);
    console.log(
      `${id}: applied ${done.applied}, duplicates ${done.duplicates} (${scenario.history.resent} resent by the stream, ${done.duplicates - scenario.history.resent} redelivered after rebalances)`,
    );
  });
});
