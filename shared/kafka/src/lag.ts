import type { Admin } from 'kafkajs';

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
