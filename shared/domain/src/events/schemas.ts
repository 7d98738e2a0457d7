import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';

/**
 * The event contract (ARCHITECTURE.md#events) as TypeBox schemas: one source from which the JSON
 * Schemas published for integrators and the TypeScript types are both derived.
 */

export const UNIT_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

/** RFC 3339 date-time with a mandatory offset (Z or ±hh:mm); checked further in validate.ts. */
const Timestamp = (description: string) => Type.String({ format: 'date-time', maxLength: 40, description });

/**
 * Identifiers are free text but never carry control characters (C0, DEL, C1): they end up in
 * Kafka keys, Redis keys and logs, where a newline or NUL is an injection, not an id.
 */
export const NO_CONTROL_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 128, pattern: NO_CONTROL_PATTERN, description });
const UnitId = Type.String({ pattern: UNIT_ID_PATTERN, description: 'unit id from the unit directory' });

/**
 * CloudEvents extension attributes are scalars of its type system (string, integer, boolean):
 * a nested object there would be carried through every stage (and a deeply nested one cannot
 * even be serialised again), so anything else is refused.
 */
const ExtensionValue = Type.Union([Type.String({ maxLength: 2048 }), Type.Integer({ minimum: -2147483648, maximum: 2147483647 }), Type.Boolean()]);

/** Known attributes plus at most this many extensions. */
export const MAX_ENVELOPE_ATTRIBUTES = 32;

export const DossierChannel = Type.Union([Type.Literal('online'), Type.Literal('direct'), Type.Literal('postal')]);
export const PaymentChannel = Type.Union([Type.Literal('online'), Type.Literal('offline')]);
export const PaymentKind = Type.Union([Type.Literal('fee'), Type.Literal('land_obligation')]);
export const ReportChannel = Type.Union([Type.Literal('online'), Type.Literal('offline')]);

const data = <P extends TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });
/** The data of a dossier event: the dossier code and the unit first, then the event's own fields. */
const dossierData = <P extends TProperties>(properties: P) => data({ dossierId: Id('dossier code'), unitId: UnitId, ...properties });

export const DossierSubmitted = dossierData({
  procedureId: Id('administrative procedure code'),
  submittedAt: Timestamp('online submission time, before official receipt'),
});

export const DossierReceived = dossierData({
  procedureId: Id('administrative procedure code'),
  channel: DossierChannel,
  receivedAt: Timestamp('official receipt time'),
  dueAt: Type.Optional(Timestamp('appointment (due) time on the receipt slip')),
  processingDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, description: 'statutory working days, used when dueAt is absent' })),
});

export const DossierSupplementRequested = dossierData({ at: Timestamp('request time') });
export const DossierSupplementReceived = dossierData({ at: Timestamp('supplement time') });

export const DossierDeadlineExtended = dossierData({
  at: Timestamp('time of the apology letter'),
  newDueAt: Timestamp('new appointment time'),
});

export const DossierResolved = dossierData({
  resolvedAt: Timestamp('processing finished'),
  outcome: Type.Union([Type.Literal('approved'), Type.Literal('rejected')]),
  processedOnline: Type.Boolean(),
  dueAt: Type.Optional(Timestamp('due time, for dossiers whose receipt precedes the history')),
});

const dossierMoment = (what: string) => dossierData({ at: Timestamp(what) });

export const DossierResultReturned = dossierMoment('result handed back');
export const DossierWithdrawn = dossierMoment('withdrawal time');
export const DossierDigitized = dossierMoment('digitization time');

export const DossierReopened = dossierData({
  at: Timestamp('reopening time'),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
});

export const PaymentCompleted = data({
  paymentId: Id('payment transaction id'),
  unitId: UnitId,
  dossierId: Type.Optional(Id('dossier code')),
  kind: PaymentKind,
  amountVnd: Type.Integer({ minimum: 0, maximum: 1e15, description: 'amount in Vietnamese đồng' }),
  channel: PaymentChannel,
  paidAt: Timestamp('payment time'),
});

export const ReportSubmitted = data({
  reportId: Id('report id'),
  unitId: UnitId,
  channel: ReportChannel,
  submittedAt: Timestamp('submission time'),
});

export const ProcedurePublished = data({
  procedureId: Id('administrative procedure code'),
  unitId: UnitId,
  onlineCapable: Type.Boolean(),
});

export const CommunityTeamRegistered = data({
  teamId: Id('team id'),
  unitId: UnitId,
  teamLevel: Type.Union([Type.Literal('commune'), Type.Literal('village')]),
  members: Type.Integer({ minimum: 0, maximum: 100_000 }),
});

/**
 * Every event type: its data schema and the data field that must equal the CloudEvents
 * `subject`. The Kafka key is the subject, except for a payment that names its dossier, which is
 * keyed by that dossier (routingKeyOf): a dossier's events share one partition.
 */
export const EVENT_TYPES = {
  'vn.dvc.dossier.submitted': { data: DossierSubmitted, subjectField: 'dossierId' },
  'vn.dvc.dossier.received': { data: DossierReceived, subjectField: 'dossierId' },
  'vn.dvc.dossier.supplement_requested': { data: DossierSupplementRequested, subjectField: 'dossierId' },
  'vn.dvc.dossier.supplement_received': { data: DossierSupplementReceived, subjectField: 'dossierId' },
  'vn.dvc.dossier.deadline_extended': { data: DossierDeadlineExtended, subjectField: 'dossierId' },
  'vn.dvc.dossier.resolved': { data: DossierResolved, subjectField: 'dossierId' },
  'vn.dvc.dossier.result_returned': { data: DossierResultReturned, subjectField: 'dossierId' },
  'vn.dvc.dossier.withdrawn': { data: DossierWithdrawn, subjectField: 'dossierId' },
  'vn.dvc.dossier.digitized': { data: DossierDigitized, subjectField: 'dossierId' },
  'vn.dvc.dossier.reopened': { data: DossierReopened, subjectField: 'dossierId' },
  'vn.dvc.payment.completed': { data: PaymentCompleted, subjectField: 'paymentId' },
  'vn.dvc.report.submitted': { data: ReportSubmitted, subjectField: 'reportId' },
  'vn.dvc.procedure.published': { data: ProcedurePublished, subjectField: 'procedureId' },
  'vn.dvc.community_team.registered': { data: CommunityTeamRegistered, subjectField: 'teamId' },
} as const;

type EventTypes = typeof EVENT_TYPES;
export type EventType = keyof EventTypes;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

/** The CloudEvents 1.0 envelope around one event type's data. */
export function envelopeSchema<T extends EventType>(type: T): TObject {
  return Type.Object(
    {
      specversion: Type.Literal('1.0'),
      id: Type.String({ minLength: 1, maxLength: 256, pattern: NO_CONTROL_PATTERN, description: 'unique per event; duplicates are applied once' }),
      source: Type.String({ minLength: 1, maxLength: 256, pattern: NO_CONTROL_PATTERN, description: 'the emitting system (URI-reference)' }),
      type: Type.Literal(type),
      time: Timestamp('when it happened'),
      subject: Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: NO_CONTROL_PATTERN,
        description: 'dossier/payment/report id; the Kafka key but for a payment that names its dossier',
      }),
      unitid: UnitId,
      datacontenttype: Type.Optional(Type.Literal('application/json')),
      dataschema: Type.Optional(Type.String({ maxLength: 512 })),
      data: EVENT_TYPES[type].data,
    },
    // CloudEvents allows further extension attributes; they are carried, not interpreted.
    { additionalProperties: ExtensionValue, maxProperties: MAX_ENVELOPE_ATTRIBUTES, $id: `${type}.json`, title: type },
  );
}

interface Envelope<T extends EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject: string;
  unitid: string;
  datacontenttype?: 'application/json';
  dataschema?: string;
  data: Static<EventTypes[T]['data']>;
}

/** A valid event of the contract: a discriminated union on `type`. */
export type DvcEvent = { [T in EventType]: Envelope<T> }[EventType];
export type EventOf<T extends EventType> = Envelope<T>;
export type DossierChannelName = Static<typeof DossierChannel>;
export type PaymentChannelName = Static<typeof PaymentChannel>;
export type PaymentKindName = Static<typeof PaymentKind>;
export type ReportChannelName = Static<typeof ReportChannel>;
