/// <reference types="jest" />
// Runs under jest: describe, it, expect and the hooks are the test runner's globals.
import type { EventStoreDBClient } from '@eventstore/db-client';
import { esdbEventId, positionFromEsdb } from '../esdb-codec.js';
import { EsdbEventStore } from '../esdb.js';
import { contractEvent } from './contract.js';
import { eventually } from './eventually.js';

/**
 * What the EventStoreDB adapter promises beyond the port contract, run on the in-memory
 * imitation (esdb.unit.spec.ts) and on a real EventStoreDB (esdb.int.spec.ts). The factory gives, per test, clients on one server and `name(suffix)`,
 * which makes stream prefixes and stream names unique to the test (on a shared server).
 */
export interface EsdbTarget {
  client(): EventStoreDBClient;
  /** A stream prefix or stream name no other test uses; letters, digits, `_` and `.` in, the same out. */
  name(suffix: string): string;
}

export function describeEsdbSpecifics(title: string, factory: () => Promise<EsdbTarget>): void {
  describe(`EsdbEventStore specifics: ${title}`, () => {
    let target: EsdbTarget;
    const clients: EventStoreDBClient[] = [];
    const client = () => {
      const c = target.client();
      clients.push(c);
      return c;
    };

    beforeEach(async () => {
      target = await factory();
    });
    afterEach(async () => {
      // Clients of closed stores are disposed already; disposing again does no harm.
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
    });

    it('writes each event to its subject stream with the derived id, its type, its JSON and the body hash', async () => {
      const prefix = target.name('ids');
      const raw = client();
      const store = new EsdbEventStore({ client: client(), streamPrefix: prefix });
      const event = contractEvent({ id: 'e1', subject: 'H12/0001 Hồ sơ' });
      await store.append([event]);
      await store.append([event]);
      const recorded = [];
      for await (const resolved of raw.readStream(`${prefix}-H12%2F0001%20H%E1%BB%93%20s%C6%A1`)) recorded.push(resolved.event!);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({ id: esdbEventId('e1'), type: event.type, data: event, metadata: { eventId: 'e1' } });
      expect((recorded[0]!.metadata as { bodySha256: string }).bodySha256).toMatch(/^[0-9a-f]{64}$/);
      expect(await store.readStream('H12/0001 Hồ sơ')).toEqual([{ position: positionFromEsdb(recorded[0]!.position!), event }]);
      await store.close();
    });

    it('keeps stores of different prefixes apart on one server', async () => {
      const one = new EsdbEventStore({ client: client(), streamPrefix: target.name('run_1') });
      const ten = new EsdbEventStore({ client: client(), streamPrefix: target.name('run_10') });
      await one.append([contractEvent({ id: 'a' })]);
      await ten.append([contractEvent({ id: 'b' }), contractEvent({ id: 'c' })]);
      await one.append([contractEvent({ id: 'b' })]);
      expect((await one.read()).map((s) => s.event.id)).toEqual(['a', 'b']);
      const tens = await ten.read();
      expect(tens.map((s) => s.event.id)).toEqual(['b', 'c']);
      expect(await ten.head()).toBe(tens[1]!.position);
      expect(await one.readStream('s-c')).toEqual([]);
      await Promise.all([one.close(), ten.close()]);
    });

    it('records a subscriber checkpoint so that a named subscriber resumes where it stopped', async () => {
      const options = { streamPrefix: target.name('cp'), checkpointStream: `checkpoint-${target.name('archiver')}`, checkpointEvery: 2 };
      const first = new EsdbEventStore({ client: client(), ...options });
      expect(await first.readCheckpoint()).toBe(0);
      await first.append(['e1', 'e2', 'e3', 'e4', 'e5'].map((id) => contractEvent({ id })));
      const seen: string[] = [];
      const subscription = first.subscribe({ after: 0, onEvent: (s) => void seen.push(s.event.id) });
      expect(() => first.subscribe({ after: 0, onEvent: () => undefined })).toThrow(/already used by a running subscription/);
      await first.append([contractEvent({ id: 'e6' })]);
      await eventually(() => (seen.length === 6 ? true : undefined), 'six events');
      await subscription.close();
      const stored = await first.read();
      expect(stored.map((s) => s.event.id)).toEqual(seen);
      expect(await first.readCheckpoint()).toBe(stored[5]!.position);
      await first.close();

      const second = new EsdbEventStore({ client: client(), ...options });
      await second.append([contractEvent({ id: 'e7' })]);
      const resumed: string[] = [];
      const again = second.subscribe({ after: await second.readCheckpoint(), onEvent: (s) => void resumed.push(s.event.id) });
      await eventually(() => (resumed.length === 1 ? true : undefined), 'the event after the checkpoint');
      await again.close();
      expect(resumed).toEqual(['e7']);
      await second.close();
    });

    it('refuses a checkpoint stream inside its own streams or among the system streams', () => {
      const prefix = target.name('bad');
      expect(() => new EsdbEventStore({ client: client(), streamPrefix: prefix, checkpointStream: `${prefix}-archiver` })).toThrow(/checkpoint stream/);
      expect(() => new EsdbEventStore({ client: client(), checkpointStream: '$archiver' })).toThrow(/checkpoint stream/);
      expect(() => new EsdbEventStore({ client: client(), checkpointStream: '' })).toThrow(/checkpoint stream/);
    });

    it('reads no checkpoint when it has no checkpoint stream', async () => {
      const store = new EsdbEventStore({ client: client(), streamPrefix: target.name('none') });
      await expect(store.readCheckpoint()).rejects.toThrow(/no checkpoint stream/);
      await store.close();
    });
  });
}
