import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import ts from 'typescript';
import type { AppendResult, EventStore, Position, StoredEvent } from './port.js';
import { SqliteEventStore } from './sqlite.js';
import { contractEvent, describeEventStoreContract } from './testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'dvc-eventstore-'));
let files = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

describeEventStoreContract('SQLite (file, WAL)', async () => {
  const dir = mkdtempSync(join(root, 'contract-'));
  const file = join(dir, `events-${++files}.db`);
  return {
    gaplessPositions: true,
    open: async () => new SqliteEventStore({ file, pollIntervalMs: 20 }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

/**
 * The suite's path for adapters without dense positions (EventStoreDB) runs here too, so that it
 * is exercised without an EventStoreDB: SQLite behind a wrapper that spreads its positions out
 * (p becomes 7p + 3), as log offsets would be.
 */
function gapped(inner: EventStore): EventStore {
  const out = (p: Position): Position => (p === 0 ? 0 : 7 * p + 3);
  const into = (p: Position): Position => (p === 0 ? 0 : (p - 3) / 7);
  const stored = (s: StoredEvent): StoredEvent => ({ ...s, position: out(s.position) });
  return {
    append: async (events, options) => (await inner.append(events, options)).map((r) => ({ ...r, position: out(r.position) })),
    read: async (options = {}) => (await inner.read({ ...options, ...(options.after === undefined ? {} : { after: into(options.after) }) })).map(stored),
    readStream: async (subject) => (await inner.readStream(subject)).map(stored),
    head: async () => out(await inner.head()),
    subscribe: (options) => {
      const subscription = inner.subscribe({
        ...options,
        after: into(options.after),
        onEvent: (s) => options.onEvent(stored(s)),
        ...(options.onCaughtUp === undefined ? {} : { onCaughtUp: (p: Position) => options.onCaughtUp!(out(p)) }),
      });
      return {
        close: () => subscription.close(),
        done: subscription.done,
        get position() {
          return out(subscription.position);
        },
      };
    },
    close: () => inner.close(),
  };
}

describeEventStoreContract('SQLite with spread-out positions (the suite without gaplessPositions)', async () => {
  const dir = mkdtempSync(join(root, 'gapped-'));
  const file = join(dir, `events-${++files}.db`);
  return {
    gaplessPositions: false,
    open: async () => gapped(new SqliteEventStore({ file, pollIntervalMs: 20 })),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteEventStore specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(root, 'specific-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('works in memory', async () => {
    const store = new SqliteEventStore({ file: ':memory:' });
    expect(await store.append([contractEvent({ id: 'e1' })])).toEqual([{ outcome: 'appended', id: 'e1', position: 1 }]);
    expect(await store.head()).toBe(1);
    await store.close();
  });

  it('gives a file made before producer keys were kept the column: its events have none, new ones keep theirs', async () => {
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, subject TEXT NOT NULL,
      unit TEXT NOT NULL, time_ms INTEGER NOT NULL, body_hash TEXT NOT NULL, body TEXT NOT NULL)`);
    const before = contractEvent({ id: 'old-1' });
    old
      .prepare('INSERT INTO events (id, type, subject, unit, time_ms, body_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(before.id, before.type, before.subject, before.unitid, 0, 'x', JSON.stringify(before));
    old.close();
    const store = new SqliteEventStore({ file });
    await store.append([contractEvent({ id: 'new-1' })], { producerKeys: ['portal'] });
    expect(await store.read()).toEqual([
      { position: 1, event: before },
      { position: 2, event: contractEvent({ id: 'new-1' }), producerKey: 'portal' },
    ]);
    await store.close();
  });

  it('keeps the history across reopening, in WAL mode, and refuses updates and deletes', async () => {
    const file = join(dir, 'events.db');
    const first = new SqliteEventStore({ file });
    await first.append([contractEvent({ id: 'e1' }), contractEvent({ id: 'e2' })]);
    await first.close();

    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(() => raw.prepare("UPDATE events SET type = 'x' WHERE position = 1").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND name LIKE 'events_%'").pluck().all();
    expect(indexes.sort()).toEqual(['events_subject', 'events_time', 'events_type', 'events_unit']);
    raw.close();

    const second = new SqliteEventStore({ file });
    expect(await second.head()).toBe(2);
    expect(await second.append([contractEvent({ id: 'e2' }), contractEvent({ id: 'e3' })])).toEqual([
      { outcome: 'duplicate', id: 'e2', position: 2, sameBody: true },
      { outcome: 'appended', id: 'e3', position: 3 },
    ]);
    await second.close();
  });

  it('reports a write lock held too long as a retriable EventStoreError', async () => {
    const file = join(dir, 'locked.db');
    const store = new SqliteEventStore({ file, busyTimeoutMs: 50 });
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    await expect(store.append([contractEvent({ id: 'e1' })])).rejects.toMatchObject({ name: 'EventStoreError', retriable: true });
    blocker.exec('ROLLBACK');
    blocker.close();
    expect(await store.append([contractEvent({ id: 'e1' })])).toEqual([{ outcome: 'appended', id: 'e1', position: 1 }]);
    await store.close();
  });
});

/**
 * Several OS processes appending to one file: better-sqlite3 is synchronous, so two instances in
 * one process never really overlap. The adapter's sources are transpiled as they are to plain
 * ESM (bare imports pointed at the installed packages) and run in child processes.
 */
describe('SqliteEventStore across processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(root, 'processes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function compileAdapter(): string {
    const require = createRequire(join(process.cwd(), 'package.json'));
    const bare: Record<string, string> = {
      '@dvc/config': pathToFileURL(require.resolve('@dvc/config')).href,
      '@dvc/domain': pathToFileURL(require.resolve('@dvc/domain')).href,
      'better-sqlite3': pathToFileURL(require.resolve('better-sqlite3')).href,
    };
    for (const name of ['port', 'canonical', 'subscription', 'sql-read', 'sqlite']) {
      const source = readFileSync(join(process.cwd(), 'src', `${name}.ts`), 'utf8');
      let js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      for (const [specifier, url] of Object.entries(bare)) js = js.split(`'${specifier}'`).join(`'${url}'`);
      writeFileSync(join(dir, `${name}.js`), js);
    }
    writeFileSync(
      join(dir, 'child.mjs'),
      `import { readFileSync } from 'node:fs';
const [, , adapter, file, eventsFile] = process.argv;
const { SqliteEventStore } = await import(adapter);
const events = JSON.parse(readFileSync(eventsFile, 'utf8'));
const store = new SqliteEventStore({ file, busyTimeoutMs: 30000 });
const results = [];
for (let i = 0; i < events.length; i += 3) results.push(...(await store.append(events.slice(i, i + 3))));
await store.close();
process.stdout.write(JSON.stringify(results));
`,
    );
    return pathToFileURL(join(dir, 'sqlite.js')).href;
  }

  it('keeps positions unique and gapless with four processes appending at once', async () => {
    const adapter = compileAdapter();
    const file = join(dir, 'shared.db');
    // Create the schema first so that the children race on appends, not on CREATE TABLE.
    await new SqliteEventStore({ file }).close();
    const children = 4;
    const perChild = 60;
    const runs = Array.from({ length: children }, (_, c) => {
      const events = Array.from({ length: perChild }, (_, n) =>
        // Every fifth event is shared by all children: exactly one of them may store it.
        contractEvent({ id: n % 5 === 0 ? `shared-${n}` : `c${c}-${n}` }),
      );
      const eventsFile = join(dir, `events-${c}.json`);
      writeFileSync(eventsFile, JSON.stringify(events));
      return promisify(execFile)(process.execPath, [join(dir, 'child.mjs'), adapter, file, eventsFile], { timeout: 60_000 });
    });
    const outputs = await Promise.all(runs);
    const results = outputs.flatMap((o) => JSON.parse(o.stdout) as AppendResult[]);

    const store = new SqliteEventStore({ file });
    const stored = await store.read();
    await store.close();
    const distinct = children * (perChild - perChild / 5) + perChild / 5;
    expect(stored.map((s) => s.position)).toEqual(Array.from({ length: distinct }, (_, i) => i + 1));
    expect(new Set(stored.map((s) => s.event.id)).size).toBe(distinct);
    const appended = results.filter((r) => r.outcome === 'appended');
    expect(appended).toHaveLength(distinct);
    const positionOf = new Map(stored.map((s) => [s.event.id, s.position]));
    for (const r of results) expect(r.position).toBe(positionOf.get(r.id));
    expect(results.filter((r) => r.outcome === 'duplicate' && r.sameBody)).toHaveLength((children - 1) * (perChild / 5));
  });
});
