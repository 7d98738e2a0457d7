import type { DvcEvent, EventType } from '@dvc/domain';
import type { AppendResult, Position } from '@dvc/eventstore';
import type { DeadLetter } from '@dvc/kafka';

/** A valid event and the Kafka message it came from. */
export interface Archivable {
  event: DvcEvent;
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** The producer key id of its header dvc-producer-key, stored beside the event. */
  producerKey?: string;
}

/** A new copy of an already stored event id whose body differs from the stored one. */
export interface Conflict {
  id: string;
  /** Where the original is stored. */
  storedAt: Position;
  /** The Kafka offset of the rejected copy. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** What one append did, ready to be counted, logged and dead-lettered. */
export interface BatchOutcome {
  appended: Map<EventType, number>;
  duplicates: Map<EventType, number>;
  conflicts: Conflict[];
  /** Highest position appended by this batch; undefined when nothing new was stored. */
  lastPosition: Position | undefined;
}

const bump = (counts: Map<EventType, number>, type: EventType) => counts.set(type, (counts.get(type) ?? 0) + 1);

/**
 * Pairs the store's answer with the events given to it (same order, one result per event).
 * Same-body duplicates are redeliveries; different-body duplicates are conflicts: the original
 * is kept and the new copy must be dead-lettered.
 */
export function classifyResults(archived: readonly Archivable[], results: readonly AppendResult[]): BatchOutcome {
  if (results.length !== archived.length) {
    throw new Error(`event store answered ${results.length} results for ${archived.length} events`);
  }
  const outcome: BatchOutcome = { appended: new Map(), duplicates: new Map(), conflicts: [], lastPosition: undefined };
  archived.forEach((item, i) => {
    const result = results[i]!;
    if (result.id !== item.event.id) {
      throw new Error(`event store answered for id '${result.id}' at index ${i}, expected '${item.event.id}'`);
    }
    if (result.outcome === 'appended') {
      bump(outcome.appended, item.event.type);
      outcome.lastPosition = Math.max(outcome.lastPosition ?? 0, result.position);
    } else if (result.sameBody) {
      bump(outcome.duplicates, item.event.type);
    } else {
      outcome.conflicts.push({ id: result.id, storedAt: result.position, offset: item.offset, key: item.key, value: item.value });
    }
  });
  return outcome;
}

export function conflictReason(conflict: Pick<Conflict, 'id' | 'storedAt'>): string {
  return `event id ${conflict.id} is already stored at position ${conflict.storedAt} with a different body`;
}

/** The dead letter of a conflicting copy: its original bytes, the reason and where it came from. */
export function conflictLetter(conflict: Conflict, topic: string, partition: number): DeadLetter {
  return {
    key: conflict.key,
    value: conflict.value,
    reason: conflictReason(conflict),
    code: 'conflict',
    sourceTopic: topic,
    sourcePartition: partition,
    sourceOffset: conflict.offset,
    stage: 'archive',
  };
}
