import type { DvcEvent } from '@dvc/domain';
import type { ReadOptions, StoredEvent } from '@dvc/eventstore';
import type { ReadPlan } from './scope.js';
import { streamEvents, type StreamOptions } from './stream.js';
import { createTokenCodec } from './token.js';

/** An in-memory history with the port's read semantics for the filter fields used here. */
function memoryStore(units: string[]) {
  const rows: StoredEvent[] = units.map((unitid, i) => ({ position: i + 1, event: { id: `e${i + 1}`, unitid, type: 'vn.dvc.dossier.digitized' } as DvcEvent }));
  const reads: ReadOptions[] = [];
  return {
    rows,
    reads,
    head: async () => rows.length,
    read: async (o: ReadOptions = {}) => {
      reads.push(o);
      const matching = rows.filter((r) => r.position > (o.after ?? 0) && (o.unit === undefined || r.event.unitid === o.unit));
      return matching.slice(0, o.limit ?? matching.length);
    },
  };
}

const tokens = createTokenCodec(['stream-unit-secret']);
/** The settings of every stream here unless a test says otherwise: from the start, no limit, no follow, 3 events a read, a clock at 0. */
const DEFAULTS = {
  after: 0,
  limit: undefined,
  follow: false,
  tokens,
  batchSize: 3,
  pollMs: 5,
  heartbeatMs: 1000,
  now: () => 0,
} satisfies Partial<StreamOptions>;

async function run(store: ReturnType<typeof memoryStore>, plan: ReadPlan, overrides: Partial<StreamOptions> = {}) {
  const chunks: string[] = [];
  const result = await streamEvents({
    store,
    plan,
    ...DEFAULTS,
    signal: new AbortController().signal,
    write: async (chunk) => {
      chunks.push(chunk);
    },
    onStreamed: () => undefined,
    ...overrides,
  });
  const lines = chunks
    .join('')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { result, lines };
}

describe('stream loop', () => {
  it('pages in store batches and ends caught-up at the head', async () => {
    const store = memoryStore(['a', 'b', 'a', 'b', 'a', 'b', 'a']);
    const { result, lines } = await run(store, { filter: {} });
    expect(lines.map((l) => l.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 7]);
    expect(lines.at(-1)).toEqual({ end: 'caught-up', position: 7, token: tokens.encode(7), events: 7 });
    expect(result).toEqual({ outcome: 'caught-up', position: 7, events: 7 });
    expect(store.reads.map((r) => r.after)).toEqual([0, 3, 6]);
  });

  it('names the producer key of each event the archive has one for, and no key for the others', async () => {
    const store = memoryStore(['a', 'b', 'a']);
    store.rows[0] = { ...store.rows[0]!, producerKey: 'portal-a' };
    store.rows[2] = { ...store.rows[2]!, producerKey: 'portal-b' };
    const { lines } = await run(store, { filter: {} });
    expect(lines.slice(0, 3)).toEqual([
      { position: 1, token: tokens.encode(1), producerKey: 'portal-a', event: store.rows[0]!.event },
      { position: 2, token: tokens.encode(2), event: store.rows[1]!.event },
      { position: 3, token: tokens.encode(3), producerKey: 'portal-b', event: store.rows[2]!.event },
    ]);
    expect(Object.keys(lines[0]!)).toEqual(['position', 'token', 'event', 'producerKey']);
  });

  it('a limit reached mid-batch ends at the last event sent, not past the rows it skipped', async () => {
    const store = memoryStore(['x', 'a', 'x', 'x', 'a', 'x', 'a']);
    const plan: ReadPlan = { filter: {}, units: new Set(['a', 'b']) };
    const first = await run(store, plan, { limit: 1 });
    expect(first.lines).toEqual([
      { position: 2, token: tokens.encode(2), event: store.rows[1]?.event },
      { end: 'limit', position: 2, token: tokens.encode(2), events: 1 },
    ]);
    const second = await run(store, plan, { after: 2, limit: 1 });
    expect(second.lines.map((l) => l.position)).toEqual([5, 5]);
    const last = await run(store, plan, { after: 5, limit: 5 });
    expect(last.lines.map((l) => l.position)).toEqual([7, 7]);
    expect(last.lines.at(-1)?.end).toBe('caught-up');
  });

  it('a unit set skipping everything still moves the end token to the head', async () => {
    const store = memoryStore(['x', 'x', 'x', 'x', 'x']);
    const { lines } = await run(store, { filter: {}, units: new Set(['a']) });
    expect(lines).toEqual([{ end: 'caught-up', position: 5, token: tokens.encode(5), events: 0 }]);
  });

  it('a stopped stream vouches only for what it handed to the client', async () => {
    const store = memoryStore(['a', 'a', 'a', 'a', 'a', 'a']);
    const controller = new AbortController();
    let writes = 0;
    const result = await streamEvents({
      store,
      plan: { filter: {} },
      ...DEFAULTS,
      signal: controller.signal,
      write: async () => {
        writes += 1;
        if (writes === 1) controller.abort();
      },
      onStreamed: () => undefined,
    });
    // The first chunk (positions 1-3) was written; the stop came before the next batch.
    expect(result).toEqual({ outcome: 'stopped', position: 3, events: 3 });
  });

  it('events read but not yet written are not covered by a stop', async () => {
    const store = memoryStore(['a', 'a', 'a']);
    const controller = new AbortController();
    const written: string[] = [];
    const result = await streamEvents({
      store: {
        head: store.head,
        read: async (o) => {
          const rows = await store.read(o);
          controller.abort();
          return rows;
        },
      },
      plan: { filter: {} },
      ...DEFAULTS,
      follow: true,
      batchSize: 10,
      signal: controller.signal,
      write: async (chunk) => {
        written.push(chunk);
      },
      onStreamed: () => undefined,
    });
    expect(written).toEqual([]);
    expect(result).toEqual({ outcome: 'stopped', position: 0, events: 0 });
  });

  it('a caught-up tail announces itself with a heartbeat at the head, then stops when aborted', async () => {
    const store = memoryStore(['a', 'b']);
    const controller = new AbortController();
    const chunks: string[] = [];
    const result = await streamEvents({
      store,
      plan: { filter: { unit: 'b' } },
      ...DEFAULTS,
      follow: true,
      batchSize: 10,
      now: () => Date.UTC(2026, 0, 1),
      signal: controller.signal,
      write: async (chunk) => {
        chunks.push(chunk);
        if (chunk.includes('heartbeat')) controller.abort();
      },
      onStreamed: () => undefined,
    });
    expect(
      chunks
        .join('')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { position: 2, token: tokens.encode(2), event: store.rows[1]?.event },
      { heartbeat: '2026-01-01T00:00:00.000Z', position: 2, token: tokens.encode(2) },
    ]);
    expect(result).toEqual({ outcome: 'stopped', position: 2, events: 1 });
  });
});
