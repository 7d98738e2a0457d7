import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@dvc/testing';
import { freePort, REPO_ROOT } from './stack.js';

/** One active alert of `GET /api/v1/alerts` (pending or firing), annotations expanded. */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

/**
 * A real Prometheus of one test's own: the repository's rule files (infra/prometheus/rules), the
 * configuration template of infra/prometheus/prometheus.yml rendered as scripts/stack.sh renders
 * it, and file-based targets in a folder only this test writes. Every recording-rule series is
 * then computed from this test's exporter alone, including the window-less "now" figures that a
 * shared Prometheus would mix across concurrent tests. Alerts are evaluated (read them with
 * `alerts()`); the Alertmanager address is a free port nobody listens on, so none is sent.
 */
export interface PrivatePrometheus {
  url: string;
  /** Scrapes `port` as job dvc-exporter with the label test_id=`id`. */
  registerExporter(id: string, port: number): void;
  query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  alerts(): Promise<ActiveAlert[]>;
  stop(): Promise<void>;
}

/** The template with every `${NAME}` replaced; fails naming any placeholder left unresolved. */
function renderTemplate(file: string, values: Record<string, string>): string {
  let content = readFileSync(file, 'utf8');
  for (const [name, value] of Object.entries(values)) content = content.split(`\${${name}}`).join(value);
  const left = content.match(/\$\{[A-Z_]+\}/g);
  if (left !== null) throw new Error(`${file}: no value for ${[...new Set(left)].join(', ')}`);
  return content;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; error?: string; data?: T };
  if (body.status !== 'success' || body.data === undefined) throw new Error(`Prometheus ${url}: ${body.error ?? res.status}`);
  return body.data;
}

export async function startPrometheus(id: string, scrapeInterval = '3s'): Promise<PrivatePrometheus> {
  const dir = join(REPO_ROOT, '.run', 'tests', id, 'prometheus');
  const targetsDir = join(dir, 'targets');
  mkdirSync(targetsDir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    renderTemplate(join(REPO_ROOT, 'infra', 'prometheus', 'prometheus.yml'), {
      PROM_SCRAPE_INTERVAL: scrapeInterval,
      ALERTMANAGER_PORT: String(await freePort()),
      RULES_DIR: join(REPO_ROOT, 'infra', 'prometheus', 'rules'),
      TARGETS_DIR: targetsDir,
    }),
  );
  const port = await freePort();
  const logDir = join(REPO_ROOT, '.run', 'logs', 'tests');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `prometheus-${id}.log`);
  const log = createWriteStream(logFile);
  const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
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
    registerExporter(testId, exporterPort) {
      writeFileSync(
        join(targetsDir, `${testId}.json`),
        JSON.stringify([{ targets: [`127.0.0.1:${exporterPort}`], labels: { job: 'dvc-exporter', test_id: testId } }]),
      );
    },
    async query(expr) {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async alerts() {
      return (await api<{ alerts: ActiveAlert[] }>(`${url}/api/v1/alerts`)).alerts;
    },
    async stop() {
      if (!ended) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
