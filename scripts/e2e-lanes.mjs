// The end-to-end tier (`npm run test:e2e -w @dvc/tests`, run by npm test) in two jest processes
// side by side. Each runs its specs one at a time (--runInBand).
//
// Lane 2 holds the specs listed in SELF_CONTAINED below. Each of them shares nothing with the
// specs of lane 1 but the broker and the single Redis, where every test has its own topics,
// consumer groups and namespace. None of them registers a scrape target with the stack's
// Prometheus, alerts through its Alertmanager, listens on the notifier port that Alertmanager
// posts to, or touches the Redis Cluster. tests/src/lanes.unit.spec.ts checks that of every
// file listed. Lane 1 holds all the other e2e specs.
//
// Why: these specs mostly wait, on a private stack starting, on an alert's `for:`, or on a
// private broker coming back, so the machine is half idle when they run one after another
// (measured: about 0.9 of 2 cores over npm test). Lane 2 is chosen so that both lanes take about
// as long.
//
// Output: lane 1 writes straight through. Lane 2's output is kept in a file beside the test
// results (DVC_TEST_RESULTS_DIR, else the system's temporary folder) and printed whole when
// lane 1 is done, so the two never interleave. Exit status: 0 only when both lanes pass.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TESTS = join(ROOT, 'tests');

/**
 * Lane 2, paths under tests/src. The order here does not matter: jest runs a lane's longest
 * files first (by their last duration when its cache knows it, otherwise by file size).
 */
export const SELF_CONTAINED = [
  // Two whole `npm start` stacks on their own ports; mostly the wait for their alerts.
  'two-stacks.e2e.spec.ts',
  // A private Prometheus; the browser.
  'board.e2e.spec.ts',
  'archiver.e2e.spec.ts',
  // The fault specs that run their own services (and, for broker-restart, their own broker).
  'system/broker-restart.e2e.spec.ts',
  'system/projector-sigkill.e2e.spec.ts',
  'system/ingest-restart.e2e.spec.ts',
];

/** The jest arguments of each lane: lane 1 every e2e spec but lane 2's, lane 2 only lane 2's. */
export function laneArguments() {
  // Exactly the listed files (jest matches its patterns against absolute paths).
  const pattern = `/src/(${SELF_CONTAINED.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
  return {
    one: ['--runInBand', '--testPathPatterns', 'e2e', '--testPathIgnorePatterns', pattern],
    // Every file but those listed is ignored: a negative look-ahead over the same pattern.
    two: ['--runInBand', '--testPathPatterns', 'e2e', '--testPathIgnorePatterns', `^(?!.*${pattern})`],
  };
}

/**
 * The spec files named among the arguments (as `npm run test:e2e -w @dvc/tests -- src/board.e2e.spec.ts`
 * gives them), as absolute paths, and the other arguments (jest options, passed on as they are).
 * An argument names a file when it does not start with '-' and is a file relative to `cwd`,
 * tests/ or tests/src. Throws naming each such file that is not an e2e spec, and each `.ts`
 * argument that is no file.
 */
export function chosenSpecs(args, cwd = process.cwd()) {
  const files = [];
  const options = [];
  const problems = [];
  for (const arg of args) {
    const path = arg.startsWith('-')
      ? undefined
      : [cwd, TESTS, join(TESTS, 'src')].map((dir) => resolve(dir, arg)).find((p) => existsSync(p) && statSync(p).isFile());
    if (path !== undefined) files.push(path);
    // A misspelt spec is refused rather than passed on: jest would ignore it and run every spec.
    else if (!arg.startsWith('-') && arg.endsWith('.ts')) problems.push(`no such file: ${arg}`);
    else options.push(arg);
  }
  for (const file of files) if (!file.endsWith('.e2e.spec.ts')) problems.push(`not an end-to-end spec (*.e2e.spec.ts): ${file}`);
  if (problems.length > 0) throw new Error(`${problems.join('; ')} (unit and integration specs run with npm test -w <package>)`);
  return { files, options };
}

function runJest(args, lane, output) {
  // jest's own launcher, as the tests package resolves it, under this Node.js.
  const jest = createRequire(join(TESTS, 'package.json')).resolve('jest/bin/jest');
  const child = spawn(process.execPath, [jest, ...args], {
    cwd: TESTS,
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
      ...(lane === undefined ? {} : { DVC_TEST_LANE: lane }),
    },
    stdio: output === undefined ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  if (output !== undefined) {
    child.stdout.pipe(output, { end: false });
    child.stderr.pipe(output, { end: false });
  }
  return {
    child,
    done: new Promise((resolve) => {
      child.once('error', (error) => {
        console.error(`e2e ${lane === undefined ? 'specs' : `lane ${lane}`}: could not start jest: ${error.message}`);
        resolve(1);
      });
      // 'close', not 'exit': lane 2's output is all in its file only once the pipes have closed.
      child.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    }),
  };
}

async function main() {
  if (process.argv.includes('--help')) {
    console.log(`usage: node scripts/e2e-lanes.mjs [spec file…] [jest options]
Runs the end-to-end specs of tests/ in two jest processes side by side (lane 2: the
self-contained specs listed in this script; lane 1: all the others), each --runInBand, and
exits 0 only when both pass. Further options go to both jest processes. Lane 2's output is
printed when lane 1 is done (kept in DVC_TEST_RESULTS_DIR, else the temporary folder).
With spec files named (relative to the current folder, tests/ or tests/src), only those run,
in one jest process:
  npm run test:e2e -w @dvc/tests -- src/board.e2e.spec.ts -t 'overdue'
Needs what the e2e specs need: the stack of npm test (scripts/test.sh) and built packages.`);
    return;
  }
  let chosen;
  try {
    chosen = chosenSpecs(process.argv.slice(2));
  } catch (error) {
    console.error(`e2e-lanes: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  const { files, options } = chosen;
  if (files.length > 0) {
    // Only the named specs, one after another in one process (no lanes: nothing to balance).
    process.exitCode = await runJest(['--runInBand', ...options, '--runTestsByPath', ...files]).done;
    return;
  }
  const dir = process.env.DVC_TEST_RESULTS_DIR ?? tmpdir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `e2e-lane-2-${process.pid}.log`);
  const log = createWriteStream(file);
  const { one, two } = laneArguments();
  const lanes = [runJest([...one, ...options], '1'), runJest([...two, ...options], '2', log)];
  const stop = (signal) => {
    for (const { child } of lanes) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const first = await lanes[0].done;
  const second = await lanes[1].done;
  await new Promise((resolve) => log.end(resolve));
  process.stderr.write(`\n---- e2e lane 2 (${SELF_CONTAINED.length} self-contained specs, run beside lane 1; also in ${file}) ----\n`);
  process.stderr.write(readFileSync(file));
  process.stderr.write(`---- end of e2e lane 2 ----\n`);
  console.log(`e2e lanes: lane 1 ${first === 0 ? 'passed' : `failed (exit ${first})`}, lane 2 ${second === 0 ? 'passed' : `failed (exit ${second})`}`);
  process.exitCode = first === 0 && second === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
