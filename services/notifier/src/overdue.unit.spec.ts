import { Redis } from 'ioredis';
import type { LiveView } from '@dvc/read-model';
import { liveOverdueReader } from './overdue.js';
import type { Worklist } from './render.js';

describe('liveOverdueReader when the live view cannot be read', () => {
  // Never connects: the live view fails before any command is sent.
  const redis = new Redis({ lazyConnect: true });
  const asOfMs = Date.parse('2022-06-22T17:00:00+07:00');
  const failing = (clock: LiveView['clock'], resolve: LiveView['resolve']): LiveView => ({ clock, resolve });

  afterAll(() => redis.disconnect());

  it('still answers, with the reason per unit and the pinned instant', async () => {
    const reader = liveOverdueReader(
      redis,
      failing({ mode: 'as-of', asOfMs }, () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))),
      1000,
    );
    expect(reader.clock).toEqual({ mode: 'as-of', asOfMs });
    expect(await reader.read(new Map([['overdue', ['u1', 'u2']]]))).toEqual({
      namespace: undefined,
      asOf: asOfMs,
      worklists: new Map([
        [
          'overdue',
          new Map([
            ['u1', { ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:6379' }],
            ['u2', { ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:6379' }],
          ]),
        ],
      ]),
    });
  });

  it('answers for the due-soon and late-receipt lists asked for too, with the same reason', async () => {
    const reader = liveOverdueReader(
      redis,
      failing({ mode: 'wall' }, () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))),
      1000,
    );
    const wanted = new Map<Worklist, string[]>([
      ['overdue', ['u1']],
      ['due-soon', ['u2']],
      ['receipt-overdue', ['u3']],
    ]);
    expect(await reader.read(wanted)).toEqual({
      namespace: undefined,
      asOf: undefined,
      worklists: new Map([
        ['overdue', new Map([['u1', { ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:6379' }]])],
        ['due-soon', new Map([['u2', { ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:6379' }]])],
        ['receipt-overdue', new Map([['u3', { ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:6379' }]])],
      ]),
    });
    // A worklist asked for no unit is not in the reading.
    expect((await reader.read(new Map([['due-soon', []]]))).worklists).toEqual(new Map());
  });

  it('gives up after the timeout; without a readable watermark the notice falls back to wall-clock wording', async () => {
    const reader = liveOverdueReader(
      redis,
      failing({ mode: 'event' }, () => new Promise(() => undefined)),
      50,
    );
    expect(await reader.read(new Map([['overdue', ['u1']]]))).toEqual({
      namespace: undefined,
      asOf: undefined,
      worklists: new Map([['overdue', new Map([['u1', { ok: false, reason: 'Redis did not answer within 50 ms' }]])]]),
    });
  });
});
