import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and spreads its error classes into its exports, which Node cannot name for
// an ES module import: they are read from the module object.
const { KafkaJSError } = kafkajs;

/** How long a group request is tried again while the broker answers with a retriable error. */
export interface RetryBudget {
  budgetMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const GROUP_REQUEST_RETRY: RetryBudget = {
  budgetMs: 30_000,
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs a request again while it fails with an error kafkajs marks retriable (a group
 * coordinator still loading its offsets just after a broker started, or moving to another
 * broker: kafkajs' admin does not retry these itself), waiting 100 ms and then twice as long each
 * time (at most 2 s), for at most the budget; then, or on any other error, the error is thrown.
 */
export async function retryingRetriable<T>(request: () => Promise<T>, retry: RetryBudget = GROUP_REQUEST_RETRY): Promise<T> {
  const deadline = retry.now() + retry.budgetMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof KafkaJSError) || !error.retriable || retry.now() + delay > deadline) throw error;
      await retry.sleep(delay);
    }
  }
}

/** Per-partition lag of a consumer group: high watermark minus committed offset. */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [high, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committedByPartition = new Map<number, number>();
  for (const t of committed) for (const p of t.partitions) committedByPartition.set(p.partition, Number(p.offset));
  const lag = new Map<number, number>();
  for (const p of high) {
    const end = Number(p.high);
    const done = committedByPartition.get(p.partition) ?? -1;
    lag.set(p.partition, done < 0 ? end - Number(p.low) : Math.max(0, end - done));
  }
  return lag;
}

export interface LagWatch {
  /** Reads the lag once now (the timer keeps going). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Reports a group's per-partition lag every `intervalMs` (the timer does not keep the process
 * alive). Lag is advisory: a failed read goes to `onError` and the next tick tries again.
 */
export function watchLag(
  admin: Admin,
  groupId: string,
  topic: string,
  intervalMs: number,
  report: (partition: number, lag: number) => void,
  onError: (error: unknown) => void,
): LagWatch {
  const refresh = async () => {
    try {
      for (const [partition, n] of await consumerLag(admin, groupId, topic)) report(partition, n);
    } catch (error) {
      onError(error);
    }
  };
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}

/** Per partition, whether the group's committed offset has reached the given end offset. */
export async function groupReached(admin: Admin, groupId: string, topic: string, ends: ReadonlyMap<number, number>): Promise<boolean> {
  const committed = await retryingRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
  const byPartition = new Map<number, number>();
  for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, Number(p.offset));
  for (const [partition, end] of ends) {
    if ((byPartition.get(partition) ?? -1) < end) return false;
  }
  return true;
}

/** The end offset (high watermark) of each partition holding messages; empty partitions need no wait. */
export async function topicEnds(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const ends = new Map<number, number>();
  for (const p of offsets) if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
  return ends;
}
