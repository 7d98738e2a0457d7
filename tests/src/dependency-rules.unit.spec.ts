import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dependency rules of ARCHITECTURE.md#packages-and-what-each-may-import (.dependency-cruiser.cjs) against a small workspace
 * written for the test, where each file breaks exactly one rule: dependency-cruiser, run as
 * `npm run lint` runs it, must name each file, its forbidden import and the rule.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string, config: string, paths: string[]): Violation[] {
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, [DEPCRUISE, '--config', config, '--output-type', 'json', ...paths], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // depcruise exits non-zero when it finds violations; the report is still on stdout.
    stdout = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const triples = (violations: Violation[]) => violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function workspacePackage(root: string, dir: string, name: string, manifest: Record<string, unknown> = {}): void {
  write(
    root,
    `${dir}/package.json`,
    JSON.stringify({ name, type: 'module', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } }, ...manifest }),
  );
  write(root, `${dir}/dist/index.js`, 'export const x = 1;\n');
  write(root, `${dir}/dist/index.d.ts`, 'export declare const x: number;\n');
  write(root, `${dir}/src/index.ts`, 'export const x = 1;\n');
  mkdirSync(join(root, 'node_modules', '@dvc'), { recursive: true });
  symlinkSync(join(root, dir), join(root, 'node_modules', '@dvc', name.slice('@dvc/'.length)));
}

function npmPackage(root: string, name: string): void {
  write(root, `node_modules/${name}/package.json`, JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  write(root, `node_modules/${name}/index.js`, 'module.exports = {};\n');
}

describe('the dependency rules', () => {
  let fixture: string;

  beforeAll(() => {
    fixture = mkdtempSync(join(tmpdir(), 'dvc-depcruise-'));
    write(fixture, 'package.json', JSON.stringify({ name: 'fixture', private: true, workspaces: ['shared/*', 'services/*'] }));
    for (const name of ['ioredis', 'kafkajs', 'left-pad', 'undeclared-lib']) npmPackage(fixture, name);
    workspacePackage(fixture, 'shared/domain', '@dvc/domain');
    workspacePackage(fixture, 'shared/config', '@dvc/config', { devDependencies: { '@dvc/testing': '0.1.0' } });
    workspacePackage(fixture, 'shared/testing', '@dvc/testing');
    workspacePackage(fixture, 'shared/redis', '@dvc/redis', { dependencies: { ioredis: '5' } });
    workspacePackage(fixture, 'shared/kafka', '@dvc/kafka', { dependencies: { kafkajs: '2' } });
    workspacePackage(fixture, 'services/exporter', '@dvc/exporter');
    workspacePackage(fixture, 'services/cli', '@dvc/cli', {
      dependencies: { '@dvc/config': '0.1.0', '@dvc/exporter': '0.1.0', ioredis: '5', kafkajs: '2' },
      devDependencies: { '@dvc/testing': '0.1.0', 'left-pad': '1' },
    });

    // Each of these breaks exactly one rule.
    write(fixture, 'shared/config/src/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write(fixture, 'shared/config/src/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
    write(fixture, 'shared/domain/src/uses-config.ts', "export { x } from '@dvc/config';\n");
    write(fixture, 'shared/domain/src/reads-file.ts', "export { readFileSync } from 'node:fs';\n");
    write(fixture, 'services/cli/src/uses-exporter.ts', "export { x } from '@dvc/exporter';\n");
    write(fixture, 'shared/config/src/uses-service.ts', "export { x } from '@dvc/exporter';\n");
    write(fixture, 'services/cli/src/deep.ts', "export { x } from '../../../shared/config/src/index.js';\n");
    write(fixture, 'services/cli/src/uses-dev.ts', "import pad from 'left-pad';\nexport { pad };\n");
    write(fixture, 'shared/config/src/uses-testing.ts', "export { x } from '@dvc/testing';\n");
    write(fixture, 'services/cli/src/uses-ioredis.ts', "import type { Redis } from 'ioredis';\nexport type R = Redis;\n");
    write(fixture, 'services/cli/src/uses-kafkajs.ts', "import type { Kafka } from 'kafkajs';\nexport type K = Kafka;\n");
    write(fixture, 'services/cli/src/undeclared.ts', "import u from 'undeclared-lib';\nexport { u };\n");

    // And these break none: tests may use dev dependencies, @dvc/testing and the clients; the
    // adapters import their client; a service imports a shared package by its name.
    write(
      fixture,
      'services/cli/src/uses-dev.unit.spec.ts',
      "import pad from 'left-pad';\nimport { x } from '@dvc/testing';\nimport type { Redis } from 'ioredis';\nimport type { Kafka } from 'kafkajs';\nexport type T = [typeof pad, typeof x, Redis, Kafka];\n",
    );
    write(fixture, 'shared/redis/src/client.ts', "import type { Redis } from 'ioredis';\nexport type R = Redis;\n");
    write(fixture, 'shared/kafka/src/client.ts', "import type { Kafka } from 'kafkajs';\nexport type K = Kafka;\n");
    write(fixture, 'services/cli/src/main.ts', "export { x } from '@dvc/config';\n");
  });

  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('report every forbidden import by its rule, and nothing else', () => {
    const violations = cruise(fixture, CONFIG, ['shared/*/src', 'services/*/src']);
    expect(triples(violations)).toEqual([
      'domain-does-no-io: shared/domain/src/reads-file.ts → fs',
      'domain-imports-no-workspace-package: shared/domain/src/uses-config.ts → shared/config/dist/index.d.ts',
      'imports-declared: services/cli/src/undeclared.ts → node_modules/undeclared-lib/index.js',
      'ioredis-only-in-redis-packages: services/cli/src/uses-ioredis.ts → node_modules/ioredis/index.js',
      'kafkajs-only-in-kafka-package: services/cli/src/uses-kafkajs.ts → node_modules/kafkajs/index.js',
      'no-circular: shared/config/src/a.ts → shared/config/src/b.ts',
      'no-deep-import: services/cli/src/deep.ts → shared/config/src/index.ts',
      'production-imports-no-dev-dependency: services/cli/src/uses-dev.ts → node_modules/left-pad/index.js',
      'production-imports-no-testing-package: shared/config/src/uses-testing.ts → shared/testing/dist/index.d.ts',
      'service-imports-no-service: services/cli/src/uses-exporter.ts → services/exporter/dist/index.d.ts',
      'shared-imports-no-service: shared/config/src/uses-service.ts → services/exporter/dist/index.d.ts',
    ]);
  }, 60_000);

  it('finds no file outside @dvc/kafka importing kafkajs, test files included (issue 11, item 4)', () => {
    // The rule over the real tree with no exemption at all, not even for tests: every test holds
    // a client through @dvc/kafka/testing.
    const config = createRequire(import.meta.url)(CONFIG) as { forbidden: { name: string; from: { pathNot?: string[] } }[] };
    const rule = config.forbidden.find((r) => r.name === 'kafkajs-only-in-kafka-package');
    const strict = { ...config, forbidden: [{ ...rule, from: { pathNot: ['^shared/kafka/'] } }] };
    const strictConfig = join(fixture, 'strict-kafkajs.cjs');
    writeFileSync(strictConfig, `module.exports = ${JSON.stringify(strict)};\n`);
    const offenders = [...new Set(cruise(ROOT, strictConfig, ['shared/*/src', 'services/*/src', 'tests/src']).map((v) => v.from))].sort();
    expect(offenders).toEqual([]);
  }, 60_000);
});
