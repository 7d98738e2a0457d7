import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EventStoreUrlError, openEventStore, parsePostgresUrl } from './open.js';
import type { AppendResult, StoredEvent } from './port.js';
import { PostgresEventStore } from './postgres.js';
import { contractEvent, describeEventStoreContract } from './testing/index.js';

/** The PostgreSQL the tests use (scripts/test.sh checks that it answers). */
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
const schemas = new Set<string>();

/** A schema of this test run's own, dropped afterwards. */
function uniqueSchema(tag: string): string {
  const schema = `dvc_t_${tag}_${randomBytes(5).toString('hex')}`;
  schemas.add(schema);
  return schema;
}

async function drop(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  schemas.delete(schema);
}

afterAll(async () => {
  for (const schema of [...schemas]) await drop(schema);
  await admin.end();
});

describeEventStoreContract('PostgreSQL', async () => {
  const schema = uniqueSchema('contract');
  return {
    gaplessPositions: true,
    open: async () => new PostgresEventStore({ connectionString: POSTGRES_URL, schema, pollIntervalMs: 50 }),
    dispose: () => drop(schema),
  };
});

describe('PostgresEventStore specifics', () => {
  it('is what openEventStore gives for a postgres:// URL, in the schema the URL names', async () => {
    const schema = uniqueSchema('url');
    const store = openEventStore(`${POSTGRES_URL}?schema=${schema}`);
    try {
      expect(store).toBeInstanceOf(PostgresEventStore);
      expect(await store.append([contractEvent({ id: 'e1' })])).toEqual([{ outcome: 'appended', id: 'e1', position: 1 }]);
      const tables = await admin.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [
        schema,
      ]);
      expect(tables.rows.map((r) => r.table_name)).toEqual(['events', 'head']);
    } finally {
      await store.close();
    }
  });

  it('splits the schema off the URL and refuses schemas that are not plain identifiers, naming them', () => {
    expect(parsePostgresUrl('postgres://u:secret@db:5432/dvc?schema=hist&sslmode=disable')).toEqual({
      connectionString: 'postgres://u:secret@db:5432/dvc?sslmode=disable',
      schema: 'hist',
    });
    expect(parsePostgresUrl('postgresql://db/dvc').schema).toBe('dvc_events');
    expect(() => parsePostgresUrl('postgres://u:secret@db/dvc?schema=Bad-Name')).toThrow(EventStoreUrlError);
    expect(() => parsePostgresUrl('postgres://u:secret@db/dvc?schema=Bad-Name')).toThrow(/schema 'Bad-Name' is not a plain lower-case SQL identifier/);
    expect(() => parsePostgresUrl('postgres://u:secret@db/dvc?schema=Bad-Name')).toThrow(/u:\*\*\*@db/);
  });

  it('refuses updates, deletes and truncation of the history', async () => {
    const schema = uniqueSchema('guard');
    const store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
    await store.append([contractEvent({ id: 'e1' }), contractEvent({ id: 'e2' })]);
    await store.close();
    await expect(admin.query(`UPDATE ${schema}.events SET type = 'x' WHERE position = 1`)).rejects.toThrow(/append-only/);
    await expect(admin.query(`DELETE FROM ${schema}.events`)).rejects.toThrow(/append-only/);
    await expect(admin.query(`TRUNCATE ${schema}.events`)).rejects.toThrow(/append-only/);
    const again = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
    expect((await again.read()).map((s) => s.event.id)).toEqual(['e1', 'e2']);
    await again.close();
  });

  it('reports an unreachable database as a retriable EventStoreError, and works once it answers', async () => {
    const store = new PostgresEventStore({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', schema: uniqueSchema('down') });
    await expect(store.append([contractEvent({ id: 'e1' })])).rejects.toMatchObject({ name: 'EventStoreError', retriable: true });
    await expect(store.head()).rejects.toMatchObject({ name: 'EventStoreError', retriable: true });
    await store.close();
  });

  it('keeps a lock held by another transaction from breaking order: the append waits, then takes the next positions', async () => {
    const schema = uniqueSchema('lock');
    const store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
    await store.append([contractEvent({ id: 'e1' })]);
    const blocker = await admin.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT position FROM ${schema}.head FOR UPDATE`);
      let settled = false;
      const pending = store.append([contractEvent({ id: 'e2' })]).finally(() => {
        settled = true;
      });
      // Still waiting while the head row is held.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await blocker.query('ROLLBACK');
      expect(await pending).toEqual([{ outcome: 'appended', id: 'e2', position: 2 }]);
    } finally {
      blocker.release();
      await store.close();
    }
  });

  it('keeps positions dense and in commit order with four instances appending at once, and a subscriber on a fifth sees each event once, in order', async () => {
    const schema = uniqueSchema('race');
    const open = () => new PostgresEventStore({ connectionString: POSTGRES_URL, schema, pollIntervalMs: 5_000 });
    // The schema exists before the writers race.
    const watcher = open();
    expect(await watcher.head()).toBe(0);
    const received: StoredEvent[] = [];
    const subscription = watcher.subscribe({ after: 0, onEvent: (s) => void received.push(s) });

    const writers = Array.from({ length: 4 }, open);
    const perWriter = 200;
    const results = await Promise.all(
      writers.map(async (writer, w) => {
        const out: AppendResult[] = [];
        // Every fifth event is sent by every writer: exactly one of them stores it.
        const events = Array.from({ length: perWriter }, (_, n) => contractEvent({ id: n % 5 === 0 ? `shared-${n}` : `w${w}-${n}` }));
        for (let i = 0; i < events.length; i += 7) out.push(...(await writer.append(events.slice(i, i + 7))));
        return out;
      }),
    ).then((all) => all.flat());
    const distinct = 4 * (perWriter - perWriter / 5) + perWriter / 5;

    // Woken by NOTIFY, not by the 5 s poll.
    const started = Date.now();
    while (received.length < distinct && Date.now() - started < 4_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.map((s) => s.position)).toEqual(Array.from({ length: distinct }, (_, i) => i + 1));
    const stored = await watcher.read();
    expect(stored.map((s) => s.position)).toEqual(Array.from({ length: distinct }, (_, i) => i + 1));
    expect(new Set(stored.map((s) => s.event.id)).size).toBe(distinct);
    const positionOf = new Map(stored.map((s) => [s.event.id, s.position]));
    expect(results.filter((r) => r.outcome === 'appended')).toHaveLength(distinct);
    for (const r of results) expect(r.position).toBe(positionOf.get(r.id));
    expect(results.filter((r) => r.outcome === 'duplicate' && r.sameBody)).toHaveLength(3 * (perWriter / 5));
    expect(await watcher.head()).toBe(distinct);

    await subscription.close();
    await Promise.all([watcher, ...writers].map((s) => s.close()));
  });
});
