import pg from 'pg';
import { timestampMs, type DvcEvent } from '@dvc/domain';
import { EventStoreError, producerKeysOf, storedEvent } from './port.js';
import type { AppendOptions, AppendResult, EventStore, Position, ReadOptions, StoredEvent, SubscribeOptions, Subscription } from './port.js';
import { bodyHash } from './canonical.js';
import { eventsReadQuery } from './sql-read.js';
import { LiveSubscriptions, PollingSubscription } from './subscription.js';

export interface PostgresEventStoreOptions {
  /** A libpq-style connection string (postgres://user:password@host:5432/database), without the `schema` parameter. */
  connectionString: string;
  /** The schema holding the store's tables, created when missing; default `dvc_events`. */
  schema?: string;
  /** Connections of the pool that appends and reads use; default 4. */
  poolSize?: number;
  /**
   * How often subscriptions read without a notification; default 1000 ms. Appends of every
   * process on the database wake them at once by LISTEN/NOTIFY; the poll is the safety net for a
   * notification lost while the listening connection was being re-established.
   */
  pollIntervalMs?: number;
  /** Events read per query by subscriptions; default 500. */
  subscriptionBatchSize?: number;
}

/** The default schema of the store's tables. */
export const DEFAULT_POSTGRES_SCHEMA = 'dvc_events';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * SQLSTATE classes (first two characters) after which trying again may succeed: connection
 * exceptions, transaction rollbacks (serialization failure, deadlock), insufficient resources,
 * operator intervention (shutdown), system errors.
 */
const RETRIABLE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const RETRIABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function retriable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') {
    // node-postgres reports a connection dropped mid-query with a plain Error.
    return error instanceof Error && /Connection terminated|connection timeout/i.test(error.message);
  }
  return RETRIABLE_NODE_CODES.has(code) || (code.length === 5 && RETRIABLE_CLASSES.has(code.slice(0, 2)));
}

function wrap(what: string, error: unknown): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new EventStoreError(`event store ${what} failed: ${reason}`, { retriable: retriable(error), cause: error });
}

interface Row {
  position: string;
  body: string;
  producer_key: string | null;
}

/**
 * The event store on PostgreSQL, shareable by several processes (archivers, replay APIs, rebuilds)
 * on one database.
 *
 * Positions are dense, from 1, as SQLite's: an append takes the row lock of the schema's single
 * `head` row first (`SELECT … FOR UPDATE`), so appends are serialized across every process; the
 * positions of a batch are the next ones after the head and the head moves in the same
 * transaction. A later append can only get the lock after the earlier one has committed, so a
 * reader never sees a position before every lower one is visible: readers and the polling
 * subscription can rely on "no gaps among committed events". Duplicates are looked up under
 * the lock and consume no position. The transaction's `pg_notify` is delivered at commit and
 * wakes the subscriptions of every instance listening on the schema's channel.
 */
export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  /** The schema the tables live in. */
  readonly schema: string;
  readonly #channel: string;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #subscriptions = new LiveSubscriptions<PollingSubscription>();
  readonly #connectionString: string;
  #ready: Promise<void> | undefined;
  #listener: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #closed = false;

  constructor(options: PostgresEventStoreOptions) {
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    if (!SCHEMA_NAME.test(schema)) {
      throw new EventStoreError(`schema '${schema}' is not a plain lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)`, { retriable: false });
    }
    this.schema = schema;
    this.#channel = `${schema}_appended`;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#batchSize = options.subscriptionBatchSize ?? 500;
    this.#connectionString = options.connectionString;
    this.#pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 4 });
    // An idle connection that the server drops must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  async append(events: readonly DvcEvent[], options?: AppendOptions): Promise<AppendResult[]> {
    this.#open();
    if (events.length === 0) return [];
    // Everything that can fail on the input fails before the transaction begins.
    const producerKey = producerKeysOf(events, options);
    let prepared: { event: DvcEvent; hash: string; timeMs: number; body: string; producerKey: string | null }[];
    try {
      prepared = events.map((event, i) => ({
        event,
        hash: bodyHash(event),
        timeMs: timestampMs(event.time),
        body: JSON.stringify(event),
        producerKey: producerKey(i) ?? null,
      }));
    } catch (error) {
      throw new EventStoreError(`event store append failed: ${error instanceof Error ? error.message : String(error)}`, { retriable: false, cause: error });
    }
    await this.#init();
    const s = this.schema;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      await client.query('BEGIN');
      const head = await client.query<{ position: string }>(`SELECT position FROM ${s}.head FOR UPDATE`);
      let next = Number(head.rows[0]?.position ?? 0);
      const ids = [...new Set(prepared.map((p) => p.event.id))];
      const existing = await client.query<{ id: string; position: string; body_hash: string }>(
        `SELECT id, position, body_hash FROM ${s}.events WHERE id = ANY($1::text[])`,
        [ids],
      );
      const known = new Map(existing.rows.map((r) => [r.id, { position: Number(r.position), hash: r.body_hash }]));
      const results: AppendResult[] = [];
      const columns: {
        position: number[];
        id: string[];
        type: string[];
        subject: string[];
        unit: string[];
        time: number[];
        hash: string[];
        body: string[];
        producerKey: (string | null)[];
      } = {
        position: [],
        id: [],
        type: [],
        subject: [],
        unit: [],
        time: [],
        hash: [],
        body: [],
        producerKey: [],
      };
      for (const { event, hash, timeMs, body, producerKey: key } of prepared) {
        const original = known.get(event.id);
        if (original !== undefined) {
          results.push({ outcome: 'duplicate', id: event.id, position: original.position, sameBody: original.hash === hash });
          continue;
        }
        next += 1;
        known.set(event.id, { position: next, hash });
        results.push({ outcome: 'appended', id: event.id, position: next });
        columns.position.push(next);
        columns.id.push(event.id);
        columns.type.push(event.type);
        columns.subject.push(event.subject);
        columns.unit.push(event.unitid);
        columns.time.push(timeMs);
        columns.hash.push(hash);
        columns.body.push(body);
        columns.producerKey.push(key);
      }
      if (columns.position.length > 0) {
        await client.query(
          `INSERT INTO ${s}.events (position, id, type, subject, unit, time_ms, body_hash, body, producer_key)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[])`,
          [columns.position, columns.id, columns.type, columns.subject, columns.unit, columns.time, columns.hash, columns.body, columns.producerKey],
        );
        await client.query(`UPDATE ${s}.head SET position = $1`, [next]);
        await client.query('SELECT pg_notify($1, $2)', [this.#channel, String(next)]);
      }
      await client.query('COMMIT');
      if (columns.position.length > 0) for (const subscription of this.#subscriptions) subscription.notify();
      return results;
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => undefined);
      throw wrap('append', error);
    } finally {
      client?.release();
    }
  }

  async read(options: ReadOptions = {}): Promise<StoredEvent[]> {
    this.#open();
    const query = eventsReadQuery(`${this.schema}.events`, options, (n) => `$${n}`);
    return query === undefined ? [] : this.#query(query.sql, query.params);
  }

  async readStream(subject: string): Promise<StoredEvent[]> {
    this.#open();
    return this.#query(`SELECT position, body, producer_key FROM ${this.schema}.events WHERE subject = $1 ORDER BY position`, [subject]);
  }

  async head(): Promise<Position> {
    this.#open();
    await this.#init();
    try {
      const result = await this.#pool.query<{ position: string }>(`SELECT position FROM ${this.schema}.head`);
      return Number(result.rows[0]?.position ?? 0);
    } catch (error) {
      throw wrap('head', error);
    }
  }

  subscribe(options: SubscribeOptions): Subscription {
    this.#open();
    const subscription = this.#subscriptions.add(new PollingSubscription((o) => this.read(o), options, this.#pollIntervalMs, this.#batchSize));
    this.#listen();
    return subscription;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscriptions.closeAll();
    await this.#listening?.catch(() => undefined);
    await this.#listener?.end().catch(() => undefined);
    await this.#pool.end();
  }

  /** Creates the schema, tables and append-only guard once per instance (and once per database under an advisory lock). */
  #init(): Promise<void> {
    if (this.#ready === undefined) {
      const s = this.schema;
      this.#ready = (async () => {
        const client = await this.#pool.connect();
        try {
          await client.query('BEGIN');
          // Concurrent CREATE … IF NOT EXISTS from several processes can still collide in the catalog.
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dvc-eventstore:${s}`]);
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
          await client.query(`CREATE TABLE IF NOT EXISTS ${s}.events (
            position  bigint PRIMARY KEY,
            id        text NOT NULL UNIQUE,
            type      text NOT NULL,
            subject   text NOT NULL,
            unit      text NOT NULL,
            time_ms   bigint NOT NULL,
            body_hash text NOT NULL,
            body      text NOT NULL,
            producer_key text
          )`);
          // A schema made before producer keys were kept gets the column (null for its events).
          await client.query(`ALTER TABLE ${s}.events ADD COLUMN IF NOT EXISTS producer_key text`);
          await client.query(`CREATE INDEX IF NOT EXISTS events_type ON ${s}.events (type, position)`);
          await client.query(`CREATE INDEX IF NOT EXISTS events_unit ON ${s}.events (unit, position)`);
          await client.query(`CREATE INDEX IF NOT EXISTS events_time ON ${s}.events (time_ms, position)`);
          await client.query(`CREATE INDEX IF NOT EXISTS events_subject ON ${s}.events (subject, position)`);
          await client.query(`CREATE TABLE IF NOT EXISTS ${s}.head (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            position bigint NOT NULL
          )`);
          await client.query(`INSERT INTO ${s}.head (only_row, position) VALUES (true, 0) ON CONFLICT DO NOTHING`);
          // Append-only: history is never rewritten.
          await client.query(`CREATE OR REPLACE FUNCTION ${s}.refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$`);
          await client.query(`CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${s}.events
            FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_rewrite()`);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      })().catch((error: unknown) => {
        // A later call tries again (the database may come back).
        this.#ready = undefined;
        throw wrap('open', error);
      });
    }
    return this.#ready;
  }

  /**
   * One LISTEN connection per instance, opened with the first subscription; when it drops, it is
   * opened again on the next poll-driven read, and the poll covers the notifications missed.
   */
  #listen(): void {
    if (this.#listener !== undefined || this.#listening !== undefined || this.#closed) return;
    const client = new pg.Client({ connectionString: this.#connectionString });
    const wakeAll = () => {
      for (const subscription of this.#subscriptions) subscription.notify();
    };
    client.on('notification', wakeAll);
    client.on('error', () => {
      if (this.#listener === client) this.#listener = undefined;
      void client.end().catch(() => undefined);
    });
    client.on('end', () => {
      if (this.#listener === client) this.#listener = undefined;
    });
    this.#listening = (async () => {
      try {
        await this.#init();
        await client.connect();
        await client.query(`LISTEN ${this.#channel}`);
        if (this.#closed) {
          await client.end();
          return;
        }
        this.#listener = client;
        // Anything appended while the connection was being made.
        wakeAll();
      } catch {
        await client.end().catch(() => undefined);
      } finally {
        this.#listening = undefined;
      }
    })();
  }

  #open(): void {
    if (this.#closed) throw new EventStoreError('event store is closed', { retriable: false });
  }

  async #query(sql: string, params: readonly unknown[]): Promise<StoredEvent[]> {
    await this.#init();
    if (this.#subscriptions.size > 0) this.#listen();
    try {
      const result = await this.#pool.query<Row>(sql, params as unknown[]);
      return result.rows.map((row) => storedEvent(Number(row.position), row.body, row.producer_key));
    } catch (error) {
      throw wrap('read', error);
    }
  }
}
