// Sums the per-run counts the jest summary reporter wrote and prints the closing line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir || process.argv.includes('--help')) {
  console.log('usage: node scripts/test-summary.mjs RESULTS_DIR\nprints "N passed, N failed, N skipped" for the jest runs recorded there');
  process.exit(dir ? 0 : 2);
}
let passed = 0;
let failed = 0;
let skipped = 0;
const runtimes = new Set();
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
for (const file of files) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  if (r.node) runtimes.add(r.node);
  const label = `${r.package} ${r.tier ?? ''}${r.lane ? ` lane ${r.lane}` : ''}`;
  console.log(`  ${label.padEnd(16)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  for (const title of r.skippedTitles ?? []) console.log(`      skipped: ${title}`);
}
// Every jest process (and the services and CLIs the tests spawn with its process.execPath) ran on these.
console.log(`  runtime          Node.js ${[...runtimes].sort().join(', ') || 'unknown'}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
