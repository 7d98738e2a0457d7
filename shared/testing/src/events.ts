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

/** A contract validator: `validateEvent` of @dvc/domain (which @dvc/testing cannot import: @dvc/domain's own tests use @dvc/testing). */
export type EventValidator<E> = (value: unknown) => { ok: true; event: E } | { ok: false; problems: unknown };

/**
 * A builder of the two dossier events the projection store specs fold, checked by `validate` (a
 * problem throws): `received` online on 20 June 2022 08:00 (+07:00), due at `dueAt` (default 28
 * June 08:00, so the resolution is on time), and `resolved` (approved, on paper) on 22 June 08:00.
 * The id is the caller's, so a test can deliver the same event again.
 */
export function dossierEvents<E>(validate: EventValidator<E>, options: { dueAt?: string } = {}) {
  const dueAt = options.dueAt ?? '2022-06-28T08:00:00+07:00';
  return (id: string, unit: string, dossier: string, type: 'received' | 'resolved'): E => {
    const data =
      type === 'received'
        ? { dossierId: dossier, unitId: unit, procedureId: 'P', channel: 'online', receivedAt: '2022-06-20T08:00:00+07:00', dueAt }
        : { dossierId: dossier, unitId: unit, resolvedAt: '2022-06-22T08:00:00+07:00', outcome: 'approved', processedOnline: false };
    const result = validate({
      specversion: '1.0',
      id,
      source: 'test',
      type: `vn.dvc.dossier.${type}`,
      time: '2022-06-22T08:00:00+07:00',
      subject: dossier,
      unitid: unit,
      data,
    });
    if (!result.ok) throw new Error(`${id}: ${JSON.stringify(result.problems)}`);
    return result.event;
  };
}

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
