import { validateEvent, type DvcEvent } from '@dvc/domain';

/** Valid contract events for the CLI's tests: a small but varied history per unit. */
function event(type: string, id: string, subject: string, unit: string, time: string, data: Record<string, unknown>): DvcEvent {
  const result = validateEvent({ specversion: '1.0', id, source: 'test/cli', type, time, subject, unitid: unit, data: { ...data, unitId: unit } });
  if (!result.ok) throw new Error(`fixture ${id} invalid: ${JSON.stringify(result.problems)}`);
  return result.event;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * For each unit, `dossiers` dossiers received in June 2022 (alternating online/direct), two of
 * three resolved (some after their due time), every fifth paused for a supplement, and a payment
 * per fourth dossier.
 */
export function history(units: readonly string[], dossiers: number): DvcEvent[] {
  const out: DvcEvent[] = [];
  for (const unit of units) {
    for (let i = 0; i < dossiers; i++) {
      const d = `${unit}-D${i}`;
      const day = 1 + (i % 28);
      const received = `2022-06-${pad(day)}T08:00:00+07:00`;
      const due = `2022-06-${pad(Math.min(30, day + 2))}T17:00:00+07:00`;
      out.push(
        event('vn.dvc.dossier.received', `${d}-rcv`, d, unit, received, {
          dossierId: d,
          procedureId: 'P-TEST',
          channel: i % 2 === 0 ? 'online' : 'direct',
          receivedAt: received,
          dueAt: due,
        }),
      );
      if (i % 5 === 4) {
        const at = `2022-06-${pad(day)}T10:00:00+07:00`;
        out.push(event('vn.dvc.dossier.supplement_requested', `${d}-sup`, d, unit, at, { dossierId: d, at }));
      } else if (i % 3 !== 2) {
        const resolved = `2022-06-${pad(Math.min(30, day + (i % 4)))}T09:00:00+07:00`;
        out.push(
          event('vn.dvc.dossier.resolved', `${d}-res`, d, unit, resolved, {
            dossierId: d,
            resolvedAt: resolved,
            outcome: 'approved',
            processedOnline: i % 2 === 0,
          }),
        );
      }
      if (i % 4 === 0) {
        const paidAt = `2022-06-${pad(day)}T09:30:00+07:00`;
        out.push(
          event('vn.dvc.payment.completed', `${d}-pay`, `${d}-P`, unit, paidAt, {
            paymentId: `${d}-P`,
            kind: 'fee',
            channel: 'online',
            amountVnd: 50_000,
            paidAt,
          }),
        );
      }
    }
  }
  return out;
}
