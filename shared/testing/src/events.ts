/** Builders of contract events for tests: plain objects, exactly as an upstream system sends them. */
let sequence = 0;

export interface EventInit {
  /** Default `<subject>-<last part of the type>-<sequence>`. */
  id?: string;
  /** Default `test/portal`. */
  source?: string;
  time: string;
  unit: string;
}

/** One contract event: the envelope around `data`, which gets the unitId last (as upstream systems send it). */
export function testEvent(type: string, subject: string, init: EventInit, data: Record<string, unknown>) {
  sequence += 1;
  return {
    specversion: '1.0',
    id: init.id ?? `${subject}-${type.split('.').pop()}-${sequence}`,
    source: init.source ?? 'test/portal',
    type,
    time: init.time,
    subject,
    unitid: init.unit,
    data: { ...data, unitId: init.unit },
  };
}

export const ev = {
  received: (unit: string, dossierId: string, receivedAt: string, channel: string, extra: Record<string, unknown> = {}) =>
    testEvent('vn.dvc.dossier.received', dossierId, { unit, time: receivedAt }, { dossierId, procedureId: 'P-TEST', channel, receivedAt, ...extra }),
  resolved: (unit: string, dossierId: string, resolvedAt: string, processedOnline: boolean) =>
    testEvent('vn.dvc.dossier.resolved', dossierId, { unit, time: resolvedAt }, { dossierId, resolvedAt, outcome: 'approved', processedOnline }),
  supplementRequested: (unit: string, dossierId: string, at: string) =>
    testEvent('vn.dvc.dossier.supplement_requested', dossierId, { unit, time: at }, { dossierId, at }),
  supplementReceived: (unit: string, dossierId: string, at: string) =>
    testEvent('vn.dvc.dossier.supplement_received', dossierId, { unit, time: at }, { dossierId, at }),
  digitized: (unit: string, dossierId: string, at: string) => testEvent('vn.dvc.dossier.digitized', dossierId, { unit, time: at }, { dossierId, at }),
  withdrawn: (unit: string, dossierId: string, at: string) => testEvent('vn.dvc.dossier.withdrawn', dossierId, { unit, time: at }, { dossierId, at }),
  payment: (unit: string, paymentId: string, paidAt: string, kind: string, channel: string, amountVnd: number) =>
    testEvent('vn.dvc.payment.completed', paymentId, { unit, time: paidAt }, { paymentId, kind, channel, amountVnd, paidAt }),
  report: (unit: string, reportId: string, submittedAt: string, channel: string) =>
    testEvent('vn.dvc.report.submitted', reportId, { unit, time: submittedAt }, { reportId, channel, submittedAt }),
};

export type TestEvent = ReturnType<typeof ev.received>;

/**
 * The producer key of the tests: the ingest processes the tests start are given a keys file in
 * which it is a producer key of every unit and type (tests/src/stack.ts), and postBatch sends it.
 * A test key, known to every reader of this file: never in a real keys file.
 */
export const TEST_PRODUCER_KEY = 'dvcr_test-producer-key-of-every-unit-not-secret';

/** `Authorization: Bearer <key>` for a POST to the ingest (the tests' key unless another is given). */
export function producerAuth(key: string = TEST_PRODUCER_KEY): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

export async function postBatch(ingestUrl: string, events: unknown[], key: string = TEST_PRODUCER_KEY): Promise<Response> {
  return fetch(`${ingestUrl}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json', ...producerAuth(key) },
    body: JSON.stringify(events),
  });
}

/** How mutateBytes damages a byte string. */
export const BYTE_MUTATIONS = ['flip', 'cut', 'insert'] as const;

/** `base` with the byte at `at` replaced (flip), everything from `at` cut, or `byte` inserted at `at`: for fuzzing decoders. */
export function mutateBytes(base: Buffer, at: number, byte: number, how: (typeof BYTE_MUTATIONS)[number]): Buffer {
  if (how === 'flip') return Buffer.concat([base.subarray(0, at), Buffer.from([byte]), base.subarray(at + 1)]);
  if (how === 'cut') return base.subarray(0, at);
  return Buffer.concat([base.subarray(0, at), Buffer.from([byte]), base.subarray(at)]);
}
