// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package.
import { readFileSync } from 'node:fs';

const IDLE = new Set(['(idle)', '(program)']);

/** Which code a script URL belongs to: an npm package, a workspace package, or Node itself. */
export function categoryOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  const ws = /\/(shared|services)\/([^/]+)\/dist\//.exec(url);
  if (ws) return `@dvc/${ws[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

/**
 * @param {string} file
 * @returns {{ busyMs: number, totalMs: number, functions: {name: string, where: string, category: string, ms: number}[], categories: {category: string, ms: number}[] }}
 */
export function summariseProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const functions = new Map();
  const categories = new Map();
  let busyUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    totalUs += us;
    if (IDLE.has(name)) continue;
    busyUs += us;
    const category = categoryOf(url, name);
    const short = url
      ? url
          .replace(/^file:\/\/.*?node_modules\//, '')
          .replace(/^file:\/\/\/work\/main\//, '')
          .replace(/^file:\/\/[^ ]*\/main\//, '')
      : '';
    const where = short ? `${short}:${lineNumber + 1}` : '';
    const key = `${name}\t${where}`;
    const entry = functions.get(key) ?? { name, where, category, ms: 0 };
    entry.ms += us / 1000;
    functions.set(key, entry);
    categories.set(category, (categories.get(category) ?? 0) + us / 1000);
  }
  // Inclusive time of the workspace's own functions (the projector's pipeline stages):
  // each sample counts once for every distinct @dvc function on its stack.
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const inclusive = new Map();
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at).callFrame;
      const category = categoryOf(url, functionName);
      if (!category.startsWith('@dvc/')) continue;
      const short = url.replace(/^file:\/\/.*?\/(shared|services)\//, '$1/');
      const key = `${functionName || '(anonymous)'}\t${short}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us / 1000);
    }
  });
  return {
    inclusive: [...inclusive].map(([key, ms]) => ({ name: key.split('\t')[0], where: key.split('\t')[1], ms })).sort((a, b) => b.ms - a.ms),
    busyMs: busyUs / 1000,
    totalMs: totalUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
    categories: [...categories].map(([category, ms]) => ({ category, ms })).sort((a, b) => b.ms - a.ms),
  };
}
