import { AccessDeniedError, START, StreamNotFoundError, UnavailableError, WrongExpectedVersionError } from '@eventstore/db-client';
import { timestampMs } from '@dvc/domain';
import { DEFAULT_STREAM_PREFIX, checkStreamPrefix, esdbEventId, nameBasedUuid, streamName, subjectOfStream } from './esdb-codec.js';
import { compareEsdbPositions, esdbError, esdbPositionAfter, isStreamNotFound, isWrongExpectedVersion, matchesFilter } from './esdb-codec.js';
import { positionFromEsdb, readMetadata, storedFromRecord } from './esdb-codec.js';
import { EsdbEventStore } from './esdb.js';
import { EventStoreUrlError, isEsdbUrl, openEventStore, redactUrl } from './open.js';
import { EventStoreError } from './port.js';
import { SqliteEventStore } from './sqlite.js';
import { EsdbImitation, contractEvent, describeEsdbSpecifics, describeEventStoreContract } from './testing/index.js';

describe('EventStoreDB event ids', () => {
  it('are name-based UUIDs as in RFC 4122 version 5 (checked on the RFC namespace example)', () => {
    expect(nameBasedUuid('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('are the same for the same event id and differ between ids', () => {
    const id = esdbEventId('018f3c1e-0000-7000-8000-000000000001');
    expect(esdbEventId('018f3c1e-0000-7000-8000-000000000001')).toBe(id);
    expect(esdbEventId('018f3c1e-0000-7000-8000-000000000002')).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(esdbEventId('Hồ sơ 1')).not.toBe(esdbEventId('Ho so 1'));
  });

  it('refuse a namespace that is not a UUID', () => {
    expect(() => nameBasedUuid('x', 'not-a-uuid')).toThrow(/not a UUID/);
  });
});

describe('stream names', () => {
  it('are <prefix>-<subject>, the subject percent-encoded, and decode back', () => {
    expect(DEFAULT_STREAM_PREFIX).toBe('dvc');
    expect(streamName('dvc', 'H12.345-240620-0001')).toBe('dvc-H12.345-240620-0001');
    expect(streamName('dvc', 'a/b c$d')).toBe('dvc-a%2Fb%20c%24d');
    expect(streamName('dvc', 'Hồ sơ')).toBe('dvc-H%E1%BB%93%20s%C6%A1');
    for (const subject of ['H12.345-240620-0001', 'a/b c$d', 'Hồ sơ', '%41', '-', 'dvc-x']) {
      expect(subjectOfStream('dvc', streamName('dvc', subject))).toBe(subject);
    }
  });

  it('tell our streams from others', () => {
    expect(subjectOfStream('dvc', 'other-x')).toBeUndefined();
    expect(subjectOfStream('dvc', '$stats-127.0.0.1:2113')).toBeUndefined();
    expect(subjectOfStream('dvc', 'dvcx-y')).toBeUndefined();
    expect(subjectOfStream('dvc', 'dvc-%E0%A4%A')).toBeUndefined();
    // A prefix has no '-': the streams of 'run_1' never start with 'run_10-' and the other way round.
    expect(streamName('run_10', 's').startsWith('run_1-')).toBe(false);
    expect(streamName('run_1', '0-s').startsWith('run_10-')).toBe(false);
  });

  it('take prefixes of letters, digits, _ and . only', () => {
    expect(checkStreamPrefix('dvc')).toBe('dvc');
    expect(checkStreamPrefix('t_0a1.x')).toBe('t_0a1.x');
    for (const bad of ['', 'a-b', '$dvc', 'dvc/', 'd v c']) {
      expect(() => checkStreamPrefix(bad)).toThrow(EventStoreError);
    }
  });
});

describe('positions', () => {
  it('are $all commit positions, as numbers', () => {
    expect(positionFromEsdb({ commit: 1234n, prepare: 1234n })).toBe(1234);
    expect(positionFromEsdb({ commit: BigInt(Number.MAX_SAFE_INTEGER), prepare: 0n })).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuse commit positions that no number holds exactly, and 0', () => {
    expect(() => positionFromEsdb({ commit: BigInt(Number.MAX_SAFE_INTEGER) + 1n, prepare: 0n })).toThrow(EventStoreError);
    expect(() => positionFromEsdb({ commit: 0n, prepare: 0n })).toThrow(EventStoreError);
  });

  it('map `after` back to where a read or subscription starts', () => {
    expect(esdbPositionAfter(0)).toBe(START);
    expect(esdbPositionAfter(1234)).toEqual({ commit: 1234n, prepare: 1234n });
    expect(positionFromEsdb(esdbPositionAfter(987_654_321) as { commit: bigint; prepare: bigint })).toBe(987_654_321);
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => esdbPositionAfter(bad)).toThrow(EventStoreError);
    }
  });

  it('order by commit, then prepare', () => {
    expect(compareEsdbPositions({ commit: 1n, prepare: 9n }, { commit: 2n, prepare: 0n })).toBeLessThan(0);
    expect(compareEsdbPositions({ commit: 2n, prepare: 3n }, { commit: 2n, prepare: 2n })).toBeGreaterThan(0);
    expect(compareEsdbPositions({ commit: 2n, prepare: 2n }, { commit: 2n, prepare: 2n })).toBe(0);
  });
});

describe('recorded events', () => {
  const event = contractEvent({ id: 'e1' });
  const record = {
    streamId: 'dvc-s-e1',
    id: esdbEventId('e1'),
    revision: 0n,
    isJson: true,
    data: event as unknown,
    metadata: { eventId: 'e1', bodySha256: 'ab' },
    position: { commit: 5000n, prepare: 5000n },
  };

  it('become stored events at their commit position', () => {
    expect(storedFromRecord(record)).toEqual({ position: 5000, event });
  });

  it('are refused when they are not ours or come without a position', () => {
    expect(() => storedFromRecord({ ...record, isJson: false })).toThrow(/not a JSON event of this store/);
    expect(() => storedFromRecord({ ...record, data: [1] })).toThrow(/not a JSON event/);
    const { position: _position, ...withoutPosition } = record;
    expect(() => storedFromRecord(withoutPosition)).toThrow(/22\.6 or later/);
  });

  it('carry our metadata, anything else is not ours', () => {
    expect(readMetadata(record.metadata)).toEqual({ eventId: 'e1', bodySha256: 'ab' });
    expect(readMetadata(undefined)).toBeUndefined();
    expect(readMetadata({ eventId: 'e1' })).toBeUndefined();
    expect(readMetadata(new Uint8Array([1]))).toBeUndefined();
  });
});

describe('filters applied in process', () => {
  const received = contractEvent({ id: 'e1', unit: 'unit-a', time: '2022-06-20T08:00:00+07:00' });
  const payment = contractEvent({ id: 'e2', kind: 'payment', unit: 'unit-b', time: '2022-06-20T09:00:00+07:00' });
  const ms = (t: string) => timestampMs(t);

  it('combine types, unit and business time (from inclusive, to exclusive)', () => {
    expect(matchesFilter({}, received)).toBe(true);
    expect(matchesFilter({ types: [] }, received)).toBe(false);
    expect(matchesFilter({ types: ['vn.dvc.payment.completed'] }, payment)).toBe(true);
    expect(matchesFilter({ types: ['vn.dvc.payment.completed'] }, received)).toBe(false);
    expect(matchesFilter({ unit: 'unit-a' }, received)).toBe(true);
    expect(matchesFilter({ unit: 'unit-a' }, payment)).toBe(false);
    expect(matchesFilter({ from: ms('2022-06-20T08:00:00+07:00') }, received)).toBe(true);
    expect(matchesFilter({ to: ms('2022-06-20T08:00:00+07:00') }, received)).toBe(false);
    expect(matchesFilter({ from: ms('2022-06-20T08:30:00+07:00'), to: ms('2022-06-20T09:00:00.001+07:00') }, payment)).toBe(true);
    expect(matchesFilter({ unit: 'unit-b', types: ['vn.dvc.dossier.received'] }, payment)).toBe(false);
  });
});

describe('errors of the client', () => {
  it('are EventStoreErrors, retriable when the node is unreachable, slow or raced', () => {
    const down = esdbError('read', new UnavailableError(undefined, 'no connection'));
    expect(down).toBeInstanceOf(EventStoreError);
    expect(down).toMatchObject({ retriable: true, message: 'event store read failed: no connection' });
    const raced = new WrongExpectedVersionError(undefined, { streamName: 'dvc-x', expected: 1n, current: 2n });
    expect(esdbError('append', raced).retriable).toBe(true);
    expect(isWrongExpectedVersion(raced)).toBe(true);
    expect(esdbError('head', new Error('Failed to discover after 10 attempts.')).retriable).toBe(true);
  });

  it('are not retriable when trying again cannot help', () => {
    expect(esdbError('read', new AccessDeniedError(undefined, 'denied')).retriable).toBe(false);
    expect(esdbError('read', new Error('something else')).retriable).toBe(false);
    const missing = new StreamNotFoundError(undefined, 'dvc-x');
    expect(isStreamNotFound(missing)).toBe(true);
    expect(isStreamNotFound(new Error('dvc-x not found'))).toBe(false);
    const ours = new EventStoreError('kept', { retriable: true });
    expect(esdbError('read', ours)).toBe(ours);
  });
});

describe('EVENTSTORE_URL', () => {
  it('opens EventStoreDB for esdb:// and esdb+discover:// connection strings, without connecting yet', async () => {
    for (const url of [
      'esdb://127.0.0.1:2113?tls=false',
      ' esdb+discover://node1:2113,node2:2113?tls=false ',
      'esdb://admin:changeit@127.0.0.1:2113?tls=false',
    ]) {
      expect(isEsdbUrl(url)).toBe(true);
      const store = openEventStore(url);
      expect(store).toBeInstanceOf(EsdbEventStore);
      await store.close();
    }
    const prefixed = openEventStore('esdb://127.0.0.1:2113?tls=false', { streamPrefix: 'archive' });
    expect((prefixed as EsdbEventStore).streamPrefix).toBe('archive');
    await prefixed.close();
  });

  it('names what is wrong with a bad connection string, without showing the password', () => {
    expect(() => openEventStore('esdb://')).toThrow(EventStoreUrlError);
    expect(() => openEventStore('esdb://127.0.0.1:notaport')).toThrow(/is not a valid EventStoreDB connection string/);
    let message = '';
    try {
      openEventStore('esdb://admin:s3cret@127.0.0.1:notaport');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/admin:\*\*\*@/);
    expect(message).not.toMatch(/s3cret/);
    expect(redactUrl('esdb+discover://u:p@a:1,b:2')).toBe('esdb+discover://u:***@a:1,b:2');
  });

  it('refuses a bad stream prefix and other schemes, and keeps sqlite as it was', async () => {
    expect(() => openEventStore('esdb://127.0.0.1:2113?tls=false', { streamPrefix: 'a-b' })).toThrow(EventStoreError);
    expect(() => openEventStore('http://127.0.0.1:2113')).toThrow(
      /sqlite:<path>, postgres:\/\/user@host:5432\/database, esdb:\/\/host:2113\?tls=false or esdb\+discover/,
    );
    expect(() => openEventStore('esdb:/127.0.0.1')).toThrow(EventStoreUrlError);
    expect(() => openEventStore('sqlite:')).toThrow(/names no file/);
    const sqlite = openEventStore('sqlite::memory:');
    expect(sqlite).toBeInstanceOf(SqliteEventStore);
    await sqlite.close();
  });
});

describeEventStoreContract('EsdbEventStore on an in-memory imitation of the EventStoreDB client', async () => {
  const server = new EsdbImitation();
  return {
    gaplessPositions: false,
    open: async () => new EsdbEventStore({ client: server.client(), streamPrefix: 'contract', pageSize: 7 }),
    dispose: async () => undefined,
  };
});

describeEsdbSpecifics('an in-memory imitation of the client', async () => {
  const server = new EsdbImitation();
  return { client: () => server.client(), name: (suffix) => suffix };
});
