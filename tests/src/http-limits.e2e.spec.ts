import { parseExposition, uniqueName, waitFor } from '@dvc/testing';
import { serviceEnv, startService, type ServiceProcess } from './stack.js';

const SERIES = 'dvc_http_refused_total{reason="rate_limited"}';

describe('HTTP edge rate limit on a real service process (exporter)', () => {
  const id = uniqueName('httplim').replace(/[^a-z0-9]/g, '');
  let exporter: ServiceProcess;

  beforeAll(async () => {
    exporter = await startService('exporter', { ...serviceEnv(id), HTTP_RATE_LIMIT_PER_SECOND: '1', HTTP_RATE_LIMIT_BURST: '2' }, 'EXPORTER_PORT');
  }, 90_000);

  afterAll(async () => {
    await exporter?.kill('SIGTERM');
  });

  it('answers a burst past the bucket with 429 + Retry-After, never limits /healthz, and counts each refusal', async () => {
    const burst = await Promise.all(Array.from({ length: 5 }, () => fetch(`${exporter.url}/metrics`)));
    const statuses = burst.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    const refusedAnswers = burst.filter((res) => res.status === 429);
    for (const res of refusedAnswers) {
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { error: string }).error).toMatch(/too many requests/);
    }
    await Promise.all(burst.filter((res) => res.status === 200).map((res) => res.text()));

    // The probes stay answerable while the address is out of tokens.
    const probes = await Promise.all(Array.from({ length: 10 }, () => fetch(`${exporter.url}/healthz`)));
    expect(probes.map((res) => res.status)).toEqual(Array.from({ length: 10 }, () => 200));

    // Once the bucket refills, /metrics answers again; every 429 met on the way is counted too.
    let refused = refusedAnswers.length;
    const exposition = await waitFor(
      async () => {
        const res = await fetch(`${exporter.url}/metrics`);
        if (res.status === 429) {
          refused += 1;
          await res.text();
          return undefined;
        }
        expect(res.status).toBe(200);
        return res.text();
      },
      { timeoutMs: 10_000, intervalMs: 250, description: 'exporter /metrics after the burst' },
    );
    expect(parseExposition(exposition).get(SERIES)).toBe(refused);
  }, 60_000);
});
