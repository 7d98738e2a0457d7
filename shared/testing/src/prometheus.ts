import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from './spawn.js';
import { waitFor } from './wait.js';

/** A `prometheus` process started by a test. */
export interface PrometheusProcess {
  url: string;
  /** Asks it to read its configuration and rule files again (SIGHUP), as an operator's reload does. */
  reload(): void;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the real `prometheus` program on PATH (as the stack runs it) with `config`, its data
 * under `dataDir` and its output in `logFile`, on a free port; resolves once it is ready.
 */
export async function spawnPrometheus(config: string, dataDir: string, logFile: string): Promise<PrometheusProcess> {
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const port = await freePort();
  const log = createWriteStream(logFile);
  const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let ended = false;
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      ended = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      log.write(`prometheus could not be started: ${error.message}\n`);
      done();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (ended) throw new Error(`prometheus exited during start-up (is it on PATH?); see ${logFile}`);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    },
    { timeoutMs: 60_000, description: 'private Prometheus /-/ready' },
  );
  return {
    url,
    reload: () => {
      if (!ended) child.kill('SIGHUP');
    },
    stop: async () => {
      if (!ended) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An alert a test wants firing: its rule name, labels and annotations. */
export interface FiringAlert {
  alert: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A Prometheus of a test's own whose firing alerts the test sets. */
export interface FiringPrometheus extends PrometheusProcess {
  /** Replaces the alerts its rules fire (rule files reloaded); resolves once Prometheus holds exactly these. */
  fire(alerts: readonly FiringAlert[]): Promise<void>;
}

/**
 * A Prometheus of a test's own whose rules fire `alerts` from their first evaluation (each rule's
 * expression is `vector(1)`, evaluated every second) and that scrapes nothing, its files under
 * `dir`: for alerts a test needs firing without touching the shared stack's Prometheus, whose
 * alerts every other test reads. `fire` changes them while it runs.
 */
export async function startFiringPrometheus(dir: string, alerts: readonly FiringAlert[]): Promise<FiringPrometheus> {
  mkdirSync(dir, { recursive: true });
  const rulesFile = join(dir, 'rules.yml');
  // JSON is YAML: the labels and annotations are written as flow mappings, quoted as JSON quotes them.
  const writeRules = (firing: readonly FiringAlert[]) =>
    writeFileSync(
      rulesFile,
      `groups:\n  - name: firing\n    rules:${firing.length === 0 ? ' []' : ''}\n${firing
        .map(
          (a) =>
            `      - alert: ${a.alert}\n        expr: vector(1)\n        labels: ${JSON.stringify(a.labels)}\n        annotations: ${JSON.stringify(a.annotations)}\n`,
        )
        .join('')}`,
    );
  writeRules(alerts);
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 1s\nrule_files:\n  - ${rulesFile}\n`);
  const prometheus = await spawnPrometheus(join(dir, 'prometheus.yml'), join(dir, 'data'), join(dir, 'prometheus.log'));
  return {
    ...prometheus,
    fire: async (firing) => {
      writeRules(firing);
      prometheus.reload();
      const wanted = firing
        .map((a) => a.alert)
        .sort()
        .join(',');
      await waitFor(
        async () => {
          const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as {
            data: { alerts: { labels: { alertname: string }; state: string }[] };
          };
          const held = body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
          return held.length === body.data.alerts.length && held.sort().join(',') === wanted ? true : undefined;
        },
        { timeoutMs: 30_000, description: `private Prometheus firing exactly [${wanted}]` },
      );
    },
  };
}
