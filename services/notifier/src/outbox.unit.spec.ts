import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAlertmanagerPayload, noticeKey, type AmPayload } from './alertmanager.js';
import { backoffMs, Outbox, type NewNotice } from './outbox.js';
import { parseRecipients, resolveRecipients } from './recipients.js';

const retry = { baseMs: 1000, maxMs: 60_000 };

function notice(id: string, recipients: NewNotice['recipients'] = [{ channel: 'email', target: 'a@example.gov.vn' }]): NewNotice {
  return { id, groupKey: 'g', status: 'firing', subject: 's', text: 't', webhookBody: { id }, payload: { id }, recipients };
}

describe('Outbox', () => {
  let dir: string;
  let now: number;
  let outbox: Outbox;
  const clock = () => now;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dvc-outbox-'));
    now = Date.parse('2026-11-30T00:00:00Z');
    outbox = new Outbox(join(dir, 'outbox.db'), clock, retry);
  });
  afterEach(() => {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a notice once: the same id again is a duplicate with no new delivery', () => {
    expect(outbox.enqueue(notice('n1'))).toEqual({ kind: 'queued', id: 'n1', deliveries: 1, canceled: 0 });
    expect(outbox.enqueue(notice('n1'))).toEqual({ kind: 'duplicate', id: 'n1', deliveries: 0, canceled: 0 });
    expect(outbox.due(10)).toHaveLength(1);
    expect(outbox.list(10)[0]).toMatchObject({ id: 'n1', duplicates: 1 });
  });

  it('addresses a repeated firing notice to the recipients added since, and no one else; a repeated resolved notice to no one new', () => {
    const a = { channel: 'email', target: 'a@example.gov.vn' } as const;
    const b = { channel: 'email', target: 'b@example.gov.vn' } as const;
    outbox.enqueue(notice('n1', [a]));
    const [first] = outbox.due(10);
    outbox.markSent(first!.id);
    expect(outbox.enqueue(notice('n1', [a, b]))).toEqual({ kind: 'duplicate', id: 'n1', deliveries: 1, canceled: 0 });
    expect(outbox.due(10).map((d) => [d.noticeId, d.target])).toEqual([['n1', 'b@example.gov.vn']]);
    expect(outbox.enqueue(notice('n1', [a, b]))).toEqual({ kind: 'duplicate', id: 'n1', deliveries: 0, canceled: 0 });
    expect(outbox.list(10)[0]).toMatchObject({ id: 'n1', duplicates: 2 });

    outbox.enqueue({ ...notice('n2', [a]), status: 'resolved' });
    expect(outbox.enqueue({ ...notice('n2', [a, b]), status: 'resolved' })).toEqual({ kind: 'duplicate', id: 'n2', deliveries: 0, canceled: 0 });
    expect(
      outbox
        .list(10)
        .find((n) => n.id === 'n2')
        ?.deliveries.map((d) => d.target),
    ).toEqual(['a@example.gov.vn']);
  });

  describe('a resolution held while the data may only have a gap', () => {
    const a = { channel: 'email', target: 'a@example.gov.vn' } as const;
    const b = { channel: 'email', target: 'b@example.gov.vn' } as const;
    const alert = (unit: string) => ({ labels: { alertname: 'OverdueRatioAboveTarget', unit } });
    const firing = (id: string, units = ['dn.dongxoai'], recipients: NewNotice['recipients'] = [a, b]): NewNotice => ({
      ...notice(id, recipients),
      webhookBody: { alerts: units.map(alert) },
    });
    const resolved = (id: string, holdMs: number): NewNotice => ({ ...firing(id), status: 'resolved', holdMs });
    const sendDue = () => outbox.due(10).map((d) => (outbox.markSent(d.id), `${d.noticeId} ${d.target}`));
    const states = (id: string) =>
      outbox
        .list(50)
        .find((n) => n.id === id)
        ?.deliveries.map((d) => [d.target, d.state, d.lastError]);

    it('sends a resolution once its hold has passed, and a firing notice at once', () => {
      outbox.enqueue(firing('f1'));
      expect(sendDue()).toEqual(['f1 a@example.gov.vn', 'f1 b@example.gov.vn']);
      expect(outbox.enqueue(resolved('r1', 1_800_000))).toEqual({ kind: 'queued', id: 'r1', deliveries: 2, canceled: 0 });
      now += 1_799_999;
      expect(sendDue()).toEqual([]);
      now += 1;
      expect(sendDue()).toEqual(['r1 a@example.gov.vn', 'r1 b@example.gov.vn']);
    });

    it('cancels a held resolution when its group fires again, and does not repeat the same firing notice', () => {
      outbox.enqueue(firing('f1'));
      sendDue();
      outbox.enqueue(resolved('r1', 1_800_000));
      now += 120_000;
      // The exporter is back: the same alert fires again, with a new start (a new notice id).
      expect(outbox.enqueue(firing('f2'))).toEqual({ kind: 'queued', id: 'f2', deliveries: 0, canceled: 4 });
      now += 1_800_000;
      expect(sendDue()).toEqual([]);
      expect(states('r1')).toEqual([
        [
          'a@example.gov.vn',
          'canceled',
          'not sent: the alert fired again 120 s after this resolution, before its hold ended: a gap in the data (such as an exporter restart), not a fix',
        ],
        [
          'b@example.gov.vn',
          'canceled',
          'not sent: the alert fired again 120 s after this resolution, before its hold ended: a gap in the data (such as an exporter restart), not a fix',
        ],
      ]);
      expect(states('f2')?.map(([, state, why]) => [state, why])).toEqual([
        ['canceled', 'not sent: the same alerts as notice f1, still firing; the resolution between them was not sent (notice r1)'],
        ['canceled', 'not sent: the same alerts as notice f1, still firing; the resolution between them was not sent (notice r1)'],
      ]);
      expect(outbox.counts()).toEqual({ pending: 0, sent: 2, failed: 0, canceled: 4 });
      // The alert really ends later: that resolution is sent after its own hold.
      outbox.enqueue(resolved('r2', 1_800_000));
      now += 1_800_000;
      expect(sendDue()).toEqual(['r2 a@example.gov.vn', 'r2 b@example.gov.vn']);
    });

    it('sends the new firing notice when it says something new (other alerts), and to a recipient that was not told before', () => {
      outbox.enqueue(firing('f1', ['dn.dongxoai'], [a]));
      sendDue();
      outbox.enqueue({ ...resolved('r1', 60_000), recipients: [a] });
      now += 1_000;
      expect(outbox.enqueue(firing('f2', ['dn.dongxoai', 'dn.tranbien'], [a, b]))).toEqual({ kind: 'queued', id: 'f2', deliveries: 2, canceled: 1 });
      expect(sendDue()).toEqual(['f2 a@example.gov.vn', 'f2 b@example.gov.vn']);
    });

    it('leaves a resolution that was sent alone: a firing notice after it is a new breach', () => {
      outbox.enqueue(firing('f1', ['dn.dongxoai'], [a]));
      sendDue();
      outbox.enqueue({ ...resolved('r1', 60_000), recipients: [a] });
      now += 60_000;
      expect(sendDue()).toEqual(['r1 a@example.gov.vn']);
      expect(outbox.enqueue(firing('f2', ['dn.dongxoai'], [a]))).toEqual({ kind: 'queued', id: 'f2', deliveries: 1, canceled: 0 });
      expect(sendDue()).toEqual(['f2 a@example.gov.vn']);
    });
  });

  it('lists each notice with its subject and text, as the e-mail carries them', () => {
    outbox.enqueue({ ...notice('n2'), subject: '[DVC] CẢNH BÁO: thử', text: 'Dòng một\nDòng hai' });
    expect(outbox.list(10)[0]).toMatchObject({ id: 'n2', subject: '[DVC] CẢNH BÁO: thử', text: 'Dòng một\nDòng hai' });
  });

  it("lists each notice's distinct alert names (from its webhook body), for operators", () => {
    const alerts = [
      { labels: { alertname: 'OverdueRatioAboveTarget' } },
      { labels: { alertname: 'OverdueRatioAboveTarget' } },
      { labels: { alertname: 'IngestDown' } },
    ];
    outbox.enqueue({ ...notice('n3'), webhookBody: { alerts } });
    outbox.enqueue(notice('n4'));
    expect(outbox.list(10).map((n) => [n.id, n.alertNames])).toEqual([
      ['n4', []],
      ['n3', ['OverdueRatioAboveTarget', 'IngestDown']],
    ]);
  });

  it('retries with exponential backoff read from the injected clock, capped', () => {
    outbox.enqueue(notice('n1'));
    const id = outbox.due(10)[0]!.id;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = outbox.markFailed(id, `refused ${i}`, true);
      delays.push(next! - now);
      expect(outbox.due(10)).toHaveLength(0);
      now = next! - 1;
      expect(outbox.due(10)).toHaveLength(0);
      now = next!;
      expect(outbox.due(10)).toHaveLength(1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    const view = outbox.list(1)[0]!.deliveries[0]!;
    expect(view).toMatchObject({ state: 'pending', attempts: 8, lastError: 'refused 7' });
    outbox.markSent(id);
    expect(outbox.list(1)[0]!.deliveries[0]).toMatchObject({ state: 'sent', attempts: 9, sentAt: new Date(now).toISOString(), nextAttemptAt: null });
    expect(outbox.counts()).toEqual({ pending: 0, sent: 1, failed: 0, canceled: 0 });
  });

  it('keeps a permanent failure as failed, never retried', () => {
    outbox.enqueue(notice('n1'));
    const id = outbox.due(10)[0]!.id;
    expect(outbox.markFailed(id, '550 no such user', false)).toBeUndefined();
    now += 86_400_000;
    expect(outbox.due(10)).toHaveLength(0);
    expect(outbox.counts()).toEqual({ pending: 0, sent: 0, failed: 1, canceled: 0 });
  });

  it('delivers to each recipient separately, and survives a reopen', () => {
    outbox.enqueue(
      notice('n1', [
        { channel: 'email', target: 'a@example.gov.vn' },
        { channel: 'webhook', target: 'http://127.0.0.1:1/hook' },
      ]),
    );
    const [first] = outbox.due(10);
    outbox.markSent(first!.id);
    outbox.close();
    outbox = new Outbox(join(dir, 'outbox.db'), clock, retry);
    expect(outbox.due(10).map((d) => d.channel)).toEqual(['webhook']);
  });

  it("delivers a group's notices to a recipient in the order they were written: a newer one waits while an older one retries", () => {
    const a = { channel: 'email', target: 'a@example.gov.vn' } as const;
    const b = { channel: 'email', target: 'b@example.gov.vn' } as const;
    outbox.enqueue({ ...notice('firing', [a, b]), groupKey: 'down' });
    const [firingA, firingB] = outbox.due(10);
    outbox.markSent(firingB!.id);
    // The mail server refused the first attempt to a (retried after 1 s); the alert resolved 0.5 s later.
    const retryAt = outbox.markFailed(firingA!.id, 'connect ECONNREFUSED', true)!;
    now += 500;
    outbox.enqueue({ ...notice('resolved', [a, b]), groupKey: 'down', status: 'resolved' });
    outbox.enqueue({ ...notice('other', [a]), groupKey: 'another group' });
    // b had the firing: it gets the resolved now; a gets the other group's notice, not this group's resolved.
    expect(outbox.due(10).map((d) => [d.noticeId, d.target])).toEqual([
      ['resolved', 'b@example.gov.vn'],
      ['other', 'a@example.gov.vn'],
    ]);
    now = retryAt;
    expect(outbox.due(10).map((d) => [d.noticeId, d.target])).toEqual([
      ['resolved', 'b@example.gov.vn'],
      ['other', 'a@example.gov.vn'],
      ['firing', 'a@example.gov.vn'],
    ]);
    outbox.markSent(firingA!.id);
    const rest = outbox.due(10);
    expect(rest.map((d) => d.noticeId)).toEqual(['resolved', 'resolved', 'other']);
    for (const d of rest) outbox.markSent(d.id);
    // A permanent failure does not hold the newer notices back.
    outbox.enqueue({ ...notice('firing-2', [a]), groupKey: 'down' });
    outbox.enqueue({ ...notice('resolved-2', [a]), groupKey: 'down', status: 'resolved' });
    const firing2 = outbox.due(10).find((d) => d.noticeId === 'firing-2')!;
    expect(outbox.due(10).map((d) => d.noticeId)).not.toContain('resolved-2');
    outbox.markFailed(firing2.id, '550 no such user', false);
    expect(outbox.due(10).map((d) => d.noticeId)).toContain('resolved-2');
  });

  it('keeps the payload to write a notice again; a rewrite changes what the deliveries not yet sent carry', () => {
    outbox.enqueue({ ...notice('n1'), payload: { groupKey: 'g', alerts: [] } });
    expect(outbox.payloadOf('n1')).toEqual({ groupKey: 'g', alerts: [] });
    expect(outbox.payloadOf('missing')).toBeUndefined();
    // Alertmanager's repeat of the same alerts: the notice stays as written, its payload is the latest (annotations of now).
    expect(outbox.enqueue({ ...notice('n1'), subject: 'other', payload: { groupKey: 'g', alerts: [], repeat: 1 } }).kind).toBe('duplicate');
    expect(outbox.payloadOf('n1')).toEqual({ groupKey: 'g', alerts: [], repeat: 1 });
    expect(outbox.due(10)[0]).toMatchObject({ subject: 's', text: 't', renderedAt: now });
    now += 3_600_000;
    outbox.rewrite('n1', 's2', 't2');
    expect(outbox.due(10)[0]).toMatchObject({ subject: 's2', text: 't2', renderedAt: now });
    expect(outbox.list(1)[0]).toMatchObject({ subject: 's2', text: 't2', createdAt: '2026-11-30T00:00:00.000Z', writtenAt: '2026-11-30T01:00:00.000Z' });
  });

  it('opens an outbox written before notices kept their payload: its notices go out as written, new ones keep theirs', () => {
    outbox.close();
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE notices (id TEXT PRIMARY KEY, group_key TEXT NOT NULL, status TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL,
                webhook_body TEXT NOT NULL, created_at INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0);
              CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, notice_id TEXT NOT NULL REFERENCES notices(id), channel TEXT NOT NULL,
                target TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER, last_error TEXT,
                sent_at INTEGER, UNIQUE (notice_id, channel, target));
              INSERT INTO notices VALUES ('old', 'g', 'firing', 'old subject', 'old text', '{}', 1000, 0);
              INSERT INTO deliveries (notice_id, channel, target, state, next_attempt_at) VALUES ('old', 'email', 'a@example.gov.vn', 'pending', 1000);`);
    old.close();
    outbox = new Outbox(file, clock, retry);
    expect(outbox.due(10)).toEqual([expect.objectContaining({ noticeId: 'old', subject: 'old subject', renderedAt: 1000 })]);
    expect(outbox.payloadOf('old')).toBeUndefined();
    outbox.enqueue({ ...notice('new'), groupKey: 'other', payload: { groupKey: 'other' } });
    expect(outbox.payloadOf('new')).toEqual({ groupKey: 'other' });
  });

  it('backoffMs doubles from the base up to the cap', () => {
    expect([1, 2, 3, 10, 100].map((n) => backoffMs(n, retry))).toEqual([1000, 2000, 4000, 60000, 60000]);
  });
});

describe('noticeKey', () => {
  const base = {
    groupKey: 'g1',
    status: 'firing',
    alerts: [{ status: 'firing', labels: { alertname: 'A', unit: 'u1' }, annotations: {}, startsAt: '2026-11-30T00:00:00Z', endsAt: '', fingerprint: 'f1' }],
  };
  const parse = (v: unknown): AmPayload => {
    const p = parseAlertmanagerPayload(v);
    if (!p.ok) throw new Error(p.problems.join('; '));
    return p.payload;
  };

  it('is the same for a retried delivery and differs by status, alert set and firing episode', () => {
    const k = noticeKey(parse(base));
    expect(noticeKey(parse(structuredClone(base)))).toBe(k);
    expect(noticeKey(parse({ ...base, status: 'resolved', alerts: [{ ...base.alerts[0], status: 'resolved' }] }))).not.toBe(k);
    expect(noticeKey(parse({ ...base, alerts: [...base.alerts, { ...base.alerts[0], fingerprint: 'f2' }] }))).not.toBe(k);
    expect(noticeKey(parse({ ...base, alerts: [{ ...base.alerts[0], startsAt: '2026-12-01T00:00:00Z' }] }))).not.toBe(k);
  });

  it('rejects payloads that are not Alertmanager webhooks, naming each problem', () => {
    expect(parseAlertmanagerPayload({ status: 'burning', alerts: [{ labels: { unit: 1 } }] })).toEqual({
      ok: false,
      problems: [
        'groupKey must be a non-empty string',
        "status must be 'firing' or 'resolved'",
        "alerts[0].status must be 'firing' or 'resolved'",
        'alerts[0].labels.unit must be a string',
        'alerts[0].labels.alertname is required',
        'alerts[0].startsAt must be an RFC 3339 time',
      ],
    });
  });
});

describe('recipients', () => {
  const parsed = parseRecipients({
    fallback: { name: 'ops', emails: ['ops@example.gov.vn'], webhooks: [] },
    levels: { district: { name: 'd', emails: ['district@example.gov.vn'], webhooks: ['http://127.0.0.1:9/hook'] } },
    units: { 'bp.dongxoai': { name: 'dx', emails: ['dx@example.gov.vn', 'district@example.gov.vn'], webhooks: [] } },
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const book = parsed.book;

  it('sends to the unit and its level, each address once', () => {
    expect(resolveRecipients(book, [{ unit: 'bp.dongxoai', level: 'district' }])).toEqual([
      { channel: 'email', target: 'district@example.gov.vn' },
      { channel: 'email', target: 'dx@example.gov.vn' },
      { channel: 'webhook', target: 'http://127.0.0.1:9/hook' },
    ]);
  });

  it('falls back to the province operations team for unknown units and alerts without a unit', () => {
    expect(resolveRecipients(book, [{ unit: 'xx', level: 'unknown' }])).toEqual([{ channel: 'email', target: 'ops@example.gov.vn' }]);
    expect(resolveRecipients(book, [{ alertname: 'ExporterDown' }])).toEqual([{ channel: 'email', target: 'ops@example.gov.vn' }]);
  });

  it('rejects malformed addresses by name', () => {
    expect(parseRecipients({ fallback: { emails: ['not-an-address'] } })).toEqual({
      ok: false,
      problems: ['fallback.emails[0] is not a valid email address: "not-an-address"'],
    });
  });
});
