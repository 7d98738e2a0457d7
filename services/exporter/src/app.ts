import type { Server } from 'node:http';
import { Gauge, Histogram, Registry } from 'prom-client';
import { describeClock, type Logger } from '@dvc/config';
import type { DayIndexer, UnitDirectory, WorkCalendar } from '@dvc/domain';
import { ContractMetrics, scrapeWindows, selectExportedUnits } from '@dvc/metrics';
import type { Targets } from '@dvc/config';
import { listUnits, readSnapshots, type LiveView, type RedisClient } from '@dvc/read-model';
import { createServiceHttp, type BuildInfo, type HttpLimits } from '@dvc/service';

export interface ExporterDeps {
  redis: RedisClient;
  /**
   * What is live and when now is, resolved once per scrape (`createLiveView` of @dvc/read-model):
   * the namespace `<base>:active` names, so a rebuild's switch takes effect on the next scrape,
   * and the clock (wall, event-time watermark or pinned as-of instant).
   */
  live: LiveView;
  days: DayIndexer;
  /**
   * The unit directory, the targets (fixed periods, exported as windows, and KPI targets) and the
   * working-day calendar (where its official data ends, which years are fallback: dvc_calendar_*)
   * of the reference data current now (it reloads without a restart); read once per scrape.
   */
  reference: () => { units: UnitDirectory; targets: Targets; calendar: WorkCalendar };
  /** Units missing from the directory exported at most (the lowest ids); the others are counted, not exported. */
  maxUnknownUnits: number;
  logger: Logger;
  /** Service, version and Node.js version: /healthz and dvc_build_info. */
  build: BuildInfo;
  /** Process metrics (default collectors) to append to each scrape. */
  processRegistry: Registry;
  /**
   * Edge limits (rate, header size, timeouts); DEFAULT_HTTP_LIMITS when absent. A rate limit
   * applies to /metrics too: keep it off (0) or well above the scrape rate of every Prometheus.
   */
  limits?: HttpLimits;
}

export interface ExporterApp {
  server: Server;
  /** Computes the exposition text from a fresh snapshot. */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export function createApp(deps: ExporterDeps): ExporterApp {
  const registry = new Registry();
  const metrics = new ContractMetrics(registry);
  const served = new Gauge({
    name: 'dvc_exporter_namespace_info',
    help: 'The Redis namespace the last scrape was computed from (value 1)',
    labelNames: ['namespace'],
    registers: [deps.processRegistry],
  });
  const clockInfo = new Gauge({
    name: 'dvc_exporter_clock_info',
    help: 'The clock the last scrape was computed at (value 1): wall, event (watermark) or as-of (pinned by CLOCK_AS_OF)',
    labelNames: ['mode'],
    registers: [deps.processRegistry],
  });
  const unknownUnits = new Gauge({
    name: 'dvc_exporter_unknown_units',
    help: 'Units in the projection but not in the unit directory at the last scrape: exported (at most EXPORTER_MAX_UNKNOWN_UNITS, lowest ids) or dropped (counted, not exported)',
    labelNames: ['state'],
    registers: [deps.processRegistry],
  });
  const scrapeSeconds = new Histogram({
    name: 'dvc_exporter_scrape_seconds',
    help: 'Time to read the projection and render /metrics',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.processRegistry],
  });
  // Scrapes arriving while one is computed share its result instead of piling onto Redis.
  let inFlight: Promise<string> | undefined;

  const compute = async (): Promise<string> => {
    const timer = scrapeSeconds.startTimer();
    const { namespace, keys, nowMs: now, wallMs: wall, clockMode } = await deps.live.resolve();
    served.reset();
    served.set({ namespace }, 1);
    clockInfo.reset();
    clockInfo.set({ mode: clockMode }, 1);
    const { units, targets, calendar } = deps.reference();
    const reference = { days: deps.days, units, targets, calendar };
    const exported = selectExportedUnits(await listUnits(deps.redis, keys), units, deps.maxUnknownUnits);
    unknownUnits.set({ state: 'exported' }, exported.unknownExported);
    unknownUnits.set({ state: 'dropped' }, exported.unknownDropped);
    const { windows, buckets } = scrapeWindows(reference, now);
    const snapshots = await readSnapshots(deps.redis, keys, exported.unitIds, buckets, now);
    metrics.update({ snapshots, windows, nowMs: now, wallMs: wall, reference });
    timer();
    return `${await registry.metrics()}\n${await deps.processRegistry.metrics()}`;
  };

  const scrape = (): Promise<string> => {
    inFlight ??= compute().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const http = createServiceHttp({
    build: deps.build,
    registry: deps.processRegistry,
    logger: deps.logger,
    metrics: scrape,
    health: () => ({ clock: describeClock(deps.live.clock) }),
    ready: async () => {
      const ok = await deps.redis.ping().then(() => true, () => false);
      return { ready: ok, details: { redis: ok } };
    },
    failureMessage: 'scrape failed',
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
  });
  return { server: http.server, scrape, close: http.close };
}
