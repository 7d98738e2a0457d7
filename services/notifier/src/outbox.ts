import Database from 'better-sqlite3';
import type { Recipient } from './recipients.js';

export type DeliveryState = 'pending' | 'sent' | 'failed';

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
  recipients: readonly Recipient[];
}

/**
 * `deliveries`: deliveries added. A duplicate of a firing notice adds one for each recipient the
 * notice has not been addressed to yet (a head added to the recipients while the alert fires).
 */
export type EnqueueOutcome = { kind: 'queued' | 'duplicate'; id: string; deliveries: number };

export interface Delivery {
  id: number;
  noticeId: string;
  channel: 'email' | 'webhook';
  target: string;
  subject: string;
  text: string;
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
  duplicates INTEGER NOT NULL DEFAULT 0
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
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
  }

  enqueue(notice: NewNotice): EnqueueOutcome {
    const tx = this.db.transaction((): EnqueueOutcome => {
      const at = this.now();
      const inserted = this.db
        .prepare('INSERT OR IGNORE INTO notices (id, group_key, status, subject, text, webhook_body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(notice.id, notice.groupKey, notice.status, notice.subject, notice.text, JSON.stringify(notice.webhookBody), at);
      const add = this.db.prepare("INSERT OR IGNORE INTO deliveries (notice_id, channel, target, state, next_attempt_at) VALUES (?, ?, ?, 'pending', ?)");
      const addAll = () => notice.recipients.reduce((n, r) => n + add.run(notice.id, r.channel, r.target, at).changes, 0);
      if (inserted.changes === 0) {
        this.db.prepare('UPDATE notices SET duplicates = duplicates + 1 WHERE id = ?').run(notice.id);
        // Alertmanager repeats a firing group until it resolves: a recipient added to the file
        // since (or whose address was corrected) is told then, with the notice as first written.
        // Not for a resolved notice: an all-clear of an alert the recipient never heard of.
        return { kind: 'duplicate', id: notice.id, deliveries: notice.status === 'firing' ? addAll() : 0 };
      }
      return { kind: 'queued', id: notice.id, deliveries: addAll() };
    });
    return tx.immediate();
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
        `SELECT d.id, d.notice_id, d.channel, d.target, d.attempts, n.subject, n.text, n.webhook_body
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
      channel: 'email' | 'webhook';
      target: string;
      attempts: number;
      subject: string;
      text: string;
      webhook_body: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      noticeId: r.notice_id,
      channel: r.channel,
      target: r.target,
      attempts: r.attempts,
      subject: r.subject,
      text: r.text,
      webhookBody: r.webhook_body,
    }));
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
    const out: Record<DeliveryState, number> = { pending: 0, sent: 0, failed: 0 };
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

/** The distinct `alertname` labels of the alerts of a stored webhook body (none when it has no alerts). */
function alertNamesOf(webhookBody: string): string[] {
  const body = JSON.parse(webhookBody) as { alerts?: unknown };
  if (!Array.isArray(body.alerts)) return [];
  const names = body.alerts.map((a: { labels?: { alertname?: unknown } }) => a.labels?.alertname).filter((n): n is string => typeof n === 'string');
  return [...new Set(names)];
}
