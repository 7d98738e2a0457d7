import type { DvcEvent } from '../events/schemas.js';

/**
 * The Kafka key of an event on the events topic: the dossier it changes, so that all of one
 * dossier's events share a partition (and a projector that owns the partition owns the dossier's
 * state). A payment that names its dossier changes that dossier too (subjectKeysOf, linkPayment),
 * so it is keyed by `data.dossierId`; every other event by its CloudEvents subject.
 */
export function routingKeyOf(event: DvcEvent): string {
  if (event.type === 'vn.dvc.payment.completed' && event.data.dossierId !== undefined) return event.data.dossierId;
  return event.subject;
}

/**
 * The lane (0 to `lanes` - 1) of an event when a batch is split into lanes applied side by side,
 * as the rebuild applies the history: a string hash of its routing key (routingKeyOf), so every
 * event of one dossier is in the same lane, in its order, as on one Kafka partition.
 */
export function laneOf(event: DvcEvent, lanes: number): number {
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`laneOf: lanes must be a positive integer, not ${lanes}`);
  const key = routingKeyOf(event);
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return (h >>> 0) % lanes;
}
