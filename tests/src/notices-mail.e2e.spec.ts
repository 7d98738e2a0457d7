import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadReferenceData, projectionRules } from '@dvc/config';
import { validateEvent, type DvcEvent } from '@dvc/domain';
import { KEYS_FILE_VERSION, addKey, writeKeysFile, type KeysFile } from '@dvc/keys';
import { ProjectionStore, applyEvents } from '@dvc/redis';
import { ev, freePort, uniqueName, waitFor } from '@dvc/testing';
import { REPO_ROOT, RUN_DIR, notifierAuth, stackEnv, startService, type ServiceProcess } from './stack.js';

/**
 * Issue 12's notices people can read, end to end: the notifier sends to a real MailDev (the mail
 * catcher `npm start` runs, from node_modules) and links the ops board's page of the unit; the
 * message is read back through MailDev's REST API. The board, on the same projection and clock,
 * lists in the unit's worklist the very dossiers the notice lists, in the same order.
 */

interface MailDevEmail {
  subject: string;
  text: string;
  to: { address: string; name?: string }[];
}

const UNIT = 'bp.dongxoai';
const NOW = Date.parse('2022-06-22T17:00:00+07:00');
const HOUR = 3_600_000;
/** The notifier lists this many of the oldest overdue dossiers (OVERDUE_LIST_SIZE of @dvc/notifier). */
const NOTICE_LIST_SIZE = 5;

describe('notices in the mail catcher, linking the ops board', () => {
  const id = uniqueName('mail').replace(/[^a-z0-9]/g, '');
  const env = stackEnv();
  const redis = new Redis(env.redisUrl);
  const head = `head.${id}@example.gov.vn`;
  const dir = mkdtempSync(join(tmpdir(), 'dvc-notices-mail-'));
  let mailDev: ChildProcess | undefined;
  let mailExited: Promise<number | null> | undefined;
  let mailWeb = '';
  let notifier: ServiceProcess | undefined;
  let auth: ReturnType<typeof notifierAuth> | undefined;
  let board: ServiceProcess | undefined;
  let boardKey = '';
  /** The open overdue dossiers written, oldest due first. */
  const overdueIds: string[] = [];

  beforeAll(async () => {
    // MailDev from node_modules, on ports of its own (SMTP and its web UI / REST API).
    const smtpPort = await freePort();
    const webPort = await freePort();
    const entry = join(REPO_ROOT, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js');
    const logDir = join(RUN_DIR, 'logs', 'tests');
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `maildev-${webPort}.log`));
    mailDev = spawn(
      process.execPath,
      [entry, '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--smtp', String(smtpPort), '--web', String(webPort), '--mail-directory', join(dir, 'mail')],
      {
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    mailDev.stdout!.pipe(log);
    mailDev.stderr!.pipe(log);
    const child = mailDev;
    mailExited = new Promise((resolve) => child.once('exit', resolve));
    mailWeb = `http://127.0.0.1:${webPort}`;
    await waitFor(async () => ((await fetch(`${mailWeb}/api/healthz`).catch(() => undefined))?.ok === true ? true : undefined), {
      timeoutMs: 60_000,
      description: 'MailDev /api/healthz',
    });

    // Eight open dossiers of the unit as the projector writes them, in no particular order: seven
    // overdue (due 1..7 days ago), one not yet due.
    const received = (suffix: string, dueMs: number): DvcEvent => {
      const result = validateEvent(
        ev.received(UNIT, `HS-${id}-${suffix}`, new Date(NOW - 30 * 24 * HOUR).toISOString(), 'online', { dueAt: new Date(dueMs).toISOString() }),
      );
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.event;
    };
    const days = [3, 7, 1, 5, 2, 6, 4];
    const dossiers = days.map((d) => received(`d${d}`, NOW - d * 24 * HOUR - 3 * HOUR));
    overdueIds.push(...[...days].sort((a, b) => b - a).map((d) => `HS-${id}-d${d}`));
    const rules = projectionRules(loadReferenceData(), { RESULT_RETURN_WORKING_DAYS: 2, RECEIPT_WORKING_DAYS: 1, RETENTION_DAYS: 0 });
    await applyEvents(new ProjectionStore(redis, id), [...dossiers, received('future', NOW + 24 * HOUR)], rules.ctxAt(NOW), () => NOW, rules.expireAt);

    // The board, on that namespace at the same pinned clock, with a board key.
    const empty: KeysFile = { version: KEYS_FILE_VERSION, keys: [] };
    const added = addKey(empty, { id: `${id}-ops`, units: '*', types: '*', ratePerMinute: 6000, role: 'board' }, new Date());
    if (!added.ok) throw new Error(added.problems.join('; '));
    boardKey = added.value.key;
    writeKeysFile(join(dir, 'keys.json'), added.value.file);
    const common = { REDIS_URL: env.redisUrl, REDIS_NAMESPACE: id, CLOCK_AS_OF: new Date(NOW).toISOString() };
    board = await startService('board', { ...common, BOARD_KEYS_FILE: join(dir, 'keys.json'), PROMETHEUS_URL: env.prometheusUrl }, 'BOARD_PORT');

    // The notifier sends to MailDev and links the board's page of the unit (what npm start sets).
    writeFileSync(
      join(dir, 'recipients.json'),
      JSON.stringify({
        fallback: { name: 'ops', emails: [`ops.${id}@example.gov.vn`], webhooks: [] },
        levels: {},
        units: { [UNIT]: { name: 'Lãnh đạo', emails: [head], webhooks: [] } },
      }),
    );
    auth = notifierAuth(dir, id);
    notifier = await startService(
      'notifier',
      {
        ...common,
        ...auth.env,
        NOTIFIER_DB: join(dir, 'outbox.db'),
        RECIPIENTS_FILE: join(dir, 'recipients.json'),
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        DASHBOARD_URL: `${board.url}/#/don-vi/{unit}`,
        NOTIFIER_POLL_MS: '100',
        // Sent when they come, at any hour this runs (office hours: notifier.e2e).
        NOTIFIER_OFFICE_HOURS: 'always',
      },
      'NOTIFIER_PORT',
    );
  });

  afterAll(async () => {
    await notifier?.kill('SIGTERM');
    await board?.kill('SIGTERM');
    if (mailDev !== undefined && mailDev.exitCode === null) mailDev.kill('SIGTERM');
    await mailExited;
    await new ProjectionStore(redis, id).dropNamespace();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers the notice to MailDev in Vietnamese, with the unit's oldest overdue dossiers and a working link to its board page", async () => {
    const labels = { alertname: 'OverdueRatioAboveTarget', unit: UNIT, level: 'district', window: '14d', kpi: 'overdue_ratio', severity: 'warning' };
    const annotations = {
      title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu',
      summary_vi: `Tỷ lệ hồ sơ trễ hạn 4,762%, chưa đạt mục tiêu dưới 1% (14 ngày gần nhất)`,
    };
    const payload = {
      version: '4',
      groupKey: `{}:{unit="${UNIT}",id="${id}"}`,
      status: 'firing',
      receiver: 'dvc-notifier',
      groupLabels: { alertname: labels.alertname, unit: UNIT, level: 'district', window: '14d' },
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: env.alertmanagerUrl,
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels,
          annotations,
          startsAt: new Date(NOW - HOUR).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://127.0.0.1:9090/graph',
          fingerprint: id.slice(0, 16),
        },
      ],
    };
    const posted = await fetch(`${notifier!.url}/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth!.token}` },
      body: JSON.stringify(payload),
    });
    expect(posted.status).toBe(202);

    const mail = await waitFor(
      async () => {
        const all = (await (await fetch(`${mailWeb}/api/email`)).json()) as MailDevEmail[];
        return all.find((m) => m.to.some((t) => t.address === head));
      },
      { timeoutMs: 30_000, description: 'the notice in MailDev' },
    );
    expect(mail.subject).toBe('[DVC] CẢNH BÁO: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)');
    expect(mail.text).toContain('Hệ thống theo dõi tiến độ giải quyết thủ tục hành chính thông báo:');
    expect(mail.text).toContain('Đơn vị: UBND thành phố Đồng Xoài (mã bp.dongxoai, cấp huyện)');
    expect(mail.text).toContain('5 hồ sơ quá hạn lâu nhất của đơn vị (tính đến 17:00 ngày 22/06/2022):');
    expect(mail.text).not.toContain('OverdueRatioAboveTarget');

    // The notice's list: the five oldest overdue, in order.
    const listed = [...mail.text.matchAll(/^ {2}\d+\. (\S+): hạn /gm)].map((m) => m[1]);
    expect(listed).toEqual(overdueIds.slice(0, NOTICE_LIST_SIZE));

    // The link opens the board's page of the unit, which the board serves.
    const link = /^Bảng điều khiển: (\S+)$/m.exec(mail.text)?.[1];
    expect(link).toBe(`${board!.url}/#/don-vi/${UNIT}`);
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html lang="vi">');

    // The unit's worklist lists the same overdue dossiers in the same order (the page goes on with the two the notice leaves out).
    const res = await fetch(`${board!.url}/v1/units/${UNIT}/dossiers?state=overdue`, { headers: { authorization: `Bearer ${boardKey}` } });
    expect(res.status).toBe(200);
    const worklist = ((await res.json()) as { items: { dossierId: string }[] }).items.map((i) => i.dossierId);
    expect(worklist).toEqual(overdueIds);
    expect(worklist.slice(0, NOTICE_LIST_SIZE)).toEqual(listed);
  });
});
