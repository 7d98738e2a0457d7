import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { describeClock, isUnitAlert, type Logger } from '@dvc/config';
import type { UnitDirectory } from '@dvc/domain';
import { keyRole, type KeysSource } from '@dvc/keys';
import { counter, createServiceHttp, gauge, queryProblems, readBody, sendJson, wholeNumber, type BuildInfo, type HttpLimits } from '@dvc/service';
import { noticeKey, parseAlertmanagerPayload, type AmPayload } from './alertmanager.js';
import { bearerCredential } from './auth.js';
import type { Deferral, EndedAlerts } from './confirm.js';
import { DeliveryError, type Sender } from './delivery.js';
import { formatOfficeHours, type OfficeClock } from './office.js';
import type { OverdueReader, OverdueReading } from './overdue.js';
import { alertLabelsOf, type Delivery, type EnqueueOutcome, type Outbox } from './outbox.js';
import { localDateOf, recipientCoverage, resolveRecipients, type RecipientBook } from './recipients.js';
import { renderDigest, renderNotice, worklistUnits, type RenderedNotice } from './render.js';

export interface NotifierDeps {
  outbox: Outbox;
  /** The unit directory and the recipients current now (reloaded without a restart); read once per webhook. */
  reference: () => { units: UnitDirectory; recipients: RecipientBook };
  /**
   * What is live and when now is, read per notice (`liveOverdueReader`), with the overdue
   * dossiers; its clock is reported in /metrics (`dvc_notifier_clock_info`) and /healthz.
   */
  overdue: OverdueReader;
  senders: { email: Sender; webhook: Sender };
  dashboardUrl: string;
  /** Wall clock: outbox timing and when a notice is written. */
  now: () => number;
  logger: Logger;
  /** Service, version and Node.js version: /healthz and dvc_build_info. */
  build: BuildInfo;
  /** Process metrics to append to /metrics. */
  processRegistry: Registry;
  /** How often the dispatcher looks for due deliveries (it is also woken by new notices). */
  pollMs: number;
  /**
   * How long a resolved notice about units (alerts with a `unit` or `kpi` label) waits before it
   * is sent (ms); a firing notice of its group within that time cancels it (NOTIFIER_RESOLVED_HOLD_SECONDS).
   */
  resolvedHoldMs: number;
  /**
   * Whether the end of a unit's alerts may be told now (`endChecker`: Prometheus answers and has
   * run a while, the alerts are not active again, no critical alert of the monitoring system is
   * active): undefined when it may, else why not. Asked when a held resolution comes due; one not
   * confirmed is looked at again every minute (or every hold, if shorter) and stays held.
   */
  checkEnd: (ended: EndedAlerts, nowMs: number) => Promise<Deferral | undefined>;
  /**
   * When people are told (NOTIFIER_OFFICE_HOURS): e-mail about units (alerts with a `unit` or
   * `kpi` label) with no critical alert among them waits for office hours on working days, and a
   * firing one is written again when it goes out. Undefined: every notice goes out when it comes.
   */
  office?: OfficeClock;
  /** Readiness extras (e.g. Redis); reported, never a reason to refuse webhooks. */
  redisPing?: () => Promise<boolean>;
  /** Edge limits (rate, header size, timeouts); DEFAULT_HTTP_LIMITS when absent. */
  limits?: HttpLimits;
  /** Whether a bearer credential is Alertmanager's token (`tokenChecker` of NOTIFIER_TOKEN_FILE); anything else gets 401 at /v1/alertmanager. */
  alertmanagerToken: (presented: string | undefined) => boolean;
  /** The keys store: /v1/notices takes keys of the role `operator` only. */
  keys: KeysSource;
}

export interface NotifierApp {
  server: Server;
  /** Renders, persists and schedules the notice of one webhook payload. */
  accept(payload: AmPayload): Promise<EnqueueOutcome>;
  /** Attempts every due delivery once; resolves with how many were attempted. */
  dispatchDue(): Promise<number>;
  /** Starts the background dispatcher. */
  start(): void;
  /** Stops the dispatcher after the attempt in flight and closes the HTTP server. */
  close(): Promise<void>;
}

const BODY_LIMIT = 4 * 1024 * 1024;

/** The query parameters of GET /v1/notices: a page size and one notice group. */
const NOTICES_QUERY_PARAMETERS = ['limit', 'groupKey'] as const;

/**
 * The notices a request asks for, or every problem of its query: a parameter not known or given
 * twice, a limit that is not a whole number from 1 to 1000 (a typo is refused, not read as the default).
 */
function noticesQuery(params: URLSearchParams): { limit: number; groupKey?: string } | { problems: string[] } {
  const problems = queryProblems(params, NOTICES_QUERY_PARAMETERS);
  const limit = wholeNumber(params.get('limit') ?? '100', 1, 1000);
  if (limit === undefined) problems.push('limit must be a whole number from 1 to 1000');
  const groupKey = params.get('groupKey') ?? undefined;
  if (problems.length > 0 || limit === undefined) return { problems };
  return groupKey === undefined ? { limit } : { limit, groupKey };
}

/** What one pass of the dispatcher knows of the notices it wrote again: their texts, and whether Redis did not answer. */
interface RewritePass {
  texts: Map<string, Pick<Delivery, 'subject' | 'text'>>;
  listsUnread: boolean;
}

/** A held resolution come due: sent (`confirmed`, no `why`), canceled (`superseded`) or held longer (why the end is not confirmed). */
type EndVerdict = { outcome: 'confirmed'; why?: undefined } | { outcome: 'superseded' | Deferral['reason']; why: string };

export function createApp(deps: NotifierDeps): NotifierApp {
  const registry = new Registry();
  const received = counter(registry, 'dvc_notifier_webhooks_total', 'Alertmanager webhook deliveries by outcome (queued, duplicate, invalid)', [
    'status',
    'outcome',
  ]);
  const attempts = counter(registry, 'dvc_notifier_delivery_attempts_total', 'Delivery attempts by channel and outcome (sent, retry, failed)', [
    'channel',
    'outcome',
  ]);
  const endChecks = counter(
    registry,
    'dvc_notifier_end_checks_total',
    "Held resolutions of units' alerts come due, by outcome: confirmed (sent), superseded (the group fired again: canceled), or why it is held longer (prometheus_unreachable, prometheus_starting, alert_active, data_unsound)",
    ['outcome'],
  );
  const recheckMs = Math.min(60_000, deps.resolvedHoldMs);
  const refused = counter(
    registry,
    'dvc_notifier_refused_total',
    'Requests refused before any work, by route (alertmanager, notices) and reason (missing: no bearer credential; invalid: wrong token or unknown key; role: a key of another role)',
    ['route', 'reason'],
  );
  new Gauge({
    name: 'dvc_notifier_clock_info',
    help: 'The clock notices are written at (value 1): wall, event (watermark) or as-of (pinned by CLOCK_AS_OF)',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      this.set({ mode: deps.overdue.clock.mode }, 1);
    },
  });
  new Gauge({
    name: 'dvc_notifier_recipient_units',
    help: "Units by whom the recipients file names: headed (valid at the notifier's clock, with an entry of their own), unheaded (valid, without one: their notices reach only their level's entry or the fallback), unlisted (unit entries the unit directory does not list: a misspelt unit, whose head is never told)",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { units, recipients } = deps.reference();
      const clock = deps.overdue.clock;
      const coverage = recipientCoverage(recipients, units, localDateOf(clock.mode === 'as-of' ? clock.asOfMs : deps.now()));
      for (const state of ['headed', 'unheaded', 'unlisted'] as const) this.set({ state }, coverage[state].length);
    },
  });
  const served = gauge(
    registry,
    'dvc_notifier_namespace_info',
    'The Redis namespace the last notice read its overdue dossiers from (value 1; the <base>:active pointer resolved for that notice)',
    ['namespace'],
  );
  new Gauge({
    name: 'dvc_notifier_deliveries',
    help: 'Deliveries in the outbox by state (pending, sent, failed, canceled)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const [state, n] of Object.entries(deps.outbox.counts())) this.set({ state }, n);
    },
  });

  const officeHours = counter(
    registry,
    'dvc_notifier_office_hours_total',
    'E-mails about units outside office hours (NOTIFIER_OFFICE_HOURS): held (due outside office hours, put off to the next opening), rewritten (a firing notice that waited, written again with the dossiers of when it goes out), kept (written again without its lists, Redis not answering: sent as first written), ended (its alerts ended before the opening: sent as first written, the all-clear after it)',
    ['outcome'],
  );

  /** A notice's subject and text from its payload, with the worklists and the clock of now. */
  const write = async (payload: AmPayload): Promise<{ rendered: RenderedNotice; reading: OverdueReading }> => {
    const { units } = deps.reference();
    // The worklists the notice names: read only for the firing alerts that name one.
    const reading = await deps.overdue.read(worklistUnits(payload.alerts));
    if (reading.namespace !== undefined) {
      served.reset();
      served.set({ namespace: reading.namespace }, 1);
    }
    const rendered = renderNotice({
      payload,
      units,
      worklists: reading.worklists,
      dashboardUrl: deps.dashboardUrl,
      now: deps.now(),
      ...(reading.asOf === undefined ? {} : { asOf: reading.asOf }),
    });
    return { rendered, reading };
  };

  const accept = async (payload: AmPayload): Promise<EnqueueOutcome> => {
    const { recipients } = deps.reference();
    const { rendered, reading } = await write(payload);
    const id = noticeKey(payload);
    const outcome = deps.outbox.enqueue({
      id,
      groupKey: payload.groupKey,
      status: payload.status,
      subject: rendered.subject,
      text: rendered.text,
      webhookBody: {
        noticeId: id,
        status: payload.status,
        groupKey: payload.groupKey,
        subject: rendered.subject,
        text: rendered.text,
        alerts: payload.alerts.map((a) => ({ status: a.status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt })),
      },
      payload,
      recipients: resolveRecipients(
        recipients,
        payload.alerts.map((a) => a.labels),
      ),
      // A unit's alert resolves when its series vanish (an exporter or Prometheus restart) and
      // fires again when they are back: its resolution waits, so that a gap is not an all-clear.
      // Pipeline alerts (no unit, no KPI) go to the operations team at once.
      ...(payload.alerts.some((a) => isUnitAlert(a.labels)) ? { holdMs: deps.resolvedHoldMs } : {}),
    });
    received.inc({ status: payload.status, outcome: outcome.kind });
    deps.logger.info(
      {
        noticeId: id,
        groupKey: payload.groupKey,
        status: payload.status,
        outcome: outcome.kind,
        deliveries: outcome.deliveries,
        canceled: outcome.canceled,
        namespace: reading.namespace ?? null,
        asOf: reading.asOf === undefined ? null : new Date(reading.asOf).toISOString(),
      },
      'alertmanager notification',
    );
    if (outcome.deliveries > 0) kick();
    return outcome;
  };

  /**
   * What becomes of a held resolution of a unit's alerts that comes due: sent (the monitoring
   * confirms the end), canceled (its group fired again since) or held longer (the monitoring
   * cannot confirm the end: why is in its record). Decided once per notice per pass of the dispatcher.
   */
  const endVerdict = async (noticeId: string, ended: EndedAlerts): Promise<EndVerdict> => {
    const firing = deps.outbox.firedAfter(noticeId);
    if (firing !== undefined) return { outcome: 'superseded', why: `not sent: the alert fired again (notice ${firing}) before this resolution was sent` };
    const deferral = await deps.checkEnd(ended, deps.now());
    return deferral === undefined ? { outcome: 'confirmed' } : { outcome: deferral.reason, why: deferral.message };
  };
  /**
   * Whether delivery `d` is not attempted now: a held resolution canceled or held longer. Every
   * attempt is checked, a retry after a failed send too: an all-clear whose alert fired again
   * while the mail server was down is not sent late, ahead of the new warning.
   */
  const holdsBack = async (d: Delivery, verdicts: Map<string, EndVerdict>): Promise<boolean> => {
    if (deps.resolvedHoldMs === 0 || d.status !== 'resolved') return false;
    const ended = alertLabelsOf(d.webhookBody);
    if (!ended.some((labels) => isUnitAlert(labels))) return false;
    let verdict = verdicts.get(d.noticeId);
    if (verdict === undefined) {
      verdict = await endVerdict(d.noticeId, ended);
      verdicts.set(d.noticeId, verdict);
      endChecks.inc({ outcome: verdict.outcome });
      deps.logger.info(
        { noticeId: d.noticeId, outcome: verdict.outcome, why: verdict.why ?? null },
        verdict.outcome === 'confirmed' ? 'the monitoring confirms the end: the resolution is sent' : 'the resolution is not sent now',
      );
    }
    if (verdict.why === undefined) return false;
    if (verdict.outcome === 'superseded') deps.outbox.cancel(d.id, verdict.why);
    else deps.outbox.defer(d.id, deps.now() + recheckMs, verdict.why);
    return true;
  };

  /**
   * Whether delivery `d` waits for office hours: an e-mail about units (a `unit` or `kpi` label)
   * without a critical alert ("act now") among them, due outside office hours, is put off to the
   * next opening. Webhooks (systems, not people), critical and pipeline alerts go out at once.
   * Checked before a held resolution's end is asked for: that is asked when it may go out.
   */
  const waitsForOffice = (d: Delivery): boolean => {
    if (deps.office === undefined || d.channel !== 'email') return false;
    const labels = alertLabelsOf(d.webhookBody);
    if (!labels.some((l) => isUnitAlert(l)) || labels.some((l) => l.severity === 'critical')) return false;
    const now = deps.now();
    let opening: number;
    try {
      opening = deps.office.nextOpen(now);
    } catch (error) {
      // A calendar without a working day for weeks is wrong: the notice goes out now rather than never.
      deps.logger.error({ noticeId: d.noticeId, err: (error as Error).message }, 'no office hours to wait for: the notice goes out now');
      return false;
    }
    if (opening === now) return false;
    const why = `waiting for office hours (${formatOfficeHours(deps.office.hours)} on working days): goes out at ${new Date(opening).toISOString()}`;
    deps.outbox.defer(d.id, opening, why);
    officeHours.inc({ outcome: 'held' });
    deps.logger.info({ noticeId: d.noticeId, channel: d.channel, target: d.target, nextAttemptAt: new Date(opening).toISOString() }, why);
    return true;
  };

  /**
   * Delivery `d` as it goes out: a firing e-mail written before the office hours it is sent in
   * opened (it waited for them, or for the mail server overnight) is written again first, so
   * it names the dossiers overdue and the days overdue of the morning, not of the night. Once per
   * notice per pass (`pass.texts`); it goes out as first written if its lists cannot be read now
   * (and when Redis did not answer, so does every later one of the pass without asking it again:
   * a morning's notices are not held up by its timeout each), or if its alerts ended since (the
   * last notice of its group is a resolved one).
   */
  const current = async (d: Delivery, pass: RewritePass): Promise<Delivery> => {
    if (deps.office === undefined || d.status !== 'firing' || d.channel !== 'email') return d;
    const opened = deps.office.openedAt(deps.now());
    if (opened === undefined || d.renderedAt >= opened) return d;
    let text = pass.texts.get(d.noticeId);
    if (text === undefined) {
      text = { subject: d.subject, text: d.text };
      const last = deps.outbox.lastOfGroup(d.noticeId);
      const ended = last?.status === 'resolved' ? last.id : undefined;
      const stored = parseAlertmanagerPayload(deps.outbox.payloadOf(d.noticeId));
      if (ended !== undefined) {
        // It ended before the opening: what it said then is told, its all-clear after it; a
        // list of the morning under "đang diễn ra" would describe something over.
        officeHours.inc({ outcome: 'ended' });
        deps.logger.info({ noticeId: d.noticeId, ended }, 'notice not written again (its alerts ended since): sent as first written');
      } else if (stored.ok && pass.listsUnread) {
        officeHours.inc({ outcome: 'kept' });
      } else if (stored.ok) {
        const { rendered, reading } = await write(stored.payload);
        const complete = [...reading.worklists.values()].every((lists) => [...lists.values()].every((list) => list.ok));
        officeHours.inc({ outcome: complete ? 'rewritten' : 'kept' });
        if (complete) {
          deps.outbox.rewrite(d.noticeId, rendered.subject, rendered.text);
          text = { subject: rendered.subject, text: rendered.text };
        } else if (reading.namespace === undefined) pass.listsUnread = true; // Redis did not answer, not one unit's list
        deps.logger.info(
          { noticeId: d.noticeId, writtenAt: new Date(d.renderedAt).toISOString() },
          complete ? 'notice written again for office hours' : 'notice not written again (its lists cannot be read now): sent as first written',
        );
      }
      pass.texts.set(d.noticeId, text);
    }
    return { ...d, ...text };
  };

  /**
   * How a pass's deliveries ready to go are sent: the e-mails to one person whose notices came
   * before the office hours they go out in opened (they waited for the opening, or for the mail
   * server since) as one message: a head told at 07:30 of four things that arose overnight reads
   * one e-mail, not four; a failed one is retried as one. In the order the notices were written;
   * every other delivery alone.
   */
  const sendsOf = (ready: readonly Delivery[]): Delivery[][] => {
    const opened = deps.office?.openedAt(deps.now());
    const byTarget = new Map<string, Delivery[]>();
    const sends: Delivery[][] = [];
    for (const d of ready) {
      if (opened === undefined || d.channel !== 'email' || d.createdAt >= opened) {
        sends.push([d]);
        continue;
      }
      const together = byTarget.get(d.target);
      if (together !== undefined) together.push(d);
      else {
        const first = [d];
        byTarget.set(d.target, first);
        sends.push(first);
      }
    }
    return sends;
  };

  /** Sends one message (one delivery, or several as one e-mail: `renderDigest`) and records the outcome of each delivery in it. */
  const send = async (together: readonly Delivery[]): Promise<void> => {
    const first = together[0];
    if (first === undefined) return;
    const message: Delivery =
      together.length === 1 ? first : { ...first, noticeId: `digest-${together.map((d) => d.id).join('-')}`, ...renderDigest(together, deps.now()) };
    try {
      await deps.senders[first.channel](message);
      for (const d of together) {
        deps.outbox.markSent(d.id);
        attempts.inc({ channel: d.channel, outcome: 'sent' });
        deps.logger.info(
          {
            noticeId: d.noticeId,
            channel: d.channel,
            target: d.target,
            attempt: d.attempts + 1,
            ...(together.length > 1 ? { message: message.noticeId } : {}),
          },
          'notice delivered',
        );
      }
    } catch (error) {
      const retriable = error instanceof DeliveryError ? error.retriable : true;
      const reason = error instanceof Error ? error.message : String(error);
      for (const d of together) {
        const next = deps.outbox.markFailed(d.id, reason, retriable);
        attempts.inc({ channel: d.channel, outcome: retriable ? 'retry' : 'failed' });
        deps.logger.warn(
          {
            noticeId: d.noticeId,
            channel: d.channel,
            target: d.target,
            attempt: d.attempts + 1,
            err: reason,
            nextAttemptAt: next === undefined ? null : new Date(next).toISOString(),
          },
          retriable ? 'delivery failed; will retry' : 'delivery failed permanently',
        );
      }
    }
  };

  let inFlight: Promise<number> | undefined;
  const runDue = async (): Promise<number> => {
    let attempted = 0;
    const verdicts = new Map<string, EndVerdict>();
    const pass: RewritePass = { texts: new Map(), listsUnread: false };
    for (;;) {
      // A large page, so that what waited for the opening reaches each person in one e-mail.
      const batch = deps.outbox.due(500);
      if (batch.length === 0) return attempted;
      const ready: Delivery[] = [];
      for (const d of batch) {
        if (waitsForOffice(d) || (await holdsBack(d, verdicts))) continue;
        ready.push(await current(d, pass));
      }
      for (const together of sendsOf(ready)) {
        attempted += together.length;
        await send(together);
      }
    }
  };
  const dispatchDue = (): Promise<number> => {
    inFlight ??= runDue().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let again = false;
  const loop = () => {
    if (stopped) return;
    timer = undefined;
    dispatchDue()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'dispatcher failed'))
      .finally(() => {
        if (stopped) return;
        const delay = again ? 0 : deps.pollMs;
        again = false;
        timer = setTimeout(loop, delay);
      });
  };
  function kick(): void {
    if (stopped) return;
    if (inFlight !== undefined) {
      again = true;
      return;
    }
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(loop, 0);
  }

  /**
   * Refuses a request (401, or 403 for a key of another role), counted and logged. The body is
   * left unread and discarded, so a refused webhook records and sends nothing.
   */
  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    route: 'alertmanager' | 'notices',
    reason: 'missing' | 'invalid' | 'role',
    message: string,
    realm: string,
  ): void => {
    refused.inc({ route, reason });
    deps.logger.warn({ route: `/v1/${route}`, reason, remote: req.socket.remoteAddress ?? null }, 'request refused');
    req.resume();
    const challenge = `Bearer realm="${realm}"${reason === 'invalid' ? ', error="invalid_token"' : ''}`;
    sendJson(res, reason === 'role' ? 403 : 401, { error: message }, reason === 'role' ? {} : { 'www-authenticate': challenge });
  };

  const http = createServiceHttp({
    build: deps.build,
    registry,
    logger: deps.logger,
    routes: {
      '/v1/alertmanager': async (req, res) => {
        if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
        const presented = bearerCredential(req.headers.authorization);
        if (!deps.alertmanagerToken(presented)) {
          return presented === undefined
            ? refuse(
                req,
                res,
                'alertmanager',
                'missing',
                "missing token: Alertmanager sends Authorization: Bearer <the token of NOTIFIER_TOKEN_FILE> (its receiver's http_config)",
                'dvc-notifier-alertmanager',
              )
            : refuse(req, res, 'alertmanager', 'invalid', 'wrong token', 'dvc-notifier-alertmanager');
        }
        const body = await readBody(req, BODY_LIMIT);
        if (!body.ok) return sendJson(res, 413, { error: `body larger than ${BODY_LIMIT} bytes` });
        let json: unknown;
        try {
          json = JSON.parse(body.body.toString('utf8'));
        } catch (error) {
          received.inc({ status: 'unknown', outcome: 'invalid' });
          return sendJson(res, 400, { error: 'malformed JSON', problems: [(error as Error).message] });
        }
        const parsed = parseAlertmanagerPayload(json);
        if (!parsed.ok) {
          received.inc({ status: 'unknown', outcome: 'invalid' });
          return sendJson(res, 400, { error: 'not an Alertmanager webhook payload', problems: parsed.problems });
        }
        // Acknowledged only once persisted: if this throws, Alertmanager gets a 500 and retries.
        const outcome = await accept(parsed.payload);
        return sendJson(res, outcome.kind === 'queued' ? 202 : 200, outcome);
      },
      '/v1/notices': (req, res) => {
        const presented = bearerCredential(req.headers.authorization);
        if (presented === undefined)
          return refuse(req, res, 'notices', 'missing', 'missing API key: send Authorization: Bearer <key> with a key of the role operator', 'dvc-notifier');
        const key = deps.keys.current().verify(presented);
        if (key === undefined) return refuse(req, res, 'notices', 'invalid', 'unknown API key', 'dvc-notifier');
        if (keyRole(key) !== 'operator')
          return refuse(
            req,
            res,
            'notices',
            'role',
            `key '${key.id}' has the role '${keyRole(key)}'; /v1/notices takes only keys with the role 'operator'`,
            'dvc-notifier',
          );
        const query = noticesQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
        if ('problems' in query) return sendJson(res, 400, { error: query.problems.join('; '), problems: query.problems });
        sendJson(res, 200, { counts: deps.outbox.counts(), notices: deps.outbox.list(query.limit, query.groupKey) });
      },
    },
    metrics: async () => `${await registry.metrics()}\n${await deps.processRegistry.metrics()}`,
    health: () => ({
      clock: describeClock(deps.overdue.clock),
      officeHours: deps.office === undefined ? 'always' : formatOfficeHours(deps.office.hours),
    }),
    ready: async () => {
      const outbox = deps.outbox.ping();
      const redis = deps.redisPing === undefined ? undefined : await deps.redisPing().catch(() => false);
      return { ready: outbox, details: { outbox, ...(redis === undefined ? {} : { redis }) } };
    },
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
  });

  return {
    server: http.server,
    accept,
    dispatchDue,
    start: () => {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(loop, 0);
    },
    close: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await http.close();
      await inFlight;
    },
  };
}
