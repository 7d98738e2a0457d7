import kafkajs from 'kafkajs';
import { retryingRetriable, type RetryBudget } from './lag.js';

// Read from the module object, as lag.ts does: Node cannot name kafkajs' spread error exports.
const { KafkaJSError, KafkaJSProtocolError } = kafkajs;

/** A clock that only moves when the code under test sleeps; the sleeps are recorded. */
function fakeTime(budgetMs: number): RetryBudget & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    budgetMs,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    slept,
  };
}

/** What a broker answers while a group coordinator loads its offsets (Kafka error code 14), as kafkajs raises it. */
function coordinatorLoading(): InstanceType<typeof KafkaJSProtocolError> {
  return new KafkaJSProtocolError({
    type: 'GROUP_LOAD_IN_PROGRESS',
    code: 14,
    retriable: true,
    message: "The coordinator is loading and hence can't process requests for this group",
  } as unknown as Error);
}

describe('retryingRetriable', () => {
  it('asks again, waiting longer each time, while the broker answers with a retriable error', async () => {
    const time = fakeTime(30_000);
    let calls = 0;
    const answer = await retryingRetriable(async () => {
      calls += 1;
      if (calls <= 3) throw coordinatorLoading();
      return 'offsets';
    }, time);
    expect({ answer, calls, slept: time.slept }).toEqual({ answer: 'offsets', calls: 4, slept: [100, 200, 400] });
  });

  it('throws a non-retriable error at once', async () => {
    const time = fakeTime(30_000);
    const refused = new KafkaJSError('not authorized', { retriable: false });
    await expect(
      retryingRetriable(async () => {
        throw refused;
      }, time),
    ).rejects.toBe(refused);
    expect(time.slept).toEqual([]);
    const plain = new Error('a bug');
    await expect(
      retryingRetriable(async () => {
        throw plain;
      }, time),
    ).rejects.toBe(plain);
  });

  it('gives up with the last error once the budget is spent, the waits capped at 2 s', async () => {
    const time = fakeTime(10_000);
    let calls = 0;
    await expect(
      retryingRetriable(async () => {
        calls += 1;
        throw coordinatorLoading();
      }, time),
    ).rejects.toThrow(/coordinator is loading/);
    expect(time.slept).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000]);
    expect(calls).toBe(9);
  });
});
