import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ev, postBatch, uniqueName, waitFor } from '@dvc/testing';
import { REPO_ROOT, RUN_DIR, freePort, stackEnv, unlinkPrefix, writeRoleKeys } from './stack.js';

const run = promisify(execFile);

/** Every port a stack is configured with, by variable. */
const PORT_VARIABLES = [
  'KAFKA_PORT',
  'KAFKA_CONTROLLER_PORT',
  'PROMETHEUS_PORT',
  'ALERTMANAGER_PORT',
  'INGEST_PORT',
  'EXPORTER_PORT',
  'PROJECTOR_PORT',
  'ARCHIVER_PORT',
  'NOTIFIER_PORT',
  'REPLAY_PORT',
  'BOARD_PORT',
  // The mail catcher's: not started here (SMTP_URL is set), but a stack's ports are all its own.
  'MAIL_SMTP_PORT',
  'MAIL_WEB_PORT',
] as const;
type Ports = Record<(typeof PORT_VARIABLES)[number], number>;

/** The seven services Prometheus must scrape, by the variable of their port. */
const SERVICE_PORTS = {
  exporter: 'EXPORTER_PORT',
  projector: 'PROJECTOR_PORT',
  ingest: 'INGEST_PORT',
  notifier: 'NOTIFIER_PORT',
  archiver: 'ARCHIVER_PORT',
  'replay-api': 'REPLAY_PORT',
  board: 'BOARD_PORT',
} as const;

/**
 * What the test's own environment may carry about the shared stack (its stack.env loaded, a
 * service's variables): none of it reaches the stacks started here, which get only their own.
 */
const STACK_VARIABLE =
  /^(KAFKA_(?!LIBS_DIR$)|PROM|ALERTMANAGER_|AM_|STACK_RUN_DIR$|REDIS_NAMESPACE$|EVENTS_TOPIC$|DLQ_TOPIC$|PROJECTOR_|ARCHIVER_|EVENTSTORE_URL$|NOTIFIER_|REPLAY_|INGEST_|EXPORTER_|DEMO$|CLOCK|DATA_DIR$|SMTP_URL$|NODE_OPTIONS$|BOARD_|MAIL_|DASHBOARD_URL$)/;

interface Stack {
  name: string;
  dir: string;
  ports: Ports;
  env: Record<string, string>;
  unit: string;
  /** The operator key its notifier's /v1/notices takes (NOTIFIER_KEYS_FILE). */
  operator: string;
  /** `bash scripts/start.sh`, the stack's supervisor. */
  start?: ChildProcess;
  startExit?: Promise<number | null>;
  output: string;
}

/** Alive and not a zombie (a stopped daemon waits to be reaped by init). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return / [^ZX] /.test(stat.slice(stat.lastIndexOf(')') + 1, stat.lastIndexOf(')') + 4));
  } catch {
    return false;
  }
}

/**
 * Whether something listens on 127.0.0.1:`port`. The ports are drawn from the ephemeral range, so
 * with nothing listening the kernel may give the probe that same port as its source and connect the
 * socket to itself (TCP simultaneous open): such a connection is not a listener.
 */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      const self = socket.localPort === port;
      socket.destroy();
      resolve(!self);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Every process of a run folder, by name: its supervisord, its `npm start`, and each process that
 * supervisord runs for it (infra/supervisord.conf), as supervisord reports them.
 */
async function stackPids(stack: Stack): Promise<Map<string, number>> {
  const pidIn = (file: string) => Number(readFileSync(join(stack.dir, file), 'utf8').trim());
  const out = new Map<string, number>([
    ['supervisord', pidIn('supervisor/supervisord.pid')],
    ['npm start', pidIn('services/start.pid')],
  ]);
  // supervisorctl exits 3 when a process of the file is not running (Redis: the shared one is used).
  const { stdout } = await run('supervisorctl', ['-c', join(REPO_ROOT, 'infra', 'supervisord.conf'), 'status'], { env: stack.env }).catch(
    (error: { code?: number; stdout?: string }) => {
      if (error.code !== 3 || error.stdout === undefined) throw error;
      return { stdout: error.stdout };
    },
  );
  for (const [, name, pid] of stdout.matchAll(/^(\S+)\s+RUNNING\s+pid (\d+),/gm)) out.set(name ?? '', Number(pid));
  return out;
}

async function distinctFreePorts(n: number, taken: Set<number>): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = await freePort();
    if (!taken.has(port)) {
      taken.add(port);
      ports.push(port);
    }
  }
  return ports;
}

async function getJson<T>(url: string, key?: string): Promise<T> {
  const res = await fetch(url, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Two complete stacks side by side on this machine, each started by the project's own
 * `scripts/start.sh` in its own run folder (STACK_RUN_DIR) on its own free ports: its own Kafka,
 * Prometheus, Alertmanager and seven services (the ops board among them); both on the shared Redis, each with its own
 * REDIS_NAMESPACE. Neither is the shared stack the other tests use, which is never touched.
 * Each stack gets events for its own unit; each Prometheus must then scrape exactly its own seven
 * services and hold series of its own unit only, with its own exact counts; each Alertmanager
 * posts to its own notifier, whose notices name its own unit only. Then one stack is stopped with
 * `scripts/stop.sh`: nothing of it is left running, a second stop is harmless, the other runs on.
 */
describe('two stacks on one machine: no traffic or data crosses', () => {
  const id = uniqueName('two').replace(/[^a-z0-9]/g, '');
  const base = join(RUN_DIR, 'tests', id);
  const dataDir = join(base, 'data');
  const redis = new Redis(stackEnv().redisUrl);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !STACK_VARIABLE.test(k))) as Record<string, string>;
  // Each stack's unit (added to a copy of the unit directory, valid today) and its dossiers:
  // resolved in the rolling 14-day window, some after their due time.
  const plan = {
    a: { unit: `dn.${id}a`, dossiers: 20, overdue: 5 },
    b: { unit: `dn.${id}b`, dossiers: 24, overdue: 8 },
  };
  const stacks: Record<'a' | 'b', Stack> = {} as Record<'a' | 'b', Stack>;

  /** Runs `bash scripts/start.sh` for the stack, its output collected (and logged beside its run folder). */
  const startStack = (stack: Stack) => {
    const log = createWriteStream(join(stack.dir, '..', `${stack.name}-start.log`));
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'start.sh')], { cwd: REPO_ROOT, env: stack.env, stdio: ['ignore', 'pipe', 'pipe'] });
    stack.start = child;
    stack.startExit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        stack.output += chunk.toString();
        log.write(chunk);
      });
    }
  };

  /** Waits until the stack's start.sh has printed `text`; fails with its output if it exits first. */
  const startedUntil = async (stack: Stack, text: string) => {
    let exited = false;
    void stack.startExit?.then(() => {
      exited = true;
    });
    await waitFor(
      () => {
        if (exited) throw new Error(`start.sh of stack ${stack.name} exited:\n${stack.output.slice(-4000)}`);
        return stack.output.includes(text) ? true : undefined;
      },
      { timeoutMs: 400_000, intervalMs: 500, description: `stack ${stack.name}: ${text}` },
    );
  };

  const stop = (stack: Stack) => run('bash', [join(REPO_ROOT, 'scripts', 'stop.sh')], { cwd: REPO_ROOT, env: stack.env, timeout: 300_000 });

  const prom = async (stack: Stack, query: string) => {
    const body = await getJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
      `http://127.0.0.1:${stack.ports.PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(query)}`,
    );
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  const single = async (stack: Stack, query: string) => {
    const result = await prom(stack, query);
    return result.length === 1 ? result[0]?.value : undefined;
  };
  /**
   * Polls until the query gives the wanted value (a scrape that times out on a busy machine
   * leaves a gap of a few seconds), then compares with a readable message.
   */
  const expectValue = async (stack: Stack, query: string, wanted: unknown, read: (s: Stack, q: string) => Promise<unknown> = single) => {
    let last: unknown;
    await waitFor(
      async () => {
        last = await read(stack, query);
        return JSON.stringify(last) === JSON.stringify(wanted) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, description: `stack ${stack.name}: ${query}` },
    ).catch(() => undefined);
    expect({ stack: stack.name, query, value: last }).toEqual({ stack: stack.name, query, value: wanted });
  };
  const unitsOf = async (stack: Stack, query: string) => (await prom(stack, query)).map((r) => r.metric.unit).sort();

  interface Notice {
    groupKey: string;
    status: string;
    subject: string;
  }
  const notices = async (stack: Stack) =>
    (await getJson<{ notices: Notice[] }>(`http://127.0.0.1:${stack.ports.NOTIFIER_PORT}/v1/notices?limit=500`, stack.operator)).notices;

  beforeAll(async () => {
    mkdirSync(base, { recursive: true });
    cpSync(join(REPO_ROOT, 'infra', 'data'), dataDir, { recursive: true });
    const directory = JSON.parse(readFileSync(join(dataDir, 'units.json'), 'utf8')) as { units: Record<string, unknown>[] };
    for (const [name, p] of Object.entries(plan)) {
      directory.units.push({
        id: p.unit,
        name: `Đơn vị thử nghiệm ${name.toUpperCase()}`,
        level: 'province',
        kind: 'department',
        parent: 'dn',
        validFrom: '2025-07-01',
      });
    }
    writeFileSync(join(dataDir, 'units.json'), JSON.stringify(directory, null, 2));

    const taken = new Set<number>();
    for (const name of ['a', 'b'] as const) {
      const values = await distinctFreePorts(PORT_VARIABLES.length + 1, taken);
      const ports = Object.fromEntries(PORT_VARIABLES.map((v, i) => [v, values[i]])) as Ports;
      const dir = join(base, name);
      const operatorKeys = join(dir, 'operator-keys.json');
      const { operator } = writeRoleKeys(operatorKeys, `${id}-${name}`, ['operator']);
      stacks[name] = {
        name,
        dir,
        ports,
        unit: plan[name].unit,
        operator: operator!,
        output: '',
        env: {
          ...inherited,
          ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
          STACK_RUN_DIR: dir,
          NOTIFIER_KEYS_FILE: operatorKeys,
          REDIS_URL: stackEnv().redisUrl,
          REDIS_NAMESPACE: `${id}-${name}`,
          DATA_DIR: dataDir,
          DEMO: 'none',
          TOPIC_PARTITIONS: '2',
          PROM_SCRAPE_INTERVAL: '1s',
          KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
          PROJECTOR_NODE_FLAGS: '',
          // Nothing listens there: the notices stay pending in the outbox, which is what is read.
          SMTP_URL: `smtp://127.0.0.1:${values[PORT_VARIABLES.length]}`,
          NODE_OPTIONS: '',
        },
      };
    }
    // Both run the same setup first (npm ci check, turbo build) and, on a fresh clone, fetch the
    // same Kafka jars into the checkout: b starts once a is past them (its Kafka starting), and
    // then both come up side by side.
    startStack(stacks.a);
    await startedUntil(stacks.a, 'kafka: starting');
    startStack(stacks.b);
    await Promise.all([startedUntil(stacks.a, 'dvc is running'), startedUntil(stacks.b, 'dvc is running')]);
  }, 900_000);

  afterAll(async () => {
    for (const stack of Object.values(stacks)) {
      await stop(stack).catch((error: unknown) => console.error(`stop.sh of stack ${stack.name}: ${String(error)}`));
      if (stack.start !== undefined && stack.start.exitCode === null) stack.start.kill('SIGKILL');
    }
    for (const name of ['a', 'b']) await unlinkPrefix(redis, `${id}-${name}:`);
    redis.disconnect();
    rmSync(base, { recursive: true, force: true });
  }, 700_000);

  it('each stack counts only the events sent to it, for its own unit', async () => {
    const now = Date.now();
    const at = (hoursAgo: number) => new Date(now - hoursAgo * 3_600_000).toISOString();
    for (const [name, p] of Object.entries(plan) as ['a' | 'b', (typeof plan)['a']][]) {
      const events = Array.from({ length: p.dossiers }, (_, i) => {
        const dossier = `${id}-${name}-${i}`;
        // Received 8 days ago; the overdue ones were due an hour later, the others are due in 5 days.
        return [
          ev.received(p.unit, dossier, at(192 - i), 'online', { dueAt: i < p.overdue ? at(191 - i) : at(-120) }),
          ev.resolved(p.unit, dossier, at(48 - i), true),
        ];
      }).flat();
      // The producer key npm start made for this stack (its sample used it too).
      const key = readFileSync(join(stacks[name].dir, 'ingest', 'producer-key'), 'utf8').trim();
      expect((await postBatch(`http://127.0.0.1:${stacks[name].ports.INGEST_PORT}`, events, key)).status).toBe(202);
    }
    for (const [name, p] of Object.entries(plan) as ['a' | 'b', (typeof plan)['a']][]) {
      const stack = stacks[name];
      await expectValue(stack, 'sum(dvc_dossiers_resolved{window="14d"})', p.dossiers);
      await expectValue(stack, 'sum(dvc_dossiers_received{window="14d"})', p.dossiers);
      await expectValue(stack, 'sum(dvc_dossiers_resolved{window="14d", timeliness="overdue"})', p.overdue);
      await expectValue(stack, 'sum(dvc_ingest_events_total{outcome="accepted"})', 2 * p.dossiers);
      await expectValue(stack, 'sum(dvc_projector_events_applied_total)', 2 * p.dossiers);
      await expectValue(stack, 'sum(dvc_archiver_events_appended_total)', 2 * p.dossiers);
      // Every series of the stack's Prometheus that names a unit names its own unit.
      await expectValue(stack, 'count by (unit) ({__name__=~"dvc_.+", unit!=""})', [p.unit], unitsOf);
      // And in Redis, each namespace holds its own unit only.
      expect(await redis.smembers(`${id}-${name}:units`)).toEqual([p.unit]);
    }
  }, 600_000);

  it('each Prometheus scrapes exactly its own seven services and alerts its own Alertmanager, which posts to its own notifier', async () => {
    for (const stack of Object.values(stacks)) {
      const targets = async () =>
        (
          await getJson<{ data: { activeTargets: { scrapeUrl: string; health: string; labels: Record<string, string> }[] } }>(
            `http://127.0.0.1:${stack.ports.PROMETHEUS_PORT}/api/v1/targets?state=active`,
          )
        ).data.activeTargets
          .map((t) => `${t.labels.service} ${t.scrapeUrl} ${t.health}`)
          .sort();
      const wanted = Object.entries(SERVICE_PORTS)
        .map(([service, variable]) => `${service} http://127.0.0.1:${stack.ports[variable]}/metrics up`)
        .sort();
      await expectValue(stack, 'targets', wanted, targets);
      const managers = await getJson<{ data: { activeAlertmanagers: { url: string }[] } }>(
        `http://127.0.0.1:${stack.ports.PROMETHEUS_PORT}/api/v1/alertmanagers`,
      );
      expect(managers.data.activeAlertmanagers.map((m) => m.url)).toEqual([`http://127.0.0.1:${stack.ports.ALERTMANAGER_PORT}/api/v2/alerts`]);
      const status = await getJson<{ config: { original: string } }>(`http://127.0.0.1:${stack.ports.ALERTMANAGER_PORT}/api/v2/status`);
      // Every URL the Alertmanager can post to (its built-in integrations' defaults are `<name>_url`).
      expect([...status.config.original.matchAll(/\surl: (\S+)/g)].map((m) => m[1])).toEqual([`http://127.0.0.1:${stack.ports.NOTIFIER_PORT}/v1/alertmanager`]);
    }
  }, 600_000);

  it("each stack's alerts and notices concern its own unit only", async () => {
    // The overdue share of each unit is far above its 1 % target: OverdueRatioAboveTarget fires after its `for: 1m`.
    for (const stack of Object.values(stacks)) {
      await waitFor(async () => ((await notices(stack)).some((n) => n.status === 'firing' && n.groupKey.includes(`unit="${stack.unit}"`)) ? true : undefined), {
        timeoutMs: 240_000,
        intervalMs: 2000,
        description: `stack ${stack.name}: a notice about ${stack.unit}`,
      });
    }
    for (const stack of Object.values(stacks)) {
      const other = stack.name === 'a' ? stacks.b : stacks.a;
      const alerts = await prom(stack, 'ALERTS');
      expect([...new Set(alerts.map((a) => a.metric.unit).filter((u) => u !== undefined))]).toEqual([stack.unit]);
      expect(alerts.filter((a) => a.metric.severity === 'critical' && a.metric.kpi === undefined)).toEqual([]);
      const text = JSON.stringify(await notices(stack));
      expect(text).toContain(stack.unit);
      expect(text).not.toContain(other.unit);
      expect(text).not.toContain(`Đơn vị thử nghiệm ${other.name.toUpperCase()}`);
    }
  }, 600_000);

  it('a service its operator stops by hand leaves the stack running, said once, and starts again; the stack still supervises it', async () => {
    const { b } = stacks;
    const stackSh = (...args: string[]) => run('bash', [join(REPO_ROOT, 'scripts', 'stack.sh'), ...args], { cwd: REPO_ROOT, env: b.env, timeout: 120_000 });
    await stackSh('stop', 'board');
    // start.sh's supervising loop says so (instead of stopping the whole stack, as it does for a crash).
    await startedUntil(b, 'board was stopped by hand; the rest runs on.');
    expect(await portOpen(b.ports.BOARD_PORT)).toBe(false);
    await stackSh('start', 'board');
    await waitFor(async () => ((await portOpen(b.ports.BOARD_PORT)) ? true : undefined), { timeoutMs: 60_000, description: 'stack b: board back' });
    expect(b.start?.exitCode).toBeNull();
    expect(b.output.split('board was stopped by hand').length - 1).toBe(1);
  }, 300_000);

  it('stopping one stack leaves nothing of it running and the other untouched; a second stop is harmless', async () => {
    const { b, a } = stacks;
    const pids = await stackPids(b);
    expect([...pids.keys()].sort()).toEqual(['alertmanager', 'kafka', 'npm start', 'prometheus', 'supervisord', ...Object.keys(SERVICE_PORTS)].sort());
    expect([...pids.values()].filter((pid) => !alive(pid))).toEqual([]);

    await stop(b);
    expect(await b.startExit).toBe(0);
    expect([...pids.entries()].filter(([, pid]) => alive(pid))).toEqual([]);
    const open = [];
    for (const variable of PORT_VARIABLES) if (await portOpen(b.ports[variable])) open.push(variable);
    expect(open).toEqual([]);
    const again = await stop(b);
    expect(again.stderr).toContain('nothing left to stop');

    // The other stack runs on: all its targets up, its numbers unchanged.
    expect(a.start?.exitCode).toBeNull();
    const services = Object.keys(SERVICE_PORTS).length;
    await waitFor(async () => ((await single(a, 'sum(up)')) === services ? true : undefined), {
      timeoutMs: 30_000,
      description: `stack a: ${services} targets up`,
    });
    expect(await single(a, 'sum(dvc_dossiers_resolved{window="14d"})')).toBe(plan.a.dossiers);
  }, 600_000);
});
