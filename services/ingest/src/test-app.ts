import type { Registry } from 'prom-client';
import { createLogger } from '@dvc/config';
import type { DvcEvent } from '@dvc/domain';
import { KeyRing, hashApiKey } from '@dvc/keys';
import { listen } from '@dvc/service';
import { createApp, type IngestApp, type IngestDeps } from './app.js';

// Test support for the app's unit specs (not built: tsconfig.build.json leaves it out).

/** A producer key for every unit and every type, and the key source holding only it. */
export const PRODUCER_KEY = 'dvcr_test-producer';
export const producerKeys = {
  current: () =>
    new KeyRing([
      { id: 'portal', hash: hashApiKey(PRODUCER_KEY), units: '*', types: '*', ratePerMinute: 100_000, role: 'producer', createdAt: '2026-01-01T00:00:00.000Z' },
    ]),
};

/**
 * What a spec must give; the rest defaults to a silent, ready app taking 1 MiB / 1000 events per
 * request, whose publisher appends the events it is given to `published` (a publisher of the
 * spec's own replaces it).
 */
export type TestAppDeps = Pick<IngestDeps, 'registry' | 'admission' | 'now' | 'keys' | 'limiter'> & Partial<IngestDeps> & { published?: DvcEvent[] };

/** The ingest app on a loopback port, and its base URL. */
export async function startTestApp({ published = [], ...deps }: TestAppDeps): Promise<{ app: IngestApp; url: string }> {
  const app = createApp({
    publisher: { publish: async (events) => void published.push(...events) },
    isReady: async () => true,
    logger: createLogger('ingest-test', 'silent'),
    build: { service: 'ingest', version: '0.0.0-test', node: process.version },
    maxBodyBytes: 1024 * 1024,
    maxEventsPerRequest: 1000,
    ...deps,
  });
  return { app, url: `http://127.0.0.1:${await listen(app.server, 0, '127.0.0.1')}` };
}

/** The value of the series of `name` with these labels in `registry` (0 when absent). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  return (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}
