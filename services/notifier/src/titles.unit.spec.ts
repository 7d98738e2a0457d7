import { readdirSync, readFileSync } from 'node:fs';
import { createUnitDirectory } from '@dvc/domain';
import { parseAlertmanagerPayload, type AmPayload } from './alertmanager.js';
import { renderNotice, UNTITLED_ALERT, WORKLIST_ALERTS } from './render.js';

/**
 * Every alert of infra/prometheus/rules has a Vietnamese title (`title_vi`), and the notice of
 * each is titled with it: a recipient never reads an English alert name as the title. The
 * rule files are read line by line (the repository has no YAML parser): `- alert:` starts an
 * alerting rule, `- record:` a recording rule, `title_vi:` is the annotation.
 */

const RULES_DIR = new URL('../../../infra/prometheus/rules/', import.meta.url);

interface AlertRule {
  file: string;
  name: string;
  titles: string[];
}

/** A one-line YAML scalar: double-quoted (JSON-compatible escapes), single-quoted or plain. */
function scalar(raw: string): string {
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) return JSON.parse(raw) as string;
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) return raw.slice(1, -1).replaceAll("''", "'");
  return raw;
}

function alertRules(): AlertRule[] {
  const rules: AlertRule[] = [];
  const files = readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .sort();
  for (const file of files) {
    let current: AlertRule | undefined;
    for (const line of readFileSync(new URL(file, RULES_DIR), 'utf8').split('\n')) {
      const rule = /^\s*- (alert|record):\s*(\S+)\s*$/.exec(line);
      if (rule !== null) {
        current = rule[1] === 'alert' ? { file, name: rule[2] ?? '', titles: [] } : undefined;
        if (current !== undefined) rules.push(current);
        continue;
      }
      const title = /^\s+title_vi:\s*(.*?)\s*$/.exec(line);
      if (title !== null && current !== undefined) current.titles.push(scalar(title[1] ?? ''));
    }
  }
  return rules;
}

/** Every Vietnamese annotation (`*_vi:`, on one line or folded over several) of the rule files: its alert and its text. */
function vietnameseAnnotations(): { alert: string; key: string; text: string }[] {
  const found: { alert: string; key: string; text: string }[] = [];
  for (const file of readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml'))) {
    let alert = '';
    let open: { indent: number; entry: { alert: string; key: string; text: string } } | undefined;
    for (const line of readFileSync(new URL(file, RULES_DIR), 'utf8').split('\n')) {
      const indent = line.length - line.trimStart().length;
      if (open !== undefined && line.trim() !== '' && indent > open.indent) {
        open.entry.text += ` ${line.trim()}`;
        continue;
      }
      open = undefined;
      const rule = /^\s*- alert:\s*(\S+)/.exec(line);
      if (rule !== null) alert = rule[1] ?? '';
      const annotation = /^(\s+)(\w+_vi):\s*(.*?)\s*$/.exec(line);
      if (annotation !== null) {
        const entry = { alert, key: annotation[2] ?? '', text: /^[>|]/.test(annotation[3] ?? '') ? '' : scalar(annotation[3] ?? '') };
        found.push(entry);
        open = { indent: annotation[1]?.length ?? 0, entry };
      }
    }
  }
  return found;
}

const VIETNAMESE = /[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]/i;

const units = createUnitDirectory([{ id: 'bp', name: 'UBND tỉnh Bình Phước', level: 'province', kind: 'province', validFrom: '2020-01-01' }]);
const NOW = Date.parse('2026-11-30T08:15:00Z');

function payload(alerts: { labels: Record<string, string>; annotations: Record<string, string> }[]): AmPayload {
  const common = alerts[0]?.labels ?? {};
  const parsed = parseAlertmanagerPayload({
    version: '4',
    groupKey: `{}:{alertname="${common.alertname ?? ''}"}`,
    status: 'firing',
    receiver: 'dvc-notifier',
    groupLabels: { alertname: common.alertname },
    commonLabels: common,
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: alerts.map((a, i) => ({ status: 'firing', ...a, startsAt: '2026-11-30T07:05:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: `fp${i}` })),
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.payload;
}

const render = (p: AmPayload) => renderNotice({ payload: p, units, worklists: new Map(), dashboardUrl: 'http://grafana.example/d/x', now: NOW });

describe('Vietnamese alert titles', () => {
  const rules = alertRules();

  it('reads the alerting rules of infra/prometheus/rules', () => {
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.map((r) => r.name)).toContain('OverdueRatioAboveTarget');
  });

  it.each(rules.map((r) => [r.name, r] as const))('%s has one title_vi: fixed Vietnamese text on one line, not its alert name', (name, rule) => {
    expect({ alert: name, file: rule.file, titles: rule.titles.length }).toEqual({ alert: name, file: rule.file, titles: 1 });
    const title = rule.titles[0] ?? '';
    expect(title).not.toMatch(/^[>|]/); // a block scalar: write the title on one line
    expect(title).not.toContain('{{'); // no template: the same title for every alert of the rule
    expect(title).toMatch(VIETNAMESE);
    expect(title.toLowerCase()).not.toContain(name.toLowerCase());
  });

  it('names only alerts of the rule files among those whose notices list dossiers, and the overdue share rules carry kpi="overdue_ratio"', () => {
    expect([...WORKLIST_ALERTS.keys()].filter((name) => !rules.some((r) => r.name === name))).toEqual([]);
    const ruleText = readdirSync(RULES_DIR)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => readFileSync(new URL(f, RULES_DIR), 'utf8'))
      .join('\n');
    expect(ruleText).toMatch(/^\s+kpi: overdue_ratio$/m);
  });

  it('gives every alert a different title', () => {
    const titles = rules.map((r) => r.titles[0]);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
  });

  it.each(rules.map((r) => [r.name, r] as const))('titles the notice of %s with its title_vi; the alert name is nowhere in the notice', (name, rule) => {
    const title = rule.titles[0] ?? '';
    const notice = render(payload([{ labels: { alertname: name, severity: 'warning' }, annotations: { title_vi: title } }]));
    expect(notice.subject.endsWith(`: ${title}`)).toBe(true);
    expect(notice.subject).not.toContain(name);
    expect(notice.text).toContain(`\nCẢNH BÁO: ${title}\n`);
    // Issue 12: no English alert names in notices (the alert name is in /v1/notices' alertNames).
    expect(notice.text).not.toContain(name);
  });

  it('titles an alert without title_vi in Vietnamese, and a group of differently titled alerts as several alerts', () => {
    const untitled = render(payload([{ labels: { alertname: 'SomethingElse', severity: 'info' }, annotations: { summary: 'from another rule file' } }]));
    expect(untitled.subject).toBe(`[DVC] CẢNH BÁO: Hệ thống theo dõi: ${UNTITLED_ALERT}`);
    expect(untitled.text).toContain(`\nCẢNH BÁO: ${UNTITLED_ALERT}\n`);
    expect(untitled.text).not.toContain('SomethingElse');
    const mixed = render(
      payload([
        { labels: { alertname: 'ExporterDown', severity: 'critical' }, annotations: { title_vi: 'Dịch vụ xuất số liệu (exporter) không hoạt động' } },
        { labels: { alertname: 'IngestDown', severity: 'critical' }, annotations: { title_vi: 'Dịch vụ tiếp nhận sự kiện (ingest) không hoạt động' } },
      ]),
    );
    expect(mixed.subject).toBe('[DVC] CẢNH BÁO: Hệ thống theo dõi: nhiều cảnh báo');
    expect(mixed.text).toContain('\nCẢNH BÁO: Dịch vụ xuất số liệu (exporter) không hoạt động\n');
    expect(mixed.text).toContain('\nCẢNH BÁO: Dịch vụ tiếp nhận sự kiện (ingest) không hoạt động\n');
  });
});

describe('numbers in the Vietnamese annotations', () => {
  const annotations = vietnameseAnnotations();
  const COMMA = '| reReplaceAll `[.]` `,`';

  it('reads every Vietnamese annotation, folded ones whole', () => {
    const burn = annotations.find((a) => a.alert === 'OverdueBudgetFastBurn' && a.key === 'summary_vi');
    expect(burn?.text).toContain('(ngưỡng 6,72%, gấp 6,72 lần mục tiêu 1%)');
    expect(annotations.length).toBeGreaterThan(40);
  });

  it('write decimals with a comma, as the board does (4,76%): a Vietnamese reader takes 4.762 for four thousand', () => {
    const outsideTemplates = (text: string) => text.replace(/\{\{.*?\}\}/g, '');
    // Fixed text: no decimal point. Printed values: every humanize and humanizePercentage turns its point into a comma.
    const dotted = annotations.filter((a) => /\d\.\d/.test(outsideTemplates(a.text))).map((a) => `${a.alert} ${a.key}`);
    const printed = annotations.flatMap((a) =>
      [...a.text.matchAll(/\|\s*(humanizePercentage|humanize)\b([^}]*)\}\}/g)]
        .filter((m) => !(m[2] ?? '').trim().startsWith(COMMA))
        .map(() => `${a.alert} ${a.key}`),
    );
    expect({ dotted, printed }).toEqual({ dotted: [], printed: [] });
  });
});
