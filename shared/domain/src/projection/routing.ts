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
