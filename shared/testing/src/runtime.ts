import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

/**
 * A `node` on PATH of another major than the one running the tests (the pinned runtime), as an
 * operator's shell finds it: the machine's Node.js, beside the runtime npm test put first on PATH.
 * Undefined where there is none.
 */
export function otherNodeOnPath(): string | undefined {
  const major = process.versions.node.split('.')[0];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const node = join(dir, 'node');
    if (dir === '' || dir.includes(`${sep}.run${sep}runtime${sep}`) || !existsSync(node)) continue;
    const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (version.split('.')[0] !== major) return node;
  }
  return undefined;
}
