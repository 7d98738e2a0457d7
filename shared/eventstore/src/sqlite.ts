import Database from 'better-sqlite3';
import { assertSqliteRuntime } from '@dvc/config';
import { timestampMs, type DvcEvent } from '@dvc/domain';
import { EventStoreError, producerKeysOf, storedEvent } from './port.js';
import type { AppendOptions, AppendResult, EventStore, Position, ReadOptions, StoredEvent, SubscribeOptions, Subscription } from './port.js';
import { bodyHash } from './canonical.js';
import { eventsReadQuery } from './sql-read.js';
import { LiveSubscriptions, PollingSubscription } from './subscription.js';

export interface SqliteEventStoreOptions {
  /** Database file, created when missing; `:memory:` for a private in-memory store. */
  file: string;
  /** How often subscriptions look for events appended by other instances; default 100 ms. */
  pollIntervalMs?: number;
  /** Events read per query by subscriptions; default 500. */
  subscriptionBatchSize?: number;
  /** How long a writer waits for another one's lock before failing (retriable); default 5000 ms. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  id        TEXT NOT NULL UNIQUE,
  type      TEXT NOT NULL,
  subject   TEXT NOT NULL,
  unit      TEXT NOT NULL,
  time_ms   INTEGER NOT NULL,
  body_hash TEXT NOT NULL,
  body      TEXT NOT NULL,
  producer_key TEXT
);
CREATE INDEX IF NOT EXISTS events_type ON events (type, position);
CREATE INDEX IF NOT EXISTS events_unit ON events (unit, position);
CREATE INDEX IF NOT EXISTS events_time ON events (time_ms, position);
CREATE INDEX IF NOT EXISTS events_subject ON events (subject, position);
-- Append-only: history is never rewritten.
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
`;

interface Row {
  position: number;
  body: string;
  producer_key: string | null;
}

const RETRIABLE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_PROTOCOL']);

function wrap(what: string, error: unknown): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const code = (error as { code?: unknown }).code;
  const retriable = typeof code === 'string' && [...RETRIABLE_CODES].some((c) => code.startsWith(c));
  const reason = error instanceof Error ? error.message : String(error);
  return new EventStoreError(`event store ${what} failed: ${reason}`, { retriable, cause: error });
}

/** The embedded event store: one SQLite file in WAL mode, shareable by several processes. */
export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #subscriptions = new LiveSubscriptions<PollingSubscription>();
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #appendBatch: (events: readonly DvcEvent[], producerKey: (i: number) => string | undefined) => AppendResult[];
  #closed = false;

  constructor(options: SqliteEventStoreOptions) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 100;
    this.#batchSize = options.subscriptionBatchSize ?? 500;
    assertSqliteRuntime();
    try {
      this.#db = new Database(options.file);
      this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.#db.pragma('journal_mode = WAL');
      // The history is the source of truth: an acknowledged append survives a power loss.
      this.#db.pragma('synchronous = FULL');
      this.#db.exec(SCHEMA);
      // A file made before producer keys were kept gets the column (null for its events).
      const columns = this.#db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events')").all();
      if (!columns.some((c) => c.name === 'producer_key')) this.#db.exec('ALTER TABLE events ADD COLUMN producer_key TEXT');
    } catch (error) {
      throw wrap('open', error);
    }
    const find = this.#db.prepare<[string], { position: number; body_hash: string }>('SELECT position, body_hash FROM events WHERE id = ?');
    const insert = this.#db.prepare<[string, string, string, string, number, string, string, string | null]>(
      'INSERT INTO events (id, type, subject, unit, time_ms, body_hash, body, producer_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // Looking the id up first (instead of relying on the UNIQUE constraint failing) keeps a
    // duplicate from consuming a position; the IMMEDIATE transaction holds the write lock
    // from the look-up to the commit, so positions become visible in order, without gaps.
    const batch = this.#db.transaction((events: readonly DvcEvent[], producerKey: (i: number) => string | undefined): AppendResult[] =>
      events.map((event, i) => {
        const hash = bodyHash(event);
        const existing = find.get(event.id);
        if (existing !== undefined) {
          return { outcome: 'duplicate', id: event.id, position: existing.position, sameBody: existing.body_hash === hash };
        }
        const info = insert.run(
          event.id,
          event.type,
          event.subject,
          event.unitid,
          timestampMs(event.time),
          hash,
          JSON.stringify(event),
          producerKey(i) ?? null,
        );
        return { outcome: 'appended', id: event.id, position: Number(info.lastInsertRowid) };
      }),
    );
    this.#appendBatch = (events, producerKey) => batch.immediate(events, producerKey);
  }

  async append(events: readonly DvcEvent[], options?: AppendOptions): Promise<AppendResult[]> {
    this.#open();
    if (events.length === 0) return [];
    const producerKey = producerKeysOf(events, options);
    let results: AppendResult[];
    try {
      results = this.#appendBatch(events, producerKey);
    } catch (error) {
      throw wrap('append', error);
    }
    if (results.some((r) => r.outcome === 'appended')) for (const s of this.#subscriptions) s.notify();
    return results;
  }

  async read(options: ReadOptions = {}): Promise<StoredEvent[]> {
    this.#open();
    const query = eventsReadQuery('events', options, () => '?');
    return query === undefined ? [] : this.#query(query.sql, query.params);
  }

  async readStream(subject: string): Promise<StoredEvent[]> {
    this.#open();
    return this.#query('SELECT position, body, producer_key FROM events WHERE subject = ? ORDER BY position', [subject]);
  }

  async head(): Promise<Position> {
    this.#open();
    try {
      const row = this.#statement('SELECT COALESCE(MAX(position), 0) AS head FROM events').get() as { head: number };
      return row.head;
    } catch (error) {
      throw wrap('head', error);
    }
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.#open();
    const subscription = this.#subscriptions.add(new PollingSubscription((o) => this.read(o), options, this.#pollIntervalMs, this.#batchSize));
    return subscription;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscriptions.closeAll();
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new EventStoreError('event store is closed', { retriable: false });
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #query(sql: string, params: readonly (string | number)[]): StoredEvent[] {
    try {
      const rows = this.#statement(sql).all(...params) as Row[];
      return rows.map((row) => storedEvent(row.position, row.body, row.producer_key));
    } catch (error) {
      throw wrap('read', error);
    }
  }
}
