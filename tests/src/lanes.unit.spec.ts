import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SELF_CONTAINED, chosenSpecs, laneArguments } from '../../scripts/e2e-lanes.mjs';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Every e2e spec of the tests package, relative to src. */
function e2eSpecs(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? e2eSpecs(join(dir, entry.name)) : entry.name.endsWith('.e2e.spec.ts') ? [relative(SRC, join(dir, entry.name))] : [],
  );
}

/** The file and every module of tests/src it imports, directly or not (stack.ts aside: its helpers are what is looked for). */
function sources(file: string, seen = new Set<string>()): Map<string, string> {
  const out = new Map<string, string>();
  const path = join(SRC, file);
  if (seen.has(path)) return out;
  seen.add(path);
  const text = readFileSync(path, 'utf8');
  out.set(file, text);
  for (const [, spec] of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
    const local = relative(SRC, resolve(dirname(path), `${spec}.ts`));
    if (local === 'stack.ts') continue;
    for (const [name, body] of sources(local, seen)) out.set(name, body);
  }
  return out;
}

/** What jest runs for the given arguments: --testPathPatterns kept, --testPathIgnorePatterns dropped (both matched against absolute paths). */
function selected(args: string[], files: string[]): string[] {
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    if (at < 0 || args[at + 1] === undefined) throw new Error(`no ${flag} value in ${args.join(' ')}`);
    return new RegExp(args[at + 1]!);
  };
  const keep = value('--testPathPatterns');
  const ignore = value('--testPathIgnorePatterns');
  return files.filter((f) => keep.test(join(SRC, f)) && !ignore.test(join(SRC, f)));
}

/**
 * scripts/e2e-lanes.mjs runs the self-contained e2e specs beside the others. This keeps that
 * honest: the lanes split the e2e specs exactly, and no spec of lane 2 uses what lane 1's specs
 * share (the stack's Prometheus, its Alertmanager and the notifier port it posts to, the Redis
 * Cluster), whether in the spec or in a local module it imports.
 */
describe('the two e2e lanes', () => {
  const all = e2eSpecs().sort();

  it('lane 2 lists existing e2e specs, each once', () => {
    expect(SELF_CONTAINED.filter((f) => !all.includes(f))).toEqual([]);
    expect(new Set(SELF_CONTAINED).size).toBe(SELF_CONTAINED.length);
  });

  it('split the e2e specs exactly: lane 2 runs its list, lane 1 everything else', () => {
    const { one, two } = laneArguments();
    expect(selected(two, all).sort()).toEqual([...SELF_CONTAINED].sort());
    expect(selected(one, all).sort()).toEqual(all.filter((f) => !SELF_CONTAINED.includes(f)));
  });

  it.each([...SELF_CONTAINED])('%s uses nothing lane 1 shares', (file) => {
    const shared =
      /\b(registerScrapeTarget|promQuery|prometheusUrl|alertmanagerUrl|alertmanagerReceiver|ALERTMANAGER_URL|REDIS_CLUSTER\w*|clusterUrl|clusterNodes)\b/g;
    const uses = [...sources(file)].flatMap(([name, text]) => [...text.matchAll(shared)].map((m) => `${name}: ${m[1]}`));
    expect(uses).toEqual([]);
  });
});

describe('naming specs to run', () => {
  const TESTS = join(SRC, '..');

  it('takes the named e2e specs, relative to the folder it runs in, tests/ or tests/src, and passes the rest on', () => {
    expect(chosenSpecs(['src/board.e2e.spec.ts', '-t', 'overdue', 'system/broker-restart.e2e.spec.ts'], TESTS)).toEqual({
      files: [join(SRC, 'board.e2e.spec.ts'), join(SRC, 'system/broker-restart.e2e.spec.ts')],
      options: ['-t', 'overdue'],
    });
    expect(chosenSpecs(['tests/src/archiver.e2e.spec.ts'], join(TESTS, '..')).files).toEqual([join(SRC, 'archiver.e2e.spec.ts')]);
    expect(chosenSpecs(['--ci', '--bail'], TESTS)).toEqual({ files: [], options: ['--ci', '--bail'] });
  });

  it('refuses a misspelt spec and one that is not end-to-end, naming each, instead of running every spec', () => {
    expect(() => chosenSpecs(['src/bord.e2e.spec.ts', 'src/lanes.unit.spec.ts'], TESTS)).toThrow(
      `no such file: src/bord.e2e.spec.ts; not an end-to-end spec (*.e2e.spec.ts): ${join(SRC, 'lanes.unit.spec.ts')}`,
    );
  });
});
