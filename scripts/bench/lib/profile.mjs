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
    const short = url ? url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '').replace(/^file:\/\/[^ ]*\/main\//, '') : '';
    const where = short ? `${short}:${lineNumber + 1}` : '';
    const key = `${name}\t${where}`;
    const entry = functions.get(key) ?? { name, where, category, ms: 0 };
    entry.ms += us / 1000;
    functions.set(key, entry);
    categories.set(category, (categories.get(category) ?? 0) + us / 1000);
  }
  return {
    busyMs: busyUs / 1000,
    totalMs: totalUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
    categories: [...categories].map(([category, ms]) => ({ category, ms })).sort((a, b) => b.ms - a.ms),
  };
}
