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
