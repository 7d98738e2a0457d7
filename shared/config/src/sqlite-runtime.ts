import { ConfigError } from './env.js';

/**
 * The oldest Node.js major better-sqlite3 runs on (its `engines`: `>=22` since version 13), the
 * module of the SQLite stores: the event store's default and the notifier's outbox.
 */
export const SQLITE_MIN_NODE_MAJOR = 22;

/**
 * Why SQLite cannot be opened on Node.js `version`, or undefined. better-sqlite3 on an older major
 * does not fail with an error: it crashes the process with a segmentation fault and no word (the
 * machine's Node.js 20 here, when a service is started by hand with the `node` first on PATH).
 */
export function sqliteRuntimeProblem(version: string): string | undefined {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major >= SQLITE_MIN_NODE_MAJOR) return undefined;
  return (
    `SQLite (better-sqlite3) needs Node.js ${SQLITE_MIN_NODE_MAJOR} or later, and this is Node.js ${version.replace(/^v/, '')}, on which it crashes the process: ` +
    'start the services with `npm start`, or put the release the repository pins first on PATH (`. scripts/node-runtime.sh && use_project_node .`)'
  );
}

/** Refuses, in words, to open SQLite on a Node.js that would crash on it (see sqliteRuntimeProblem). */
export function assertSqliteRuntime(version: string = process.versions.node): void {
  const problem = sqliteRuntimeProblem(version);
  if (problem !== undefined) throw new ConfigError([problem]);
}
