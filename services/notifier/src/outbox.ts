import Database from 'better-sqlite3';
import { assertSqliteRuntime } from '@dvc/config';
import type { Recipient } from './recipients.js';

/** `canceled`: never sent, on purpose (a held resolution the alert outlived, and the firing notice that continued it); its reason is in lastError. */
export type DeliveryState = 'pending' | 'sent' | 'failed' | 'canceled';

/** A notice as the outbox stores it: rendered once, delivered to each recipient separately. */
export interface NewNotice {
  /** Idempotency key (see noticeKey): a second notice with the same id is a duplicate. */
  id: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  subject: string;
  text: string;
  /** JSON body posted to webhook recipients. */
  webhookBody: unknown;
  /** The Alertmanager payload the notice was rendered from, kept to write it again (`rewrite`). */
  payload: unknown;
  recipients: readonly Recipient[];
  /**
   * A resolved notice only: its deliveries wait this long (ms) before their first attempt. If its
   * group fires again meanwhile, they are canceled: the alert did not end, its data had a gap.
   */
  holdMs?: number;
}

/**
 * `deliveries`: deliveries added to be sent. A duplicate of a firing notice adds one for each
 * recipient the notice has not been addressed to yet (a head added to the recipients while the
 * alert fires). `canceled`: deliveries canceled by a firing notice (the held resolution it
 * outlived, and its own deliveries that would only repeat a firing notice already sent).
 */
export type EnqueueOutcome = { kind: 'queued' | 'duplicate'; id: string; deliveries: number; canceled: number };

export interface Delivery {
  id: number;
  noticeId: string;
  /** The notice's status: a resolved one about units is told only once the monitoring confirms the end. */
  status: 'firing' | 'resolved';
  channel: 'email' | 'webhook';
  target: string;
  subject: string;
  text: string;
  /** When the notice's subject and text were written (`rewrite` writes them again). */
  renderedAt: number;
  /** When the notice was written first (its webhook came). */
  createdAt: number;
  webhookBody: string;
  attempts: number;
}

export interface DeliveryView {
  channel: 'email' | 'webhook';
  target: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
}

export interface NoticeView {
  id: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  subject: string;
  /** The notice's text, as the e-mail carries it. */
  text: string;
  /**
   * The alert names (rule names, English) of the notice's alerts, for operators: the notice's
   * text carries none (every alert has a Vietnamese title).
   */
  alertNames: string[];
  createdAt: string;
  /** When its subject and text were written: createdAt, or later for a notice written again when office hours opened. */
  writtenAt: string;
  duplicates: number;
  deliveries: DeliveryView[];
}

export interface RetryPolicy {
  /** Delay after the first failed attempt; doubles with each further failure. */
  baseMs: number;
  /** Longest delay between attempts. Retriable failures are retried forever at this pace. */
  maxMs: number;
}

/** Delay before the next attempt after `attempts` failed ones (1, 2, …): exponential, capped. */
export function backoffMs(attempts: number, policy: RetryPolicy): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notices (
  id TEXT PRIMARY KEY,
  group_key TEXT NOT NULL,
  status TEXT NOT NULL,
  subject TEXT NOT NULL,
  text TEXT NOT NULL,
  webhook_body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  duplicates INTEGER NOT NULL DEFAULT 0,
  payload TEXT,
  rendered_at INTEGER
);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  notice_id TEXT NOT NULL REFERENCES notices(id),
  channel TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  sent_at INTEGER,
  UNIQUE (notice_id, channel, target)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_target ON deliveries (channel, target, state);
`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The persisted outbox: a notice and its deliveries are written in one transaction before the
 * webhook is acknowledged, so a crash, a restart or an unreachable mail server loses nothing.
 */
export class Outbox {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly now: () => number,
    private readonly retry: RetryPolicy,
  ) {
    assertSqliteRuntime();
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    // An outbox written before notices kept their payload: its notices cannot be written again
    // (they go out as first written); new ones can.
    const columns = new Set((this.db.prepare('PRAGMA table_info(notices)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('payload')) this.db.exec('ALTER TABLE notices ADD COLUMN payload TEXT');
    if (!columns.has('rendered_at')) this.db.exec('ALTER TABLE notices ADD COLUMN rendered_at INTEGER');
  }

  enqueue(notice: NewNotice): EnqueueOutcome {
    const tx = this.db.transaction((): EnqueueOutcome => {
      const at = this.now();
      const inserted = this.db
        .prepare(
          'INSERT OR IGNORE INTO notices (id, group_key, status, subject, text, webhook_body, created_at, payload, rendered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          notice.id,
          notice.groupKey,
          notice.status,
          notice.subject,
          notice.text,
          JSON.stringify(notice.webhookBody),
          at,
          JSON.stringify(notice.payload),
          at,
        );
      const add = this.db.prepare(
        'INSERT OR IGNORE INTO deliveries (notice_id, channel, target, state, next_attempt_at, last_error) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const firstAttempt = at + (notice.status === 'resolved' ? (notice.holdMs ?? 0) : 0);
      // Recipients whose held resolution of this group this firing notice cancels, with why
      // their own delivery of it is not sent (undefined: it is).
      const { canceled: heldCanceled, continued } =
        notice.status === 'firing' && inserted.changes === 1
          ? this.cancelHeldResolutions(notice, at)
          : { canceled: 0, continued: new Map<string, string | undefined>() };
      let deliveries = 0;
      let canceled = heldCanceled;
      const addAll = () => {
        for (const r of notice.recipients) {
          const why = continued.get(`${r.channel}\u0000${r.target}`);
          const added = add.run(
            notice.id,
            r.channel,
            r.target,
            why === undefined ? 'pending' : 'canceled',
            why === undefined ? firstAttempt : null,
            why ?? null,
          ).changes;
          if (why === undefined) deliveries += added;
          else canceled += added;
        }
      };
      if (inserted.changes === 0) {
        // The same alerts, with their annotations as Prometheus has them now (a repeat carries the
        // current count in its summary): a notice written again later starts from these.
        this.db.prepare('UPDATE notices SET duplicates = duplicates + 1, payload = ? WHERE id = ?').run(JSON.stringify(notice.payload), notice.id);
        // Alertmanager repeats a firing group until it resolves: a recipient added to the file
        // since (or whose address was corrected) is told then, with the notice as first written.
        // Not for a resolved notice: an all-clear of an alert the recipient never heard of.
        if (notice.status === 'firing') addAll();
        return { kind: 'duplicate', id: notice.id, deliveries, canceled: 0 };
      }
      addAll();
      return { kind: 'queued', id: notice.id, deliveries, canceled };
    });
    return tx.immediate();
  }

  /**
   * A firing notice of a group whose resolution is still held (not yet attempted): the alert did
   * not end, its data had a gap (an exporter or Prometheus restart makes every series vanish for
   * a while, and the alert resolves), so the held deliveries are canceled. So are those whose
   * sends failed and wait for a retry: the end they tell no longer holds, and the recipient, never
   * told of it, reads the alert as continuing. Returns, per recipient
   * (`channel\0target`) whose resolution was canceled, why the new notice is not sent to them
   * either when it only repeats the firing notice they were last sent or are still to be sent
   * (the same alerts), or undefined when it says something new (other alerts) and is sent; and
   * how many deliveries were canceled.
   */
  private cancelHeldResolutions(notice: NewNotice, at: number): { canceled: number; continued: Map<string, string | undefined> } {
    const held = this.db
      .prepare(
        `SELECT d.id, d.channel, d.target, d.attempts, n.id AS notice_id, n.created_at FROM deliveries d JOIN notices n ON n.id = d.notice_id
          WHERE n.group_key = ? AND n.status = 'resolved' AND d.state = 'pending' AND d.next_attempt_at > ?`,
      )
      .all(notice.groupKey, at) as { id: number; channel: string; target: string; attempts: number; notice_id: string; created_at: number }[];
    const out = new Map<string, string | undefined>();
    if (held.length === 0) return { canceled: 0, continued: out };
    const cancel = this.db.prepare("UPDATE deliveries SET state = 'canceled', next_attempt_at = NULL, last_error = ? WHERE id = ?");
    const lastFiring = this.db.prepare(
      `SELECT n.id, n.webhook_body FROM deliveries d JOIN notices n ON n.id = d.notice_id
        WHERE n.group_key = ? AND n.status = 'firing' AND d.channel = ? AND d.target = ? AND d.state IN ('sent', 'pending') AND n.id <> ?
        ORDER BY d.id DESC LIMIT 1`,
    );
    const alerts = alertSetOf(notice.webhookBody);
    for (const h of held) {
      const after = `not sent: the alert fired again ${Math.round((at - h.created_at) / 1000)} s after this resolution`;
      cancel.run(
        h.attempts === 0
          ? `${after}, before its hold ended: a gap in the data (such as an exporter restart), not a fix`
          : `${after}, while its delivery was failing (${h.attempts} attempt${h.attempts === 1 ? '' : 's'}): an all-clear that no longer holds`,
        h.id,
      );
      const previous = lastFiring.get(notice.groupKey, h.channel, h.target, notice.id) as { id: string; webhook_body: string } | undefined;
      out.set(
        `${h.channel}\u0000${h.target}`,
        previous !== undefined && alertSetOf(JSON.parse(previous.webhook_body)) === alerts
          ? `not sent: the same alerts as notice ${previous.id}, still firing; the resolution between them was not sent (notice ${h.notice_id})`
          : undefined,
      );
    }
    return { canceled: held.length, continued: out };
  }

  /**
   * Pending deliveries whose next attempt is due, oldest first. Each recipient gets a group's
   * notices in the order they were written: a delivery waits while an older notice of its group
   * to the same recipient is still pending (its retry due later), so a "firing" whose first
   * attempt failed never lands after the "resolved" that followed it (deliveries are numbered in
   * the order notices are written: one transaction each).
   */
  due(limit: number): Delivery[] {
    const rows = this.db
      .prepare(
        `SELECT d.id, d.notice_id, n.status, d.channel, d.target, d.attempts, n.subject, n.text, n.created_at,
                COALESCE(n.rendered_at, n.created_at) AS rendered_at, n.webhook_body
           FROM deliveries d JOIN notices n ON n.id = d.notice_id
          WHERE d.state = 'pending' AND d.next_attempt_at <= ?
            AND NOT EXISTS (
              SELECT 1 FROM deliveries e JOIN notices m ON m.id = e.notice_id
               WHERE e.channel = d.channel AND e.target = d.target AND e.state = 'pending'
                 AND e.id < d.id AND m.group_key = n.group_key)
          ORDER BY d.next_attempt_at, d.id LIMIT ?`,
      )
      .all(this.now(), limit) as {
      id: number;
      notice_id: string;
      status: 'firing' | 'resolved';
      channel: 'email' | 'webhook';
      target: string;
      attempts: number;
      subject: string;
      text: string;
      created_at: number;
      rendered_at: number;
      webhook_body: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      noticeId: r.notice_id,
      status: r.status,
      channel: r.channel,
      target: r.target,
      attempts: r.attempts,
      subject: r.subject,
      text: r.text,
      renderedAt: r.rendered_at,
      createdAt: r.created_at,
      webhookBody: r.webhook_body,
    }));
  }

  /** The Alertmanager payload notice `noticeId` was rendered from; undefined for a notice stored before payloads were kept. */
  payloadOf(noticeId: string): unknown {
    const row = this.db.prepare('SELECT payload FROM notices WHERE id = ?').get(noticeId) as { payload: string | null } | undefined;
    return row === undefined || row.payload === null ? undefined : JSON.parse(row.payload);
  }

  /**
   * Writes a notice's subject and text again (a notice that waited for office hours names the
   * dossiers of when it goes out): the deliveries not yet sent carry the new text, those sent
   * keep what they carried.
   */
  rewrite(noticeId: string, subject: string, text: string): void {
    this.db.prepare('UPDATE notices SET subject = ?, text = ?, rendered_at = ? WHERE id = ?').run(subject, text, this.now(), noticeId);
  }

  /**
   * A held resolution whose end the monitoring cannot confirm yet (or no longer: a retry after a
   * failed send is checked again): not attempted now, looked at again at `nextAttemptAt`, with
   * why in its record. It stays held: a firing notice of its group before then cancels it.
   */
  defer(deliveryId: number, nextAttemptAt: number, why: string): void {
    this.db.prepare("UPDATE deliveries SET next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'").run(nextAttemptAt, why, deliveryId);
  }

  /** The id of a firing notice of the same group written after notice `noticeId`, if any. */
  firedAfter(noticeId: string): string | undefined {
    const row = this.db
      .prepare(
        `SELECT n.id FROM notices n JOIN notices r ON r.id = ? AND n.group_key = r.group_key
          WHERE n.status = 'firing' AND n.rowid > r.rowid ORDER BY n.rowid LIMIT 1`,
      )
      .get(noticeId) as { id: string } | undefined;
    return row?.id;
  }

  /** The last notice written of the group of notice `noticeId` (itself when none came after it). */
  lastOfGroup(noticeId: string): { id: string; status: 'firing' | 'resolved' } | undefined {
    return this.db
      .prepare(
        `SELECT n.id, n.status FROM notices n JOIN notices r ON r.id = ? AND n.group_key = r.group_key
          ORDER BY n.rowid DESC LIMIT 1`,
      )
      .get(noticeId) as { id: string; status: 'firing' | 'resolved' } | undefined;
  }

  /** A pending delivery that is not to be sent (any more), with why (state `canceled`). */
  cancel(deliveryId: number, why: string): void {
    this.db.prepare("UPDATE deliveries SET state = 'canceled', next_attempt_at = NULL, last_error = ? WHERE id = ? AND state = 'pending'").run(why, deliveryId);
  }

  markSent(deliveryId: number): void {
    this.db
      .prepare("UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL WHERE id = ? AND state = 'pending'")
      .run(this.now(), deliveryId);
  }

  /**
   * Records a failed attempt: a retriable failure is tried again after the backoff, a permanent
   * one (address rejected, 4xx from a webhook) is kept as failed for someone to look at.
   * Returns when the next attempt is due, or undefined when there is none.
   */
  markFailed(deliveryId: number, error: string, retriable: boolean): number | undefined {
    const row = this.db.prepare('SELECT attempts FROM deliveries WHERE id = ?').get(deliveryId) as { attempts: number } | undefined;
    if (row === undefined) return undefined;
    const attempts = row.attempts + 1;
    const next = retriable ? this.now() + backoffMs(attempts, this.retry) : null;
    this.db
      .prepare('UPDATE deliveries SET attempts = ?, last_error = ?, state = ?, next_attempt_at = ? WHERE id = ?')
      .run(attempts, error.slice(0, 2000), retriable ? 'pending' : 'failed', next, deliveryId);
    return next ?? undefined;
  }

  counts(): Record<DeliveryState, number> {
    const out: Record<DeliveryState, number> = { pending: 0, sent: 0, failed: 0, canceled: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as { state: DeliveryState; n: number }[]) {
      out[r.state] = r.n;
    }
    return out;
  }

  /** The latest notices with every delivery: what was sent to whom and when, what is pending. */
  list(limit: number, groupKey?: string): NoticeView[] {
    const notices = (
      groupKey === undefined
        ? this.db.prepare('SELECT * FROM notices ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM notices WHERE group_key = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(groupKey, limit)
    ) as {
      id: string;
      group_key: string;
      status: 'firing' | 'resolved';
      subject: string;
      text: string;
      webhook_body: string;
      created_at: number;
      rendered_at: number | null;
      duplicates: number;
    }[];
    const deliveries = this.db.prepare('SELECT * FROM deliveries WHERE notice_id = ? ORDER BY id');
    return notices.map((n) => ({
      id: n.id,
      groupKey: n.group_key,
      status: n.status,
      subject: n.subject,
      text: n.text,
      alertNames: alertNamesOf(n.webhook_body),
      createdAt: new Date(n.created_at).toISOString(),
      writtenAt: new Date(n.rendered_at ?? n.created_at).toISOString(),
      duplicates: n.duplicates,
      deliveries: (
        deliveries.all(n.id) as {
          channel: 'email' | 'webhook';
          target: string;
          state: DeliveryState;
          attempts: number;
          last_error: string | null;
          next_attempt_at: number | null;
          sent_at: number | null;
        }[]
      ).map((d) => ({
        channel: d.channel,
        target: d.target,
        state: d.state,
        attempts: d.attempts,
        lastError: d.last_error,
        nextAttemptAt: d.state === 'pending' ? iso(d.next_attempt_at) : null,
        sentAt: iso(d.sent_at),
      })),
    }));
  }

  ping(): boolean {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.db.close();
  }
}

/** Which alerts a webhook body holds, as one comparable text: each alert's labels, sorted. */
function alertSetOf(webhookBody: unknown): string {
  const body = webhookBody as { alerts?: { labels?: Record<string, string> }[] };
  const each = (body.alerts ?? []).map((a) => JSON.stringify(Object.entries(a.labels ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))));
  return JSON.stringify(each.sort());
}

/** The labels of each alert of a stored webhook body (none when it has no alerts). */
export function alertLabelsOf(webhookBody: string): Record<string, string>[] {
  const body = JSON.parse(webhookBody) as { alerts?: unknown };
  if (!Array.isArray(body.alerts)) return [];
  return body.alerts.map((a: { labels?: Record<string, string> }) => a.labels ?? {});
}

/** The distinct `alertname` labels of the alerts of a stored webhook body (none when it has no alerts). */
function alertNamesOf(webhookBody: string): string[] {
  const names = alertLabelsOf(webhookBody)
    .map((labels) => labels.alertname as unknown)
    .filter((n): n is string => typeof n === 'string');
  return [...new Set(names)];
}
