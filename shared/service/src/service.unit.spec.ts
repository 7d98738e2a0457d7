import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { buildInfo, createServiceHttp, pingReady, type ServiceHttp } from './service.js';
import { sendText } from './http.js';

describe('buildInfo', () => {
  it('reads the version from the package file and takes the running Node.js version', () => {
    expect(buildInfo('service', new URL('../package.json', import.meta.url))).toEqual({ service: 'service', version: '0.1.0', node: process.version });
  });
});

describe('pingReady', () => {
  it('is ready while the ping answers and not ready when it fails, naming the dependency in the details', async () => {
    expect(await pingReady('redis', () => Promise.resolve('PONG'))()).toEqual({ ready: true, details: { redis: true } });
    expect(await pingReady('redis', () => Promise.reject(new Error('connection refused')))()).toEqual({ ready: false, details: { redis: false } });
  });
});

describe('createServiceHttp (loopback server)', () => {
  const registry = new Registry();
  let ready = false;
  let shell: ServiceHttp;
  let base: string;
  let port: number;
  beforeAll(async () => {
    shell = createServiceHttp({
      build: { service: 'probe', version: '1.2.3', node: 'v24.0.0' },
      registry,
      logger: pino({ level: 'silent' }),
      routes: { '/boom': () => Promise.reject(new Error('boom')) },
      health: () => ({ clock: { mode: 'wall' } }),
      ready: async () => ({ ready, details: { store: ready } }),
      limits: { ratePerSecond: 1, burst: 1, maxHeaderBytes: 2048, headersTimeoutMs: 30_000, requestTimeoutMs: 30_000 },
      now: () => 0,
    });
    port = await shell.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => shell.close());

  it('answers /healthz with the status, the build info and the service fields', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'probe', version: '1.2.3', node: 'v24.0.0', clock: { mode: 'wall' } });
  });

  it('answers /readyz 503 then 200 with the details', async () => {
    const down = await fetch(`${base}/readyz`);
    expect([down.status, await down.json()]).toEqual([503, { status: 'not ready', store: false }]);
    ready = true;
    const up = await fetch(`${base}/readyz`);
    expect([up.status, await up.json()]).toEqual([200, { status: 'ready', store: true }]);
  });

  it('exports dvc_build_info and counts refusals in dvc_http_refused_total', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/boom`)).status).toBe(429);
    const text = await registry.metrics();
    expect(text).toContain('dvc_build_info{service="probe",version="1.2.3",node="v24.0.0"} 1\n');
    expect(text).toContain('dvc_http_refused_total{reason="bad_request"} 1\n');
    expect(text).toContain('dvc_http_refused_total{reason="rate_limited"} 1\n');
  });
});

describe('createServiceHttp with prefix routes', () => {
  it('answers a path under a prefix from its route; the exact routes and the runtime routes first; anything else 404', async () => {
    const shell = createServiceHttp({
      build: { service: 'probe', version: '1.2.3', node: 'v24.0.0' },
      registry: new Registry(),
      logger: pino({ level: 'silent' }),
      routes: { '/v1/units/exact': (_req, res) => sendText(res, 200, 'exact') },
      prefixRoutes: [['/v1/units/', (req, res) => sendText(res, 200, `prefix ${req.url ?? ''}`)]],
      ready: async () => ({ ready: true, details: {} }),
    });
    const port = await shell.listen(0, '127.0.0.1');
    try {
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return [res.status, await res.text()];
      };
      expect(await get('/v1/units/exact')).toEqual([200, 'exact']);
      expect(await get('/v1/units/u1/dossiers?state=overdue')).toEqual([200, 'prefix /v1/units/u1/dossiers?state=overdue']);
      expect(await get('/healthz')).toEqual([200, '{"status":"ok","service":"probe","version":"1.2.3","node":"v24.0.0"}']);
      expect((await get('/v1/other'))[0]).toBe(404);
    } finally {
      await shell.close();
    }
  });
});
