// The one way tests run a service: its built entry point as a real process on a port of its own,
// its output in a log file, ready once /healthz answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait.js';

/** Ports this process has handed out already: a port is closed again before its user binds it, so
 * the kernel may offer it twice (a broker's client and controller ports once came out equal). */
const handedOut = new Set<number>();

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** A free TCP port on 127.0.0.1 (the kernel's choice), never one this process was given before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel offered only ports this process was given before (100 tries)');
}

/** Whether something listens on 127.0.0.1:port already (binding it fails with EADDRINUSE). */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Sends the signal (unless the process has ended) and resolves with the exit code. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Names the log file (`<name>-<port>.log`) and the errors. */
  name: string;
  /** The service's built main.js. */
  entry: string;
  /** Added to this process's environment (NODE_OPTIONS cleared, LOG_LEVEL info unless given). */
  env: Record<string, string>;
  /** The variable the service takes its port from. */
  portVariable: string;
  /** A fixed port; default a free one. */
  port?: number;
  /** Where the log file goes (created). */
  logDir: string;
  /** How long /healthz may take to answer (default 60 s). */
  timeoutMs?: number;
}

/** Starts a service's built entry point as a real process and waits until its /healthz answers 200. */
export async function spawnService(options: SpawnOptions): Promise<ServiceProcess> {
  const { name, entry, env, portVariable, logDir } = options;
  // A fixed port held by another process (npm start's notifier on the port Alertmanager posts
  // to) would answer the health check in place of the child, and the test would talk to it.
  if (options.port !== undefined && (await portInUse(options.port))) {
    throw new Error(`${name}: port ${options.port} (${portVariable}) is in use by another process (npm start's ${name}? stop it with npm run stop)`);
  }
  const port = options.port ?? (await freePort());
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${port}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', ...env, [portVariable]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let ended = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      ended = true;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (ended) throw new Error(`${name} exited during start-up (port ${port} in use?); see ${logFile}`);
      return (await fetch(`${url}/healthz`)).ok ? true : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 60_000, description: `${name} /healthz` },
  );
  return {
    name,
    port,
    url,
    process: child,
    exited,
    kill: async (signal) => {
      if (!ended) child.kill(signal);
      return exited;
    },
  };
}
