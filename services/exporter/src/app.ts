import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { describeClock, type Logger } from '@dvc/config';
import type { DayIndexer, UnitDirectory, WorkCalendar } from '@dvc/domain';
import { CalendarMetrics, ClockMetric, ProjectionTotals, scrapeWindows, selectExportedUnits } from '@dvc/metrics';
import type { Targets } from '@dvc/config';
import { listUnits, type LiveView, type RedisClient } from '@dvc/read-model';
import { createServiceHttp, gauge, histogram, pingReady, type BuildInfo, type HttpLimits } from '@dvc/service';
import { WHOLE, inShard, type Shard } from './shard.js';
import { UnitSeriesCache } from './unit-cache.js';

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
  /**
   * The part of the units this exporter serves (EXPORTER_SHARD; the whole by default): their
   * series only. Shard 0 also serves the projection-wide totals (dvc_projection_*), summed over
   * every exported unit; every shard serves the clock and calendar series.
   */
  shard?: Shard;
  /**
   * Fixed periods whose last day is more than this many days before now's are not exported
   * (EXPORTER_PERIOD_DAYS_AFTER_END); every period when absent.
   */
  periodDaysAfterEnd?: number;
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
  /** Computes the exposition text from a fresh snapshot (what GET /metrics serves, as bytes). */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

/** The help texts of this module's metric families, kept apart so each declaration reads on one line. */
const HELP = {
  clockInfo: 'The clock the last scrape was computed at (value 1): wall, event (watermark) or as-of (pinned by CLOCK_AS_OF)',
  windowInfo:
    'The windows the last scrape exported (value 1): each rolling window, and each fixed period of the targets file not ended more than EXPORTER_PERIOD_DAYS_AFTER_END days before its now',
  unknownUnits:
    'Units in the projection but not in the unit directory at the last scrape: exported (at most EXPORTER_MAX_UNKNOWN_UNITS, lowest ids) or dropped (counted, not exported)',
  recomputedUnits:
    "Units whose series the last scrape computed again (changed since the scrape before, or moved by the clock); the others were served from the exporter's cache",
  servedUnits: "Units whose series this exporter served at the last scrape (its shard's part of the exported units)",
  scrapeSeconds: 'Time to read the projection and render /metrics',
} as const;

export function createApp(deps: ExporterDeps): ExporterApp {
  const shard = deps.shard ?? WHOLE;
  // The per-unit families are rendered by the cache; the registry holds the few series computed
  // once per scrape.
  const registry = new Registry();
  const totalsMetrics = shard.index === 0 ? new ProjectionTotals(registry) : undefined;
  const clockMetric = new ClockMetric(registry);
  const calendarMetrics = new CalendarMetrics(registry);
  const cache = new UnitSeriesCache();
  const served = gauge(deps.processRegistry, 'dvc_exporter_namespace_info', 'The Redis namespace the last scrape was computed from (value 1)', ['namespace']);
  const clockInfo = gauge(deps.processRegistry, 'dvc_exporter_clock_info', HELP.clockInfo, ['mode']);
  const windowInfo = gauge(deps.processRegistry, 'dvc_exporter_window_info', HELP.windowInfo, ['window', 'kind']);
  const unknownUnits = gauge(deps.processRegistry, 'dvc_exporter_unknown_units', HELP.unknownUnits, ['state']);
  const recomputedUnits = gauge(deps.processRegistry, 'dvc_exporter_units_recomputed', HELP.recomputedUnits);
  const servedUnits = gauge(deps.processRegistry, 'dvc_exporter_units_served', HELP.servedUnits);
  const scrapeSeconds = histogram(deps.processRegistry, 'dvc_exporter_scrape_seconds', HELP.scrapeSeconds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  // Scrapes arriving while one is computed share its result instead of piling onto Redis.
  let inFlight: Promise<Buffer> | undefined;

  const compute = async (): Promise<Buffer> => {
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
    const { windows, buckets } = scrapeWindows(reference, now, deps.periodDaysAfterEnd);
    windowInfo.reset();
    for (const window of windows) windowInfo.set({ window: window.id, kind: window.kind }, 1);
    const servedIds = shard.count === 1 ? exported.unitIds : exported.unitIds.filter((unitId) => inShard(shard, unitId));
    const result = await cache.scrape({
      redis: deps.redis,
      keys,
      served: servedIds,
      totalled: totalsMetrics === undefined ? undefined : exported.unitIds,
      windows,
      buckets,
      nowMs: now,
      reference,
    });
    if (totalsMetrics !== undefined && result.totals !== undefined) totalsMetrics.update(result.totals, wall);
    clockMetric.update(now);
    calendarMetrics.update(calendar, deps.days, now);
    recomputedUnits.set(result.recomputed);
    servedUnits.set(servedIds.length);
    timer();
    // One copy of every unit's bytes into the answer; nothing of them is encoded again.
    result.parts.push(Buffer.from(`\n${await registry.metrics()}\n${await deps.processRegistry.metrics()}`));
    return Buffer.concat(result.parts);
  };

  const body = (): Promise<Buffer> => {
    inFlight ??= compute().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const scrape = async (): Promise<string> => (await body()).toString('utf8');

  const http = createServiceHttp({
    build: deps.build,
    registry: deps.processRegistry,
    logger: deps.logger,
    metrics: body,
    health: () => ({ clock: describeClock(deps.live.clock) }),
    ready: pingReady('redis', () => deps.redis.ping()),
    failureMessage: 'scrape failed',
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
  });
  return { server: http.server, scrape, close: http.close };
}
