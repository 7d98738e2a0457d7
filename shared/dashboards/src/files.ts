import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboard } from './builders.js';
import { allDashboards } from './dashboards.js';
import { thresholdsFrom, type TargetsFile } from './targets.js';

/** The repository root, found from this package's location (src/ or dist/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TARGETS_FILE = join(REPO_ROOT, 'infra', 'data', 'targets.json');
export const DASHBOARDS_DIR = join(REPO_ROOT, 'infra', 'grafana', 'dashboards');

/** File name (under infra/grafana/dashboards) of each dashboard uid. */
export const FILE_NAMES: Readonly<Record<string, string>> = {
  'dvc-province-overview': 'province-overview.json',
  'dvc-unit-drilldown': 'unit-drilldown.json',
  'dvc-pipeline-health': 'pipeline-health.json',
};

export function readTargets(path: string = TARGETS_FILE): TargetsFile {
  return JSON.parse(readFileSync(path, 'utf8')) as TargetsFile;
}

/** The dashboards built with the thresholds of the targets file. */
export function buildDashboards(targets: TargetsFile = readTargets()) {
  return allDashboards(thresholdsFrom(targets));
}

/** File name → JSON text (2-space indented, trailing newline) of every dashboard. */
export function generateFiles(targets: TargetsFile = readTargets()): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of buildDashboards(targets)) {
    const name = FILE_NAMES[spec.uid];
    if (name === undefined) throw new Error(`no file name for dashboard ${spec.uid}`);
    out.set(name, `${JSON.stringify(renderDashboard(spec), null, 2)}\n`);
  }
  return out;
}
