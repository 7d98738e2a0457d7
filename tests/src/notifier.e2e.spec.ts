import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadReferenceData, projectionRules } from '@dvc/config';
import { validateEvent, type DvcEvent } from '@dvc/domain';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { ev, postBatch, startFiringPrometheus, testEvent, uniqueName, waitFor, type FiringPrometheus } from '@dvc/testing';
import { SmtpSink } from './smtp-sink.js';
import {
  REPO_ROOT,
  alertmanagerReceiver,
  freePort,
  notifierAuth,
  promQuery,
  registerScrapeTarget,
  stackEnv,
  startService,
  serviceEnv,
  type ServiceName,
  type ServiceProcess,
} from './stack.js';

/**
 * The notifier as a process on the real stack: Redis for the overdue dossiers, the real
 * Alertmanager for grouping and resolution, a local SMTP sink (./smtp-sink.ts) as the mail
 * server and a local HTTP server as a webhook recipient. The notifier reads the token file the
 * running Alertmanager sends (its http_config), so the tests post as Alertmanager does, and
 * reads /v1/notices with an operator key. Whether a unit's alert really ended it asks a
 * Prometheus of this test's own (`monitoring`), whose alerts the tests set: the stack's is shared
 * with every other test, and its system alerts (an exporter another test stopped) would hold the
 * all-clears here.
 */

interface NoticeView {
  id: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  subject: string;
  duplicates: number;
  createdAt: string;
  deliveries: {
    channel: string;
    target: string;
    state: string;
    attempts: number;
    lastError: string | null;
    nextAttemptAt: string | null;
    sentAt: string | null;
  }[];
}

const ALERTMANAGER_URL = stackEnv().alertmanagerUrl;
/** How long the notifier here holds a unit's resolution before sending it (NOTIFIER_RESOLVED_HOLD_SECONDS). */
const HOLD_SECONDS = 3;

describe('notifier: Alertmanager webhooks → Vietnamese notices by email and webhook', () => {
  const id = uniqueName('ntf').replace(/[^a-z0-9]/g, '');
  const env = stackEnv();
  const redis = new Redis(env.redisUrl);
  const sink = new SmtpSink();
  const hooks: unknown[] = [];
  let hookServer: Server;
  let hookUrl: string;
  let dir: string;
  let notifier: ServiceProcess;
  let notifierEnv: Record<string, string>;
  let auth: ReturnType<typeof notifierAuth>;
  let monitoring: FiringPrometheus | undefined;
  const head = `lanhdao.${id}@example.gov.vn`;
  const ops = `vanhanh.${id}@example.gov.vn`;
  const amUnit = `e2e.${id}`;
  const amHead = `am.${id}@example.gov.vn`;
  // A commune of this run alone, added to a copy of the unit directory: Prometheus's recording
  // rules take the max over exporters, and Alertmanager remembers what it notified per group (a
  // rerun on the same stack with a fixed unit got no new firing notice within the repeat interval).
  const fullUnit = `bp.budang.e2e${id.slice(-10)}`;
  const fullName = `UBND xã thử nghiệm ${id.slice(-10)}, huyện Bù Đăng`;
  const fullHead = `phuson.${id}@example.gov.vn`;
  const NOW = Date.now();
  const HOUR = 3_600_000;
  /** The whole-path test's projector, exporter and ingest, its exporter's scrape target (removed by unregister) and its ingest's URL. */
  const pipeline: ServiceProcess[] = [];
  let unregister: () => void = () => undefined;
  let pipelineIngest = '';
  /** Its dossiers' due time and ids. */
  const due = '2022-06-21T17:00:00+07:00';
  const dossier = (n: number) => `PS-${id}-${String(n).padStart(3, '0')}`;

  const payload = (status: 'firing' | 'resolved', groupKey: string, unit = 'bp.dongxoai', startsAt = new Date(NOW - HOUR).toISOString()) => {
    const labels = { alertname: 'OverdueRatioAboveTarget', unit, level: 'district', window: '14d', kpi: 'overdue_ratio', severity: 'warning' };
    const annotations = {
      title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu',
      summary_vi: `Tỷ lệ hồ sơ trễ hạn 4,762%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)`,
      description_vi: `Trong 14 ngày gần nhất, đơn vị đã giải quyết 21 hồ sơ, trong đó 1 hồ sơ trễ hạn (4,762%; mục tiêu dưới 1%).`,
    };
    return {
      version: '4',
      groupKey,
      status,
      receiver: 'dvc-notifier',
      groupLabels: { alertname: labels.alertname, unit, level: 'district', window: '14d' },
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: ALERTMANAGER_URL,
      truncatedAlerts: 0,
      alerts: [
        {
          status,
          labels,
          annotations,
          startsAt,
          endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
          generatorURL: 'http://127.0.0.1:9090/graph',
          fingerprint: `${groupKey}-fp`.replace(/[^a-z0-9]/gi, '').slice(0, 16),
        },
      ],
    };
  };

  /** Posts as Alertmanager does, with its token; `authorization` null sends no Authorization header. */
  const post = async (body: unknown, url = notifier.url, authorization: string | null = `Bearer ${auth.token}`) => {
    const res = await fetch(`${url}/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { kind?: string; id?: string; error?: string } };
  };

  const operatorGet = (path: string) => fetch(`${notifier.url}${path}`, { headers: { authorization: `Bearer ${auth.operator}` } });

  const notices = async (groupKey: string): Promise<NoticeView[]> => {
    const res = await operatorGet(`/v1/notices?groupKey=${encodeURIComponent(groupKey)}`);
    return ((await res.json()) as { notices: NoticeView[] }).notices;
  };

  const waitDelivered = (groupKey: string, status: 'firing' | 'resolved', timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const n = (await notices(groupKey)).find((x) => x.status === status);
        return n !== undefined && n.deliveries.length > 0 && n.deliveries.every((d) => d.state === 'sent') ? n : undefined;
      },
      { timeoutMs, description: `${status} notice of ${groupKey} delivered` },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-e2e-'));
    // The reference data with this run's commune (the calendar and the other files as they are).
    const dataDir = join(dir, 'data');
    const source = join(REPO_ROOT, 'infra', 'data');
    mkdirSync(dataDir);
    symlinkSync(join(source, 'calendar'), join(dataDir, 'calendar'));
    for (const file of ['targets.json', 'procedures.json']) copyFileSync(join(source, file), join(dataDir, file));
    const directory = JSON.parse(readFileSync(join(source, 'units.json'), 'utf8')) as { version: string; units: Record<string, unknown>[] };
    directory.version = `${directory.version}+${id}`;
    directory.units.push({
      id: fullUnit,
      name: fullName,
      level: 'commune',
      kind: 'commune_desk',
      parent: 'bp.budang',
      validFrom: '2020-01-01',
      validTo: '2025-06-30',
    });
    writeFileSync(join(dataDir, 'units.json'), JSON.stringify(directory));
    await sink.start(await freePort());
    hookServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const address = hookServer.address();
    hookUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/hook`;
    writeFileSync(
      join(dir, 'recipients.json'),
      JSON.stringify({
        fallback: { name: 'ops', emails: [ops], webhooks: [] },
        levels: {},
        units: {
          'bp.dongxoai': { name: 'Lãnh đạo Đồng Xoài', emails: [head], webhooks: [hookUrl] },
          [amUnit]: { name: 'e2e', emails: [amHead], webhooks: [] },
          [fullUnit]: { name: 'Lãnh đạo xã Phú Sơn', emails: [fullHead], webhooks: [] },
        },
      }),
    );
    // Seven open dossiers of bp.dongxoai in this run's namespace, written as the projector writes
    // them (states and open set): six overdue, one not yet due.
    const received = (suffix: number | string, dueMs: number): DvcEvent => {
      const result = validateEvent(
        ev.received('bp.dongxoai', `HS-${id}-${suffix}`, new Date(NOW - 30 * 24 * HOUR).toISOString(), 'online', { dueAt: new Date(dueMs).toISOString() }),
      );
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.event;
    };
    const rules = projectionRules(loadReferenceData(), { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 });
    const dossiers = [1, 2, 3, 4, 5, 6].map((i) => received(i, NOW - i * 24 * HOUR));
    // And one online submission of ten days ago never received: past its receipt deadline (1 working day).
    const submitted = validateEvent(
      testEvent(
        'vn.dvc.dossier.submitted',
        `HS-${id}-online`,
        { unit: 'bp.dongxoai', time: new Date(NOW - 10 * 24 * HOUR).toISOString() },
        { dossierId: `HS-${id}-online`, procedureId: 'P-TEST', submittedAt: new Date(NOW - 10 * 24 * HOUR).toISOString() },
      ),
    );
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    await applyEvents(
      new ProjectionStore(redis, id),
      [...dossiers, received('future', NOW + 24 * HOUR), submitted.event],
      rules.ctxAt(NOW),
      () => NOW,
      rules.expireAt,
    );
    monitoring = await startFiringPrometheus(join(dir, 'prometheus'), []);
    // On the port the running Alertmanager posts to, with the token it sends, so the Alertmanager path reaches it too.
    const receiver = await alertmanagerReceiver(ALERTMANAGER_URL);
    auth = notifierAuth(dir, id, receiver.tokenFile);
    notifierEnv = {
      ...auth.env,
      DATA_DIR: dataDir,
      NOTIFIER_DB: join(dir, 'outbox.db'),
      RECIPIENTS_FILE: join(dir, 'recipients.json'),
      REDIS_URL: env.redisUrl,
      REDIS_NAMESPACE: id,
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      DASHBOARD_URL: 'http://127.0.0.1:3000/d/dvc-units?orgId=1',
      NOTIFIER_POLL_MS: '100',
      // A unit's resolution waits this long, so a gap in the data is not sent as an all-clear.
      NOTIFIER_RESOLVED_HOLD_SECONDS: String(HOLD_SECONDS),
      PROMETHEUS_URL: monitoring.url,
      NOTIFIER_RETRY_BASE_MS: '200',
      NOTIFIER_RETRY_MAX_MS: '1000',
      NOTIFIER_SEND_TIMEOUT_MS: '3000',
      // Every notice here goes out when it comes, at any hour this runs; office hours have their own test.
      NOTIFIER_OFFICE_HOURS: 'always',
    };
    notifier = await startService('notifier', notifierEnv, 'NOTIFIER_PORT', receiver.port);

    // The whole-path test's pipeline and first events (the last test): the alert they raise fires
    // after its `for: 1m`, which then runs while the tests before that one do.
    const common = { ...serviceEnv(id), DATA_DIR: dataDir };
    const start = async (service: ServiceName, serviceEnvironment: Record<string, string>, portVariable: string) => {
      const started = await startService(service, serviceEnvironment, portVariable);
      pipeline.push(started);
      return started;
    };
    const [, exporter, ingest] = await Promise.all([
      start('projector', { ...common, PROJECTOR_GROUP: `${id}-projector` }, 'PROJECTOR_PORT'),
      start('exporter', { ...common, CLOCK: 'event' }, 'EXPORTER_PORT'),
      start('ingest', { ...common, INGEST_TRANSACTIONAL_ID: `${id}-ingest` }, 'INGEST_PORT'),
    ]);
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
    unregister = registerScrapeTarget(id, exporter.port);
    pipelineIngest = ingest.url;
    // 20 resolved, 1 of them late: 5%, at the rule's volume guard of 20. Two stay open past due.
    const first = [
      ...Array.from({ length: 22 }, (_, i) => ev.received(fullUnit, dossier(i), '2022-06-20T08:00:00+07:00', 'online', { dueAt: due })),
      ...Array.from({ length: 19 }, (_, i) => ev.resolved(fullUnit, dossier(i), '2022-06-21T10:00:00+07:00', true)),
      ev.resolved(fullUnit, dossier(19), '2022-06-22T09:00:00+07:00', true),
    ];
    expect((await postBatch(ingest.url, first)).status).toBe(202);
  });

  afterAll(async () => {
    unregister();
    await Promise.all([notifier?.kill('SIGTERM'), ...pipeline.map((s) => s.kill('SIGTERM')), monitoring?.stop()]);
    await sink.stop();
    await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
    await new ProjectionStore(redis, id).dropNamespace();
    const keys = await redis.keys(`${id}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves health, readiness and metrics', async () => {
    expect((await fetch(`${notifier.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${notifier.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', outbox: true, redis: true });
    expect(await (await fetch(`${notifier.url}/metrics`)).text()).toContain('dvc_notifier_deliveries');
    expect((await post({ status: 'firing' })).status).toBe(400);
  });

  it('refuses a forged Alertmanager post without the token or with another one: 401, counted, no notice recorded or sent', async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-forged"}`;
    const mailsBefore = sink.to(head).length;
    const hooksBefore = hooks.length;
    expect(await post(payload('firing', groupKey), notifier.url, null)).toEqual({
      status: 401,
      body: { error: "missing token: Alertmanager sends Authorization: Bearer <the token of NOTIFIER_TOKEN_FILE> (its receiver's http_config)" },
    });
    expect(await post(payload('firing', groupKey), notifier.url, `Bearer ${auth.token.slice(0, -1)}`)).toEqual({ status: 401, body: { error: 'wrong token' } });
    expect(await notices(groupKey)).toEqual([]);
    const metrics = await (await fetch(`${notifier.url}/metrics`)).text();
    expect(metrics).toContain('dvc_notifier_refused_total{route="alertmanager",reason="missing"} 1\n');
    expect(metrics).toContain('dvc_notifier_refused_total{route="alertmanager",reason="invalid"} 1\n');
    // Nothing recorded, so nothing to send: the outbox is where every delivery starts.
    expect(sink.to(head).length).toBe(mailsBefore);
    expect(hooks.length).toBe(hooksBefore);
  });

  it('serves /v1/notices to operator keys only: 401 without a key', async () => {
    const missing = await fetch(`${notifier.url}/v1/notices`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="dvc-notifier"');
    expect((await fetch(`${notifier.url}/v1/notices`, { headers: { authorization: 'Bearer dvcr_not-a-key' } })).status).toBe(401);
    expect((await operatorGet('/v1/notices')).status).toBe(200);
  });

  it('sends one firing notice per group despite duplicate webhooks, then one resolved notice', async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-a"}`;
    const first = await post(payload('firing', groupKey));
    expect(first).toMatchObject({ status: 202, body: { kind: 'queued' } });
    // Alertmanager retries a webhook it did not see acknowledged: the same payload again.
    expect(await post(payload('firing', groupKey))).toMatchObject({ status: 200, body: { kind: 'duplicate', id: first.body.id } });

    const firing = await waitDelivered(groupKey, 'firing');
    expect(firing.duplicates).toBe(1);
    expect(firing.deliveries.map((d) => [d.channel, d.target])).toEqual([
      ['email', head],
      ['webhook', hookUrl],
    ]);
    const mails = sink.to(head);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.subject).toBe('[DVC] CẢNH BÁO: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)');
    expect(mail.body).toContain('Đơn vị: UBND thành phố Đồng Xoài (mã bp.dongxoai, cấp huyện)');
    expect(mail.body).toContain('Giá trị so với mục tiêu: Tỷ lệ hồ sơ trễ hạn 4,762%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)');
    expect(mail.body).toContain('5 hồ sơ quá hạn lâu nhất của đơn vị');
    // The five oldest overdue, oldest first; the sixth and the one not yet due are left out.
    const listed = [...mail.body.matchAll(/^ {2}\d\. (HS-\S+):/gm)].map((m) => m[1]);
    expect(listed).toEqual([6, 5, 4, 3, 2].map((i) => `HS-${id}-${i}`));
    expect(mail.body).toContain('Bảng điều khiển: http://127.0.0.1:3000/d/dvc-units?orgId=1&var-unit=bp.dongxoai&var-level=district&var-window=14d');
    expect(hooks.filter((h) => (h as { groupKey?: string }).groupKey === groupKey)).toHaveLength(1);

    expect((await post(payload('resolved', groupKey))).status).toBe(202);
    await waitDelivered(groupKey, 'resolved');
    const after = sink.to(head);
    expect(after).toHaveLength(2);
    expect(after[1]!.subject).toBe('[DVC] ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)');
    expect(after[1]!.body).toContain('Tình trạng: đã trở lại bình thường lúc');
    expect(after[1]!.body).not.toContain('hồ sơ quá hạn lâu nhất');
  });

  it("sends no all-clear and no second warning when a unit's alert resolves and fires again within the hold (an exporter restart), and the real end after it", async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-gap"}`;
    const ofGroup = () => hooks.filter((h) => (h as { groupKey?: string }).groupKey === groupKey).map((h) => (h as { status: string }).status);
    expect((await post(payload('firing', groupKey))).body).toMatchObject({ kind: 'queued', deliveries: 2 });
    await waitDelivered(groupKey, 'firing');
    // The exporter restarts: every series vanishes, the alert resolves, and fires again with a new start once it is back.
    expect((await post(payload('resolved', groupKey))).body).toMatchObject({ kind: 'queued', deliveries: 2, canceled: 0 });
    const refired = new Date(NOW).toISOString();
    expect((await post(payload('firing', groupKey, 'bp.dongxoai', refired))).body).toMatchObject({ kind: 'queued', deliveries: 0, canceled: 4 });
    // Then the breach really ends: that resolution is sent once its hold has passed.
    expect((await post(payload('resolved', groupKey, 'bp.dongxoai', refired))).body).toMatchObject({ kind: 'queued', deliveries: 2, canceled: 0 });
    const ended = await waitDelivered(groupKey, 'resolved', 30_000 + HOLD_SECONDS * 1000);
    expect(ofGroup()).toEqual(['firing', 'resolved']);
    const recorded = await notices(groupKey);
    expect(recorded.map((n) => [n.status, n.deliveries.map((d) => d.state)])).toEqual([
      ['resolved', ['sent', 'sent']],
      ['firing', ['canceled', 'canceled']],
      ['resolved', ['canceled', 'canceled']],
      ['firing', ['sent', 'sent']],
    ]);
    expect(recorded[1]!.deliveries[0]!.lastError).toBe(
      `not sent: the same alerts as notice ${recorded[3]!.id}, still firing; the resolution between them was not sent (notice ${recorded[2]!.id})`,
    );
    expect(Date.parse(ended.deliveries[0]!.sentAt ?? '') - Date.parse(ended.createdAt)).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000);
  });

  it("holds a unit's all-clear past its hold while the monitoring's own critical alert fires (its figures may be missing), and sends it once that ends", async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-unsound"}`;
    const ofGroup = () => hooks.filter((h) => (h as { groupKey?: string }).groupKey === groupKey).map((h) => (h as { status: string }).status);
    await monitoring!.fire([
      {
        alert: 'ExporterDown',
        labels: { severity: 'critical', instance: '127.0.0.1:9464' },
        annotations: { title_vi: 'Dịch vụ xuất số liệu (exporter) không hoạt động' },
      },
    ]);
    try {
      expect((await post(payload('firing', groupKey))).body).toMatchObject({ kind: 'queued', deliveries: 2 });
      await waitDelivered(groupKey, 'firing');
      // The exporter stays down: the unit's series are gone, its alert resolved; nothing says the breach ended.
      expect((await post(payload('resolved', groupKey))).body).toMatchObject({ kind: 'queued', deliveries: 2, canceled: 0 });
      const held = await waitFor(
        async () => {
          const resolved = (await notices(groupKey)).find((n) => n.status === 'resolved');
          return resolved !== undefined && resolved.deliveries.every((d) => d.lastError?.startsWith('held: ')) ? resolved : undefined;
        },
        { timeoutMs: 30_000 + HOLD_SECONDS * 1000, description: 'the resolution past its hold, held by the monitoring' },
      );
      expect(held.deliveries.map((d) => [d.state, d.attempts, d.lastError])).toEqual(
        held.deliveries.map(() => [
          'pending',
          0,
          "held: the figures may be missing or stale while the monitoring system's critical alerts are active: ExporterDown (firing)",
        ]),
      );
      expect(Date.now() - Date.parse(held.createdAt)).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000);
      expect(ofGroup()).toEqual(['firing']);
    } finally {
      await monitoring!.fire([]);
    }
    // The exporter is back and the unit's alert does not fire again: the end was real, and is told.
    const ended = await waitDelivered(groupKey, 'resolved', 30_000);
    expect(ended.deliveries.map((d) => d.lastError)).toEqual([
      "held: the figures may be missing or stale while the monitoring system's critical alerts are active: ExporterDown (firing)",
      "held: the figures may be missing or stale while the monitoring system's critical alerts are active: ExporterDown (firing)",
    ]);
    expect(ofGroup()).toEqual(['firing', 'resolved']);
    const metrics = await (await fetch(`${notifier.url}/metrics`)).text();
    expect(metrics).toMatch(/dvc_notifier_end_checks_total\{outcome="data_unsound"\} [1-9]/);
  });

  it('names the dossiers in the notices about dossiers: the soonest due, the oldest overdue, the online submissions received late', async () => {
    const notify = async (alertname: string, title: string, severity: string) => {
      const groupKey = `{}:{unit="bp.dongxoai",test="${id}-${alertname}"}`;
      const base = payload('firing', groupKey);
      const labels = { alertname, unit: 'bp.dongxoai', level: 'district', severity };
      const annotations = { title_vi: title, summary_vi: `bp.dongxoai: ${alertname}` };
      const body = {
        ...base,
        groupLabels: { alertname, unit: 'bp.dongxoai' },
        commonLabels: labels,
        commonAnnotations: annotations,
        alerts: base.alerts.map((a) => ({ ...a, labels, annotations })),
      };
      expect((await post(body)).status).toBe(202);
      await waitDelivered(groupKey, 'firing');
      const mail = sink.to(head).find((m) => m.subject.endsWith(`: ${title}`));
      if (mail === undefined) throw new Error(`no mail titled ${title}`);
      return { body: mail.body, listed: [...mail.body.matchAll(/^ {2}\d\. (HS-\S+):/gm)].map((m) => m[1]) };
    };
    // The one dossier of the unit due within 24 hours (HS-…-future), not the overdue ones.
    const dueSoon = await notify('DossiersDueSoon', 'Có hồ sơ sắp đến hạn trong 24 giờ tới', 'info');
    expect(dueSoon.listed).toEqual([`HS-${id}-future`]);
    expect(dueSoon.body).toContain('Cảnh báo dưới đây đang diễn ra.');
    expect(dueSoon.body).toContain('1 hồ sơ sắp đến hạn sớm nhất của đơn vị');
    expect(dueSoon.body).toMatch(new RegExp(`HS-${id}-future: hạn [0-9:]+ ngày [0-9/]+, còn 2[34] giờ\n`));
    expect(dueSoon.body).not.toContain('vi phạm');
    const open = await notify('OpenDossiersOverdue', 'Có hồ sơ đang giải quyết đã quá hạn', 'warning');
    expect(open.listed).toEqual([6, 5, 4, 3, 2].map((i) => `HS-${id}-${i}`));
    const late = await notify('OnlineSubmissionsReceiptOverdue', 'Hồ sơ nộp trực tuyến chậm tiếp nhận', 'warning');
    expect(late.listed).toEqual([`HS-${id}-online`]);
    expect(late.body).toContain('1 hồ sơ nộp trực tuyến chậm tiếp nhận lâu nhất của đơn vị');
    expect(late.body).toMatch(new RegExp(`HS-${id}-online: hạn tiếp nhận [0-9:]+ ngày [0-9/]+, đã quá \\d+ ngày`));
  });

  it('keeps a notice pending while the mail server is down and delivers it once when it is back', async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-b"}`;
    const before = sink.to(head).length;
    await sink.stop();
    expect((await post(payload('firing', groupKey, 'bp.dongxoai', new Date(NOW - 2 * HOUR).toISOString()))).status).toBe(202);
    const pending = await waitFor(
      async () => {
        const d = (await notices(groupKey))[0]?.deliveries.find((x) => x.channel === 'email');
        return d !== undefined && d.attempts >= 2 ? d : undefined;
      },
      { description: 'two failed attempts recorded' },
    );
    expect(pending).toMatchObject({ state: 'pending', sentAt: null });
    expect(pending.lastError).toMatch(/ECONNREFUSED/);
    await sink.start();
    await waitDelivered(groupKey, 'firing');
    expect(sink.to(head).length - before).toBe(1);
  });

  it('delivers a notice still pending at shutdown once after a restart', async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-c"}`;
    const before = sink.to(head).length;
    const allClears = () => sink.to(head).filter((m) => m.subject.includes('ĐÃ KHẮC PHỤC')).length;
    const allClearsBefore = allClears();
    await sink.stop();
    expect((await post(payload('firing', groupKey, 'bp.dongxoai', new Date(NOW - 3 * HOUR).toISOString()))).status).toBe(202);
    await waitFor(async () => ((await notices(groupKey))[0]?.deliveries.find((d) => d.channel === 'email')?.attempts ?? 0) >= 1 || undefined, {
      description: 'a failed attempt recorded',
    });
    expect(await notifier.kill('SIGTERM')).toBe(0);
    await sink.start();
    notifier = await startService('notifier', notifierEnv, 'NOTIFIER_PORT', notifier.port);
    await waitDelivered(groupKey, 'firing');
    expect(sink.to(head).length - before).toBe(1);
    // Nothing delivered before is sent again by the restarted process.
    expect(allClears()).toBe(allClearsBefore);
  });

  it("with office hours that exclude now, puts a unit's e-mail off to the next opening and tells its webhook at once", async () => {
    const groupKey = `{}:{unit="bp.dongxoai",test="${id}-office"}`;
    const mailsBefore = sink.to(head).length;
    // An hour of office two hours from now (local time, UTC+7), so now is outside it.
    const minuteOfDay = Math.floor(((Date.now() + 7 * HOUR) % (24 * HOUR)) / 60_000);
    const open = Math.min((minuteOfDay + 120) % 1440, 1438);
    const close = Math.min(open + 60, 1439);
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const hours = `${hhmm(open)}-${hhmm(close)}`;
    expect(await notifier.kill('SIGTERM')).toBe(0);
    notifier = await startService('notifier', { ...notifierEnv, NOTIFIER_OFFICE_HOURS: hours }, 'NOTIFIER_PORT', notifier.port);
    try {
      expect(await (await fetch(`${notifier.url}/healthz`)).json()).toMatchObject({ officeHours: hours });
      expect((await post(payload('firing', groupKey))).body).toMatchObject({ kind: 'queued', deliveries: 2 });
      const [mail, hook] = await waitFor(
        async () => {
          const [email, webhook] = (await notices(groupKey))[0]?.deliveries ?? [];
          return email?.lastError !== null && webhook?.state === 'sent' ? [email!, webhook] : undefined;
        },
        { description: 'the webhook sent, the e-mail put off' },
      );
      expect(hook).toMatchObject({ channel: 'webhook', target: hookUrl });
      expect(mail).toMatchObject({ channel: 'email', target: head, state: 'pending', attempts: 0, sentAt: null });
      const opening = mail.nextAttemptAt ?? '';
      expect(mail.lastError).toBe(`waiting for office hours (${hours} on working days): goes out at ${opening}`);
      // The opening's local time, on a day after now within a long closure (Tết).
      expect(new Date(Date.parse(opening) + 7 * HOUR).toISOString().slice(11, 16)).toBe(hhmm(open));
      expect(Date.parse(opening) - Date.now()).toBeGreaterThan(0);
      expect(Date.parse(opening) - Date.now()).toBeLessThan(12 * 24 * HOUR);
      expect(sink.to(head).length).toBe(mailsBefore);
      expect(await (await fetch(`${notifier.url}/metrics`)).text()).toContain('dvc_notifier_office_hours_total{outcome="held"} 1\n');
    } finally {
      expect(await notifier.kill('SIGTERM')).toBe(0);
      notifier = await startService('notifier', notifierEnv, 'NOTIFIER_PORT', notifier.port);
    }
  });

  it('through the real Alertmanager: one firing notice, then one resolved notice', async () => {
    const labels = { alertname: 'OverdueRatioAboveTarget', unit: amUnit, level: 'district', window: '14d', kpi: 'overdue_ratio', severity: 'warning' };
    const annotations = {
      title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu',
      summary_vi: `Tỷ lệ hồ sơ trễ hạn 5%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)`,
    };
    const startsAt = new Date().toISOString();
    const send = async (endsAt: string) => {
      const res = await fetch(`${ALERTMANAGER_URL}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ labels, annotations, startsAt, endsAt }]),
      });
      expect(res.status).toBe(200);
    };
    await send(new Date(Date.now() + 10 * 60_000).toISOString());
    const firing = await waitFor(() => (sink.to(amHead).length >= 1 ? sink.to(amHead) : undefined), {
      timeoutMs: 60_000,
      description: 'firing email via Alertmanager',
    });
    expect(firing[0]!.subject).toBe(`[DVC] CẢNH BÁO: đơn vị ${amUnit} (chưa có trong danh mục): Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)`);
    expect(firing[0]!.body).toContain(`Giá trị so với mục tiêu: Tỷ lệ hồ sơ trễ hạn 5%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)`);
    await send(new Date().toISOString());
    await waitFor(() => (sink.to(amHead).length >= 2 ? true : undefined), { timeoutMs: 60_000, description: 'resolved email via Alertmanager' });
    const mails = sink.to(amHead);
    expect(mails.map((m) => m.subject.slice(0, 22))).toEqual(['[DVC] CẢNH BÁO: đơn vị', '[DVC] ĐÃ KHẮC PHỤC: đơ']);
    const resolvedNotices = (await (await operatorGet('/v1/notices')).json()) as { notices: NoticeView[] };
    const mine = resolvedNotices.notices.filter((n) => n.subject.includes(amUnit));
    expect(mine.map((n) => n.status).sort()).toEqual(['firing', 'resolved']);
  });

  // The whole path: events → ingest → Kafka → projector → Redis → exporter → Prometheus rule
  // OverdueRatioAboveTarget (for: 1m) → Alertmanager → notifier → mail (the pipeline and the
  // first events from beforeAll). Then enough on-time resolutions bring the share under 1% and
  // the resolved notice follows.
  it('events push a unit over 1%: exactly one firing email, then exactly one resolved email', async () => {
    // The first events were posted in beforeAll, and their alert's `for:` has been running since.
    const firing = await waitFor(() => (sink.to(fullHead).length >= 1 ? sink.to(fullHead) : undefined), {
      timeoutMs: 240_000,
      intervalMs: 500,
      description: `firing email for ${fullUnit} (Prometheus for: 1m, then Alertmanager)`,
    });
    expect(firing).toHaveLength(1);
    expect(firing[0]!.subject).toBe(`[DVC] CẢNH BÁO: ${fullName}: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)`);
    // The title is the rule's title_vi annotation (infra/prometheus/rules/alerts.yml); no
    // English alert name anywhere in the notice (issue 12: the technical line is gone).
    expect(firing[0]!.body).toContain('CẢNH BÁO: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu');
    expect(firing[0]!.body).not.toContain('OverdueRatioAboveTarget');
    expect(firing[0]!.body).toContain(`Giá trị so với mục tiêu: Tỷ lệ hồ sơ trễ hạn 5%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)`);
    expect(firing[0]!.body).toContain('2 hồ sơ quá hạn lâu nhất của đơn vị');
    expect(firing[0]!.body).toContain(`1. ${dossier(20)}: hạn 17:00 ngày 21/06/2022`);

    // 101 more on time: 1 late of 121 resolved, under 1%.
    const more = Array.from({ length: 101 }, (_, i) => i + 100);
    const second = [
      ...more.map((n) => ev.received(fullUnit, dossier(n), '2022-06-20T08:00:00+07:00', 'online', { dueAt: due })),
      ...more.map((n) => ev.resolved(fullUnit, dossier(n), '2022-06-21T11:00:00+07:00', true)),
    ];
    expect((await postBatch(pipelineIngest, second)).status).toBe(202);
    await waitFor(async () => ((await promQuery(`dvc:overdue_ratio:by_unit{unit="${fullUnit}",window="14d"} < 0.01`)).length === 1 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: 'overdue share under 1% in Prometheus',
    });
    await waitFor(() => (sink.to(fullHead).length >= 2 ? true : undefined), { timeoutMs: 180_000, intervalMs: 500, description: 'resolved email' });
    const mails = sink.to(fullHead);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe(`[DVC] ĐÃ KHẮC PHỤC: ${fullName}: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)`);
    const recorded = ((await (await operatorGet('/v1/notices?limit=1000')).json()) as { notices: NoticeView[] }).notices.filter((n) =>
      n.deliveries.some((d) => d.target === fullHead),
    );
    expect(recorded.map((n) => n.status).sort()).toEqual(['firing', 'resolved']);
  }, 600_000);
});
