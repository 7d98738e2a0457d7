import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { otherNodeOnPath } from '@dvc/testing';
import { REPO_ROOT, freePort } from './stack.js';

/**
 * A service started by hand with the `node` an operator's shell finds first (the machine's
 * Node.js 20 here, not the release the repository pins) opened its SQLite store and died of a
 * segmentation fault, exit 139, without a word. It now refuses to start, saying why and what to
 * run instead. Where no older Node.js is on PATH there is nothing to refuse, and this is skipped.
 */
const node = otherNodeOnPath();
const older = node !== undefined && Number(process.versions.node.split('.')[0]) > 22;

(older ? describe : describe.skip)('services that open SQLite, started on an older Node.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvc-runtime-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (service: string, env: Record<string, string>) => {
    try {
      await promisify(execFile)(node!, [join(REPO_ROOT, 'services', service, 'dist', 'main.js')], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, STACK_RUN_DIR: join(dir, service), ...env },
        timeout: 30_000,
      });
      return { code: 0, stderr: '' };
    } catch (error) {
      const failed = error as { code?: number | string; signal?: string; stderr?: string };
      return { code: failed.code ?? failed.signal, stderr: failed.stderr ?? '' };
    }
  };
  const refusal = (service: string, version: string) =>
    `dvc-${service}: invalid configuration:\n` +
    `  - SQLite (better-sqlite3) needs Node.js 22 or later, and this is Node.js ${version}, on which it crashes the process: ` +
    'start the services with `npm start`, or put the release the repository pins first on PATH (`. scripts/node-runtime.sh && use_project_node .`)\n' +
    'Run with --help to see every variable.\n';

  it('the archiver, the replay API and the notifier refuse in words (exit 2), not with a segmentation fault', async () => {
    const version = (await promisify(execFile)(node!, ['-p', 'process.versions.node'])).stdout.trim();
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify({ version: 1, keys: [] }));
    const token = join(dir, 'token');
    writeFileSync(token, 'x'.repeat(43));
    chmodSync(token, 0o600);
    const store = `sqlite:${join(dir, 'events.sqlite')}`;
    const runs = {
      archiver: await start('archiver', { EVENTSTORE_URL: store, PRODUCER_KEYS_FILE: 'off', ARCHIVER_PORT: String(await freePort()) }),
      'replay-api': await start('replay-api', {
        EVENTSTORE_URL: store,
        REPLAY_KEYS_FILE: keys,
        REPLAY_TOKEN_SECRETS: 'a-secret-of-the-test-only',
        REPLAY_PORT: String(await freePort()),
      }),
      notifier: await start('notifier', {
        NOTIFIER_DB: join(dir, 'outbox.db'),
        NOTIFIER_TOKEN_FILE: token,
        NOTIFIER_KEYS_FILE: keys,
        NOTIFIER_PORT: String(await freePort()),
      }),
    };
    for (const [service, run] of Object.entries(runs)) expect({ service, ...run }).toEqual({ service, code: 2, stderr: refusal(service, version) });
  });
});
