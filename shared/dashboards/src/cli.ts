#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS_DIR, generateFiles } from './files.js';

/**
 * Writes the generated dashboards into infra/grafana/dashboards (or the folder given as the
 * first argument). `--check` writes nothing and exits 1 when a committed file differs.
 */
const args = process.argv.slice(2);
const check = args.includes('--check');
const dir = args.find((a) => !a.startsWith('--')) ?? DASHBOARDS_DIR;
let stale = 0;
mkdirSync(dir, { recursive: true });
for (const [name, text] of generateFiles()) {
  const path = join(dir, name);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  if (check) {
    stale += 1;
    process.stderr.write(`${path} is not up to date (run: npm run generate -w @dvc/dashboards)\n`);
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
if (stale > 0) process.exitCode = 1;
