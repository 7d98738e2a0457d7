import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadReferenceData } from '@dvc/config';
import { createUnitDirectory } from '@dvc/domain';
import { KeyRing, addKey, type KeysFile } from '@dvc/keys';
import { loadRecipients, parseRecipients } from './recipients.js';
import { createApp, type NotifierApp, type NotifierDeps } from './app.js';
import { DeliveryError } from './delivery.js';
import { parseAlertmanagerPayload, type AmPayload } from './alertmanager.js';
import { tokenChecker } from './auth.js';
import type { Deferral } from './confirm.js';
import { Outbox, type Delivery } from './outbox.js';
import { officeClock } from './office.js';
import type { OverdueReader } from './overdue.js';
import type { DossierList, Worklist } from './render.js';

const REPO_DATA = new URL('../../../infra/data/', import.meta.url);
const BUILD = { service: 'notifier', version: '0.0.0-test', node: process.version };
const TOKEN = 'am-token-0123456789abcdef0123456789abcdef';
const NO_KEYS = { current: () => new KeyRing([]) };

/** The Đồng Xoài district desk and the repository's recipients: the reference every app here reads. */
const REFERENCE = () => ({
  units: createUnitDirectory([{ id: 'bp.dongxoai', name: 'UBND thành phố Đồng Xoài', level: 'district', kind: 'district_desk', validFrom: '2020-01-01' }]),
  recipients: loadRecipients(new URL('recipients.json', REPO_DATA).pathname).book,
});

/** An overdue reader on the wall clock that finds no overdue dossier in any unit. */
const NO_OVERDUE: OverdueReader = {
  clock: { mode: 'wall' },
  read: async (wanted) => ({
    namespace: 'dvc',
    asOf: undefined,
    worklists: new Map([...wanted].map(([kind, units]) => [kind, new Map(units.map((u) => [u, { ok: true, dossiers: [] }]))])),
  }),
};

/**
 * The app under test: the fixed reference, a silent logger, a 1 s poll, the Alertmanager token,
 * no operator keys and a monitoring that confirms every end, with what each suite varies.
 */
type TestAppDeps = Pick<NotifierDeps, 'outbox' | 'overdue' | 'senders' | 'now'> &
  Partial<Pick<NotifierDeps, 'keys' | 'reference' | 'resolvedHoldMs' | 'checkEnd' | 'office' | 'dashboardUrl'>>;

function testApp(deps: TestAppDeps): NotifierApp {
  return createApp({
    reference: REFERENCE,
    dashboardUrl: 'http://grafana.example/d/x',
    logger: pino({ level: 'silent' }),
    build: BUILD,
    processRegistry: new Registry(),
    pollMs: 1000,
    resolvedHoldMs: 0,
    checkEnd: () => Promise.resolve(undefined),
    alertmanagerToken: tokenChecker(TOKEN),
    keys: NO_KEYS,
    ...deps,
  });
}

/** Closes the app, then its outbox, and removes the outbox's folder. */
async function closeTestApp(app: NotifierApp, outbox: Outbox, dir: string): Promise<void> {
  await app.close();
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
}

function payload(status: 'firing' | 'resolved', unit: string): AmPayload {
  const labels = { alertname: 'OverdueRatioAboveTarget', unit, level: 'district', window: '14d', kpi: 'overdue_ratio', severity: 'warning' };
  const parsed = parseAlertmanagerPayload({
    groupKey: `g-${unit}`,
    status,
    commonLabels: labels,
    alerts: [
      {
        status,
        labels,
        annotations: { title_vi: 'Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu' },
        startsAt: '2026-11-30T07:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `fp-${unit}`,
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.payload;
}

describe('notifier app (outbox + dispatcher, injected clock and senders)', () => {
  let dir: string;
  let outbox: Outbox;
  let app: NotifierApp;
  let now: number;
  const sent: Delivery[] = [];
  let failNext = 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-app-'));
    now = Date.parse('2026-11-30T08:00:00Z');
    sent.length = 0;
    failNext = 0;
    outbox = new Outbox(join(dir, 'outbox.db'), () => now, { baseMs: 1000, maxMs: 8000 });
    const email = async (d: Delivery) => {
      if (failNext > 0) {
        failNext -= 1;
        throw new DeliveryError('connect ECONNREFUSED 127.0.0.1:25', true);
      }
      sent.push(d);
    };
    app = testApp({
      outbox,
      overdue: NO_OVERDUE,
      senders: { email, webhook: email },
      now: () => now,
    });
  });
  afterEach(() => closeTestApp(app, outbox, dir));

  /** A new app on a new outbox that holds unit resolutions 10 minutes and asks `checkEnd` (by default: confirmed) before sending one. */
  const restartHolding = async (send: (d: Delivery) => Promise<void>, checkEnd: NotifierDeps['checkEnd'] = () => Promise.resolve(undefined)) => {
    await closeTestApp(app, outbox, dir);
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-app-'));
    outbox = new Outbox(join(dir, 'outbox.db'), () => now, { baseMs: 1000, maxMs: 8000 });
    app = testApp({ outbox, overdue: NO_OVERDUE, senders: { email: send, webhook: send }, now: () => now, resolvedHoldMs: 600_000, checkEnd });
  };
  /** The unit's alert firing again with a new start (after a resolution). */
  const refired = (unit: string, startsAt = '2026-11-30T09:00:00Z') => {
    const p = payload('firing', unit);
    return { ...p, alerts: p.alerts.map((a) => ({ ...a, startsAt })) };
  };
  const subjects = () => sent.map((d) => `${d.target} ${d.subject.split(':')[0]}`);

  it('routes by unit and level from infra/data/recipients.json, unknown units to the operations team', async () => {
    await app.accept(payload('firing', 'bp.dongxoai'));
    await app.accept(payload('firing', 'xx.unknown'));
    expect(await app.dispatchDue()).toBe(3);
    expect(sent.map((d) => d.target).sort()).toEqual(
      ['kiemsoat.tthc@example.gov.vn', 'lanhdao.dongxoai@example.gov.vn', 'kiemsoat.tthc@example.gov.vn'].sort(),
    );
    const ops = await app.accept({
      ...payload('firing', 'x'),
      groupKey: 'pipeline',
      commonLabels: {},
      alerts: [{ ...payload('firing', 'x').alerts[0]!, labels: { alertname: 'ExporterDown' } }],
    });
    expect(ops.kind).toBe('queued');
    await app.dispatchDue();
    expect(sent.at(-1)?.target).toBe('vanhanh.ttpvhcc@example.gov.vn');
  });

  it("tells a head added to the recipients while the alert fires at Alertmanager's next repeat, and no one twice", async () => {
    const { units, recipients } = REFERENCE();
    const { 'bp.dongxoai': _head, ...others } = recipients.units;
    let book = { ...recipients, units: others };
    await closeTestApp(app, outbox, dir);
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-app-'));
    outbox = new Outbox(join(dir, 'outbox.db'), () => now, { baseMs: 1000, maxMs: 8000 });
    app = testApp({
      outbox,
      overdue: NO_OVERDUE,
      senders: { email: async (d) => void sent.push(d), webhook: async (d) => void sent.push(d) },
      now: () => now,
      reference: () => ({ units, recipients: book }),
    });
    expect(await app.accept(payload('firing', 'bp.dongxoai'))).toMatchObject({ kind: 'queued', deliveries: 1 });
    await app.dispatchDue();
    expect(sent.map((d) => d.target)).toEqual(['kiemsoat.tthc@example.gov.vn']);

    book = recipients;
    expect(await app.accept(payload('firing', 'bp.dongxoai'))).toMatchObject({ kind: 'duplicate', deliveries: 1 });
    await app.dispatchDue();
    expect(await app.accept(payload('firing', 'bp.dongxoai'))).toMatchObject({ kind: 'duplicate', deliveries: 0 });
    await app.dispatchDue();
    expect(sent.map((d) => d.target)).toEqual(['kiemsoat.tthc@example.gov.vn', 'lanhdao.dongxoai@example.gov.vn']);
    expect(sent[1]?.subject).toBe(sent[0]?.subject);
  });

  it("holds a unit alert's resolution and drops it when the alert fires again (a gap in the data); a pipeline alert's is sent at once", async () => {
    await restartHolding(async (d) => void sent.push(d));
    await app.accept(payload('firing', 'bp.dongxoai'));
    await app.dispatchDue();
    // The exporter restarts: the series vanish, the alert resolves, then fires again (a new start).
    expect(await app.accept(payload('resolved', 'bp.dongxoai'))).toMatchObject({ kind: 'queued', deliveries: 2, canceled: 0 });
    now += 60_000;
    expect(await app.dispatchDue()).toBe(0);
    expect(await app.accept(refired('bp.dongxoai', '2026-11-30T08:01:00Z'))).toMatchObject({
      kind: 'queued',
      deliveries: 0,
      canceled: 4,
    });
    now += 600_000;
    expect(await app.dispatchDue()).toBe(0);
    expect(subjects()).toEqual(['kiemsoat.tthc@example.gov.vn [DVC] CẢNH BÁO', 'lanhdao.dongxoai@example.gov.vn [DVC] CẢNH BÁO']);

    const pipeline = (status: 'firing' | 'resolved') => ({
      ...payload(status, 'x'),
      groupKey: 'pipeline',
      commonLabels: {},
      alerts: [{ ...payload(status, 'x').alerts[0]!, labels: { alertname: 'ExporterDown', severity: 'critical' } }],
    });
    await app.accept(pipeline('firing'));
    await app.accept(pipeline('resolved'));
    expect(await app.dispatchDue()).toBe(2);
    expect(subjects().slice(2)).toEqual(['vanhanh.ttpvhcc@example.gov.vn [DVC] CẢNH BÁO', 'vanhanh.ttpvhcc@example.gov.vn [DVC] ĐÃ KHẮC PHỤC']);
  });

  it("sends a unit's all-clear only once the monitoring confirms the end: held past its hold while Prometheus cannot, canceled if the group fires again first", async () => {
    const asked: string[][] = [];
    let monitoring: Deferral | undefined = { reason: 'prometheus_unreachable', message: 'held: Prometheus (http://prom) cannot confirm the end: down' };
    await restartHolding(
      async (d) => void sent.push(d),
      (ended) => {
        asked.push(ended.map((labels) => `${labels.alertname} ${labels.unit}`));
        return Promise.resolve(monitoring);
      },
    );
    const states = (unit: string) => outbox.list(10, `g-${unit}`).map((n) => [n.status, n.deliveries.map((d) => d.state)]);

    // Prometheus is down longer than the hold: Alertmanager resolved the alert, nothing confirms the end.
    await app.accept(payload('firing', 'bp.dongxoai'));
    await app.dispatchDue();
    await app.accept(payload('resolved', 'bp.dongxoai'));
    now += 600_000;
    expect(await app.dispatchDue()).toBe(0);
    expect(asked).toEqual([['OverdueRatioAboveTarget bp.dongxoai']]);
    const [held] = outbox.list(1, 'g-bp.dongxoai');
    expect(held!.deliveries.map((d) => [d.state, d.attempts, d.lastError, d.nextAttemptAt])).toEqual([
      ['pending', 0, monitoring.message, new Date(now + 60_000).toISOString()],
      ['pending', 0, monitoring.message, new Date(now + 60_000).toISOString()],
    ]);
    now += 30_000;
    expect(await app.dispatchDue()).toBe(0);
    expect(asked).toHaveLength(1);
    // Prometheus answers again and no longer holds the alert: the end is real, and told.
    monitoring = undefined;
    now += 30_000;
    expect(await app.dispatchDue()).toBe(2);
    expect(subjects().slice(2)).toEqual(['kiemsoat.tthc@example.gov.vn [DVC] ĐÃ KHẮC PHỤC', 'lanhdao.dongxoai@example.gov.vn [DVC] ĐÃ KHẮC PHỤC']);

    // Held longer (the exporter down), then the alert fires again: the resolution is dropped as before.
    monitoring = { reason: 'data_unsound', message: 'held: ExporterDown (firing)' };
    await app.accept(payload('firing', 'xx.gap'));
    await app.dispatchDue();
    await app.accept(payload('resolved', 'xx.gap'));
    now += 600_000;
    expect(await app.dispatchDue()).toBe(0);
    expect(await app.accept(refired('xx.gap'))).toMatchObject({ kind: 'queued', deliveries: 0, canceled: 2 });
    expect(states('xx.gap')).toEqual([
      ['firing', ['canceled']],
      ['resolved', ['canceled']],
      ['firing', ['sent']],
    ]);

    // The group fires again after the hold, before the dispatcher reached the resolution: it is
    // not sent (nor asked about), and the new warning is.
    await app.accept(payload('firing', 'bp.binhlong'));
    await app.dispatchDue();
    await app.accept(payload('resolved', 'bp.binhlong'));
    now += 600_000;
    await app.accept(refired('bp.binhlong'));
    const before = asked.length;
    await app.dispatchDue();
    expect(asked).toHaveLength(before);
    const [firing, resolved] = outbox.list(10, 'g-bp.binhlong');
    expect(resolved!.deliveries.map((d) => [d.state, d.lastError])).toEqual(
      resolved!.deliveries.map(() => ['canceled', `not sent: the alert fired again (notice ${firing!.id}) before this resolution was sent`]),
    );
    expect(firing!.deliveries.every((d) => d.state === 'sent')).toBe(true);
    expect(subjects().filter((s) => s.includes('KHẮC PHỤC'))).toHaveLength(2);

    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const address = app.server.address();
    const metrics = await (await fetch(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/metrics`)).text();
    expect(metrics).toContain('dvc_notifier_end_checks_total{outcome="prometheus_unreachable"} 1\n');
    expect(metrics).toContain('dvc_notifier_end_checks_total{outcome="confirmed"} 1\n');
    expect(metrics).toContain('dvc_notifier_end_checks_total{outcome="data_unsound"} 1\n');
    expect(metrics).toContain('dvc_notifier_end_checks_total{outcome="superseded"} 1\n');
  });

  it('never sends an all-clear late whose alert fired again while its delivery was failing: canceled, and the head reads the alert as continuing', async () => {
    let mailDown = false;
    let checks = 0;
    await restartHolding(
      async (d) => {
        if (mailDown) throw new DeliveryError('connect ECONNREFUSED 127.0.0.1:25', true);
        sent.push(d);
      },
      () => {
        checks += 1;
        return Promise.resolve(undefined);
      },
    );
    const warned = ['kiemsoat.tthc@example.gov.vn [DVC] CẢNH BÁO', 'lanhdao.dongxoai@example.gov.vn [DVC] CẢNH BÁO'];

    // The end is confirmed after its hold, but the mail server refuses it.
    await app.accept(payload('firing', 'bp.dongxoai'));
    await app.dispatchDue();
    await app.accept(payload('resolved', 'bp.dongxoai'));
    now += 600_000;
    mailDown = true;
    expect(await app.dispatchDue()).toBe(2);
    expect(checks).toBe(1);
    // The alert fires again before the retry: the failed all-clear is canceled, and the warning,
    // the same alert as the one they were told of, is not sent again.
    mailDown = false;
    // Canceled: the 2 failed all-clears and the 2 deliveries of the warning that only continues.
    expect(await app.accept(refired('bp.dongxoai', '2026-11-30T08:20:00Z'))).toMatchObject({ kind: 'queued', deliveries: 0, canceled: 4 });
    now += 1000;
    expect(await app.dispatchDue()).toBe(0);
    const [, resolved] = outbox.list(10, 'g-bp.dongxoai');
    expect(resolved!.deliveries.map((d) => [d.state, d.attempts, d.lastError])).toEqual(
      resolved!.deliveries.map(() => [
        'canceled',
        1,
        'not sent: the alert fired again 600 s after this resolution, while its delivery was failing (1 attempt): an all-clear that no longer holds',
      ]),
    );
    expect(subjects()).toEqual(warned);

    // A retry that comes due after the alert fired again (the firing notice arrived when the
    // retry was already due): the dispatcher finds the newer firing notice, cancels the all-clear
    // and sends the warning instead of the all-clear ahead of it.
    await app.accept(payload('firing', 'bp.binhlong'));
    await app.dispatchDue();
    await app.accept(payload('resolved', 'bp.binhlong'));
    now += 600_000;
    mailDown = true;
    await app.dispatchDue();
    now += 1000;
    mailDown = false;
    await app.accept(refired('bp.binhlong', '2026-11-30T08:30:00Z'));
    await app.dispatchDue();
    const [firing, stale] = outbox.list(10, 'g-bp.binhlong');
    expect(stale!.deliveries.map((d) => [d.state, d.lastError])).toEqual(
      stale!.deliveries.map(() => ['canceled', `not sent: the alert fired again (notice ${firing!.id}) before this resolution was sent`]),
    );
    expect(subjects().filter((s) => s.includes('KHẮC PHỤC'))).toEqual([]);
  });

  it('suppresses duplicate webhooks and sends the resolved notice once', async () => {
    expect((await app.accept(payload('firing', 'bp.dongxoai'))).kind).toBe('queued');
    expect((await app.accept(payload('firing', 'bp.dongxoai'))).kind).toBe('duplicate');
    await app.dispatchDue();
    expect((await app.accept(payload('resolved', 'bp.dongxoai'))).kind).toBe('queued');
    expect((await app.accept(payload('resolved', 'bp.dongxoai'))).kind).toBe('duplicate');
    await app.dispatchDue();
    expect(sent.filter((d) => d.target === 'lanhdao.dongxoai@example.gov.vn').map((d) => d.subject)).toEqual([
      '[DVC] CẢNH BÁO: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)',
      '[DVC] ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: Tỷ lệ hồ sơ trễ hạn chưa đạt mục tiêu (14 ngày gần nhất)',
    ]);
  });

  it('retries a failed delivery after the backoff and delivers it once', async () => {
    failNext = 2;
    await app.accept(payload('firing', 'bp.dongxoai'));
    expect(await app.dispatchDue()).toBe(2);
    expect(sent).toHaveLength(0);
    expect(await app.dispatchDue()).toBe(0);
    now += 1000;
    expect(await app.dispatchDue()).toBe(2);
    expect(sent).toHaveLength(2);
    now += 10_000;
    expect(await app.dispatchDue()).toBe(0);
    const [notice] = outbox.list(1);
    expect(notice!.deliveries.map((d) => [d.state, d.attempts])).toEqual([
      ['sent', 2],
      ['sent', 2],
    ]);
  });
});

describe('notifier app: the worklists a notification names', () => {
  const wall = Date.parse('2026-11-30T08:15:00Z');
  let dir: string;
  let outbox: Outbox;
  let app: NotifierApp;
  const asked: [Worklist, string[]][][] = [];
  const sent: Delivery[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-lists-'));
    outbox = new Outbox(join(dir, 'outbox.db'), () => wall, { baseMs: 1000, maxMs: 8000 });
    const overdue: OverdueReader = {
      clock: { mode: 'wall' },
      read: async (wanted) => {
        asked.push([...wanted].map(([kind, units]) => [kind, [...units]]));
        const list: Record<Worklist, (u: string) => DossierList> = {
          overdue: (u) => ({ ok: true, dossiers: [{ code: `OVERDUE-${u}`, dueMs: Date.parse('2026-11-29T08:00:00Z') }] }),
          'due-soon': (u) => ({ ok: true, dossiers: [{ code: `DUE-${u}`, dueMs: Date.parse('2026-11-30T20:15:00Z') }] }),
          'receipt-overdue': (u) => ({ ok: true, dossiers: [{ code: `ONLINE-${u}`, dueMs: Date.parse('2026-11-30T05:15:00Z') }] }),
          'result-not-returned': (u) => ({ ok: true, dossiers: [{ code: `RESULT-${u}`, dueMs: Date.parse('2026-11-27T16:59:59.999Z') }] }),
        };
        return {
          namespace: 'dvc',
          asOf: undefined,
          worklists: new Map([...wanted].map(([kind, units]) => [kind, new Map(units.map((u) => [u, list[kind](u)]))])),
        };
      },
    };
    app = testApp({ outbox, overdue, senders: { email: async (d) => void sent.push(d), webhook: async (d) => void sent.push(d) }, now: () => wall });
  });
  afterEach(() => closeTestApp(app, outbox, dir));

  it('reads the overdue list for the overdue alerts, the due-soon, late-receipt and result lists for theirs, nothing for the others, and names them', async () => {
    const alert = (alertname: string, extra: Record<string, string> = {}) => {
      const labels: Record<string, string> = { alertname, unit: 'bp.dongxoai', level: 'district', severity: 'warning', ...extra };
      return {
        status: 'firing',
        labels,
        annotations: { title_vi: `tiêu đề ${alertname}` },
        startsAt: '2026-11-30T07:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `fp-${alertname}${extra.reason ?? ''}`,
      };
    };
    const group = (alerts: ReturnType<typeof alert>[]) => {
      const parsed = parseAlertmanagerPayload({
        groupKey: `g-${alerts[0]!.labels.alertname}${alerts[0]!.labels.reason ?? ''}`,
        status: 'firing',
        commonLabels: { unit: 'bp.dongxoai' },
        alerts,
      });
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      return parsed.payload;
    };
    await app.accept(group([alert('OpenDossiersOverdue')]));
    await app.accept(group([alert('DossiersDueSoon', { severity: 'info' })]));
    await app.accept(group([alert('OnlineSubmissionsReceiptOverdue')]));
    await app.accept(group([alert('OnlineDossierShareBelowTarget', { kpi: 'online_dossier_share', window: '14d' })]));
    await app.accept(group([alert('ResultsNotReturned')]));
    await app.accept(group([alert('IntegrityFlagsRaised', { reason: 'fee_unpaid' })]));
    expect(asked).toEqual([
      [['overdue', ['bp.dongxoai']]],
      [['due-soon', ['bp.dongxoai']]],
      [['receipt-overdue', ['bp.dongxoai']]],
      [],
      [['result-not-returned', ['bp.dongxoai']]],
      [],
    ]);
    await app.dispatchDue();
    const texts = sent.filter((d) => d.target === 'lanhdao.dongxoai@example.gov.vn').map((d) => d.text);
    expect(texts).toHaveLength(6);
    expect(texts[0]).toContain('\n  1. OVERDUE-bp.dongxoai: hạn 15:00 ngày 29/11/2026, đã quá 1 ngày\n');
    expect(texts[1]).toContain('\n  1. DUE-bp.dongxoai: hạn 03:15 ngày 01/12/2026, còn 12 giờ\n');
    expect(texts[2]).toContain(
      '\n1 hồ sơ nộp trực tuyến chậm tiếp nhận lâu nhất của đơn vị (đến 15:15 ngày 30/11/2026):\n  1. ONLINE-bp.dongxoai: hạn tiếp nhận 12:15 ngày 30/11/2026, đã quá 3 giờ\n',
    );
    expect(texts[3]).not.toContain('bp.dongxoai: hạn');
    expect(texts[4]).toContain(
      '\n1 hồ sơ quá hạn trả kết quả lâu nhất của đơn vị (đến 15:15 ngày 30/11/2026):\n  1. RESULT-bp.dongxoai: hạn trả kết quả 23:59 ngày 27/11/2026, đã quá 2 ngày 15 giờ\n',
    );
    expect(texts[5]).not.toContain('bp.dongxoai: hạn');
  });
});

describe('notifier app with a pinned clock', () => {
  const asOf = Date.parse('2022-06-22T17:00:00+07:00');
  const wall = Date.parse('2026-12-03T09:00:00Z');
  let dir: string;
  let outbox: Outbox;
  let app: NotifierApp;
  const asked: [Worklist, string[]][][] = [];
  const sent: Delivery[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-asof-'));
    outbox = new Outbox(join(dir, 'outbox.db'), () => wall, { baseMs: 1000, maxMs: 8000 });
    const overdue: OverdueReader = {
      clock: { mode: 'as-of', asOfMs: asOf },
      read: async (wanted) => {
        asked.push([...wanted].map(([kind, units]) => [kind, [...units]]));
        const list: DossierList = { ok: true, dossiers: [{ code: 'HS-1', dueMs: Date.parse('2022-06-10T17:00:00+07:00') }] };
        return {
          namespace: 'dvc.r20261203T020000',
          asOf,
          worklists: new Map([...wanted].map(([kind, units]) => [kind, new Map(units.map((u) => [u, list]))])),
        };
      },
    };
    app = testApp({
      outbox,
      overdue,
      senders: { email: async (d) => void sent.push(d), webhook: async (d) => void sent.push(d) },
      now: () => wall,
    });
  });
  afterEach(() => closeTestApp(app, outbox, dir));

  it('writes the notice from one reading: days overdue from the clock, "tính đến" instead of wall dates', async () => {
    await app.accept(payload('firing', 'bp.dongxoai'));
    await app.accept(payload('resolved', 'bp.dongxoai'));
    expect(asked).toEqual([[['overdue', ['bp.dongxoai']]], []]);
    await app.dispatchDue();
    const [firing, resolved] = sent.filter((d) => d.target === 'lanhdao.dongxoai@example.gov.vn');
    expect(firing?.text).toContain('Tình trạng: đang vi phạm, tính đến 17:00 ngày 22/06/2022\n');
    expect(firing?.text).toContain('  1. HS-1: hạn 17:00 ngày 10/06/2022, đã quá 12 ngày\n');
    expect(resolved?.text).toContain('Tình trạng: đã trở lại bình thường, tính đến 17:00 ngày 22/06/2022\n');
  });

  it('reports its clock in /healthz and /metrics, and the namespace of the last notice', async () => {
    await app.accept(payload('firing', 'bp.dongxoai'));
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({
      status: 'ok',
      ...BUILD,
      clock: { mode: 'as-of', asOf: '2022-06-22T10:00:00.000Z' },
      officeHours: 'always',
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('dvc_notifier_clock_info{mode="as-of"} 1\n');
    expect(metrics).toContain('dvc_notifier_namespace_info{namespace="dvc.r20261203T020000"} 1\n');
    // Whom the recipients name, at the clock's date: the fixture's directory lists bp.dongxoai alone,
    // so the repository's twelve other unit entries are unlisted here.
    expect(metrics).toContain('dvc_notifier_recipient_units{state="headed"} 1\n');
    expect(metrics).toContain('dvc_notifier_recipient_units{state="unheaded"} 0\n');
    expect(metrics).toContain('dvc_notifier_recipient_units{state="unlisted"} 12\n');
  });
});

describe('notifier HTTP: Alertmanager token and operator keys', () => {
  let dir: string;
  let outbox: Outbox;
  let app: NotifierApp;
  let base: string;
  const keys: Record<string, string> = {};

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-auth-'));
    outbox = new Outbox(join(dir, 'outbox.db'), () => Date.parse('2026-11-30T08:00:00Z'), { baseMs: 1000, maxMs: 8000 });
    let file: KeysFile = { version: 1, keys: [] };
    for (const role of ['operator', 'board'] as const) {
      const added = addKey(file, { id: `k-${role}`, units: '*', types: '*', ratePerMinute: 60, role }, new Date('2026-11-30T00:00:00Z'));
      if (!added.ok) throw new Error(added.problems.join('; '));
      keys[role] = added.value.key;
      file = added.value.file;
    }
    const ring = new KeyRing(file.keys);
    app = testApp({
      outbox,
      overdue: NO_OVERDUE,
      senders: { email: async () => undefined, webhook: async () => undefined },
      now: () => Date.parse('2026-11-30T08:00:00Z'),
      keys: { current: () => ring },
    });
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterEach(() => closeTestApp(app, outbox, dir));

  const post = (authorization?: string) =>
    fetch(`${base}/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ ...payload('firing', 'bp.dongxoai'), version: '4' }),
    });
  const refusals = async () =>
    (await (await fetch(`${base}/metrics`)).text())
      .split('\n')
      .filter((line) => line.startsWith('dvc_notifier_refused_total{'))
      .sort();

  it('refuses a webhook without the token or with another one (401, counted) and records no notice', async () => {
    const missing = await post();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="dvc-notifier-alertmanager"');
    const wrong = await post(`Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="dvc-notifier-alertmanager", error="invalid_token"');
    expect(await wrong.json()).toEqual({ error: 'wrong token' });
    expect((await post(`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`)).status).toBe(401);
    expect(outbox.counts()).toEqual({ pending: 0, sent: 0, failed: 0, canceled: 0 });
    expect(outbox.list(10)).toEqual([]);
    expect(await refusals()).toEqual([
      'dvc_notifier_refused_total{route="alertmanager",reason="invalid"} 1',
      'dvc_notifier_refused_total{route="alertmanager",reason="missing"} 2',
    ]);
    expect(await (await fetch(`${base}/metrics`)).text()).not.toContain('dvc_notifier_webhooks_total{');
  });

  it("accepts the webhook that carries Alertmanager's token", async () => {
    const res = await post(`Bearer ${TOKEN}`);
    expect(res.status).toBe(202);
    expect(outbox.list(10).map((n) => n.groupKey)).toEqual(['g-bp.dongxoai']);
    expect(await refusals()).toEqual([]);
  });

  it('serves /v1/notices to operator keys only: 401 without or with an unknown key, 403 for another role', async () => {
    await post(`Bearer ${TOKEN}`);
    const missing = await fetch(`${base}/v1/notices`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="dvc-notifier"');
    expect((await fetch(`${base}/v1/notices`, { headers: { authorization: 'Bearer dvcr_unknown' } })).status).toBe(401);
    const board = await fetch(`${base}/v1/notices`, { headers: { authorization: `Bearer ${keys.board}` } });
    expect(board.status).toBe(403);
    expect(await board.json()).toEqual({ error: "key 'k-board' has the role 'board'; /v1/notices takes only keys with the role 'operator'" });
    const ok = await fetch(`${base}/v1/notices`, { headers: { authorization: `Bearer ${keys.operator}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { notices: { groupKey: string }[] }).notices.map((n) => n.groupKey)).toEqual(['g-bp.dongxoai']);
    expect(await refusals()).toEqual([
      'dvc_notifier_refused_total{route="notices",reason="invalid"} 1',
      'dvc_notifier_refused_total{route="notices",reason="missing"} 1',
      'dvc_notifier_refused_total{route="notices",reason="role"} 1',
    ]);
  });

  it('refuses a /v1/notices query it cannot read with every problem, instead of answering the default page', async () => {
    await post(`Bearer ${TOKEN}`);
    const get = (query: string) => fetch(`${base}/v1/notices${query}`, { headers: { authorization: `Bearer ${keys.operator}` } });
    const bad = await get('?limit=ten&group=g-bp.dongxoai');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: "unknown query parameter 'group'; accepted: limit, groupKey; limit must be a whole number from 1 to 1000",
      problems: ["unknown query parameter 'group'; accepted: limit, groupKey", 'limit must be a whole number from 1 to 1000'],
    });
    for (const limit of ['0', '1001', '-1', '1.5', '']) expect({ limit, status: (await get(`?limit=${limit}`)).status }).toEqual({ limit, status: 400 });
    expect(((await (await get('?limit=1&limit=2')).json()) as { problems: string[] }).problems).toEqual(['limit is given 2 times; give it once']);
    const one = await get('?limit=1&groupKey=g-bp.dongxoai');
    expect(one.status).toBe(200);
    expect(((await one.json()) as { notices: { groupKey: string }[] }).notices.map((n) => n.groupKey)).toEqual(['g-bp.dongxoai']);
    expect(((await (await get('?groupKey=another')).json()) as { notices: unknown[] }).notices).toEqual([]);
  });
});

describe('notifier app with office hours (NOTIFIER_OFFICE_HOURS 07:30-17:00)', () => {
  /** An instant in Vietnam's local time (UTC+7), e.g. '2026-12-07 00:16'. */
  const vn = (local: string): number => Date.parse(`${local.replace(' ', 'T')}:00+07:00`);
  const office = officeClock({ open: 450, close: 1020 }, () => loadReferenceData(REPO_DATA.pathname));
  /** The repository's recipients, and a webhook of the Đồng Xoài desk's own system. */
  const WITH_WEBHOOK = () => {
    const parsed = parseRecipients({
      fallback: { name: 'Tổ vận hành', emails: ['vanhanh.ttpvhcc@example.gov.vn'], webhooks: [] },
      levels: { district: { name: 'Văn phòng UBND tỉnh', emails: ['kiemsoat.tthc@example.gov.vn'], webhooks: [] } },
      units: {
        'bp.dongxoai': { name: 'Lãnh đạo UBND thành phố Đồng Xoài', emails: ['lanhdao.dongxoai@example.gov.vn'], webhooks: ['http://127.0.0.1:9/dongxoai'] },
      },
    });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return { units: REFERENCE().units, recipients: parsed.book };
  };
  let dir: string;
  let outbox: Outbox;
  let app: NotifierApp;
  let now: number;
  let overdueCodes: string[];
  let redisAnswers: boolean;
  let reads: number;
  let endChecks: number;
  let appDeps: TestAppDeps;
  const sent: Delivery[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-notifier-office-'));
    now = vn('2026-12-07 00:16');
    overdueCodes = ['HS-A'];
    redisAnswers = true;
    reads = 0;
    endChecks = 0;
    sent.length = 0;
    outbox = new Outbox(join(dir, 'outbox.db'), () => now, { baseMs: 1000, maxMs: 8000 });
    const overdue: OverdueReader = {
      clock: { mode: 'wall' },
      read: async (wanted) => {
        reads += 1;
        const list: DossierList = redisAnswers
          ? { ok: true, dossiers: overdueCodes.map((code) => ({ code, dueMs: vn('2026-12-06 23:59') + 59_999 })) }
          : { ok: false, reason: 'Redis did not answer within 2000 ms' };
        const worklists = new Map([...wanted].map(([kind, units]) => [kind, new Map(units.map((u) => [u, list]))]));
        // As the live reader answers when Redis does not: no namespace, every list unread.
        return { namespace: redisAnswers ? 'dvc' : undefined, asOf: undefined, worklists };
      },
    };
    appDeps = {
      reference: WITH_WEBHOOK,
      dashboardUrl: 'http://127.0.0.1:8088/#/don-vi/{unit}',
      resolvedHoldMs: 600_000,
      checkEnd: () => {
        endChecks += 1;
        return Promise.resolve(undefined);
      },
      outbox,
      overdue,
      senders: { email: async (d) => void sent.push(d), webhook: async (d) => void sent.push(d) },
      now: () => now,
      office,
    };
    app = testApp(appDeps);
  });
  afterEach(() => closeTestApp(app, outbox, dir));

  const alert = (status: 'firing' | 'resolved', alertname: string, labels: Record<string, string>, startsAt = '2026-12-06T17:16:00Z') => {
    const all = { alertname, ...labels };
    const parsed = parseAlertmanagerPayload({
      groupKey: `g-${alertname}-${labels.unit ?? 'none'}`,
      status,
      commonLabels: all,
      alerts: [
        {
          status,
          labels: all,
          annotations: { title_vi: `tiêu đề ${alertname}` },
          startsAt,
          endsAt: status === 'resolved' ? '2026-12-07T09:55:00Z' : '0001-01-01T00:00:00Z',
          fingerprint: `fp-${alertname}-${labels.unit ?? 'none'}`,
        },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return parsed.payload;
  };
  const overdueNow = (status: 'firing' | 'resolved' = 'firing') =>
    alert(status, 'OpenDossiersOverdue', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' });
  const deliveries = () => outbox.list(10).flatMap((n) => n.deliveries.map((d) => ({ subject: n.subject.split(':')[0], ...d })));
  const metric = async (outcome: string) => {
    if (!app.server.listening) await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const text = await (await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/metrics`)).text();
    return text.split('\n').find((l) => l.startsWith(`dvc_notifier_office_hours_total{outcome="${outcome}"}`));
  };

  it("puts a unit's warning found due at night off to the opening, and writes it again then with that morning's dossiers", async () => {
    await app.accept(overdueNow());
    expect(await app.dispatchDue()).toBe(1);
    // The desk's own system (a webhook) is told at once; its two readers' mail waits for 07:30.
    expect(sent.map((d) => d.target)).toEqual(['http://127.0.0.1:9/dongxoai']);
    const waiting = 'waiting for office hours (07:30-17:00 on working days): goes out at 2026-12-07T00:30:00.000Z';
    expect(deliveries().filter((d) => d.channel === 'email')).toEqual([
      expect.objectContaining({ target: 'kiemsoat.tthc@example.gov.vn', state: 'pending', nextAttemptAt: '2026-12-07T00:30:00.000Z', lastError: waiting }),
      expect.objectContaining({ target: 'lanhdao.dongxoai@example.gov.vn', state: 'pending', nextAttemptAt: '2026-12-07T00:30:00.000Z', lastError: waiting }),
    ]);
    const night = sent[0]!.text;
    expect(night).toContain('\n  1. HS-A: hạn 23:59 ngày 06/12/2026, đã quá 16 phút\n');

    now = vn('2026-12-07 07:29');
    expect(await app.dispatchDue()).toBe(0);
    overdueCodes = ['HS-A', 'HS-B'];
    now = vn('2026-12-07 07:30');
    expect(await app.dispatchDue()).toBe(2);
    const morning = sent.slice(1);
    expect(morning.map((d) => d.target)).toEqual(['kiemsoat.tthc@example.gov.vn', 'lanhdao.dongxoai@example.gov.vn']);
    // Written once more for both, with the dossiers and the days overdue of 07:30.
    expect(reads).toBe(2);
    for (const d of morning) {
      expect(d.text).toContain('\n  1. HS-A: hạn 23:59 ngày 06/12/2026, đã quá 7 giờ\n  2. HS-B: hạn 23:59 ngày 06/12/2026, đã quá 7 giờ\n');
      expect(d.text).toContain('lập lúc 07:30 ngày 07/12/2026');
    }
    expect(outbox.list(1)[0]!.text).toBe(morning[0]!.text);
    expect(await metric('held')).toBe('dvc_notifier_office_hours_total{outcome="held"} 2');
    const health = (await (await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/healthz`)).json()) as Record<string, unknown>;
    expect(health.officeHours).toBe('07:30-17:00');
    expect(await metric('rewritten')).toBe('dvc_notifier_office_hours_total{outcome="rewritten"} 1');
  });

  it('sends a warning whose alerts ended before the opening as first written, then its all-clear', async () => {
    await app.accept(overdueNow());
    await app.dispatchDue();
    const night = sent[0]!.text;
    now = vn('2026-12-07 03:00');
    await app.accept(overdueNow('resolved'));
    overdueCodes = [];
    now = vn('2026-12-07 07:30');
    sent.length = 0;
    await app.dispatchDue();
    const mails = sent.filter((d) => d.channel === 'email');
    // The night's warning (its dossier then), not a morning list under "đang diễn ra"; then the end.
    expect(mails.map((d) => `${d.target} ${d.subject.split(':')[0]}`)).toEqual([
      'kiemsoat.tthc@example.gov.vn [DVC] CẢNH BÁO',
      'lanhdao.dongxoai@example.gov.vn [DVC] CẢNH BÁO',
      'kiemsoat.tthc@example.gov.vn [DVC] ĐÃ KHẮC PHỤC',
      'lanhdao.dongxoai@example.gov.vn [DVC] ĐÃ KHẮC PHỤC',
    ]);
    expect(mails[0]!.text).toBe(night);
    expect(reads).toBe(2); // the two webhooks; nothing read again at the opening
    expect(await metric('ended')).toBe('dvc_notifier_office_hours_total{outcome="ended"} 1');
  });

  it('sends as first written when Redis does not answer at the opening, asking it once per pass', async () => {
    await app.accept(overdueNow());
    await app.accept(alert('firing', 'ResultsNotReturned', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' }));
    await app.dispatchDue();
    const night = sent.map((d) => d.text);
    redisAnswers = false;
    now = vn('2026-12-07 07:30');
    sent.length = 0;
    expect(await app.dispatchDue()).toBe(4);
    // One e-mail per person with both notices as first written; Redis asked once, not once per notice.
    expect(sent.map((d) => d.text.includes(night[0]!.trimEnd()) && d.text.includes(night[1]!.trimEnd()))).toEqual([true, true]);
    expect(reads).toBe(3);
    expect(await metric('kept')).toBe('dvc_notifier_office_hours_total{outcome="kept"} 2');
  });

  it('sends critical alerts, pipeline alerts and alerts about no unit at once, at any hour', async () => {
    now = vn('2026-12-05 02:00');
    await app.accept(alert('firing', 'OverdueBudgetFastBurn', { unit: 'bp.dongxoai', level: 'district', kpi: 'overdue_ratio', severity: 'critical' }));
    await app.accept(alert('firing', 'ProjectorDown', { severity: 'critical', service: 'projector' }));
    await app.accept(alert('firing', 'NotifierDeliveriesFailing', { severity: 'warning' }));
    await app.dispatchDue();
    expect(sent.map((d) => `${d.target} ${d.subject.split(':')[0]}`).sort()).toEqual(
      [
        'http://127.0.0.1:9/dongxoai [DVC] CẢNH BÁO',
        'kiemsoat.tthc@example.gov.vn [DVC] CẢNH BÁO',
        'lanhdao.dongxoai@example.gov.vn [DVC] CẢNH BÁO',
        'vanhanh.ttpvhcc@example.gov.vn [DVC] CẢNH BÁO',
        'vanhanh.ttpvhcc@example.gov.vn [DVC] CẢNH BÁO',
      ].sort(),
    );
    expect(deliveries().filter((d) => d.state !== 'sent')).toEqual([]);
  });

  it('sends a person what waited for the opening as one e-mail, in the order written, and retries it as one', async () => {
    const results = (status: 'firing' | 'resolved') => alert(status, 'ResultsNotReturned', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' });
    const dueSoon = alert('firing', 'DossiersDueSoon', { unit: 'bp.dongxoai', level: 'district', severity: 'info' });
    // Told in the day; the end comes at night (its hold ends after closing), two new things after midnight.
    now = vn('2026-12-07 10:00');
    await app.accept(results('firing'));
    expect(await app.dispatchDue()).toBe(3);
    now = vn('2026-12-07 20:00');
    await app.accept(results('resolved'));
    now = vn('2026-12-08 00:16');
    await app.accept(overdueNow());
    await app.accept(dueSoon);
    expect(await app.dispatchDue()).toBe(3); // the desk's webhook: the end and the two new ones
    sent.length = 0;
    let failing = true;
    const deliver = async (d: Delivery) => {
      if (failing) throw new DeliveryError('connect ECONNREFUSED 127.0.0.1:25', true);
      sent.push(d);
    };
    await app.close();
    app = testApp({ ...appDeps, senders: { email: deliver, webhook: deliver } });
    now = vn('2026-12-08 07:30');
    expect(await app.dispatchDue()).toBe(6);
    expect(sent).toEqual([]);
    // The mail server is back: each person gets the three again as one e-mail.
    failing = false;
    now = vn('2026-12-08 07:31');
    expect(await app.dispatchDue()).toBe(6);
    expect(sent.map((d) => [d.target, d.subject])).toEqual([
      ['kiemsoat.tthc@example.gov.vn', '[DVC] 3 thông báo từ ngoài giờ làm việc (2 CẢNH BÁO, 1 ĐÃ KHẮC PHỤC)'],
      ['lanhdao.dongxoai@example.gov.vn', '[DVC] 3 thông báo từ ngoài giờ làm việc (2 CẢNH BÁO, 1 ĐÃ KHẮC PHỤC)'],
    ]);
    const index = sent[1]!.text.split('\n').slice(2, 5);
    expect(index).toEqual([
      '  1. ĐÃ KHẮC PHỤC: UBND thành phố Đồng Xoài: tiêu đề ResultsNotReturned',
      '  2. CẢNH BÁO: UBND thành phố Đồng Xoài: tiêu đề OpenDossiersOverdue',
      '  3. CẢNH BÁO: UBND thành phố Đồng Xoài: tiêu đề DossiersDueSoon',
    ]);
    // Each part as written again at the opening: the overdue dossier 7 h 31 min past its due time.
    expect(sent[1]!.text).toContain('\n  1. HS-A: hạn 23:59 ngày 06/12/2026, đã quá 1 ngày 7 giờ\n');
    expect(
      deliveries()
        .filter((d) => d.channel === 'email')
        .map((d) => d.state),
    ).toEqual(Array(8).fill('sent'));
    // In office hours each notice goes alone.
    sent.length = 0;
    now = vn('2026-12-08 09:00');
    await app.accept(alert('firing', 'ResultsNotReturned', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' }, '2026-12-08T01:59:00Z'));
    await app.dispatchDue();
    expect(sent.filter((d) => d.channel === 'email').map((d) => d.subject.split(':')[0])).toEqual(['[DVC] CẢNH BÁO', '[DVC] CẢNH BÁO']);
  });

  it('sends at once when the calendar has no working day to wait for (a wrong file), rather than never', async () => {
    await app.close();
    const closed = officeClock({ open: 450, close: 1020 }, () => {
      const reference = loadReferenceData(REPO_DATA.pathname);
      return { ...reference, calendar: { ...reference.calendar, isWorkingDay: () => false } };
    });
    app = testApp({ ...appDeps, office: closed });
    await app.accept(overdueNow());
    expect(await app.dispatchDue()).toBe(3);
    expect(sent.map((d) => d.target).sort()).toEqual(['http://127.0.0.1:9/dongxoai', 'kiemsoat.tthc@example.gov.vn', 'lanhdao.dongxoai@example.gov.vn']);
  });

  it("puts off a unit's all-clear whose hold ends after closing, asks the monitoring only at the opening, and drops it if the alert fires again first", async () => {
    now = vn('2026-12-07 10:00');
    await app.accept(overdueNow());
    expect(await app.dispatchDue()).toBe(3);
    now = vn('2026-12-07 16:55');
    await app.accept(overdueNow('resolved'));
    now = vn('2026-12-07 17:05');
    expect(await app.dispatchDue()).toBe(1); // the webhook, after its hold
    expect(endChecks).toBe(1);
    expect(deliveries().filter((d) => d.state === 'pending')).toEqual([
      expect.objectContaining({ subject: '[DVC] ĐÃ KHẮC PHỤC', target: 'kiemsoat.tthc@example.gov.vn', nextAttemptAt: '2026-12-08T00:30:00.000Z' }),
      expect.objectContaining({ subject: '[DVC] ĐÃ KHẮC PHỤC', target: 'lanhdao.dongxoai@example.gov.vn', nextAttemptAt: '2026-12-08T00:30:00.000Z' }),
    ]);
    now = vn('2026-12-08 07:30');
    expect(await app.dispatchDue()).toBe(2);
    expect(endChecks).toBe(2);
    expect(sent.slice(4).map((d) => `${d.target} ${d.subject.split(':')[0]}`)).toEqual([
      'kiemsoat.tthc@example.gov.vn [DVC] ĐÃ KHẮC PHỤC',
      'lanhdao.dongxoai@example.gov.vn [DVC] ĐÃ KHẮC PHỤC',
    ]);

    // Another night: the alert resolves, then fires again before the opening: no one is told either.
    now = vn('2026-12-08 20:00');
    await app.accept(alert('firing', 'OpenDossiersOverdue', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' }, '2026-12-08T13:00:00Z'));
    expect(await app.dispatchDue()).toBe(1);
    now = vn('2026-12-09 07:30');
    expect(await app.dispatchDue()).toBe(2);
    sent.length = 0;
    now = vn('2026-12-09 18:00');
    await app.accept(alert('resolved', 'OpenDossiersOverdue', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' }, '2026-12-08T13:00:00Z'));
    now = vn('2026-12-09 22:00');
    await app.dispatchDue();
    await app.accept(alert('firing', 'OpenDossiersOverdue', { unit: 'bp.dongxoai', level: 'district', severity: 'warning' }, '2026-12-09T15:00:00Z'));
    now = vn('2026-12-10 07:30');
    await app.dispatchDue();
    expect(sent.filter((d) => d.channel === 'email')).toEqual([]);
  });
});
