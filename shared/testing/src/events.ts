/** Builders of contract events for tests: plain objects, exactly as an upstream system sends them. */
let sequence = 0;

export interface EventInit {
  id?: string;
  time: string;
  unit: string;
}

function envelope(type: string, subject: string, init: EventInit, data: Record<string, unknown>) {
  sequence += 1;
  return {
    specversion: '1.0',
    id: init.id ?? `${subject}-${type.split('.').pop()}-${sequence}`,
    source: 'test/portal',
    type,
    time: init.time,
    subject,
    unitid: init.unit,
    data: { ...data, unitId: init.unit },
  };
}

export const ev = {
  received: (unit: string, dossierId: string, receivedAt: string, channel: string, extra: Record<string, unknown> = {}) =>
    envelope('vn.dvc.dossier.received', dossierId, { unit, time: receivedAt }, { dossierId, procedureId: 'P-TEST', channel, receivedAt, ...extra }),
  resolved: (unit: string, dossierId: string, resolvedAt: string, processedOnline: boolean) =>
    envelope('vn.dvc.dossier.resolved', dossierId, { unit, time: resolvedAt }, { dossierId, resolvedAt, outcome: 'approved', processedOnline }),
  supplementRequested: (unit: string, dossierId: string, at: string) =>
    envelope('vn.dvc.dossier.supplement_requested', dossierId, { unit, time: at }, { dossierId, at }),
  supplementReceived: (unit: string, dossierId: string, at: string) =>
    envelope('vn.dvc.dossier.supplement_received', dossierId, { unit, time: at }, { dossierId, at }),
  digitized: (unit: string, dossierId: string, at: string) =>
    envelope('vn.dvc.dossier.digitized', dossierId, { unit, time: at }, { dossierId, at }),
  withdrawn: (unit: string, dossierId: string, at: string) =>
    envelope('vn.dvc.dossier.withdrawn', dossierId, { unit, time: at }, { dossierId, at }),
  payment: (unit: string, paymentId: string, paidAt: string, kind: string, channel: string, amountVnd: number) =>
    envelope('vn.dvc.payment.completed', paymentId, { unit, time: paidAt }, { paymentId, kind, channel, amountVnd, paidAt }),
  report: (unit: string, reportId: string, submittedAt: string, channel: string) =>
    envelope('vn.dvc.report.submitted', reportId, { unit, time: submittedAt }, { reportId, channel, submittedAt }),
};

export type TestEvent = ReturnType<typeof ev.received>;

export async function postBatch(ingestUrl: string, events: unknown[]): Promise<Response> {
  return fetch(`${ingestUrl}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
}
