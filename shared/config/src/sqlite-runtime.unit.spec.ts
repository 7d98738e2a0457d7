import { ConfigError } from './env.js';
import { assertSqliteRuntime, sqliteRuntimeProblem } from './sqlite-runtime.js';

describe('sqliteRuntimeProblem', () => {
  it('names the problem on a Node.js older than better-sqlite3 runs on, instead of a segmentation fault', () => {
    expect(sqliteRuntimeProblem('20.20.2')).toBe(
      'SQLite (better-sqlite3) needs Node.js 22 or later, and this is Node.js 20.20.2, on which it crashes the process: ' +
        'start the services with `npm start`, or put the release the repository pins first on PATH (`. scripts/node-runtime.sh && use_project_node .`)',
    );
    expect(sqliteRuntimeProblem('v21.7.3')).toMatch(/this is Node\.js 21\.7\.3,/);
    expect(() => assertSqliteRuntime('18.19.0')).toThrow(ConfigError);
  });

  it('lets the pinned release and any later one open SQLite', () => {
    for (const version of ['22.0.0', '24.22.3', 'v25.1.0']) expect(sqliteRuntimeProblem(version)).toBeUndefined();
    expect(() => assertSqliteRuntime()).not.toThrow();
  });
});
