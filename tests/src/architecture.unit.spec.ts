import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * ARCHITECTURE.md against the tree: every `ARCHITECTURE.md#<section>` cited names a section of it,
 * the package table says what each package.json depends on, and the error table lists every
 * error class with its code.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');

/** GitHub's anchor of a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-');

function sectionRows(heading: string): string[][] {
  const start = DOC.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = DOC.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,3} /);
  const lines = (end === -1 ? rest : rest.slice(0, end)).split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
  return lines.slice(1).map((l) =>
    l
      .slice(2, -2)
      .split(/ (?<!\\)\| /)
      .map((cell) => cell.trim()),
  );
}

function files(dir: string, keep: (path: string) => boolean, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (['node_modules', 'dist', '.run', '.git', '.turbo', 'coverage'].includes(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files(path, keep, found);
    else if (keep(path)) found.push(path);
  }
  return found;
}

const packageDirs = ['shared', 'services'].flatMap((top) => readdirSync(join(ROOT, top)).map((name) => `${top}/${name}`));

describe('ARCHITECTURE.md', () => {
  it('has every section the code and the docs cite', () => {
    const anchors = new Set([...DOC.matchAll(/^#{1,4} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
    const cited = files(ROOT, (p) => /\.(ts|mts|mjs|cjs|sh|md|yaml|yml)$/.test(p)).flatMap((path) =>
      [...readFileSync(path, 'utf8').matchAll(/ARCHITECTURE\.md#([a-z0-9-]+)/g)].map((m) => ({ where: relative(ROOT, path), anchor: m[1] ?? '' })),
    );
    expect(cited.length).toBeGreaterThanOrEqual(8);
    expect(cited.filter((c) => !anchors.has(c.anchor))).toEqual([]);
  });

  it('lists every package with the workspace packages its package.json depends on', () => {
    const documented = new Map(sectionRows('## Packages and what each may import').map(([name, , imports]) => [name, imports]));
    const actual = new Map<string, string>();
    for (const dir of [...packageDirs, 'tests']) {
      const manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
      const deps = Object.keys(manifest.dependencies ?? {})
        .filter((d) => d.startsWith('@dvc/'))
        .map((d) => d.slice('@dvc/'.length))
        .sort();
      actual.set(`\`${manifest.name}\``, dir === 'tests' ? 'anything (dev dependencies only)' : deps.length === 0 ? 'nothing' : deps.join(', '));
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(actual));
  });

  it('lists every error class with its package and code, each extending DvcError', () => {
    const sources = packageDirs.flatMap((dir) => files(join(ROOT, dir, 'src'), (p) => p.endsWith('.ts') && !p.endsWith('.spec.ts')));
    const found: string[] = [];
    const direct: string[] = [];
    const missingCode: string[] = [];
    for (const path of sources) {
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/class (\w+) extends (\w+)\b[^{]*\{\n(\s*readonly code = '([A-Z_]+)';)?/g)) {
        const [, name = '', base = '', , code] = m;
        if (!base.endsWith('Error') || name === 'DvcError') continue;
        // A built-in error (Error, RangeError, …) as the direct base: not one of ours.
        if (typeof (globalThis as Record<string, unknown>)[base] === 'function') direct.push(`${name} extends ${base}`);
        if (code === undefined) missingCode.push(name);
        else found.push(`${code} ${name} ${relative(ROOT, path).split('/')[1]}`);
      }
    }
    expect(missingCode).toEqual([]);
    expect(direct).toEqual([]);
    const documented = sectionRows('## Errors').map(([code, name, pkg]) => `${code?.replaceAll('`', '')} ${name?.replaceAll('`', '')} ${pkg}`);
    expect(documented.sort()).toEqual(found.sort());
    expect(new Set(found.map((f) => f.split(' ')[0])).size).toBe(found.length);
  });
});
