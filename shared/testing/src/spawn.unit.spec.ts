import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnService } from './spawn.js';

describe('freePort', () => {
  it('never hands the same port out twice in one process, though each is closed before it is used', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(300);
  });

  it('hands out a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('spawnService on a fixed port', () => {
  it('refuses a port another process listens on, instead of taking its health check for the child', async () => {
    // Another process's service answering /healthz on the port, as npm start's notifier does.
    const other = createServer((_req, res) => res.end('ok'));
    const port = await freePort();
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', () => resolve()));
    const dir = mkdtempSync(join(tmpdir(), 'dvc-spawn-'));
    const entry = join(dir, 'main.mjs');
    writeFileSync(entry, "import { createServer } from 'node:http'; createServer((q, s) => s.end('ok')).listen(Number(process.env.X_PORT), '127.0.0.1');\n");
    try {
      await expect(spawnService({ name: 'notifier', entry, env: {}, portVariable: 'X_PORT', port, logDir: dir })).rejects.toThrow(
        `notifier: port ${port} (X_PORT) is in use by another process (npm start's notifier? stop it with npm run stop)`,
      );
      await new Promise<void>((resolve) => other.close(() => resolve()));
      const started = await spawnService({ name: 'notifier', entry, env: {}, portVariable: 'X_PORT', port, logDir: dir });
      expect(started.port).toBe(port);
      await started.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
