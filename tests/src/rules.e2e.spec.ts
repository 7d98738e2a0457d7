import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './stack.js';

/**
 * The Prometheus rules and the Alertmanager config as the real tools see them: promtool checks
 * and unit-tests every rule file, amtool checks the config rendered the way scripts/stack.sh
 * renders it. Needs promtool and amtool on PATH (scripts/stack.sh installs them), nothing running.
 */
const RULES_DIR = join(REPO_ROOT, 'infra', 'prometheus', 'rules');
const RULE_TESTS_DIR = join(REPO_ROOT, 'infra', 'prometheus', 'tests');

const ymlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.yml') && !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name));

interface Run {
  command: string;
  status: number | null;
  output: string;
}

function run(command: string, args: readonly string[]): Run {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { command: [command, ...args].join(' '), status: result.status, output };
}

/** Fails with the tool's whole output, so a broken rule or test case is readable in the report. */
function expectSuccess(r: Run): void {
  if (r.status !== 0) throw new Error(`${r.command}\nexited with ${String(r.status)}:\n${r.output}`);
  expect(r.status).toBe(0);
}

/** Same substitution as render_template in scripts/lib.sh; unresolved placeholders fail. */
function render(template: string, values: Record<string, string>): string {
  let content = readFileSync(template, 'utf8');
  for (const [name, value] of Object.entries(values)) content = content.split(`\${${name}}`).join(value);
  expect(content.match(/\$\{[A-Z_]+\}/g) ?? []).toEqual([]);
  return content;
}

describe('Prometheus rules and Alertmanager config', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dvc-rules-'));
  });

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('promtool check rules accepts every rule file', () => {
    const files = ymlFiles(RULES_DIR);
    expect(files.length).toBeGreaterThan(0);
    expectSuccess(run('promtool', ['check', 'rules', ...files]));
  });

  it('promtool test rules passes every rule unit test', () => {
    const files = ymlFiles(RULE_TESTS_DIR);
    expect(files.length).toBeGreaterThan(0);
    expectSuccess(run('promtool', ['test', 'rules', ...files]));
  });

  it('every alert has a test case where it fires and one where it stays silent', () => {
    const alerts = ymlFiles(RULES_DIR).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s*- alert:\s*(\S+)\s*$/gm)].map((m) => m[1]));
    expect(alerts.length).toBeGreaterThan(0);
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const file of ymlFiles(RULE_TESTS_DIR)) {
      // Each "- alertname: X" entry runs up to the next one (or the next test case).
      const blocks = readFileSync(file, 'utf8')
        .split(/^\s*- alertname:\s*/m)
        .slice(1);
      for (const block of blocks) {
        const name = /^(\S+)/.exec(block)?.[1];
        if (name === undefined) continue;
        if (/exp_alerts:\s*\[\]/.test(block)) silent.add(name);
        else if (/exp_alerts:\s*\n\s*- exp_labels:/.test(block)) fires.add(name);
      }
    }
    expect(alerts.filter((a) => a === undefined || !fires.has(a))).toEqual([]);
    expect(alerts.filter((a) => a === undefined || !silent.has(a))).toEqual([]);
  });

  it("no rule reads Prometheus's own clock: rules compare exported series, so a pinned clock reaches the alerts", () => {
    // time() and timestamp() are the wall clock of the Prometheus server. A rule that needs "now"
    // compares with dvc_exporter_clock_timestamp_seconds, the instant the exporter computed its
    // series at (the wall clock, the event-time watermark or CLOCK_AS_OF). The one exception is
    // about the real date, whatever clock a demo pins: the calendar file must be deployed in time.
    const wallClockAlerts = new Set(['DvcCalendarEnding']);
    const offending = ymlFiles(RULES_DIR).flatMap((f) => {
      let rule = '';
      return readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => {
          const named = /^\s*- (?:alert|record):\s*(\S+)/.exec(line);
          if (named) rule = named[1] ?? '';
          return { where: `${f.slice(RULES_DIR.length + 1)}:${i + 1} (${rule})`, line, rule };
        })
        .filter(({ line, rule: r }) => !wallClockAlerts.has(r) && !line.trimStart().startsWith('#') && /\btime\(\s*\)|\btimestamp\s*\(/.test(line))
        .map(({ where, line }) => `${where}: ${line.trim()}`);
    });
    expect(offending).toEqual([]);
  });

  it('every recording rule is checked by a rule unit test', () => {
    const tests = ymlFiles(RULE_TESTS_DIR)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const records = ymlFiles(RULES_DIR).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s*- record:\s*(\S+)\s*$/gm)].map((m) => m[1] ?? ''));
    expect(records.length).toBeGreaterThan(0);
    expect(records.filter((r) => !tests.includes(r))).toEqual([]);
  });

  it('promtool check config accepts the rendered Prometheus config with these rules', () => {
    const config = join(tmp, 'prometheus.yml');
    writeFileSync(
      config,
      render(join(REPO_ROOT, 'infra', 'prometheus', 'prometheus.yml'), {
        PROM_SCRAPE_INTERVAL: '15s',
        ALERTMANAGER_PORT: '9093',
        RULES_DIR,
        TARGETS_DIR: join(tmp, 'targets'),
      }),
    );
    const r = run('promtool', ['check', 'config', config]);
    expectSuccess(r);
    // The rule_files glob really reached the rule files.
    for (const file of ymlFiles(RULES_DIR)) expect(r.output).toContain(file);
  });

  it('amtool check-config accepts the rendered Alertmanager config', () => {
    const config = join(tmp, 'alertmanager.yml');
    writeFileSync(
      config,
      render(join(REPO_ROOT, 'infra', 'alertmanager', 'alertmanager.yml'), {
        NOTIFIER_PORT: '8090',
        AM_GROUP_WAIT: '1s',
        AM_GROUP_INTERVAL: '5s',
        AM_REPEAT_INTERVAL: '1h',
        NOTIFIER_TOKEN_FILE: join(tmp, 'alertmanager-token'),
      }),
    );
    expectSuccess(run('amtool', ['check-config', config]));
  });
});
