import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's own run folder, `<repo>/.run`, found from this package's location. */
export const DEFAULT_RUN_DIR = fileURLToPath(new URL('../../../.run', import.meta.url));

/**
 * The run folder of the stack a process belongs to: `STACK_RUN_DIR` (made absolute against the
 * working directory) or `<repo>/.run`. Every file a service or the CLI writes by default (the
 * event store, the notifier's outbox, the replay API's keys) lives under it, so two stacks on one
 * machine with different run folders never share a file.
 */
export function stackRunDir(env: Record<string, string | undefined>): string {
  const dir = env.STACK_RUN_DIR?.trim();
  return dir === undefined || dir === '' ? DEFAULT_RUN_DIR : resolve(dir);
}
