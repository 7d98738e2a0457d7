import { createHash } from 'node:crypto';

/** One alert of an Alertmanager webhook (payload version 4). */
export interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The Alertmanager webhook payload (version 4), the fields the notifier reads. */
export interface AmPayload {
  version: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  truncatedAlerts: number;
  alerts: AmAlert[];
}

export type ParseResult = { ok: true; payload: AmPayload } | { ok: false; problems: string[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, where: string, problems: string[]): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v)) {
    problems.push(`${where} must be an object of strings`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') problems.push(`${where}.${k} must be a string`);
    else out[k] = val;
  }
  return out;
}

const isStatus = (v: unknown): v is 'firing' | 'resolved' => v === 'firing' || v === 'resolved';

/** Identifies an alert by its label set, as Alertmanager does (used when a sender omits it). */
export function labelFingerprint(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join('\u0000');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Validates a webhook body; every problem is named so a bad sender can be fixed. */
export function parseAlertmanagerPayload(body: unknown): ParseResult {
  const problems: string[] = [];
  if (!isRecord(body)) return { ok: false, problems: ['body must be a JSON object'] };
  if (typeof body.groupKey !== 'string' || body.groupKey === '') problems.push('groupKey must be a non-empty string');
  if (!isStatus(body.status)) problems.push("status must be 'firing' or 'resolved'");
  if (!Array.isArray(body.alerts) || body.alerts.length === 0) problems.push('alerts must be a non-empty array');
  const alerts: AmAlert[] = [];
  if (Array.isArray(body.alerts)) {
    body.alerts.forEach((raw: unknown, i) => {
      const where = `alerts[${i}]`;
      if (!isRecord(raw)) {
        problems.push(`${where} must be an object`);
        return;
      }
      if (!isStatus(raw.status)) problems.push(`${where}.status must be 'firing' or 'resolved'`);
      const labels = stringMap(raw.labels, `${where}.labels`, problems);
      if (labels.alertname === undefined) problems.push(`${where}.labels.alertname is required`);
      const annotations = stringMap(raw.annotations, `${where}.annotations`, problems);
      if (typeof raw.startsAt !== 'string' || Number.isNaN(Date.parse(raw.startsAt))) problems.push(`${where}.startsAt must be an RFC 3339 time`);
      const endsAt = typeof raw.endsAt === 'string' ? raw.endsAt : '';
      alerts.push({
        status: isStatus(raw.status) ? raw.status : 'firing',
        labels,
        annotations,
        startsAt: typeof raw.startsAt === 'string' ? raw.startsAt : '',
        endsAt,
        generatorURL: typeof raw.generatorURL === 'string' ? raw.generatorURL : '',
        fingerprint: typeof raw.fingerprint === 'string' && raw.fingerprint !== '' ? raw.fingerprint : labelFingerprint(labels),
      });
    });
  }
  const groupLabels = stringMap(body.groupLabels, 'groupLabels', problems);
  const commonLabels = stringMap(body.commonLabels, 'commonLabels', problems);
  const commonAnnotations = stringMap(body.commonAnnotations, 'commonAnnotations', problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    payload: {
      version: typeof body.version === 'string' ? body.version : '4',
      groupKey: body.groupKey as string,
      status: body.status as 'firing' | 'resolved',
      receiver: typeof body.receiver === 'string' ? body.receiver : '',
      groupLabels,
      commonLabels,
      commonAnnotations,
      externalURL: typeof body.externalURL === 'string' ? body.externalURL : '',
      truncatedAlerts: typeof body.truncatedAlerts === 'number' ? body.truncatedAlerts : 0,
      alerts,
    },
  };
}

/**
 * The idempotency key of a notice: group, status and the set of alerts, each alert by its
 * fingerprint and start time. Alertmanager's retries and repeat notifications of the same group
 * carry the same key and are suppressed; a new alert joining the group, the group resolving, or
 * the same alert firing again after it resolved (a new startsAt) make a new notice.
 */
export function noticeKey(payload: AmPayload): string {
  const alerts = payload.alerts
    .map((a) => `${a.fingerprint}@${a.startsAt}:${a.status}`)
    .sort()
    .join(',');
  return createHash('sha256').update(`${payload.groupKey}\u0000${payload.status}\u0000${alerts}`).digest('hex').slice(0, 32);
}
