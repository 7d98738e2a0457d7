import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadReferenceData, projectionRules } from '@dvc/config';
import { validateEvent, type DvcEvent } from '@dvc/domain';
import { openEventStore } from '@dvc/eventstore';
import { resolveActiveNamespace } from '@dvc/read-model';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { ev, uniqueName, waitFor } from '@dvc/testing';
import { testKafka } from '@dvc/kafka/testing';
import { SmtpSink } from './smtp-sink.js';
import { REPO_ROOT, freePort, notifierAuth, runCli, serviceEnv, stackEnv, startService, unlinkPrefix, type ServiceProcess } from './stack.js';

/**
 * The notifier reads what is live and when now is from the same live view as the exporter and
 * the CLI: after `dvc rebuild --switch` its next notice lists the new namespace's overdue
 * dossiers, after `dvc rebuild drop` of the old namespace still the new one's, and with
 * CLOCK_AS_OF its days overdue count from that instant (the 2022 demo once said a dossier due
 * 22/06/2022 was "đã quá 1625 ngày").
 */
describe('notifier follows the live namespace and the pinned clock', () => {
  const id = uniqueName('ntflive').replace(/[^a-z0-9]/g, '');
  const unit = 'bp.dongxoai';
  const head = `lanhdao.${id}@example.gov.vn`;
  const AS_OF = '2022-06-22T17:00:00+07:00';
  const common: Record<string, string> = { ...serviceEnv(id), CLOCK_AS_OF: AS_OF };
  const env = stackEnv();
  const redis = new Redis(env.redisUrl);
  const kafka = testKafka(id, env.kafkaBrokers.split(','));
  const sink = new SmtpSink();
  const rules = projectionRules(loadReferenceData(), { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 });
  const wall = Date.now();
  const dossier = (letter: string) => `HS-${id}-${letter}`;
  let dir = '';
  let notifier: ServiceProcess | undefined;
  let auth: ReturnType<typeof notifierAuth> | undefined;
  let sequence = 0;

  const valid = (raw: unknown): DvcEvent => {
    const result = validateEvent(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.event;
  };
  const received = (letter: string, day: string, due: string) =>
    valid(ev.received(unit, dossier(letter), `2022-06-${day}T08:00:00+07:00`, 'online', { dueAt: due }));
  const apply = (namespace: string, events: DvcEvent[]) =>
    applyEvents(new ProjectionStore(redis, namespace), events, rules.ctxAt(wall), () => wall, rules.expireAt);

  /** Posts a firing overdue-ratio alert of the unit (a new group each time) and returns the mail it produced. */
  const notice = async () => {
    sequence += 1;
    const groupKey = `{}:{unit="${unit}",test="${id}-${sequence}"}`;
    const labels = { alertname: 'OverdueRatioAboveTarget', unit, level: 'district', window: '14d', kpi: 'overdue_ratio', severity: 'warning' };
    const before = sink.to(head).length;
    const res = await fetch(`${notifier!.url}/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth!.token}` },
      body: JSON.stringify({
        version: '4',
        groupKey,
        status: 'firing',
        receiver: 'dvc-notifier',
        groupLabels: { alertname: labels.alertname, unit, level: 'district', window: '14d' },
        commonLabels: labels,
        commonAnnotations: {},
        externalURL: env.alertmanagerUrl,
        truncatedAlerts: 0,
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: {},
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            fingerprint: `fp${id}${sequence}`.slice(-16),
          },
        ],
      }),
    });
    expect(res.status).toBe(202);
    const mails = await waitFor(() => (sink.to(head).length > before ? sink.to(head) : undefined), { description: `notice ${sequence} mailed` });
    return mails[mails.length - 1]!.body;
  };

  /** The dossier lines of a notice. */
  const listed = (body: string) => [...body.matchAll(/^ {2}\d\. .+$/gm)].map((m) => m[0]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${id}-`));
    writeFileSync(
      join(dir, 'recipients.json'),
      JSON.stringify({
        fallback: { name: 'ops', emails: [`ops.${id}@example.gov.vn`], webhooks: [] },
        levels: {},
        units: { [unit]: { name: 'Lãnh đạo', emails: [head], webhooks: [] } },
      }),
    );
    await sink.start(await freePort());
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: common.EVENTS_TOPIC!, numPartitions: 1 }] });
    await admin.disconnect();

    // The history in the event store and, as the projector wrote it, in the live namespace (the base).
    const history = [
      received('A', '01', '2022-06-10T17:00:00+07:00'),
      received('B', '05', '2022-06-20T08:00:00+07:00'),
      received('C', '20', '2022-06-30T17:00:00+07:00'),
    ];
    mkdirSync(join(REPO_ROOT, '.run', 'tests', id), { recursive: true });
    const store = openEventStore(common.EVENTSTORE_URL!);
    await store.append(history);
    await store.close();
    await apply(id, history);

    auth = notifierAuth(dir, id);
    notifier = await startService(
      'notifier',
      {
        ...common,
        ...auth.env,
        NOTIFIER_DB: join(dir, 'outbox.db'),
        RECIPIENTS_FILE: join(dir, 'recipients.json'),
        SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        NOTIFIER_POLL_MS: '100',
        // Sent when they come, at any hour this runs (office hours: notifier.e2e).
        NOTIFIER_OFFICE_HOURS: 'always',
      },
      'NOTIFIER_PORT',
    );
  });

  afterAll(async () => {
    await notifier?.kill('SIGTERM');
    await sink.stop();
    await unlinkPrefix(redis, `${id}:`);
    await unlinkPrefix(redis, `${id}.`);
    redis.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [common.EVENTS_TOPIC!] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(REPO_ROOT, '.run', 'tests', id), { recursive: true, force: true });
  });

  it('reports its pinned clock', async () => {
    expect(await (await fetch(`${notifier!.url}/healthz`)).json()).toEqual({
      status: 'ok',
      service: 'notifier',
      version: '0.1.0',
      node: process.version,
      clock: { mode: 'as-of', asOf: '2022-06-22T10:00:00.000Z' },
      officeHours: 'always',
    });
    expect(await (await fetch(`${notifier!.url}/metrics`)).text()).toContain('dvc_notifier_clock_info{mode="as-of"} 1\n');
  });

  it('counts days overdue from CLOCK_AS_OF and says "tính đến" it', async () => {
    const body = await notice();
    expect(body).toContain('Tình trạng: đang vi phạm, tính đến 17:00 ngày 22/06/2022\n');
    expect(body).toContain('2 hồ sơ quá hạn lâu nhất của đơn vị (tính đến 17:00 ngày 22/06/2022):\n');
    expect(listed(body)).toEqual([
      `  1. ${dossier('A')}: hạn 17:00 ngày 10/06/2022, đã quá 12 ngày`,
      `  2. ${dossier('B')}: hạn 08:00 ngày 20/06/2022, đã quá 2 ngày 9 giờ`,
    ]);
    expect(body).not.toContain('vi phạm từ');
  });

  it('after dvc rebuild --switch lists the new namespace, and after dropping the old one still the new one', async () => {
    const { stdout } = await runCli(['rebuild', '--switch'], common);
    const active = await resolveActiveNamespace(redis, id);
    expect(active).toMatch(new RegExp(`^${id}\\.r\\d{8}T\\d{6}$`));
    expect(stdout).toContain(`comparing at 2022-06-22T10:00:00.000Z (clock as-of)\n`);
    expect(stdout).toContain(`switched ${id}: ${id} -> ${active}\n`);
    // The projector writes on into the new namespace only: D is overdue there, not in the old one.
    await apply(active, [received('D', '02', '2022-06-15T17:00:00+07:00')]);
    const expected = [
      `  1. ${dossier('A')}: hạn 17:00 ngày 10/06/2022, đã quá 12 ngày`,
      `  2. ${dossier('D')}: hạn 17:00 ngày 15/06/2022, đã quá 7 ngày`,
      `  3. ${dossier('B')}: hạn 08:00 ngày 20/06/2022, đã quá 2 ngày 9 giờ`,
    ];
    expect(listed(await notice())).toEqual(expected);
    expect(await (await fetch(`${notifier!.url}/metrics`)).text()).toContain(`dvc_notifier_namespace_info{namespace="${active}"} 1\n`);

    const dropped = await runCli(['rebuild', 'drop', id], common);
    expect(dropped.stdout).toMatch(new RegExp(`^dropped ${id}: \\d+ keys deleted\\n$`));
    expect(await redis.exists(`${id}:units`)).toBe(0);
    expect(listed(await notice())).toEqual(expected);
  });
});
