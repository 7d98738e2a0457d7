/// <reference types="jest" />
// Runs under jest: describe, it, expect and the hooks are the test runner's globals.
import { timestampMs, validateEvent, type DvcEvent, type EventType } from '@dvc/domain';
import { EventStoreError, type EventStore, type Position, type StoredEvent } from '../port.js';
import { eventually } from './eventually.js';

/**
 * The conformance suite every EventStore adapter runs, for jest (`@dvc/eventstore/testing`).
 * The factory gives fresh, empty storage per test; `open()` may be called more than once to
 * get several store instances on that same storage (as several processes would).
 */
export interface ContractTarget {
  /**
   * Whether positions start at 1 and increase by exactly 1 per stored event (SQLite). When
   * false (EventStoreDB, whose positions are log offsets) the suite checks only that positions
   * are positive, unique and strictly increasing, and compares them with those the store gave.
   */
  gaplessPositions: boolean;
  open(): Promise<EventStore>;
  /** Removes the storage; called after every instance has been closed. */
  dispose(): Promise<void>;
}

type Kind = 'received' | 'resolved' | 'payment' | 'report';

/** A fixture event; by default a receipt of unit-a at 20 June 2022 08:00 +07:00, subject `s-<id>`. */
export interface ContractEventSpec {
  id: string;
  kind?: Kind;
  subject?: string;
  unit?: string;
  /** RFC 3339 business time. */
  time?: string;
  /** Varies the body without changing the id (for different-body duplicates). */
  procedure?: string;
}

const T0 = '2022-06-20T08:00:00+07:00';
const hoursAfterT0 = (h: number) => `2022-06-20T${String(8 + h).padStart(2, '0')}:00:00+07:00`;

const TYPE_OF: Record<Kind, EventType> = {
  received: 'vn.dvc.dossier.received',
  resolved: 'vn.dvc.dossier.resolved',
  payment: 'vn.dvc.payment.completed',
  report: 'vn.dvc.report.submitted',
};

/** A valid event of the contract, checked by the domain's own validator. */
export function contractEvent(spec: ContractEventSpec): DvcEvent {
  const kind = spec.kind ?? 'received';
  const unit = spec.unit ?? 'unit-a';
  const time = spec.time ?? T0;
  const subject = spec.subject ?? `s-${spec.id}`;
  const data =
    kind === 'received'
      ? { dossierId: subject, unitId: unit, procedureId: spec.procedure ?? 'P1', channel: 'online', receivedAt: time, processingDays: 5 }
      : kind === 'resolved'
        ? { dossierId: subject, unitId: unit, resolvedAt: time, outcome: 'approved', processedOnline: true }
        : kind === 'payment'
          ? { paymentId: subject, unitId: unit, kind: 'fee', amountVnd: 50_000, channel: 'online', paidAt: time }
          : { reportId: subject, unitId: unit, channel: 'online', submittedAt: time };
  const result = validateEvent({
    specversion: '1.0',
    id: spec.id,
    source: 'contract-test',
    type: TYPE_OF[kind],
    time,
    subject,
    unitid: unit,
    data,
  });
  if (!result.ok) throw new Error(`invalid fixture ${spec.id}: ${JSON.stringify(result.problems)}`);
  return result.event;
}

const ids = (stored: readonly StoredEvent[]) => stored.map((s) => s.event.id);
const positions = (stored: readonly StoredEvent[]) => stored.map((s) => s.position);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Same JSON with object keys in reverse order: equal as an event, different as text. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    ) as T;
  }
  return value;
}

export function describeEventStoreContract(name: string, factory: () => Promise<ContractTarget>): void {
  describe(`EventStore contract: ${name}`, () => {
    let target: ContractTarget;
    let opened: EventStore[];
    let store: EventStore;

    /**
     * Every stored position in order, checked: positive safe integers, strictly increasing, and
     * 1, 2, 3... when the target promises gapless positions. Tests name events by their rank
     * and take their positions from here.
     */
    const storedPositions = async (instance: EventStore = store): Promise<Position[]> => {
      const all = positions(await instance.read());
      for (const [i, p] of all.entries()) {
        expect(Number.isSafeInteger(p) && p > 0).toBe(true);
        if (i > 0) expect(p).toBeGreaterThan(all[i - 1]!);
      }
      if (target.gaplessPositions) expect(all).toEqual(range(1, all.length));
      return all;
    };

    const another = async (): Promise<EventStore> => {
      const instance = await target.open();
      opened.push(instance);
      return instance;
    };

    beforeEach(async () => {
      target = await factory();
      opened = [];
      store = await another();
    });

    afterEach(async () => {
      for (const instance of opened) await instance.close();
      await target.dispose();
    });

    /** Collects deliveries; `caughtUp` resolves at onCaughtUp. */
    function collector() {
      const received: StoredEvent[] = [];
      let caughtUpAt: Position | undefined;
      return {
        received,
        caughtUpAt: () => caughtUpAt,
        onEvent: (stored: StoredEvent) => {
          received.push(stored);
        },
        onCaughtUp: (position: Position) => {
          caughtUpAt = position;
        },
        until: (count: number, what: string) => eventually(() => (received.length >= count ? true : undefined), what),
      };
    }

    describe('append and positions', () => {
      it('is empty at first: head 0, nothing to read', async () => {
        expect(await store.head()).toBe(0);
        expect(await store.read()).toEqual([]);
        expect(await store.append([])).toEqual([]);
      });

      it('gives increasing positions across batches (from 1, without gaps, where gapless)', async () => {
        const first = await store.append([contractEvent({ id: 'e1' }), contractEvent({ id: 'e2' })]);
        const second = await store.append([contractEvent({ id: 'e3' })]);
        const p = await storedPositions();
        expect(p).toHaveLength(3);
        expect([...first, ...second]).toEqual([
          { outcome: 'appended', id: 'e1', position: p[0] },
          { outcome: 'appended', id: 'e2', position: p[1] },
          { outcome: 'appended', id: 'e3', position: p[2] },
        ]);
        expect(await store.head()).toBe(p[2]);
        const all = await store.read();
        expect(all.map((s) => s.event)).toEqual([contractEvent({ id: 'e1' }), contractEvent({ id: 'e2' }), contractEvent({ id: 'e3' })]);
      });

      it('refuses a batch with a malformed event without storing any of it (and, where gapless, without a gap)', async () => {
        const [first] = await store.append([contractEvent({ id: 'e1' })]);
        const broken = { ...contractEvent({ id: 'bad' }), time: 'not a time' } as DvcEvent;
        await expect(store.append([contractEvent({ id: 'e2' }), broken])).rejects.toBeInstanceOf(EventStoreError);
        expect(await store.head()).toBe(first!.position);
        expect(ids(await store.read())).toEqual(['e1']);
        const [second] = await store.append([contractEvent({ id: 'e2' })]);
        expect(second).toMatchObject({ outcome: 'appended', id: 'e2' });
        expect(await storedPositions()).toEqual([first!.position, second!.position]);
      });
    });

    describe('duplicates', () => {
      it('reports a same-body duplicate with the original position and stores it once', async () => {
        await store.append([contractEvent({ id: 'e1' }), contractEvent({ id: 'e2' })]);
        const p = await storedPositions();
        const results = await store.append([contractEvent({ id: 'e1' }), reversedKeys(contractEvent({ id: 'e2' }))]);
        expect(results).toEqual([
          { outcome: 'duplicate', id: 'e1', position: p[0], sameBody: true },
          { outcome: 'duplicate', id: 'e2', position: p[1], sameBody: true },
        ]);
        expect(ids(await store.read())).toEqual(['e1', 'e2']);
        expect(await storedPositions()).toEqual(p);
        expect(await store.head()).toBe(p[1]);
      });

      it('reports a different-body duplicate and keeps the original', async () => {
        const original = contractEvent({ id: 'e1', procedure: 'P1' });
        const [stored] = await store.append([original]);
        const results = await store.append([contractEvent({ id: 'e1', procedure: 'P2' })]);
        expect(results).toEqual([{ outcome: 'duplicate', id: 'e1', position: stored!.position, sameBody: false }]);
        expect((await store.read()).map((s) => s.event)).toEqual([original]);
      });

      it('detects a duplicate within one batch, and duplicates consume no position', async () => {
        const results = await store.append([
          contractEvent({ id: 'e1' }),
          contractEvent({ id: 'e1' }),
          contractEvent({ id: 'e1', procedure: 'other' }),
          contractEvent({ id: 'e2' }),
        ]);
        const [third] = await store.append([contractEvent({ id: 'e3' })]);
        const p = await storedPositions();
        expect(p).toHaveLength(3);
        expect(results).toEqual([
          { outcome: 'appended', id: 'e1', position: p[0] },
          { outcome: 'duplicate', id: 'e1', position: p[0], sameBody: true },
          { outcome: 'duplicate', id: 'e1', position: p[0], sameBody: false },
          { outcome: 'appended', id: 'e2', position: p[1] },
        ]);
        expect(third).toEqual({ outcome: 'appended', id: 'e3', position: p[2] });
      });
    });

    describe('producer keys', () => {
      it('keeps the producer key id given with each event beside it, none for an event without one, in reads, streams and subscriptions', async () => {
        await store.append([contractEvent({ id: 'k1', subject: 's' }), contractEvent({ id: 'k2', subject: 's' })], { producerKeys: ['portal-a', undefined] });
        await store.append([contractEvent({ id: 'k3', subject: 's' })]);
        await store.append([contractEvent({ id: 'k4', subject: 's' })], { producerKeys: ['portal-b'] });
        const keysOf = (stored: readonly StoredEvent[]) => stored.map((s) => [s.event.id, s.producerKey ?? null]);
        const expected = [
          ['k1', 'portal-a'],
          ['k2', null],
          ['k3', null],
          ['k4', 'portal-b'],
        ];
        expect(keysOf(await store.read())).toEqual(expected);
        expect(keysOf(await store.readStream('s'))).toEqual(expected);
        expect((await store.read()).filter((s) => s.producerKey === undefined).every((s) => !('producerKey' in s))).toBe(true);
        // The body is the event as given: the key is never in it.
        expect((await store.read()).map((s) => s.event)).toEqual(['k1', 'k2', 'k3', 'k4'].map((id) => contractEvent({ id, subject: 's' })));
        const delivered: StoredEvent[] = [];
        const subscription = store.subscribe({ after: 0, onEvent: (e) => void delivered.push(e) });
        await eventually(() => (delivered.length >= 4 ? true : undefined), 'four events delivered');
        await subscription.close();
        expect(keysOf(delivered)).toEqual(expected);
      });

      it("keeps the original's producer key on a duplicate, and refuses a key list that does not fit the batch", async () => {
        await store.append([contractEvent({ id: 'k1' })], { producerKeys: ['first'] });
        const [again] = await store.append([contractEvent({ id: 'k1' })], { producerKeys: ['second'] });
        expect(again).toMatchObject({ outcome: 'duplicate', id: 'k1', sameBody: true });
        expect((await store.read()).map((s) => s.producerKey)).toEqual(['first']);
        const refused = store.append([contractEvent({ id: 'k2' }), contractEvent({ id: 'k3' })], { producerKeys: ['only-one'] });
        await expect(refused).rejects.toThrow(EventStoreError);
        await expect(store.append([contractEvent({ id: 'k2' })], { producerKeys: [] })).rejects.toThrow('producerKeys has 0 entries for 1 events');
        expect(ids(await store.read())).toEqual(['k1']);
      });
    });

    describe('reads', () => {
      // 1 received a @T0, 2 payment a @T0+1h, 3 report b @T0+2h, 4 resolved a @T0+3h,
      // 5 received b @T0+1h, 6 payment b @T0+4h
      /** Positions of the events by rank (`at(1)` is e1's). */
      let p: Position[];
      const pos = (rank: number): Position => p[rank - 1]!;
      const at = (...ranks: number[]) => ranks.map(pos);
      beforeEach(async () => {
        await store.append([
          contractEvent({ id: 'e1', kind: 'received', unit: 'unit-a', time: T0, subject: 'd1' }),
          contractEvent({ id: 'e2', kind: 'payment', unit: 'unit-a', time: hoursAfterT0(1), subject: 'p1' }),
          contractEvent({ id: 'e3', kind: 'report', unit: 'unit-b', time: hoursAfterT0(2), subject: 'r1' }),
          contractEvent({ id: 'e4', kind: 'resolved', unit: 'unit-a', time: hoursAfterT0(3), subject: 'd1' }),
        ]);
        await store.append([
          contractEvent({ id: 'e5', kind: 'received', unit: 'unit-b', time: hoursAfterT0(1), subject: 'd2' }),
          contractEvent({ id: 'e6', kind: 'payment', unit: 'unit-b', time: hoursAfterT0(4), subject: 'p2' }),
        ]);
        p = await storedPositions();
        expect(p).toHaveLength(6);
      });

      it('reads by position range: after is exclusive, limit caps, paging covers everything once', async () => {
        expect(positions(await store.read({ after: pos(2) }))).toEqual(at(3, 4, 5, 6));
        expect(positions(await store.read({ after: pos(2), limit: 2 }))).toEqual(at(3, 4));
        expect(positions(await store.read({ limit: 1 }))).toEqual(at(1));
        expect(await store.read({ after: pos(6) })).toEqual([]);
        expect(await store.read({ limit: 0 })).toEqual([]);
        const paged: StoredEvent[] = [];
        for (let after = 0; ;) {
          const page = await store.read({ after, limit: 4 });
          if (page.length === 0) break;
          paged.push(...page);
          after = page[page.length - 1]!.position;
        }
        expect(paged).toEqual(await store.read());
      });

      it('filters by types', async () => {
        expect(ids(await store.read({ types: ['vn.dvc.payment.completed'] }))).toEqual(['e2', 'e6']);
        expect(ids(await store.read({ types: ['vn.dvc.dossier.received', 'vn.dvc.dossier.resolved'] }))).toEqual(['e1', 'e4', 'e5']);
        expect(await store.read({ types: [] })).toEqual([]);
        expect(await store.read({ types: ['vn.dvc.community_team.registered'] })).toEqual([]);
      });

      it('filters by unit', async () => {
        expect(ids(await store.read({ unit: 'unit-a' }))).toEqual(['e1', 'e2', 'e4']);
        expect(ids(await store.read({ unit: 'unit-b' }))).toEqual(['e3', 'e5', 'e6']);
        expect(await store.read({ unit: 'unit-z' })).toEqual([]);
      });

      it('filters by business time: from inclusive, to exclusive, in position order', async () => {
        const hour = (h: number) => timestampMs(hoursAfterT0(h));
        expect(ids(await store.read({ from: hour(1) }))).toEqual(['e2', 'e3', 'e4', 'e5', 'e6']);
        expect(ids(await store.read({ to: hour(1) }))).toEqual(['e1']);
        expect(ids(await store.read({ from: hour(1), to: hour(3) }))).toEqual(['e2', 'e3', 'e5']);
        expect(await store.read({ from: hour(5) })).toEqual([]);
        expect(await store.read({ from: hour(2), to: hour(2) })).toEqual([]);
      });

      it('combines filters with the position range', async () => {
        const hour = (h: number) => timestampMs(hoursAfterT0(h));
        expect(ids(await store.read({ unit: 'unit-b', types: ['vn.dvc.payment.completed', 'vn.dvc.dossier.received'] }))).toEqual(['e5', 'e6']);
        expect(ids(await store.read({ unit: 'unit-a', from: hour(1), to: hour(4) }))).toEqual(['e2', 'e4']);
        expect(ids(await store.read({ unit: 'unit-b', from: hour(1), after: pos(3) }))).toEqual(['e5', 'e6']);
        expect(ids(await store.read({ unit: 'unit-b', from: hour(1), after: pos(3), limit: 1 }))).toEqual(['e5']);
        expect(ids(await store.read({ types: ['vn.dvc.payment.completed'], unit: 'unit-a', from: hour(2) }))).toEqual([]);
      });

      it('reads one subject stream in order', async () => {
        await store.append([contractEvent({ id: 'e7', kind: 'received', unit: 'unit-a', time: hoursAfterT0(5), subject: 'd1', procedure: 'P9' })]);
        p = await storedPositions();
        const stream = await store.readStream('d1');
        expect(ids(stream)).toEqual(['e1', 'e4', 'e7']);
        expect(positions(stream)).toEqual(at(1, 4, 7));
        expect(ids(await store.readStream('p2'))).toEqual(['e6']);
        expect(await store.readStream('nobody')).toEqual([]);
      });
    });

    describe('subscriptions', () => {
      const batch = (from: number, to: number) => range(from, to).map((n) => contractEvent({ id: `e${n}` }));

      it('catches up over existing events, then delivers live ones in order, each once', async () => {
        await store.append(batch(1, 5));
        const history = await storedPositions();
        const c = collector();
        const subscription = store.subscribe({ after: 0, onEvent: c.onEvent, onCaughtUp: c.onCaughtUp });
        await eventually(() => c.caughtUpAt(), 'catch-up');
        expect(c.caughtUpAt()).toBe(history[4]);
        expect(positions(c.received)).toEqual(history);
        await store.append(batch(6, 8));
        await store.append([...batch(9, 9), contractEvent({ id: 'e1' })]);
        await store.append(batch(10, 10));
        await c.until(10, 'live events');
        const all = await storedPositions();
        expect(all).toHaveLength(10);
        expect(positions(c.received)).toEqual(all);
        expect(ids(c.received)).toEqual(range(1, 10).map((n) => `e${n}`));
        expect(subscription.position).toBe(all[9]);
        await subscription.close();
        await expect(subscription.done).resolves.toBeUndefined();
      });

      it('loses and duplicates nothing when appends race the catch-up', async () => {
        await store.append(batch(1, 50));
        const c = collector();
        const subscription = store.subscribe({ after: 0, onEvent: c.onEvent });
        for (let n = 51; n <= 300; n += 10) await store.append(batch(n, n + 9));
        await c.until(300, 'all 300 events');
        await store.append(batch(301, 301));
        await c.until(301, 'the sentinel');
        expect(ids(c.received)).toEqual(range(1, 301).map((n) => `e${n}`));
        expect(positions(c.received)).toEqual(await storedPositions());
        await subscription.close();
      });

      it('resumes after a position mid-way with exactly the rest', async () => {
        await store.append(batch(1, 8));
        const history = await storedPositions();
        const c = collector();
        const subscription = store.subscribe({ after: history[4]!, onEvent: c.onEvent, onCaughtUp: c.onCaughtUp });
        await eventually(() => c.caughtUpAt(), 'catch-up');
        expect(c.caughtUpAt()).toBe(history[7]);
        expect(positions(c.received)).toEqual(history.slice(5));
        await store.append(batch(9, 10));
        await c.until(5, 'live events');
        const all = await storedPositions();
        expect(positions(c.received)).toEqual(all.slice(5));
        expect(ids(c.received)).toEqual(['e6', 'e7', 'e8', 'e9', 'e10']);
        await subscription.close();
      });

      it('catches up at once on an empty store and at the head', async () => {
        const empty = collector();
        const first = store.subscribe({ after: 0, onEvent: empty.onEvent, onCaughtUp: empty.onCaughtUp });
        expect(await eventually(() => empty.caughtUpAt(), 'the empty subscription to catch up')).toBe(0);
        await store.append(batch(1, 3));
        const history = await storedPositions();
        const atHead = collector();
        const second = store.subscribe({ after: history[2]!, onEvent: atHead.onEvent, onCaughtUp: atHead.onCaughtUp });
        expect(await eventually(() => atHead.caughtUpAt(), 'the subscription at the head to catch up')).toBe(history[2]);
        await store.append(batch(4, 4));
        await atHead.until(1, 'live event');
        await empty.until(4, 'live events');
        const all = await storedPositions();
        expect(positions(atHead.received)).toEqual([all[3]]);
        expect(positions(empty.received)).toEqual(all);
        await Promise.all([first.close(), second.close()]);
      });

      it('applies the filter to catch-up and live events', async () => {
        await store.append([
          contractEvent({ id: 'e1', unit: 'unit-a' }),
          contractEvent({ id: 'e2', unit: 'unit-b' }),
          contractEvent({ id: 'e3', unit: 'unit-a', kind: 'payment' }),
        ]);
        const c = collector();
        const subscription = store.subscribe({
          after: 0,
          filter: { unit: 'unit-a', types: ['vn.dvc.dossier.received'] },
          onEvent: c.onEvent,
        });
        await store.append([contractEvent({ id: 'e4', unit: 'unit-b' }), contractEvent({ id: 'e5', unit: 'unit-a' })]);
        await c.until(2, 'matching events');
        await store.append([contractEvent({ id: 'e6', unit: 'unit-a' })]);
        await c.until(3, 'the sentinel');
        expect(ids(c.received)).toEqual(['e1', 'e5', 'e6']);
        await subscription.close();
      });

      it('delivers one at a time, waiting for an async onEvent', async () => {
        await store.append(batch(1, 20));
        let running = 0;
        let overlapped = false;
        const seen: number[] = [];
        const subscription = store.subscribe({
          after: 0,
          onEvent: async (stored) => {
            running += 1;
            if (running > 1) overlapped = true;
            await new Promise((resolve) => setImmediate(resolve));
            seen.push(stored.position);
            running -= 1;
          },
        });
        await eventually(() => (seen.length === 20 ? true : undefined), 'twenty events');
        expect(overlapped).toBe(false);
        expect(seen).toEqual(await storedPositions());
        await subscription.close();
      });

      it('stops at a throwing onEvent: done rejects, position stays at the last handled event', async () => {
        await store.append(batch(1, 5));
        const failure = new Error('handler failed');
        const subscription = store.subscribe({
          after: 0,
          onEvent: (stored) => {
            if (stored.event.id === 'e3') throw failure;
          },
        });
        await expect(subscription.done).rejects.toBe(failure);
        expect(subscription.position).toBe((await storedPositions())[1]);
        await subscription.close();
      });

      it('delivers nothing after close', async () => {
        const c = collector();
        const subscription = store.subscribe({ after: 0, onEvent: c.onEvent, onCaughtUp: c.onCaughtUp });
        await eventually(() => c.caughtUpAt(), 'catch-up');
        await store.append(batch(1, 2));
        await c.until(2, 'live events');
        await subscription.close();
        await store.append(batch(3, 4));
        // A second subscription seeing event 4 proves the append was visible to readers.
        const witness = collector();
        const other = store.subscribe({ after: 0, onEvent: witness.onEvent });
        await witness.until(4, 'the witness');
        expect(positions(c.received)).toEqual((await storedPositions()).slice(0, 2));
        await other.close();
      });

      it('sees events appended by another instance on the same storage', async () => {
        const writer = await another();
        await writer.append(batch(1, 2));
        const c = collector();
        const subscription = store.subscribe({ after: 0, onEvent: c.onEvent });
        await c.until(2, 'catch-up');
        await writer.append(batch(3, 4));
        await c.until(4, 'events of the other instance');
        expect(positions(c.received)).toEqual(await storedPositions());
        await subscription.close();
      });
    });

    describe('several instances on the same storage', () => {
      it('keeps positions unique and increasing (gapless where promised) under interleaved appends, and agrees on duplicates', async () => {
        const other = await another();
        const writes: Promise<unknown>[] = [];
        for (let n = 0; n < 40; n++) {
          writes.push(store.append([contractEvent({ id: `a${n}` }), contractEvent({ id: `shared${n % 10}` })]));
          writes.push(other.append([contractEvent({ id: `b${n}` }), contractEvent({ id: `shared${n % 10}` })]));
        }
        await Promise.all(writes);
        const fromOne = await store.read();
        const fromOther = await other.read();
        expect(fromOther).toEqual(fromOne);
        const all = await storedPositions(other);
        expect(all).toEqual(positions(fromOne));
        expect(all).toHaveLength(90);
        expect(new Set(ids(fromOne)).size).toBe(90);
        expect(await other.head()).toBe(all[89]);
      });
    });

    describe('closing', () => {
      it('refuses work after close with a non-retriable EventStoreError', async () => {
        const instance = await another();
        await instance.close();
        const refusal = instance.append([contractEvent({ id: 'e1' })]);
        await expect(refusal).rejects.toBeInstanceOf(EventStoreError);
        await expect(refusal).rejects.toMatchObject({ retriable: false });
        await expect(instance.read()).rejects.toBeInstanceOf(EventStoreError);
      });
    });
  });
}
