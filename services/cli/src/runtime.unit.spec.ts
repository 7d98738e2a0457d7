import { pinnedNodePath, runtimePlan, type RuntimeFacts } from './runtime.js';

const facts = (over: Partial<RuntimeFacts>): RuntimeFacts => ({
  pinned: '24.22.3',
  running: '24.22.3',
  arch: 'x64',
  root: '/repo',
  exists: () => true,
  again: false,
  ...over,
});

describe('runtimePlan', () => {
  it('runs here on the pinned major, whatever the patch, and without a pin (installed outside the repository)', () => {
    expect(runtimePlan(facts({}))).toEqual({ kind: 'run' });
    expect(runtimePlan(facts({ running: '24.1.0' }))).toEqual({ kind: 'run' });
    expect(runtimePlan(facts({ pinned: undefined, running: '20.20.2' }))).toEqual({ kind: 'run' });
  });

  it('runs the command again on the pinned runtime that npm start fetched, on another major', () => {
    const seen: string[] = [];
    const plan = runtimePlan(facts({ running: '20.20.2', exists: (p) => (seen.push(p), true) }));
    expect(plan).toEqual({ kind: 'again', node: '/repo/.run/runtime/node-v24.22.3-linux-x64/bin/node' });
    expect(seen).toEqual([pinnedNodePath('/repo', '24.22.3', 'x64')]);
  });

  it('stops with the way to get the runtime when it is not fetched yet, or when running again did not reach it', () => {
    const message =
      'dvc: runs on Node.js 24 (the release .nvmrc pins, 24.22.3); this is Node.js 20.20.2, on which its SQLite module crashes. ' +
      '`npm start` or `npm test` fetch the pinned release into .run/runtime/ once, and dvc then uses it; or put a Node.js 24 first on PATH ' +
      '(`. scripts/node-runtime.sh && use_project_node .`)\n';
    expect(runtimePlan(facts({ running: '20.20.2', exists: () => false }))).toEqual({ kind: 'refuse', message });
    expect(runtimePlan(facts({ running: '20.20.2', again: true }))).toEqual({ kind: 'refuse', message });
  });
});
