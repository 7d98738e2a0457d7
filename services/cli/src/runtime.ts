import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `dvc` is typed by people, with whatever `node` is first on their PATH. Its native SQLite module
 * is built for the Node.js release the repository pins (.nvmrc), and on another major it crashes
 * the process without a word (a segmentation fault on the machine's Node.js 20). So on another
 * major the command runs again on the pinned runtime that `npm start` and `npm test` fetch into
 * .run/runtime/ (scripts/node-runtime.sh), or stops with a message saying how to get it.
 */

/** The repository root, from this file's place in services/cli/dist. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Set for the command run again, so that it never runs itself a third time. */
const AGAIN = 'DVC_CLI_ON_PINNED_RUNTIME';

export type RuntimePlan = { kind: 'run' } | { kind: 'again'; node: string } | { kind: 'refuse'; message: string };

export interface RuntimeFacts {
  /** .nvmrc's version, or undefined without one (the CLI installed outside the repository). */
  pinned: string | undefined;
  /** process.versions.node. */
  running: string;
  /** process.arch. */
  arch: string;
  root: string;
  exists: (path: string) => boolean;
  /** Whether this process is already the command run again. */
  again: boolean;
}

/** Where scripts/node-runtime.sh keeps the pinned release: <repo>/.run/runtime/node-v<version>-linux-<arch>/bin/node. */
export function pinnedNodePath(root: string, version: string, arch: string): string {
  return join(root, '.run', 'runtime', `node-v${version}-linux-${arch}`, 'bin', 'node');
}

/** Whether to run here, run again on the pinned runtime, or stop. Pure: the facts are arguments. */
export function runtimePlan(facts: RuntimeFacts): RuntimePlan {
  const major = (version: string) => version.replace(/^v/, '').split('.')[0];
  if (facts.pinned === undefined || major(facts.running) === major(facts.pinned)) return { kind: 'run' };
  const node = pinnedNodePath(facts.root, facts.pinned, facts.arch);
  if (!facts.again && facts.exists(node)) return { kind: 'again', node };
  return {
    kind: 'refuse',
    message:
      `dvc: runs on Node.js ${major(facts.pinned)} (the release .nvmrc pins, ${facts.pinned}); this is Node.js ${facts.running}, on which its SQLite module crashes. ` +
      '`npm start` or `npm test` fetch the pinned release into .run/runtime/ once, and dvc then uses it; or put a Node.js ' +
      `${major(facts.pinned)} first on PATH (\`. scripts/node-runtime.sh && use_project_node .\`)\n`,
  };
}

function readPinned(root: string): string | undefined {
  try {
    return readFileSync(join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

/**
 * Runs the command on the pinned runtime when this is another major: the same arguments, stdio
 * and environment; SIGINT, SIGTERM and SIGHUP passed on; its exit code (or signal) becomes this
 * process's. Returns undefined when this process should run the command itself, else the exit code.
 */
export async function onPinnedRuntime(stderr: NodeJS.WritableStream): Promise<number | undefined> {
  const plan = runtimePlan({
    pinned: readPinned(REPO_ROOT),
    running: process.versions.node,
    arch: process.arch,
    root: REPO_ROOT,
    exists: existsSync,
    again: process.env[AGAIN] === '1',
  });
  if (plan.kind === 'run') return undefined;
  if (plan.kind === 'refuse') {
    stderr.write(plan.message);
    return 1;
  }
  const child = spawn(plan.node, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, [AGAIN]: '1' } });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const pass = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of signals) process.on(signal, pass);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve([c, s]));
  });
  for (const s of signals) process.off(s, pass);
  if (signal !== null) process.kill(process.pid, signal);
  return code ?? 1;
}
