// Appends each jest run's counts to $DVC_TEST_RESULTS_DIR so scripts/test.sh can print one
// closing line for the whole suite ("N passed, N failed, N skipped").
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, basename } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    // The tier from the test path pattern the package script passed (unit, int or e2e).
    const tier = /(?:^|\s)--testPathPatterns[ =](\w+)/.exec(process.argv.join(' '))?.[1] ?? '';
    const skippedTitles = results.testResults.flatMap((file) =>
      file.testResults.filter((t) => t.status === 'pending' || t.status === 'todo').map((t) => t.title),
    );
    const dir = process.env.DVC_TEST_RESULTS_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${basename(this.rootDir)}-${process.pid}-${Date.now()}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        package: basename(this.rootDir),
        node: process.version,
        tier,
        // scripts/e2e-lanes.mjs runs the e2e tier in two jest processes and names each.
        ...(process.env.DVC_TEST_LANE ? { lane: process.env.DVC_TEST_LANE } : {}),
        skippedTitles,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      }),
    );
  }
}
module.exports = SummaryReporter;
