import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { describeClock, type Logger, type Targets } from '@dvc/config';
import type { KpiThresholds } from '@dvc/dashboards';
import { INTEGRITY_REASON_NAMES_VI, UNIT_ID_PATTERN, isUnitId, type UnitDirectory } from '@dvc/domain';
import { keyRole, type ApiKeyRecord, type KeysSource } from '@dvc/keys';
import {
  MAX_PAGE_SIZE,
  PageRequestError,
  listUnits,
  readDueSoon,
  readOverdue,
  readPaused,
  readReceiptOverdue,
  readResultNotReturned,
  type LiveState,
  type LiveView,
  type Page,
  type PageRequest,
  type QueueItem,
  type ReadAt,
  type ReceiptItem,
  type RedisClient,
  type ResultItem,
} from '@dvc/read-model';
import { TREND_SPAN_MS, isRollingWindow, isWindowId, ragOf, readExportedWindows, readOverview, readTrend, readUnitFigures, readUnitKpis } from './figures.js';
import { PrometheusError, type Prometheus } from '@dvc/metrics';
import { systemAlerts } from './health.js';
import { reportCsv, reportRows, reportXlsx } from './report.js';
import { counter, createServiceHttp, pingReady, queryProblems, sendJson, sendText, wholeNumber, type BuildInfo, type HttpLimits } from '@dvc/service';
import type { StaticAsset } from './assets.js';

export interface BoardDeps {
  redis: RedisClient;
  /** What is live and when now is, resolved per request (the configured clock and active namespace). */
  live: LiveView;
  prometheus: Prometheus;
  keys: KeysSource;
  /** The unit directory and targets current now (reference data reloads without a restart). */
  reference: () => { units: UnitDirectory; targets: Targets };
  thresholds: () => KpiThresholds;
  /** Served as they are: the page, its script and style, the chart library. */
  assets: ReadonlyMap<string, StaticAsset>;
  openapi: string;
  registry: Registry;
  logger: Logger;
  /** Service, version and Node.js version: /healthz and dvc_build_info. */
  build: BuildInfo;
  /** The wall clock (epoch ms): Prometheus' time axis. */
  wall: () => number;
  limits?: HttpLimits;
}

export interface BoardApp {
  server: Server;
  close(): Promise<void>;
}

/** The lists of GET /v1/units/{unit}/dossiers, by the `state` parameter's value. */
export const DOSSIER_STATES = ['overdue', 'due_soon', 'paused', 'receipt_overdue', 'result_not_returned'] as const;
type DossierState = (typeof DOSSIER_STATES)[number];
export const DEFAULT_PAGE_SIZE = 100;
export const DOSSIERS_QUERY_PARAMETERS = ['state', 'limit', 'after'] as const;

/** The unit of a list's path: its percent-decoded segment, or why it is not a unit id (echoed at most 80 characters). */
function unitOfPath(segment: string): { ok: true; id: string } | { ok: false; problem: string } {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return { ok: false, problem: `the unit '${segment.slice(0, 80)}' is not valid percent-encoding` };
  }
  return isUnitId(id) ? { ok: true, id } : { ok: false, problem: `the unit '${id.slice(0, 80)}' is not a unit id (${UNIT_ID_PATTERN})` };
}

const CHALLENGE = 'Bearer realm="dvc-board"';
const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;
const UNIT_PATH = /^\/v1\/units\/([^/]+)\/(dossiers|kpis)$/;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** A list item as the API writes it: ids and times only. */
function itemJson(item: QueueItem) {
  return {
    dossierId: item.dossierId,
    procedureId: item.procedureId ?? null,
    receivedAt: iso(item.receivedAtMs),
    dueAt: iso(item.dueMs),
    daysOverdue: item.daysOverdue,
    pausedSince: iso(item.pausedSinceMs),
  };
}

/** An online submission not received in time, in the same shape: not yet received, due at its receipt deadline. */
function receiptJson(item: ReceiptItem) {
  return {
    dossierId: item.dossierId,
    procedureId: item.procedureId ?? null,
    submittedAt: iso(item.submittedAtMs),
    receivedAt: null,
    dueAt: iso(item.deadlineMs),
    daysOverdue: item.daysLate,
    pausedSince: null,
  };
}

/** A resolved dossier whose result was not handed back in time, in the same shape: resolved when, due at its return deadline. */
function resultJson(item: ResultItem) {
  return {
    dossierId: item.dossierId,
    procedureId: item.procedureId ?? null,
    receivedAt: iso(item.receivedAtMs),
    resolvedAt: iso(item.resolvedAtMs),
    dueAt: iso(item.deadlineMs),
    daysOverdue: item.daysLate,
    pausedSince: null,
  };
}

/** A page with its items as the API writes them. */
const pageJson = <T>(page: Page<T>, json: (item: T) => unknown): Page<unknown> => ({ items: page.items.map(json), next: page.next });

/** Each list of the API: one page read at the board's clock, its items written as the API does. */
const LISTS: Record<DossierState, (redis: RedisClient, at: ReadAt, unit: string, request: PageRequest) => Promise<Page<unknown>>> = {
  overdue: async (...args) => pageJson(await readOverdue(...args), itemJson),
  due_soon: async (...args) => pageJson(await readDueSoon(...args), itemJson),
  paused: async (...args) => pageJson(await readPaused(...args), itemJson),
  receipt_overdue: async (...args) => pageJson(await readReceiptOverdue(...args), receiptJson),
  result_not_returned: async (...args) => pageJson(await readResultNotReturned(...args), resultJson),
};

/** How long the context waits for Prometheus to say which windows it has (every page starts with the context). */
const CONTEXT_PROMETHEUS_WAIT_MS = 1_500;

/** What `promise` gives, or undefined once `ms` have passed first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)))]);
  } finally {
    clearTimeout(timer);
  }
}

export function createApp(deps: BoardDeps): BoardApp {
  const requests = counter(deps.registry, 'dvc_board_requests_total', 'Requests to the board API (/v1/...) by route and response status', ['route', 'status']);

  const reply = (res: ServerResponse, route: string, status: number, body: unknown, headers: Record<string, string> = {}) => {
    requests.inc({ route, status: String(status) });
    sendJson(res, status, body, { 'cache-control': 'no-store', ...headers });
  };

  /** The key of a request with the role `board`, or undefined once the refusal is sent. */
  const authenticate = (req: IncomingMessage, res: ServerResponse, route: string): ApiKeyRecord | undefined => {
    const header = req.headers.authorization;
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) {
      reply(res, route, 401, { error: 'thiếu khóa truy cập: gửi Authorization: Bearer <key> (missing API key)' }, { 'www-authenticate': CHALLENGE });
      return undefined;
    }
    const key = deps.keys.current().verify(presented);
    if (key === undefined) {
      reply(res, route, 401, { error: 'khóa truy cập không hợp lệ (unknown API key)' }, { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` });
      return undefined;
    }
    if (keyRole(key) !== 'board') {
      reply(res, route, 403, { error: `khóa '${key.id}' có vai trò '${keyRole(key)}'; bảng điều hành chỉ nhận khóa vai trò 'board'` });
      return undefined;
    }
    return key;
  };
  const mayRead = (key: ApiKeyRecord, unit: string) => key.units === '*' || key.units.includes(unit);

  /** A 400 naming every problem of the request, when it has any; true when sent. */
  const refused = (res: ServerResponse, route: string, problems: readonly string[]): boolean => {
    if (problems.length === 0) return false;
    reply(res, route, 400, { error: problems.join('; '), problems });
    return true;
  };

  /**
   * Runs an authenticated GET whose query may hold only `accepted` parameters, each once: the
   * handler gets the query's problems (an unknown or repeated parameter) to add its own to and
   * refuse together. A Prometheus failure is a 502 with its reason.
   */
  const guarded =
    (
      route: string,
      accepted: readonly string[],
      handler: (req: IncomingMessage, res: ServerResponse, key: ApiKeyRecord, params: URLSearchParams, problems: string[]) => Promise<void>,
    ) =>
    async (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== 'GET') {
        reply(res, route, 405, { error: 'use GET' }, { allow: 'GET' });
        return;
      }
      const key = authenticate(req, res, route);
      if (key === undefined) return;
      const params = new URL(req.url ?? '/', 'http://board').searchParams;
      try {
        await handler(req, res, key, params, queryProblems(params, accepted));
      } catch (error) {
        if (!(error instanceof PrometheusError)) throw error;
        deps.logger.warn({ err: error, route }, 'Prometheus query failed');
        reply(res, route, 502, { error: `không đọc được Prometheus: ${error.message}` });
      }
    };

  /** The window a parameter names (14d when absent), or undefined with its problem added. */
  const windowOf = (params: URLSearchParams, name: string, problems: string[]): string | undefined => {
    const window = params.get(name) ?? '14d';
    const known = window === '14d' || deps.reference().targets.periodRecords.some((p) => p.id === window);
    if (known && isWindowId(window)) return window;
    problems.push(`${name} must be 14d or a period id of the targets file`);
    return undefined;
  };

  /**
   * Refuses with 404 and the reason a window whose figures cannot be shown; true when sent. A
   * fixed period the exporters no longer export (it ended more than their
   * EXPORTER_PERIOD_DAYS_AFTER_END days ago) has no series in Prometheus: its figures would read
   * as zeros ("nothing happened") and today's open dossiers as open at its end. When Prometheus
   * holds no exporter scrape at all, nothing is known and the figures are read as they are (null
   * where missing).
   */
  const refusedUnexported = async (res: ServerResponse, route: string, window: string): Promise<boolean> => {
    if (isRollingWindow(window)) return false;
    const exported = await readExportedWindows(deps.prometheus);
    if (exported.size === 0 || exported.has(window)) return false;
    const period = deps.reference().targets.periodRecords.find((p) => p.id === window);
    const error =
      `kỳ '${window}'${period === undefined ? '' : ` (${period.from} – ${period.to})`} không còn được bộ xuất số liệu (exporter) đưa lên Prometheus: ` +
      'kỳ đã kết thúc quá EXPORTER_PERIOD_DAYS_AFTER_END ngày; muốn xem lại, tăng EXPORTER_PERIOD_DAYS_AFTER_END của exporter ' +
      '(period not exported: ended more than EXPORTER_PERIOD_DAYS_AFTER_END days ago)';
    reply(res, route, 404, { error });
    return true;
  };

  const context = guarded('context', [], async (_req, res, key, _params, problems) => {
    if (refused(res, 'context', problems)) return;
    const at = await deps.live.resolve();
    const { targets } = deps.reference();
    // Which windows Prometheus has figures of (null for each when it cannot be read in time or
    // holds no exporter scrape), and the system's own alerts firing now (null when unknown): the
    // context still answers at once, as every page starts with it and the worklists do not need
    // Prometheus.
    const unanswered = (error: unknown) => {
      if (error instanceof PrometheusError) return undefined;
      throw error;
    };
    const [exportedRead, alerts] = await Promise.all([
      within(readExportedWindows(deps.prometheus).catch(unanswered), CONTEXT_PROMETHEUS_WAIT_MS),
      within(deps.prometheus.alerts().catch(unanswered), CONTEXT_PROMETHEUS_WAIT_MS),
    ]);
    const exported = exportedRead ?? new Set<string>();
    const isExported = (id: string) => (exported.size === 0 ? null : exported.has(id));
    reply(res, 'context', 200, {
      now: new Date(at.nowMs).toISOString(),
      clock: describeClock(deps.live.clock),
      namespace: at.namespace,
      windows: [
        { id: '14d', name: '14 ngày gần nhất', from: null, to: null, exported: isExported('14d') },
        ...targets.periodRecords.map((p) => ({ id: p.id, name: p.name, from: p.from, to: p.to, exported: isExported(p.id) })),
      ],
      key: { id: key.id, units: key.units },
      health: alerts === undefined ? null : systemAlerts(alerts, key.units === '*'),
      // The integrity signals' names, as the notices name them: the pages write them beside the counts.
      signals: INTEGRITY_REASON_NAMES_VI,
    });
  });

  const units = guarded('units', [], async (_req, res, key, _params, problems) => {
    if (refused(res, 'units', problems)) return;
    const at = await deps.live.resolve();
    const directory = deps.reference().units;
    const ids = (await listUnits(deps.redis, at.keys)).filter((unit) => mayRead(key, unit));
    reply(res, 'units', 200, {
      now: new Date(at.nowMs).toISOString(),
      namespace: at.namespace,
      units: ids.map((id) => {
        const info = directory.lookup(id);
        return { id, name: info.name, level: info.level, kind: info.kind };
      }),
    });
  });

  /** The unit a /v1/units/{unit}/… path names, or undefined once the 404 is sent. */
  const unitSegment = (req: IncomingMessage, res: ServerResponse, route: string): string | undefined => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = UNIT_PATH.exec(path);
    if (match === null) reply(res, route, 404, { error: `no such path: ${path.slice(0, 200)}` });
    return match?.[1];
  };

  /**
   * A unit the key may read and the board knows, or undefined once the refusal is sent: 403 outside
   * the key's units, 404 for a unit neither projected nor in the directory (a typo, an id from
   * elsewhere), which is never answered as if nothing happened there.
   */
  const knownUnit = async (res: ServerResponse, route: string, key: ApiKeyRecord, unitId: string, at: LiveState): Promise<boolean> => {
    if (!mayRead(key, unitId)) {
      reply(res, route, 403, { error: `đơn vị '${unitId}' nằm ngoài phạm vi của khóa '${key.id}'` });
      return false;
    }
    if (!deps.reference().units.has(unitId) && (await deps.redis.sismember(at.keys.units(), unitId)) === 0) {
      reply(res, route, 404, { error: `không có đơn vị '${unitId}' trong số liệu và danh mục đơn vị (unknown unit)` });
      return false;
    }
    return true;
  };

  const dossiers = guarded('dossiers', DOSSIERS_QUERY_PARAMETERS, async (req, res, key, params, problems) => {
    const segment = unitSegment(req, res, 'dossiers');
    if (segment === undefined) return;
    const unit = unitOfPath(segment);
    if (!unit.ok) problems.unshift(unit.problem);
    const state = params.get('state');
    if (state === null || !(DOSSIER_STATES as readonly string[]).includes(state)) problems.push(`state must be one of ${DOSSIER_STATES.join(', ')}`);
    const limit = wholeNumber(params.get('limit') ?? String(DEFAULT_PAGE_SIZE), 1, MAX_PAGE_SIZE);
    if (limit === undefined) problems.push(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    if (refused(res, 'dossiers', problems) || !unit.ok || limit === undefined) return;
    const unitId = unit.id;
    const at = await deps.live.resolve();
    if (!(await knownUnit(res, 'dossiers', key, unitId, at))) return;
    const request = { limit, after: params.get('after') ?? undefined };
    let page: Page<unknown>;
    try {
      page = await LISTS[state as DossierState](deps.redis, at, unitId, request);
    } catch (error) {
      if (!(error instanceof PageRequestError)) throw error;
      reply(res, 'dossiers', 400, { error: error.message, problems: [error.message] });
      return;
    }
    reply(res, 'dossiers', 200, {
      unit: unitId,
      state,
      now: new Date(at.nowMs).toISOString(),
      namespace: at.namespace,
      items: page.items,
      next: page.next ?? null,
    });
  });

  const unitKpis = guarded('unit-kpis', ['window'], async (req, res, key, params, problems) => {
    const segment = unitSegment(req, res, 'unit-kpis');
    if (segment === undefined) return;
    const unit = unitOfPath(segment);
    if (!unit.ok) problems.unshift(unit.problem);
    const window = windowOf(params, 'window', problems);
    if (refused(res, 'unit-kpis', problems) || !unit.ok || window === undefined) return;
    const at = await deps.live.resolve();
    if (!(await knownUnit(res, 'unit-kpis', key, unit.id, at))) return;
    if (await refusedUnexported(res, 'unit-kpis', window)) return;
    const level = deps.reference().units.lookup(unit.id).level;
    reply(res, 'unit-kpis', 200, {
      unit: unit.id,
      level,
      window,
      kpis: await readUnitKpis(deps.prometheus, deps.thresholds(), { id: unit.id, level }, window),
    });
  });

  /** /v1/units/{unit}/kpis, and /v1/units/{unit}/dossiers (which answers 404 for any other path under /v1/units/). */
  const unitRoutes = (req: IncomingMessage, res: ServerResponse) =>
    (UNIT_PATH.exec((req.url ?? '/').split('?')[0] ?? '/')?.[2] === 'kpis' ? unitKpis : dossiers)(req, res);

  const overview = guarded('overview', ['window'], async (_req, res, _key, params, problems) => {
    const window = windowOf(params, 'window', problems);
    if (refused(res, 'overview', problems) || window === undefined) return;
    if (await refusedUnexported(res, 'overview', window)) return;
    reply(res, 'overview', 200, await readOverview(deps.prometheus, deps.thresholds(), window));
  });

  const ranking = guarded('ranking', ['window'], async (_req, res, key, params, problems) => {
    const window = windowOf(params, 'window', problems);
    if (refused(res, 'ranking', problems) || window === undefined) return;
    if (await refusedUnexported(res, 'ranking', window)) return;
    const directory = deps.reference().units;
    const rows = (await readUnitFigures(deps.prometheus, window))
      .filter((u) => mayRead(key, u.unit))
      .map((u) => {
        const info = directory.lookup(u.unit);
        return { ...u, name: info.name, kind: info.kind, rag: ragOf(u.overdueRatio, u.overdueTarget) };
      })
      .sort((a, b) => (b.overdueRatio ?? -1) - (a.overdueRatio ?? -1) || a.unit.localeCompare(b.unit));
    reply(res, 'ranking', 200, { window, units: rows });
  });

  // The range is on Prometheus' time axis (the wall clock), whatever the board's clock: see readTrend.
  const trend = guarded('trend', [], async (_req, res, key, _params, problems) => {
    if (refused(res, 'trend', problems)) return;
    const toMs = deps.wall();
    const series = (await readTrend(deps.prometheus, toMs)).filter((s) => mayRead(key, s.metric.unit ?? ''));
    reply(res, 'trend', 200, {
      window: '14d',
      from: new Date(toMs - TREND_SPAN_MS).toISOString(),
      to: new Date(toMs).toISOString(),
      clock: describeClock(deps.live.clock),
      series: series.map((s) => ({ unit: s.metric.unit ?? '', level: s.metric.level ?? '', points: s.points })),
    });
  });

  const report = guarded('report', ['period', 'format'], async (_req, res, key, params, problems) => {
    const period = windowOf(params, 'period', problems);
    const format = params.get('format') ?? 'json';
    if (!['json', 'csv', 'xlsx'].includes(format)) problems.push('format must be json, csv or xlsx');
    if (refused(res, 'report', problems) || period === undefined) return;
    if (await refusedUnexported(res, 'report', period)) return;
    const { units: directory, targets } = deps.reference();
    const figures = (await readUnitFigures(deps.prometheus, period)).filter((u) => mayRead(key, u.unit));
    const rows = reportRows(figures, (unit) => directory.lookup(unit).name);
    // The targets file's Vietnamese name, without its English gloss in parentheses.
    const name = (targets.periodRecords.find((p) => p.id === period)?.name ?? '14 ngày gần nhất').replace(/\s*\([^()]*\)\s*$/, '');
    const file = `bao-cao-${period}`;
    if (format === 'json') {
      reply(res, 'report', 200, { period, name, rows });
    } else if (format === 'csv') {
      requests.inc({ route: 'report', status: '200' });
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${file}.csv"`,
        'cache-control': 'no-store',
      });
      res.end(reportCsv(rows));
    } else {
      const body = await reportXlsx(rows, `Báo cáo tình hình giải quyết hồ sơ – ${name}`);
      requests.inc({ route: 'report', status: '200' });
      res.writeHead(200, {
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': `attachment; filename="${file}.xlsx"`,
        'content-length': String(body.length),
        'cache-control': 'no-store',
      });
      res.end(body);
    }
  });

  const asset = (path: string) => (req: IncomingMessage, res: ServerResponse) => {
    const found = deps.assets.get(path)!;
    res.writeHead(200, { 'content-type': found.contentType, 'content-length': String(found.body.length), 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : found.body);
  };
  const assetRoutes = Object.fromEntries([...deps.assets.keys()].map((path) => [path, asset(path)]));

  const http = createServiceHttp({
    build: deps.build,
    registry: deps.registry,
    logger: deps.logger,
    routes: {
      ...assetRoutes,
      '/v1/context': context,
      '/v1/units': units,
      '/v1/overview': overview,
      '/v1/ranking': ranking,
      '/v1/trend': trend,
      '/v1/report': report,
      '/v1/openapi.json': (_req, res) => sendText(res, 200, deps.openapi, 'application/json; charset=utf-8'),
    },
    prefixRoutes: [['/v1/units/', unitRoutes]],
    health: () => ({ clock: describeClock(deps.live.clock) }),
    ready: pingReady('redis', () => deps.redis.ping()),
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
  });
  return { server: http.server, close: () => http.close() };
}
