import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The package's two entries: the main one (services) never reaches the testing export, and
 * neither imports anything but node:*, its own files and the package's dependencies (never a
 * devDependency such as @dvc/testing). Both are built (tsconfig.build.json leaves out specs only).
 */
const root = process.cwd();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
};
const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** Every source file an entry reaches through relative imports, and the packages they import. */
function reach(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = (match[1] ?? match[2]) as string;
      if (target.startsWith('.')) visit(resolve(dirname(file), target.replace(/\.js$/, '.ts')));
      else if (!target.startsWith('node:')) packages.add(target.startsWith('@') ? target.split('/').slice(0, 2).join('/') : target.split('/')[0]!);
    }
  };
  visit(join(root, entry));
  return { files: [...files].map((f) => relative(root, f)).sort(), packages };
}

describe('package entries', () => {
  const main = reach('src/index.ts');
  const testing = reach('src/testing/index.ts');

  it('exports the main entry and ./testing from the build of src/index.ts and src/testing/index.ts', () => {
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './testing': { types: './dist/testing/index.d.ts', default: './dist/testing/index.js' },
    });
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[]; exclude: string[] };
    expect(build).toMatchObject({ include: ['src'], exclude: ['src/**/*.spec.ts'] });
  });

  it('the main entry reaches no file of the testing export', () => {
    expect(main.files).toContain('src/sqlite.ts');
    expect(main.files.filter((f) => f.startsWith('src/testing/'))).toEqual([]);
  });

  it('both entries import only the package dependencies', () => {
    const allowed = Object.keys(manifest.dependencies);
    expect([...main.packages].filter((p) => !allowed.includes(p))).toEqual([]);
    expect([...testing.packages].filter((p) => !allowed.includes(p))).toEqual([]);
    expect(testing.files).toEqual(expect.arrayContaining(['src/testing/contract.ts', 'src/testing/esdb-imitation.ts', 'src/testing/esdb-specifics.ts']));
  });
});
