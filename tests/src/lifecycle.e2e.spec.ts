import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { uniqueName } from '@dvc/testing';
import { deleteTestTopics, testKafka } from '@dvc/kafka/testing';
import { REPO_ROOT, RUN_DIR, removeEventStore, serviceEnv, stackEnv, testProducerKeysFile, unlinkPrefix } from './stack.js';

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The `msg` of every log line, in order. */
  messages: string[];
  /** The `during` field of the "shutting down" line ('start-up' when the signal came before the service ran). */
  during: unknown;
  /** The log line the service was signalled at. */
  signalledAt: string | undefined;
}

/**
 * Runs a consumer service's built main.js and sends it SIGTERM at the first log line that
 * `when` accepts (its start-up not yet complete); resolves once it has exited.
 */
function stopDuringStartUp(service: 'projector' | 'archiver', env: Record<string, string>, when: (msg: string) => boolean): Promise<Stopped> {
  const logDir = join(RUN_DIR, 'logs', 'tests');
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${service}-${env.REDIS_NAMESPACE}-startup-stop.log`));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'services', service, 'dist', 'main.js')], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log);
  const messages: string[] = [];
  let signalledAt: string | undefined;
  let during: unknown;
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      let record: { msg?: unknown; during?: unknown };
      try {
        record = JSON.parse(line) as { msg?: unknown; during?: unknown };
      } catch {
        continue;
      }
      const msg = String(record.msg ?? '');
      messages.push(msg);
      if (msg === 'shutting down') during = record.during;
      if (signalledAt === undefined && when(msg)) {
        signalledAt = msg;
        child.kill('SIGTERM');
      }
    }
  });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      log.end();
      resolve({ code, signal, messages, during, signalledAt });
    }),
  );
}

/**
 * A consumer service stopped (SIGTERM) before its start-up completed, as a rollout or a
 * supervisor may: it shuts down as when running (exit code 0, "stopped") and leaves its consumer
 * group at once if it had joined, so the group does not wait out the session timeout for a member
 * that is gone. Before the signal handlers were installed first, such a process was killed by the
 * signal, mid-join.
 */
describe('a consumer service stopped (SIGTERM) during its start-up', () => {
  const stack = stackEnv();
  const kafka = testKafka(uniqueName('life'), stack.kafkaBrokers.split(','));
  const redis = new Redis(stack.redisUrl);
  const ids: string[] = [];
  const admin = kafka.admin();

  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const id of ids) {
      const env = serviceEnv(id);
      await deleteTestTopics(kafka, [env.EVENTS_TOPIC!, env.DLQ_TOPIC!]).catch(() => undefined);
      await unlinkPrefix(redis, id);
      await removeEventStore(env.EVENTSTORE_URL!);
    }
    await admin.disconnect();
    redis.disconnect();
  });

  const cases = [
    { service: 'projector', at: 'its first log line', when: () => true },
    { service: 'projector', at: 'joined consumer group', when: (msg: string) => msg === 'joined consumer group' },
    { service: 'archiver', at: 'joined consumer group', when: (msg: string) => msg === 'joined consumer group' },
  ] as const;

  it.each(cases)('$service signalled at "$at": exits 0 after closing, and its group has no member left', async ({ service, at, when }) => {
    const id = uniqueName(`life-${service.slice(0, 4)}`).replace(/[^a-z0-9]/g, '');
    ids.push(id);
    const env = serviceEnv(id);
    const group = service === 'projector' ? env.PROJECTOR_GROUP! : env.ARCHIVER_GROUP!;
    const port = service === 'projector' ? 'PROJECTOR_PORT' : 'ARCHIVER_PORT';
    const stopped = await stopDuringStartUp(service, { ...env, PRODUCER_KEYS_FILE: testProducerKeysFile(), [port]: '0' }, when);
    expect({ signalled: stopped.signalledAt !== undefined, code: stopped.code, signal: stopped.signal }).toEqual({ signalled: true, code: 0, signal: null });
    // The signal handled (not the default kill), the service closed what it had started.
    const shutting = stopped.messages.indexOf('shutting down');
    expect({ shutting: shutting > stopped.messages.indexOf(stopped.signalledAt!), last: stopped.messages.at(-1) }).toEqual({ shutting: true, last: 'stopped' });
    // 'start-up' unless the signal came after the service ran (then the case proves less, and says so).
    const running = stopped.messages.indexOf(`${service} running`);
    if (running === -1 || running > shutting) expect(stopped.during).toBe('start-up');
    else console.log(`${service} signalled at "${at}": the signal came after the start-up completed`);
    console.log(`${service} signalled at "${at}": ${stopped.messages.join(' | ')}`);
    const [described] = (await admin.describeGroups([group])).groups;
    expect({ group, members: described?.members.length }).toEqual({ group, members: 0 });
    if (at === 'joined consumer group') expect(described?.state).toBe('Empty');
  });
});

/**
 * A service whose log reader went away (the pipe its stdout writes to closed: a log shipper
 * restarted, a `| tee` killed, a test runner gone) still stops on SIGTERM. With pino's
 * asynchronous stdout, "stopped" stayed buffered and the exit flush retried the broken pipe for
 * ever: the service never exited and only SIGKILL ended it.
 */
describe('a service whose log reader went away', () => {
  it('still exits 0 on SIGTERM', async () => {
    const id = uniqueName('life-pipe').replace(/[^a-z0-9]/g, '');
    const child = spawn(process.execPath, [join(REPO_ROOT, 'services', 'exporter', 'dist', 'main.js')], {
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', ...serviceEnv(id), EXPORTER_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes('"msg":"exporter listening')) resolve();
      });
      void exited.then(() => reject(new Error(`the exporter exited before running: ${seen.slice(-500)}`)));
    });
    // The reader goes away: every later write of the service fails with EPIPE.
    child.stdout.destroy();
    child.stderr.destroy();
    child.kill('SIGTERM');
    const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref());
    const outcome = await Promise.race([exited, timeout]);
    if (outcome === 'still running') child.kill('SIGKILL');
    expect(outcome).toEqual({ code: 0, signal: null });
  });
});
