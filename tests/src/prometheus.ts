import { mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ActiveAlert } from '@dvc/metrics';
import { spawnPrometheus } from '@dvc/testing';
import { freePort, REPO_ROOT } from './stack.js';

export type { ActiveAlert };

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
  /** The rule groups (`GET /api/v1/rules`): whether each records, and when its last evaluation started and how long it took. */
  ruleGroups(): Promise<RuleGroupState[]>;
  /**
   * Resolves once `rounds` rounds of rule evaluation have passed after `sinceMs` (nextRoundEnd),
   * with the groups as the last round left them; fails naming the groups still behind after `timeoutMs`.
   */
  evaluationRounds(rounds: number, sinceMs: number, timeoutMs?: number): Promise<RuleGroupState[]>;
  stop(): Promise<void>;
}

/** A rule group's last evaluation, as `GET /api/v1/rules` reports it (times in ms; startedMs < 0 before the first). */
export interface RuleGroupState {
  name: string;
  /** Whether the group holds a recording rule (its output is another group's input). */
  recording: boolean;
  startedMs: number;
  tookMs: number;
  intervalMs: number;
}

/**
 * How many rounds of rule evaluation a value needs to travel from a scraped series to an alert:
 * one per recording group (each may read the one before, evaluated in its own cycle, at its own
 * offset) and one for the alerting groups. A round (nextRoundStart) is over when every group has
 * started an evaluation after the previous round ended.
 */
export function evaluationChainDepth(groups: readonly RuleGroupState[]): number {
  return groups.filter((g) => g.recording).length + 1;
}

/**
 * Whether a group's last evaluation read the data as it was after `threshold` (ms). An evaluation
 * queries at its scheduled tick, which is up to one interval before the moment it started (a late
 * group catches up from its tick), so it must have started more than an interval after `threshold`.
 */
export function evaluatedAfter(group: RuleGroupState, threshold: number): boolean {
  return group.startedMs - group.intervalMs > threshold;
}

/**
 * When the round of rule evaluation that follows `threshold` (ms) ended: the latest end of the
 * groups' last evaluations, once every group has evaluated after `threshold` (evaluatedAfter);
 * undefined while a group has not.
 */
export function nextRoundEnd(groups: readonly RuleGroupState[], threshold: number): number | undefined {
  if (groups.length === 0 || !groups.every((g) => evaluatedAfter(g, threshold))) return undefined;
  return Math.max(...groups.map((g) => g.startedMs + g.tookMs));
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
  const prometheus = await spawnPrometheus(config, join(dir, 'data'), join(REPO_ROOT, '.run', 'logs', 'tests', `prometheus-${id}.log`));
  const url = prometheus.url;
  const ruleGroups = async (): Promise<RuleGroupState[]> => {
    const data = await api<{
      groups: { name: string; interval: number; rules: { type: string }[]; lastEvaluation: string; evaluationTime: number }[];
    }>(`${url}/api/v1/rules`);
    return data.groups.map((g) => ({
      name: g.name,
      recording: g.rules.some((r) => r.type === 'recording'),
      startedMs: Date.parse(g.lastEvaluation),
      tookMs: g.evaluationTime * 1000,
      intervalMs: g.interval * 1000,
    }));
  };
  return {
    url,
    registerExporter(testId, exporterPort) {
      // Written aside and renamed into place (Prometheus reads only *.json): it never reads half a file.
      const aside = join(targetsDir, `.${testId}.json.tmp`);
      writeFileSync(aside, JSON.stringify([{ targets: [`127.0.0.1:${exporterPort}`], labels: { job: 'dvc-exporter', test_id: testId } }]));
      renameSync(aside, join(targetsDir, `${testId}.json`));
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
    ruleGroups,
    async evaluationRounds(rounds, sinceMs, timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      let threshold = sinceMs;
      let groups: RuleGroupState[] = [];
      for (let round = 1; round <= rounds;) {
        groups = await ruleGroups();
        const end = nextRoundEnd(groups, threshold);
        if (end !== undefined) {
          threshold = end;
          round++;
          continue;
        }
        if (Date.now() > deadline) {
          const behind = groups.filter((g) => !evaluatedAfter(g, threshold)).map((g) => g.name);
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for rule evaluation round ${round} of ${rounds} after ${new Date(threshold).toISOString()}; groups behind: ${behind.join(', ') || 'none listed'}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return groups;
    },
    async stop() {
      await prometheus.stop();
      rmSync(dir, { recursive: true, force: true });
      // The test's folder goes too, unless the test keeps other files in it.
      try {
        rmdirSync(dirname(dir));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'ENOENT') throw error;
      }
    },
  };
}
