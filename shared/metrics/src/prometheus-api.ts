/** One series of an instant query: its labels and value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** One series of a range query: its labels and [epoch ms, value] points. */
export interface RangeSeries {
  metric: Record<string, string>;
  points: [number, number][];
}

/** Thrown when Prometheus cannot be reached or refuses a query; the message names the query. */
export class PrometheusError extends Error {}

/** An alert as Prometheus holds it now (`/api/v1/alerts`), annotations expanded. */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `pending` (its `for` not yet over) or `firing`. */
  state: 'pending' | 'firing';
  /** Since when its condition holds (RFC 3339). */
  activeAt: string;
}

export interface Prometheus {
  query(expr: string): Promise<Sample[]>;
  /** The alerts pending or firing now. */
  alerts(): Promise<ActiveAlert[]>;
  queryRange(expr: string, startMs: number, endMs: number, stepSeconds: number): Promise<RangeSeries[]>;
  /** When this Prometheus process started (epoch ms, `/api/v1/status/runtimeinfo`): alerts are sound only once it has evaluated its rules for a while. */
  startedAt(): Promise<number>;
}

interface ApiBody {
  status: string;
  error?: string;
  data?: {
    resultType?: string;
    result?: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
    alerts?: ActiveAlert[];
    startTime?: string;
  };
}

/**
 * A client of Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`,
 * `/api/v1/status/runtimeinfo`), each call bounded by `timeoutMs`: the board reads its aggregates
 * and the system's alerts through it, the notifier whether a resolved alert really ended.
 */
export function prometheusClient(baseUrl: string, timeoutMs: number): Prometheus {
  const call = async (path: string, params: Record<string, string>) => {
    const url = `${baseUrl.replace(/\/+$/, '')}${path}${Object.keys(params).length === 0 ? '' : `?${new URLSearchParams(params).toString()}`}`;
    let body: ApiBody;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      body = (await res.json()) as ApiBody;
    } catch (error) {
      throw new PrometheusError(`Prometheus did not answer ${params.query ?? path}: ${(error as Error).message}`);
    }
    if (body.status !== 'success' || body.data === undefined)
      throw new PrometheusError(`Prometheus refused ${params.query ?? path}: ${body.error ?? 'no data'}`);
    return body.data;
  };
  const result = async (path: string, params: Record<string, string>) => (await call(path, params)).result ?? [];
  return {
    query: async (expr) => (await result('/api/v1/query', { query: expr })).map((r) => ({ metric: r.metric, value: Number(r.value?.[1]) })),
    alerts: async () => (await call('/api/v1/alerts', {})).alerts ?? [],
    queryRange: async (expr, startMs, endMs, stepSeconds) =>
      (await result('/api/v1/query_range', { query: expr, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSeconds) })).map((r) => ({
        metric: r.metric,
        points: (r.values ?? []).map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]),
      })),
    startedAt: async () => {
      const at = Date.parse((await call('/api/v1/status/runtimeinfo', {})).startTime ?? '');
      if (Number.isNaN(at)) throw new PrometheusError('Prometheus refused /api/v1/status/runtimeinfo: no startTime');
      return at;
    },
  };
}
