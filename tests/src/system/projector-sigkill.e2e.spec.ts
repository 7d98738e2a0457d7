import { uniqueName } from '@dvc/testing';
import { startService, type ServiceProcess } from '../stack.js';
import { SCALE, createScenario, dropScenario, expectExact, faultRng, faultPoint, faultPoints, killAll, produceStream, progress, type Scenario } from './harness.js';

/**
 * The projector SIGKILLed again and again at random points of a long stream, restarted each
 * time: every number on the exporter is still exactly the reference's.
 */
describe('fault suite: projector SIGKILLed repeatedly mid-stream', () => {
  const id = uniqueName('sysk');
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000_000);
  const processes: ServiceProcess[] = [];
  let s: Scenario | undefined;
  let exporter: ServiceProcess;

  beforeAll(async () => {
    s = await createScenario(id, { seed, dossiers: 12_000 * SCALE });
    exporter = await startService('exporter', s.env, 'EXPORTER_PORT');
    processes.push(exporter);
  });

  afterAll(async () => {
    await killAll(processes);
    if (s !== undefined) await dropScenario(s);
  });

  it('keeps every number exact through repeated SIGKILLs and restarts', async () => {
    const scenario = s as Scenario;
    const rand = faultRng(seed);
    const kills = 4 + SCALE;
    const points = faultPoints(scenario.history.unique, kills, rand);
    console.log(`${id}: seed ${seed}, ${scenario.history.events.length} events (${scenario.history.unique} distinct), SIGKILL after ${points.join(', ')} applied`);
    const feeding = produceStream(scenario, { chunk: 1000 });
    for (const point of points) {
      const projector = await startService('projector', scenario.env, 'PROJECTOR_PORT');
      processes.push(projector);
      await faultPoint(scenario, point, rand);
      await projector.kill('SIGKILL');
      // Killed mid-stream: whatever it had not committed goes to the next instance again.
      expect((await progress(scenario)).applied).toBeLessThan(scenario.history.unique);
    }
    processes.push(await startService('projector', scenario.env, 'PROJECTOR_PORT'));
    await feeding;
    const done = await expectExact(scenario, exporter);
    // Duplicates beyond the stream's own resends: batches written but not committed before a kill.
    console.log(`${id}: applied ${done.applied}, duplicates ${done.duplicates} (${scenario.history.resent} resent by the stream, ${done.duplicates - scenario.history.resent} redelivered after the kills)`);
  });
});
