import { createServer, type Server } from 'node:net';
import { listeningPid } from '../../scripts/bench/lib/listener.mjs';

/** The benchmarks find the Kafka broker's pid by its listening port (scripts/bench/lib/listener.mjs). */
describe('listeningPid', () => {
  const listen = (host: string) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => resolve(server));
    });
  const portOf = (server: Server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  };
  const close = (server: Server) => new Promise((resolve) => server.close(resolve));

  it('names this process for a port it listens on, over IPv4 and IPv6', async () => {
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1').catch(() => undefined); // a machine without IPv6 skips that half
    try {
      expect(listeningPid(portOf(v4))).toBe(process.pid);
      if (v6 !== undefined) expect(listeningPid(portOf(v6))).toBe(process.pid);
    } finally {
      await close(v4);
      if (v6 !== undefined) await close(v6);
    }
  });

  it('finds nobody on a port no longer listened on', async () => {
    const server = await listen('127.0.0.1');
    const port = portOf(server);
    await close(server);
    expect(listeningPid(port)).toBeUndefined();
  });
});
